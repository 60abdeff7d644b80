// The background half of a message block, on the store's executor: the
// cache expiry timer that frees a block's cache and per-subject state once
// the block has been left alone, and the flush loop that writes an
// async-flush block's pending records a moment after they arrive. Every
// function here runs with the store's lock held; the timers' callbacks
// take it (BlockHost::BlockTimer) and find the block again first.
#include <algorithm>

#include "filestore/msg_block.h"

namespace natscpp::store::filestore {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// The flush loop writes at once when this much is pending; below it, it
// waits (1 ms, then doubling) while more keeps arriving, up to
// kMaxFlushWait in all.
constexpr size_t kCoalesceMinimum = 16 * 1024;
constexpr nanoseconds kMaxFlushWait = milliseconds(8);
// How far past the cache expiry a freshly started timer fires.
constexpr nanoseconds kCacheExpireMargin = milliseconds(100);
// The re-check delay when the activity sits right at the expiry.
constexpr nanoseconds kExpireRecheck = milliseconds(100);

}  // namespace

bool MsgBlock::ArmTimer(exec::Executor::Timer& t, nanoseconds delay, BlockHost::Callback fn) {
  if (env_->host == nullptr) return false;
  if (!t) {
    t = env_->host->BlockTimer(*this, delay, fn);
    return static_cast<bool>(t);
  }
  t.Reset(delay);
  return true;
}

void MsgBlock::StopCacheExpireTimer() {
  if (ctmr_) ctmr_.Stop();
  ctmr_on_ = false;
  ctmr_due_ = 0;
}

// go: server/filestore.go:(*msgBlock).resetCacheExpireTimer
void MsgBlock::ResetCacheExpireTimer(nanoseconds td) {
  if (td <= nanoseconds::zero()) td = env_->cache_expire + kCacheExpireMargin;
  const int64_t now = std::chrono::duration_cast<nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  const int64_t due = now + td.count();
  // Go moves the timer to the later time. A timer still to fire before it
  // is left alone instead: when it fires it finds the newer activity and
  // re-arms for the rest, and a write does not touch the executor each
  // time.
  if (ctmr_on_ && now < ctmr_due_ && ctmr_due_ <= due) return;
  if (ArmTimer(ctmr_, td, &MsgBlock::TryExpireCache)) {
    ctmr_on_ = true;
    ctmr_due_ = due;
  }
}

// go: server/filestore.go:(*msgBlock).startCacheExpireTimer
void MsgBlock::StartCacheExpireTimer() { ResetCacheExpireTimer(nanoseconds::zero()); }

// go: server/filestore.go:(*msgBlock).clearCacheAndOffset
void MsgBlock::ClearCacheAndOffset() {
  llseq_ = 0;
  ClearCache();
}

// go: server/filestore.go:(*msgBlock).clearCache
void MsgBlock::ClearCache() {
  if (ctmr_on_) {
    // The per-subject state outlives the cache until it too has been left
    // alone for its own expiry.
    const nanoseconds tsla = SinceLastActivity();
    const nanoseconds fexp = env_->subject_state_expire;
    if (!fss_ || tsla > fexp) {
      fss_.reset();
      StopCacheExpireTimer();
    } else {
      ResetCacheExpireTimer(fexp - tsla);
    }
  }
  cache_.reset();
}

// go: server/filestore.go:(*msgBlock).tryForceExpireCacheLocked
void MsgBlock::TryForceExpireCache() {
  const int64_t llts = llts_;
  llts_ = 0;
  TryExpireCache();
  llts_ = llts;
}

// go: server/filestore.go:(*msgBlock).tryExpireWriteCache
void MsgBlock::TryExpireWriteCache() {
  if (!cache_) return;
  const int64_t lwts = lwts_;
  const int64_t llts = llts_;
  lwts_ = 0;
  TryExpireCache();
  lwts_ = lwts;
  // Never read and now gone: nothing was written to it for reading either.
  if (llts == 0 && !cache_) lwts_ = 0;
}

// go: server/filestore.go:(*msgBlock).tryExpireCacheLocked
void MsgBlock::TryExpireCache() {
  if (!cache_ && !fss_) {
    StopCacheExpireTimer();
    return;
  }
  const nanoseconds cexp = env_->cache_expire;
  // Records still to be written keep the cache.
  if (cache_ && PendingWriteSize() > 0) {
    ResetCacheExpireTimer(cexp);
    return;
  }
  // Reads and writes keep the cache, removals do not. Go allows one tick
  // of its coarse clock on top; these stamps are exact.
  const int64_t bufts = std::max(llts_, lwts_);
  if (bufts != 0) {
    const nanoseconds delta(AccessNanos() - bufts);
    if (delta <= cexp) {
      nanoseconds td = cexp - delta;
      if (td <= nanoseconds::zero()) td = kExpireRecheck;
      ResetCacheExpireTimer(td);
      return;
    }
  }
  cache_.reset();
  ClearCache();
}

// go: server/filestore.go:(*msgBlock).finishedWithCache
void MsgBlock::FinishedWithCache() {
  if (cache_ && PendingWriteSize() == 0) cache_.reset();
}

