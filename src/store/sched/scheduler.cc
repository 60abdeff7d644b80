#include "sched/scheduler.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "sched/cron.h"
#include "sched/stream_headers.h"
#include "util/varint.h"

namespace natscpp::store::sched {
namespace {

constexpr int64_t kMinFireInterval = 250 * kMillisecond;

void AppendLe(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t ReadLe64(std::span<const uint8_t> b, size_t off) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[off + i]) << (8 * i);
  return v;
}

}  // namespace

// go: server/scheduler.go:newMsgScheduling
MsgScheduling::MsgScheduling(std::function<void()> run, AfterFunc after_func)
    : run_(std::move(run)), after_func_(std::move(after_func)) {}

// go: server/scheduler.go:(*MsgScheduling).add
void MsgScheduling::Add(uint64_t seq, const std::string& subj, int64_t ts) {
  Init(seq, subj, ts);
  ResetTimer();
}

// go: server/scheduler.go:(*MsgScheduling).init
void MsgScheduling::Init(uint64_t seq, const std::string& subj, int64_t ts) {
  if (auto it = schedules_.find(subj); it != schedules_.end()) {
    MsgSchedule& sched = it->second;
    seq_to_subj_.erase(sched.seq);
    // A new message replaces the subject's schedule: the wheel entry moves
    // to the new sequence as well as the new time.
    (void)ttls_.Remove(sched.seq, sched.ts);
    ttls_.Add(seq, ts);
    sched.ts = ts;
    sched.seq = seq;
  } else {
    ttls_.Add(seq, ts);
    schedules_.emplace(subj, MsgSchedule{seq, ts});
  }
  seq_to_subj_[seq] = subj;
  inflight_.erase(subj);
}

// go: server/scheduler.go:(*MsgScheduling).update
void MsgScheduling::Update(const std::string& subj, int64_t ts) {
  const auto it = schedules_.find(subj);
  if (it == schedules_.end()) return;
  MsgSchedule& sched = it->second;
  // Remove and add rather than Update: when replicated, this server may not
  // have known the previous time.
  (void)ttls_.Remove(sched.seq, sched.ts);
  ttls_.Add(sched.seq, ts);
  sched.ts = ts;
  inflight_.erase(subj);
  ResetTimer();
}

// go: server/scheduler.go:(*MsgScheduling).markInflight
void MsgScheduling::MarkInflight(const std::string& subj) {
  if (schedules_.contains(subj)) inflight_.insert(subj);
}

// go: server/scheduler.go:(*MsgScheduling).isInflight
bool MsgScheduling::IsInflight(const std::string& subj) const { return inflight_.contains(subj); }

// go: server/scheduler.go:(*MsgScheduling).remove
void MsgScheduling::Remove(uint64_t seq) {
  const auto it = seq_to_subj_.find(seq);
  if (it == seq_to_subj_.end()) return;
  const std::string subj = it->second;  // copy: RemoveSubject erases the entry
  RemoveSubject(subj);
}

// go: server/scheduler.go:(*MsgScheduling).removeSubject
void MsgScheduling::RemoveSubject(const std::string& subj) {
  const auto it = schedules_.find(subj);
  if (it == schedules_.end()) return;
  const MsgSchedule sched = it->second;
  (void)ttls_.Remove(sched.seq, sched.ts);
  schedules_.erase(it);
  seq_to_subj_.erase(sched.seq);
  inflight_.erase(subj);
}

// go: server/scheduler.go:(*MsgScheduling).clearInflight
void MsgScheduling::ClearInflight() { inflight_.clear(); }

// go: server/scheduler.go:(*MsgScheduling).resetTimer
void MsgScheduling::ResetTimer() {
  // While a run is in progress it re-arms at its end; arming here too
  // could start overlapping runs.
  if (running_) return;

  const int64_t next = ttls_.GetNextExpiration(std::numeric_limits<int64_t>::max());
  if (next == std::numeric_limits<int64_t>::max()) {
    if (timer_) {
      timer_->Stop();
      timer_.reset();
    }
    return;
  }
  int64_t fire_in = next - NowUnixNano();
  // Firing too often would slow down ingest.
  if (fire_in < kMinFireInterval) fire_in = kMinFireInterval;

  // Never push an armed timer later: a steady stream of new schedules
  // would otherwise keep postponing it forever.
  const int64_t deadline = NowUnixNano() + fire_in;
  if (deadline_ > 0 && deadline > deadline_) return;

  deadline_ = deadline;
  if (timer_) {
    timer_->Reset(fire_in);
  } else if (after_func_) {
    timer_ = after_func_(fire_in, run_);
  }
}

