// Max-age and per-message TTL expiry: the age-check timer on the store's
// executor that drops messages older than the stream's max_age and those
// whose TTL ran out (the timing hash wheel of file_store_ttl.cc), and the
// pass at writable open that drops whole blocks and a block's head of
// messages that aged out while the store was closed. With subject delete
// markers the removals are proposed to the stream layer instead.
#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "sched/stream_headers.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

// No per-message expiry pending (Go: math.MaxInt64).
constexpr int64_t kNoExpiry = std::numeric_limits<int64_t>::max();
// The age check never runs more often than this, to spare ingest.
constexpr int64_t kMinAgeChkInterval = std::chrono::nanoseconds(std::chrono::milliseconds(250)).count();
// With messages left and no hint when the next one ages out, check again
// at the latest this soon.
constexpr int64_t kAgeChkRetry = std::chrono::nanoseconds(std::chrono::seconds(2)).count();

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsDeletedMsg(const Error& e) {
  return e.code() == ErrorCode::kStoreMsgNotFound && e.message() == "deleted message";
}

}  // namespace

// Arms the age-check timer `delay` from now, creating it on first use. The
// recovery pass runs before StartBackground, so the executor may not exist
// yet. Caller holds mu.
void FileStore::Impl::ArmAgeChk(int64_t delay) {
  age_chk = true;
  if (age_timer) {
    age_timer.Reset(std::chrono::nanoseconds(delay));
    return;
  }
  if (!executor) executor = std::make_unique<exec::Executor>();
  age_timer = executor->After(std::chrono::nanoseconds(delay), [this] { ExpireMsgs(); });
}

// go: server/filestore.go:(*fileStore).startAgeChk
void FileStore::Impl::StartAgeChk() {
  if (age_chk) return;
  const int64_t max_age = info.config.max_age.count();
  if (max_age != 0 || ttls) ArmAgeChk(max_age);
}

// go: server/filestore.go:(*fileStore).resetAgeChk
void FileStore::Impl::ResetAgeChk(int64_t delta) {
  // A running expiry pass re-arms the timer when it ends.
  if (age_chk_run) return;
  const int64_t max_age = info.config.max_age.count();
  const int64_t next = NextTtlExpiration();
  if (max_age <= 0 && next == kNoExpiry) {
    // Nothing ages out; the next stored message starts the check again.
    age_timer.Stop();
    age_chk = false;
    return;
  }
  const int64_t now = NowNanos();
  int64_t fire_in = max_age;
  if (delta == 0 && state.msgs > 0) fire_in = std::min(fire_in, kAgeChkRetry);
  if (next < kNoExpiry) {
    const int64_t until = next - now;
    if (fire_in == 0 || until < fire_in) fire_in = until;
  }
  if (delta > 0 && (fire_in == 0 || delta < fire_in)) fire_in = delta;
  fire_in = std::max(fire_in, kMinAgeChkInterval);
  // Never push an armed check later, or steady resets could starve it.
  const int64_t expires = now + fire_in;
  if (age_chk_time > 0 && expires > age_chk_time) return;
  age_chk_time = expires;
  ArmAgeChk(fire_in);
}

// go: server/filestore.go:(*fileStore).cancelAgeChk
void FileStore::Impl::CancelAgeChk() {
  // The handle stays (only Stop, which never waits): the caller may be the
  // timer's own callback, or hold mu.
  if (!age_chk) return;
  age_timer.Stop();
  age_chk = false;
  age_chk_time = 0;
}

