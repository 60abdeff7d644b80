// Message scheduling: stream messages with a Nats-Schedule header are
// tracked by subject (sched/scheduler.h); when one comes due the timer on
// the store's executor hands the message to publish to the stream layer.
// The schedules are saved as msgs/sched.db next to index.db, stamped with
// the sequence after the last one they cover, and recovered from it at
// open, the blocks past the stamp (only those holding schedules) being
// rescanned for their Nats-Schedule headers.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "filestore/file_store_impl.h"
#include "headers/headers.h"
#include "sched/go_time.h"
#include "sched/scheduler.h"
#include "sched/stream_headers.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

// A scheduling timer on the store's executor. Its handle is only touched
// with the store's lock held; when it goes, the handle is retired to the
// store (as block timers are), since releasing it here could wait on a
// callback that waits on that lock.
class ExecutorSchedTimer final : public sched::Timer {
 public:
  ExecutorSchedTimer(FileStore::Impl* fs, exec::Executor::Timer timer)
      : fs_(fs), timer_(std::move(timer)) {}
  ~ExecutorSchedTimer() override { fs_->RetireTimer(std::move(timer_)); }
  ExecutorSchedTimer(const ExecutorSchedTimer&) = delete;
  ExecutorSchedTimer& operator=(const ExecutorSchedTimer&) = delete;

  void Reset(int64_t fire_in_ns) override { timer_.Reset(std::chrono::nanoseconds(fire_in_ns)); }
  void Stop() override { timer_.Stop(); }

 private:
  FileStore::Impl* fs_;
  exec::Executor::Timer timer_;
};

sched::StoreMsg ToSchedMsg(const store::StoreMsg& sm) {
  sched::StoreMsg out;
  out.subj = sm.subject;
  const auto hdr = sm.hdr();
  const auto msg = sm.msg();
  out.hdr.assign(hdr.begin(), hdr.end());
  out.msg.assign(msg.begin(), msg.end());
  out.seq = sm.seq;
  out.ts = sm.ts;
  return out;
}

std::string SchedStateFileName() {
  return std::string(kMsgDir) + "/" + std::string(kMsgSchedulingStateFile);
}

}  // namespace

std::unique_ptr<sched::MsgScheduling> FileStore::Impl::NewMsgScheduling() {
  // The callback and the timers hold the store, never the scheduling state:
  // the timer's run looks up whatever scheduling the store has by then.
  return std::make_unique<sched::MsgScheduling>(
      [this] { RunMsgScheduling(); },
      [this](int64_t fire_in_ns, std::function<void()> fn) -> std::unique_ptr<sched::Timer> {
        // Called with mu held; recovery may arm it before StartBackground.
        if (!executor) executor = std::make_unique<exec::Executor>();
        return std::make_unique<ExecutorSchedTimer>(
            this, executor->After(std::chrono::nanoseconds(fire_in_ns), std::move(fn)));
      });
}

// go: server/filestore.go:(*fileStore).recoverMsgSchedulingState
Result<void> FileStore::Impl::RecoverMsgSchedulingState() {
  const auto fn = dir / kMsgDir / kMsgSchedulingStateFile;
  auto buf = ReadWholeFile(fn);
  if (!buf && buf.error().code() != ErrorCode::kNotFound) return std::unexpected(buf.error());

  scheduling = NewMsgScheduling();
  uint64_t sched_seq = 0;
  if (buf) {
    auto stamp = scheduling->Decode(*buf);
    if (!stamp) {
      Note(SchedStateFileName(), "error decoding message scheduling state: " + stamp.error().message());
      std::error_code ec;
      std::filesystem::remove(fn, ec);
      scheduling = NewMsgScheduling();
    } else {
      sched_seq = *stamp;
    }
  }
  if (sched_seq < state.first.seq) sched_seq = state.first.seq;

  if (state.msgs > 0 && sched_seq <= state.last.seq) {
    Note(SchedStateFileName(), "message scheduling state is outdated; recovering with a linear scan (seq " +
                                   std::to_string(sched_seq) + " to " + std::to_string(state.last.seq) +
                                   ")");
    ScanMsgsFrom(sched_seq, &MsgBlock::schedules, [&](uint64_t seq, const store::StoreMsg& sm) {
      if (auto next = sched::NextMessageSchedule(sm.hdr(), sm.ts); next && !next->IsZero()) {
        // sm.subject is an owned copy; the cache may be reused meanwhile.
        scheduling->Init(seq, sm.subject, next->UnixNano());
      }
    });
  }
  scheduling->ResetTimer();
  return {};
}