// go: server/scheduler.go:(*MsgScheduling).getScheduledMessages
std::vector<InMsg> MsgScheduling::GetScheduledMessages(const LoadMsgFn& load_msg,
                                                       const LoadLastFn& load_last) {
  std::vector<InMsg> msgs;
  ttls_.ExpireTasks([&](uint64_t seq, int64_t ts) -> bool {
    // The schedule message may have been removed since it was tracked.
    std::optional<StoreMsg> sm = load_msg(seq);
    if (!sm) {
      Remove(seq);
      return true;
    }
    // Already produced and not yet stored (replication can take a while):
    // don't produce it twice.
    const std::string subj = sm->subj;
    if (IsInflight(subj)) return false;

    // Anything invalid drops the schedule.
    const auto pattern_view = headers::SliceHeader(headers::kJSSchedulePattern, sm->hdr);
    const std::string pattern = pattern_view ? std::string(headers::AsString(*pattern_view)) : "";
    if (pattern.empty()) {
      Remove(seq);
      return true;
    }
    Result<LocationPtr> loc = LoadMessageScheduleLocation(sm->hdr);
    if (!loc) {
      Remove(seq);
      return true;
    }
    const ParsedMsgSchedule parsed = ParseMsgSchedule(pattern, *loc, ts);
    if (!parsed.ok) {
      Remove(seq);
      return true;
    }
    const std::optional<std::string> ttl = GetMessageScheduleTTL(sm->hdr);
    if (!ttl) {
      Remove(seq);
      return true;
    }
    const std::string target = GetMessageScheduleTarget(sm->hdr);
    if (target.empty()) {
      Remove(seq);
      return true;
    }
    const std::string rollup = GetMessageScheduleRollup(sm->hdr);
    const std::string source = GetMessageScheduleSource(sm->hdr);
    if (!source.empty()) {
      // The source's last message supplies the content; without one the
      // schedule message's own content is used.
      if (std::optional<StoreMsg> src = load_last(source)) sm = std::move(src);
    }

    headers::Bytes hdr = sm->hdr;
    std::vector<uint8_t> msg = sm->msg;
    // Drop the scheduling headers (Nats-Schedule, Nats-Schedule-*,
    // Nats-Scheduler) and those that could stop the message being stored.
    hdr = headers::RemoveHeaderIfPrefixPresent(std::move(hdr), "Nats-Schedule");
    hdr = headers::RemoveHeaderIfPrefixPresent(std::move(hdr), "Nats-Expected-");
    hdr = headers::RemoveHeaderIfPresent(std::move(hdr), headers::kJSMsgId);
    hdr = headers::RemoveHeaderIfPresent(std::move(hdr), headers::kJSMessageTTL);
    hdr = headers::RemoveHeaderIfPresent(std::move(hdr), headers::kJSMsgRollup);

    hdr = headers::GenHeader(hdr, headers::kJSScheduler, subj);
    if (!parsed.repeat) {
      // One-shot: tell the stream to purge the schedule message itself.
      hdr = headers::GenHeader(hdr, headers::kJSScheduleNext, headers::kJSScheduleNextPurge);
    } else {
      hdr = headers::GenHeader(hdr, headers::kJSScheduleNext, parsed.next.FormatRFC3339Nano());
    }
    if (!ttl->empty()) hdr = headers::GenHeader(hdr, headers::kJSMessageTTL, *ttl);
    if (!rollup.empty()) hdr = headers::GenHeader(hdr, headers::kJSMsgRollup, rollup);
    msgs.push_back(InMsg{target, std::move(hdr), std::move(msg), seq});
    MarkInflight(subj);
    return false;
  });
  // The wheel is unordered.
  std::sort(msgs.begin(), msgs.end(), [](const InMsg& a, const InMsg& b) { return a.seq < b.seq; });
  return msgs;
}