// go: server/filestore.go:(*fileStore).expireMsgs
void FileStore::Impl::ExpireMsgs() {
  std::unique_lock lock(mu);
  if (closed) return;
  const int64_t max_age = info.config.max_age.count();
  int64_t min_age = NowNanos() - max_age;
  const int64_t sdm_ttl =
      std::chrono::duration_cast<std::chrono::seconds>(info.config.subject_delete_marker_ttl).count();
  const bool sdm_enabled = sdm_ttl > 0;
  // With subject delete markers the removals go through the stream layer's
  // callbacks: until both are registered, try again later.
  if (sdm_enabled && (!rmcb || !pmsgcb)) {
    ResetAgeChk(0);
    return;
  }
  age_chk_run = true;
  lock.unlock();

  // One at a time, taking mu per removal so writers are not held off.
  store::StoreMsg smv;
  store::StoreMsg* sm = nullptr;
  if (max_age > 0) {
    auto next = LoadNextMsg(">", true, 0, &smv);
    while (next && next->msg->ts <= min_age) {
      sm = next->msg;
      const uint64_t seq = sm->seq;
      bool never = false;
      if (sm->hdr_len > 0) {
        auto ttl = sched::GetMessageTTL(sm->hdr());
        never = ttl && *ttl < 0;
      }
      if (never) {
        // A message that never expires stays.
      } else if (sdm_enabled) {
        // Propose the removal, or a marker for the subject's last message.
        const std::string subj = sm->subject;
        if (auto [last, ok] = ShouldProcessSdm(seq, subj); ok) {
          const bool marker = last && !sched::IsSubjectDeleteMarker(sm->hdr());
          HandleRemovalOrSdm(seq, subj, marker, sdm_ttl);
        }
      } else {
        lock.lock();
        (void)RemoveMsg(seq, /*secure=*/false, /*via_limits=*/true);
        lock.unlock();
      }
      min_age = NowNanos() - max_age;
      next = LoadNextMsg(">", true, seq + 1, &smv);
    }
    sm = next ? next->msg : nullptr;
  }
  int64_t age_delta = 0;
  if (sm) age_delta = sm->ts - min_age;

  lock.lock();
  // The messages whose TTL ran out. They stay in the wheel until removed
  // (a removal takes its entry out), as a removal can fail or the store
  // stop halfway.
  int64_t next_ttl = kNoExpiry;
  std::vector<thw::HashWheelEntry> rm_seqs;
  if (ttls) {
    ttls->ExpireTasks([&](uint64_t seq, int64_t expires) {
      rm_seqs.push_back({seq, expires});
      return false;
    });
    next_ttl = ttls->GetNextExpiration(kNoExpiry);
  }
  if (!sdm_enabled) {
    for (const auto& rm : rm_seqs) {
      if (closed) break;
      (void)RemoveMsg(rm.seq, /*secure=*/false, /*via_limits=*/false);
    }
  } else {
    // The wheel is unordered: propose in sequence order, without mu.
    lock.unlock();
    std::sort(rm_seqs.begin(), rm_seqs.end(),
              [](const thw::HashWheelEntry& a, const thw::HashWheelEntry& b) { return a.seq < b.seq; });
    for (const auto& rm : rm_seqs) {
      // Looked up and checked under mu, so a removal in progress is seen.
      lock.lock();
      if (closed) {
        lock.unlock();
        break;
      }
      auto found = LoadMsg(rm.seq, &smv);
      if (!found) {
        (void)ttls->Remove(rm.seq, rm.expires);
        lock.unlock();
        continue;
      }
      const std::string subj = smv.subject;
      const bool is_marker = sched::IsSubjectDeleteMarker(smv.hdr());
      auto [last, ok] = ShouldProcessSdmLocked(rm.seq, subj);
      lock.unlock();
      if (ok) HandleRemovalOrSdm(rm.seq, subj, last && !is_marker, sdm_ttl);
    }
    lock.lock();
  }

  age_chk_run = false;
  age_chk_time = 0;
  if (closed) return;
  // Cancel only when nothing is left, not on a failed lookup.
  if (state.msgs == 0 && next_ttl == kNoExpiry) {
    CancelAgeChk();
  } else {
    ResetAgeChk(age_delta);
  }
}