// go: server/filestore.go:(*fileStore).writeMsgSchedulingState
Result<void> FileStore::Impl::WriteMsgSchedulingState() {
  if (!scheduling) return {};
  const auto fn = dir / kMsgDir / kMsgSchedulingStateFile;
  // Stamped with the sequence after the last: every schedule below it is
  // in the file.
  const std::vector<uint8_t> buf = scheduling->Encode(state.last.seq + 1);
  return WriteFileWithOptionalSync(fn, buf, kDefaultFilePerms);
}

void FileStore::Impl::TrackMsgSchedule(uint64_t seq, std::string_view subject,
                                       std::span<const uint8_t> hdr, int64_t ts) {
  if (!scheduling) return;
  const std::string subj(subject);
  if (auto next = sched::NextMessageSchedule(hdr, ts); next && !next->IsZero()) {
    scheduling->Add(seq, subj, next->UnixNano());
    ++lmb->schedules;
  } else if (sched::GetMessageScheduler(hdr).empty()) {
    // A plain message on a schedule's subject replaces the schedule.
    scheduling->RemoveSubject(subj);
  }
  // A repeating schedule's produced message says when it fires next.
  const auto next_hdr = headers::SliceHeader(headers::kJSScheduleNext, hdr);
  if (!next_hdr) return;
  const std::string_view schedule_next = headers::AsString(*next_hdr);
  if (schedule_next.empty() || schedule_next == headers::kJSScheduleNextPurge) return;
  const std::string scheduler = sched::GetMessageScheduler(hdr);
  if (auto next = sched::ParseRFC3339(schedule_next); next && !scheduler.empty()) {
    scheduling->Update(scheduler, next->UnixNano());
  }
}

Result<void> FileStore::Impl::RemoveBlockSchedules(MsgBlock* mb) {
  if (!scheduling || mb->schedules == 0) return {};
  if (mb->CacheNotLoaded()) {
    std::optional<filestore::RebuildResult> rebuilt;
    auto loaded = mb->LoadCache(&rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!loaded) return loaded;
  }
  store::StoreMsg sm;
  const uint64_t fseq = mb->first.seq;
  const uint64_t lseq = mb->last.seq;
  for (uint64_t seq = fseq; seq <= lseq && seq != 0; ++seq) {
    auto found = mb->CacheLookup(seq, &sm);
    if (!found) {
      const Error& e = found.error();
      if (e.code() == ErrorCode::kStoreMsgNotFound && e.message() == "deleted message") continue;
      return std::unexpected(e);
    }
    if (auto next = sched::GetMessageSchedule(sm.hdr()); next && !next->IsZero()) {
      scheduling->Remove(seq);
    }
  }
  return {};
}

// go: server/filestore.go:(*fileStore).runMsgScheduling
void FileStore::Impl::RunMsgScheduling() {
  std::unique_lock lock(mu);
  // On the worker: handles retired here may be released without waiting.
  retired_timers.clear();
  if (closed || !scheduling) return;
  // The stream layer has not registered its handler yet: try again later.
  if (!pmsgcb) {
    scheduling->ResetTimer();
    return;
  }
  scheduling->set_running(true);
  std::vector<sched::InMsg> due = scheduling->GetScheduledMessages(
      [this](uint64_t seq) -> std::optional<sched::StoreMsg> {
        store::StoreMsg sm;
        auto m = LoadMsg(seq, &sm);
        if (!m) return std::nullopt;
        return ToSchedMsg(**m);
      },
      [this](std::string_view subj) -> std::optional<sched::StoreMsg> {
        store::StoreMsg sm;
        auto m = LoadLastMsgLocked(subj, &sm);
        if (!m) return std::nullopt;
        return ToSchedMsg(**m);
      });
  if (!due.empty()) {
    ProcessJetStreamMsgHandler cb = pmsgcb;
    lock.unlock();
    for (auto& d : due) {
      InMsg msg;
      msg.subject = std::move(d.subj);
      msg.hdr = std::move(d.hdr);
      msg.msg = std::move(d.msg);
      msg.seq = d.seq;
      cb(std::move(msg));
    }
    lock.lock();
  }
  // The configuration may have dropped scheduling meanwhile.
  if (!scheduling) return;
  scheduling->set_running(false);
  scheduling->set_deadline(0);
  scheduling->ResetTimer();
}

// go: server/filestore.go:(*fileStore).ResetState
void FileStore::ResetState() {
  std::lock_guard lock(impl_->mu);
  if (impl_->scheduling) impl_->scheduling->ClearInflight();
}

}  // namespace natscpp::store