// go: server/scheduler.go:(*MsgScheduling).encode
std::vector<uint8_t> MsgScheduling::Encode(uint64_t high_seq) const {
  const uint64_t count = schedules_.size();
  std::vector<uint8_t> b;
  b.reserve(kSchedHeaderLen + static_cast<size_t>(count) * 2 * util::kMaxVarintLen64);
  b.push_back(1);  // version
  AppendLe(b, count, 8);
  AppendLe(b, high_seq, 8);
  for (const auto& [subj, sched] : schedules_) {
    // Subjects longer than a uint16 are cut (as in Go).
    const size_t slen = std::min<size_t>(subj.size(), 0xFFFF);
    AppendLe(b, slen, 2);
    b.insert(b.end(), subj.begin(), subj.begin() + static_cast<std::ptrdiff_t>(slen));
    util::AppendVarint(b, sched.ts);
    util::AppendUvarint(b, sched.seq);
  }
  return b;
}

// go: server/scheduler.go:(*MsgScheduling).decode
Result<uint64_t> MsgScheduling::Decode(std::span<const uint8_t> b) {
  if (b.size() < kSchedHeaderLen) return MakeError(ErrorCode::kBadEncoding, kErrShortBuffer);
  if (b[0] != 1) return MakeError(ErrorCode::kBadEncoding, kErrMsgScheduleInvalidVersion);
  const uint64_t count = ReadLe64(b, 1);
  const uint64_t stamp = ReadLe64(b, 9);
  b = b.subspan(kSchedHeaderLen);
  // The count is not trusted for allocation; truncation ends the loop.
  for (uint64_t i = 0; i < count; ++i) {
    if (b.size() < 2) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    const size_t sl = static_cast<size_t>(b[0]) | (static_cast<size_t>(b[1]) << 8);
    b = b.subspan(2);
    if (b.size() < sl) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    const std::string subj(reinterpret_cast<const char*>(b.data()), sl);
    b = b.subspan(sl);
    const util::SignedVarintRead ts = util::ReadVarint(b);
    if (ts.n <= 0) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    const util::VarintRead seq = util::ReadUvarint(b.subspan(static_cast<size_t>(ts.n)));
    if (seq.n <= 0) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    Init(seq.value, subj, ts.value);
    b = b.subspan(static_cast<size_t>(ts.n + seq.n));
  }
  return stamp;
}

// go: server/scheduler.go:parseMsgSchedule
ParsedMsgSchedule ParseMsgSchedule(std::string_view pattern, const LocationPtr& loc, int64_t ts) {
  if (pattern.empty()) return {Time{}, false, true};

  // A single instant; time zones are not supported here.
  if (pattern.starts_with("@at ")) {
    if (loc) return {Time{}, false, false};
    const Result<Time> t = ParseRFC3339(pattern.substr(4));
    if (!t) return {Time{}, false, false};
    return {*t, false, true};
  }

  // A fixed interval of at least one second; no time zone either.
  if (pattern.starts_with("@every ")) {
    if (loc) return {Time{}, false, false};
    const Result<int64_t> dur = ParseDuration(pattern.substr(7));
    if (!dur || *dur < kSecond) return {Time{}, false, false};
    Time next = Time::Unix(0, ts).UTC().Round(kSecond).Add(*dur);
    // After a long pause (e.g. a restart) fire once, not once per missed
    // interval.
    const Time now = Time::Unix(0, NowUnixNano()).UTC();
    if (next.Before(now)) next = now.Round(kSecond).Add(*dur);
    return {next, true, true};
  }

  std::string_view cron = pattern;
  if (pattern == "@yearly" || pattern == "@annually") {
    cron = "0 0 0 1 1 *";
  } else if (pattern == "@monthly") {
    cron = "0 0 0 1 * *";
  } else if (pattern == "@weekly") {
    cron = "0 0 0 * * 0";
  } else if (pattern == "@daily" || pattern == "@midnight") {
    cron = "0 0 0 * * *";
  } else if (pattern == "@hourly") {
    cron = "0 0 * * * *";
  }

  Result<Time> next = ParseCron(cron, loc, ts);
  if (!next) return {Time{}, false, false};
  // As for @every: skip missed firings and fire once.
  const Time now = Time::Unix(0, NowUnixNano()).UTC();
  if (next->Before(now)) {
    next = ParseCron(cron, loc, now.Round(kSecond).UnixNano());
    if (!next) return {Time{}, false, false};
  }
  return {*next, true, true};
}

}  // namespace natscpp::store::sched