// go: server/filestore.go:(*fileStore).expireMsgsOnRecover
Result<void> FileStore::Impl::ExpireMsgsOnRecover() {
  if (state.msgs == 0) return {};
  // With subject delete markers expiry has to go through the stream layer.
  if (info.config.subject_delete_marker_ttl.count() > 0) return {};

  const int64_t min_age = NowNanos() - info.config.max_age.count();
  uint64_t purged = 0;
  uint64_t bytes = 0;
  int64_t nts = 0;
  // Set when the write block goes too: a tombstone then keeps its last.
  filestore::MsgId last;
  std::vector<MsgBlock*> deleted;

  // Drops a block whose messages all aged out. The blocks are taken off
  // the list after the walk.
  auto delete_empty_block = [&](MsgBlock* mb) -> Result<void> {
    if (mb == lmb) last = mb->last;
    std::optional<filestore::RebuildResult> rebuilt;
    auto fss = mb->EnsurePerSubjectInfo(&rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!fss) return std::unexpected(fss.error());
    (*fss)->IterFast([&](std::string_view subj, SimpleState* ss) {
      for (uint64_t i = 0; i < ss->msgs; ++i) RemovePerSubject(subj);
      return true;
    });
    mb->CloseFd();
    mb->DropCache();
    mb->closed = true;
    if (auto r = mb->RemoveFiles(); !r) return r;
    deleted.push_back(mb);
    return {};
  };

  for (auto& owned : blks) {
    MsgBlock* mb = owned.get();
    if (min_age < mb->first.ts) {
      nts = mb->first.ts;
      break;
    }
    if (mb->last.ts <= min_age) {
      purged += mb->msgs;
      bytes += mb->bytes;
      if (auto r = delete_empty_block(mb); !r) return r;
      continue;
    }

    // Some of this block aged out: walk its head.
    std::optional<filestore::RebuildResult> rebuilt;
    auto loaded = mb->LoadCache(&rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!loaded) return std::unexpected(loaded.error());
    if (auto fss = mb->EnsurePerSubjectInfo(nullptr); !fss) return std::unexpected(fss.error());

    store::StoreMsg smv;
    bool need_next_first = false;
    const uint64_t fseq = mb->first.seq;
    const uint64_t lseq = mb->last.seq;
    for (uint64_t seq = fseq; seq <= lseq; ++seq) {
      auto found = mb->CacheLookup(seq, &smv);
      if (!found && IsDeletedMsg(found.error())) {
        mb->dmap.Delete(seq);
        mb->first.seq = seq;
        need_next_first = true;
        continue;
      }
      if (!found) {
        mb->first.seq = seq;
        need_next_first = true;
        break;
      }
      const store::StoreMsg* sm = *found;
      if (min_age < sm->ts) {
        mb->first = {sm->seq, sm->ts};
        need_next_first = false;
        nts = sm->ts;
        break;
      }
      if (mb->msgs > 0) {
        mb->first.seq = seq;
        need_next_first = true;
        const uint64_t sz = std::min<uint64_t>(
            FileStoreMsgSize(sm->subject, sm->hdr_len, sm->buf.size() - sm->hdr_len), mb->bytes);
        mb->bytes -= sz;
        bytes += sz;
        --mb->msgs;
        ++purged;
      }
      mb->RemoveSeqPerSubject(sm->subject, seq);
      RemovePerSubject(sm->subject);
    }
    if (need_next_first) mb->SelectNextFirst();
    if (mb->msgs == 0) {
      if (auto r = delete_empty_block(mb); !r) return r;
    }
    break;
  }

  if (nts > 0) ResetAgeChk(nts - min_age);

  for (MsgBlock* mb : deleted) RemoveMsgBlockFromList(mb);
  state.msgs = purged < state.msgs ? state.msgs - purged : 0;
  state.bytes = bytes < state.bytes ? state.bytes - bytes : 0;
  SelectNextFirst();

  // Every block went: a new write block's tombstone keeps the last sequence.
  if (!lmb && last.seq != 0) {
    auto nb = NewMsgBlockForWrite();
    if (!nb) return std::unexpected(nb.error());
    if (auto r = WriteTombstone(last.seq, last.ts); !r) return r;
    psim.Empty();
  }
  if (purged > 0) ++dirty;
  return {};
}

}  // namespace natscpp::store
