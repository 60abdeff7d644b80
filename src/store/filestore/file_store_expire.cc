// Max-age expiry: the age-check timer on the store's executor that drops
// messages older than the stream's max_age, and the pass at writable open
// that drops whole blocks and a block's head of messages that aged out
// while the store was closed.
//
// Per-message TTLs (the timing hash wheel the server keeps next to this
// timer) are not tracked by this store yet. The places they would feed in
// are marked with NextTtlExpiration / ExpireTtls below: the earliest TTL
// deadline shortens the timer, and an expiry pass also removes the
// messages whose TTL ran out.
#include <algorithm>
#include <chrono>
#include <limits>

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

// The earliest per-message TTL deadline (none: TTLs are not tracked yet).
int64_t NextTtlExpiration() { return kNoExpiry; }

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
  if (max_age != 0 || NextTtlExpiration() != kNoExpiry) ArmAgeChk(max_age);
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
  // With subject delete markers the removals go through the stream layer's
  // callbacks, which this store does not have: try again later, as the
  // server does while they are not set up.
  const bool sdm_enabled =
      std::chrono::duration_cast<std::chrono::seconds>(info.config.subject_delete_marker_ttl).count() > 0;
  if (sdm_enabled) {
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
      if (!never) {
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
  // Messages whose per-message TTL ran out would be removed here.
  const int64_t next_ttl = NextTtlExpiration();
  age_chk_run = false;
  age_chk_time = 0;
  if (closed) return;
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