// go: server/filestore.go:(*msgBlock).cacheAlreadyLoaded
bool MsgBlock::CacheAlreadyLoaded() const {
  if (!cache_ || cache_->fseq == 0 || cache_->buf.empty()) return false;
  if (first.seq < cache_->fseq) return false;
  const uint64_t entries = msgs + dmap.Size() + (first.seq - cache_->fseq);
  return entries == cache_->idx.size();
}

// go: server/filestore.go:(*msgBlock).cacheNotLoaded
bool MsgBlock::CacheNotLoaded() const { return !CacheAlreadyLoaded(); }

// go: server/filestore.go:(*msgBlock).fssNotLoaded
bool MsgBlock::FssNotLoaded() const { return fss_ == nullptr; }

// go: server/filestore.go:(*msgBlock).sinceLastActivity
nanoseconds MsgBlock::SinceLastActivity() const {
  const int64_t latest = std::max({lwts_, lrts_, llts_, lsts_});
  if (latest == 0) return nanoseconds::max();
  return nanoseconds(AccessNanos() - latest);
}

// go: server/filestore.go:(*msgBlock).sinceLastWriteActivity
nanoseconds MsgBlock::SinceLastWriteActivity() const {
  const int64_t latest = std::max(lwts_, lrts_);
  if (latest == 0) return nanoseconds::max();
  return nanoseconds(AccessNanos() - latest);
}

void MsgBlock::NoteRemoval() { lrts_ = AccessNanos(); }

// go: server/filestore.go:(*msgBlock).pendingWriteSizeLocked
size_t MsgBlock::PendingWriteSize() const { return writer_ ? writer_->pending.size() : 0; }

// go: server/filestore.go:(*msgBlock).bytesPending
std::span<const uint8_t> MsgBlock::BytesPending() const {
  if (!writer_) return {};
  return writer_->pending;
}

// go: server/filestore.go:(*msgBlock).flushPendingMsgs
Result<void> MsgBlock::FlushPendingMsgs() {
  const bool had_pending = PendingWriteSize() > 0;
  if (auto r = FlushPending(); !r || !had_pending || !cache_) return r;
  // Read lately: the cache stays and its timer runs on. Otherwise it may
  // go now that nothing is pending.
  const int64_t now = AccessNanos();
  if (now < llts_ || now - llts_ <= env_->cache_expire.count()) {
    ResetCacheExpireTimer(nanoseconds::zero());
  } else {
    TryExpireCache();
  }
  return {};
}

// go: server/filestore.go:(*msgBlock).spinUpFlushLoopLocked
void MsgBlock::SpinUpFlushLoop() {
  if (flusher_ || placeholder) return;
  // There is no goroutine to start: the loop is a timer a write kicks.
  flusher_ = true;
  flush_kicked_ = false;
  flush_step_ = nanoseconds::zero();
}

// go: server/filestore.go:(*msgBlock).kickFlusher
void MsgBlock::KickFlusher() {
  // No loop, or a kick not yet taken (Go's one-slot channel is full).
  if (!flusher_ || flush_kicked_) return;
  flush_kicked_ = true;
  flush_step_ = nanoseconds::zero();
  if (!ArmTimer(ftmr_, nanoseconds::zero(), &MsgBlock::FlushLoop)) {
    // Nothing runs in the background (yet): write now.
    flush_kicked_ = false;
    (void)FlushPendingMsgs();
  }
}

// go: server/filestore.go:(*msgBlock).flushLoop
void MsgBlock::FlushLoop() {
  if (!flusher_) return;  // quit
  if (const size_t pending = PendingWriteSize(); pending != 0) {
    // Go sleeps between looks; here each look is a run of this timer.
    bool wait = false;
    if (flush_step_ == nanoseconds::zero()) {
      if (pending < kCoalesceMinimum) {
        flush_waiting_ = pending;
        flush_waited_ = nanoseconds::zero();
        flush_step_ = milliseconds(1);
        wait = true;
      }
    } else {
      flush_waited_ += flush_step_;
      // More arrived meanwhile and there is time left: wait longer.
      if (flush_waited_ <= kMaxFlushWait && pending > flush_waiting_) {
        flush_waiting_ = pending;
        flush_step_ *= 2;
        wait = pending < kCoalesceMinimum;
      }
    }
    if (wait && ArmTimer(ftmr_, flush_step_, &MsgBlock::FlushLoop)) return;
    // An error stays with the block and fails its next write.
    (void)FlushPendingMsgs();
  }
  flush_kicked_ = false;
  flush_step_ = nanoseconds::zero();
  // No longer the write block: close the file and stop.
  if (!env_->host->IsWriteBlock(*this) && PendingWriteSize() == 0) {
    CloseFd();
    ClearInFlusher();
  }
}

// go: server/filestore.go:(*msgBlock).clearInFlusher
void MsgBlock::ClearInFlusher() {
  flusher_ = false;
  flush_kicked_ = false;
  flush_step_ = nanoseconds::zero();
  if (ftmr_) ftmr_.Stop();
}

}  // namespace natscpp::store::filestore
