// The read calls of the file store: state, loads by sequence and subject,
// per-subject totals. They follow the server's lookups (block selection,
// the per-subject index to skip ahead) so they answer as it does.
#include <algorithm>

#include "filestore/file_store_impl.h"
#include "subject/subject.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::RebuildResult;

namespace {

Error StoreEof() { return Error(ErrorCode::kStoreEOF, "stream EOF"); }
Error MsgNotFound() { return Error(ErrorCode::kStoreMsgNotFound, "no message found"); }

// How many block caches stay loaded at once: enough for a scan that looks
// back one block, small enough that a large store is not held in memory.
// The expiry timers free caches left alone; this bounds the ones in use,
// as the server's garbage collector takes the caches it holds weakly.
constexpr size_t kMaxCachedBlocks = 4;
// Past this many subjects a wildcard LoadNextMsg does not consult the
// subject index after a miss (wcMaxSizeToCheck).
constexpr uint64_t kWcMaxSizeToCheck = 64 * 1024;

// State() lists deleted sequences up to this many (128 MiB of them); past
// it only the count is given.
constexpr uint64_t kMaxDeletedDetails = uint64_t{1} << 24;

}  // namespace

void FileStore::Impl::TouchCache(MsgBlock* mb) {
  std::erase(cached_, mb);
  cached_.push_back(mb);
  // Least recently used first; a cache with writes pending stays.
  for (auto it = cached_.begin(); cached_.size() > kMaxCachedBlocks && it != cached_.end();) {
    if ((*it)->PendingWriteSize() > 0) {
      ++it;
      continue;
    }
    (*it)->FinishedWithCache();
    it = cached_.erase(it);
  }
}

// go: server/filestore.go:(*fileStore).selectMsgBlockWithIndex
MsgBlock* FileStore::Impl::SelectMsgBlock(uint64_t seq, size_t* pos) {
  if (seq < state.first.seq || seq > state.last.seq || state.msgs == 0) return nullptr;
  // Blocks are ordered by sequence: the first whose last is at or past seq.
  auto it = std::lower_bound(blks.begin(), blks.end(), seq,
                             [](const auto& mb, uint64_t s) { return mb->last.seq < s; });
  if (it == blks.end()) return nullptr;
  if (pos) *pos = static_cast<size_t>(it - blks.begin());
  return it->get();
}

// go: server/filestore.go:(*fileStore).State
StreamState FileStore::Impl::State() {
  std::lock_guard lock(mu);
  StreamState st;
  st.msgs = state.msgs;
  st.bytes = state.bytes;
  st.first_seq = state.first.seq;
  st.first_time = state.first.ts;
  st.last_seq = state.last.seq;
  st.last_time = state.last.ts;
  st.consumers = num_consumers;
  st.num_subjects = static_cast<int>(psim.Size());
  const uint64_t span = state.last.seq + 1 >= state.first.seq ? state.last.seq + 1 - state.first.seq : 0;
  if (span > state.msgs && span - state.msgs > kMaxDeletedDetails) {
    // Too many to list: the count alone (FastState's arithmetic).
    st.num_deleted = static_cast<int64_t>(span - state.msgs);
    st.lost = ld;
    return st;
  }
  if (span > state.msgs) {
    uint64_t cur = state.first.seq;
    for (const auto& mb : blks) {
      for (uint64_t seq = cur; seq < mb->first.seq; ++seq) st.deleted.push_back(seq);
      if (mb->last.seq >= cur) cur = mb->last.seq + 1;
      mb->dmap.Range([&](uint64_t seq) {
        st.deleted.push_back(seq);
        return true;
      });
    }
  }
  st.lost = ld;
  if (!st.deleted.empty()) {
    std::sort(st.deleted.begin(), st.deleted.end());
    st.num_deleted = static_cast<int64_t>(st.deleted.size());
  }
  return st;
}

// go: server/filestore.go:(*fileStore).FastState
void FileStore::Impl::FastState(StreamState* st) {
  std::lock_guard lock(mu);
  st->msgs = state.msgs;
  st->bytes = state.bytes;
  st->first_seq = state.first.seq;
  st->first_time = state.first.ts;
  st->last_seq = state.last.seq;
  st->last_time = state.last.ts;
  st->deleted.clear();
  st->num_deleted = 0;
  if (st->last_seq > st->first_seq) {
    const uint64_t span = st->last_seq - st->first_seq + 1;
    st->num_deleted = span > st->msgs ? static_cast<int64_t>(span - st->msgs) : 0;
  }
  st->consumers = num_consumers;
  st->num_subjects = static_cast<int>(psim.Size());
}

// go: server/filestore.go:(*fileStore).msgForSeqLocked
Result<store::StoreMsg*> FileStore::Impl::LoadMsg(uint64_t seq, store::StoreMsg* sm) {
  std::lock_guard lock(mu);
  if (seq == 0) seq = state.first.seq;
  MsgBlock* mb = SelectMsgBlock(seq);
  if (!mb) {
    if (seq <= state.last.seq) return std::unexpected(MsgNotFound());
    return std::unexpected(StoreEof());
  }
  std::optional<RebuildResult> rebuilt;
  bool expire_ok = false;
  auto m = mb->Fetch(seq, sm, &rebuilt, &expire_ok);
  AfterBlockRebuild(mb, rebuilt);
  // A linear scan just read the block's end: its cache may go now.
  if (m && expire_ok) mb->TryForceExpireCache();
  if (mb->CacheLoaded()) TouchCache(mb);
  return m;
}

// go: server/filestore.go:(*fileStore).LoadNextMsg
Result<LoadedMsg> FileStore::Impl::LoadNextMsg(std::string_view filter, bool wildcard,
                                               uint64_t start, store::StoreMsg* sm) {
  std::lock_guard lock(mu);
  if (state.msgs == 0 || start > state.last.seq) return std::unexpected(StoreEof());
  start = std::max(start, state.first.seq);
  if (start <= state.first.seq) {
    // First call: the subject index says where the first match can be.
    auto ss = NumFilteredPending(filter, /*with_last=*/false);
    if (!ss) return std::unexpected(ss.error());
    if (ss->msgs == 0) return std::unexpected(StoreEof());
    start = std::max(start, ss->first);
  }
  size_t bi = 0;
  if (!SelectMsgBlock(start, &bi)) return std::unexpected(StoreEof());
  for (size_t i = bi; i < blks.size(); ++i) {
    MsgBlock* mb = blks[i].get();
    std::optional<RebuildResult> rebuilt;
    auto m = mb->FirstMatching(filter, wildcard, start, sm, info.config.subjects, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (mb->CacheLoaded()) TouchCache(mb);
    if (m) return LoadedMsg{*m, (*m)->seq};
    if (m.error().code() != ErrorCode::kStoreMsgNotFound) return std::unexpected(m.error());
    // A miss in the first block: the subject index may say where the next
    // match is (not from the last block, nor for a wildcard over a large
    // subject space).
    if (i == bi && i + 1 < blks.size() && (!wildcard || psim.Size() < kWcMaxSizeToCheck)) {
      auto nbi = CheckSkipFirstBlock(filter, wildcard, bi);
      if (!nbi) return std::unexpected(StoreEof());
      if (*nbi > i) i = *nbi - 1;
    }
  }
  return std::unexpected(StoreEof());
}

// go: server/filestore.go:(*fileStore).checkSkipFirstBlock
Result<size_t> FileStore::Impl::CheckSkipFirstBlock(std::string_view filter, bool wildcard, size_t bi) {
  if (filter.empty() || filter == ">") return bi + 1;
  uint32_t start = UINT32_MAX;
  uint32_t stop = 0;
  if (wildcard) {
    if (psim.Size() > kHighCardinalityThreshold) return bi + 1;
    psim.Match(filter, [&](std::string_view, SubjectBlocks* psi) {
      start = std::min(start, psi->fblk);
      stop = std::max(stop, psi->lblk);
      return true;
    });
  } else if (auto [psi, found] = psim.Find(filter); found && psi) {
    start = psi->fblk;
    stop = psi->lblk;
  }
  if (start == UINT32_MAX) return std::unexpected(StoreEof());
  return SelectSkipFirstBlock(bi, start, stop);
}

// go: server/filestore.go:(*fileStore).selectSkipFirstBlock
Result<size_t> FileStore::Impl::SelectSkipFirstBlock(size_t bi, uint32_t start, uint32_t stop) {
  const uint32_t mbi = blks[bi]->index();
  // Every match is in this block or before it, and this block missed.
  if (stop <= mbi) return std::unexpected(StoreEof());
  if (start > mbi) {
    if (auto it = bim.find(start); it != bim.end()) {
      size_t ni = 0;
      if (SelectMsgBlock(it->second->last.seq, &ni)) return ni;
    }
  }
  return bi + 1;
}

// go: server/filestore.go:(*fileStore).LoadLastMsg
Result<store::StoreMsg*> FileStore::Impl::LoadLastMsg(std::string_view subject, store::StoreMsg* sm) {
  // Whatever goes wrong, the answer is "no such message" (Go does the same).
  auto r = LoadLastMsgLocked(subject, sm);
  if (!r && r.error().code() != ErrorCode::kStoreClosed) {
    return std::unexpected(Error(ErrorCode::kStoreMsgNotFound, r.error().message()));
  }
  return r;
}

Result<store::StoreMsg*> FileStore::Impl::LoadLastMsgLocked(std::string_view subject, store::StoreMsg* sm) {
  std::unique_lock lock(mu);
  if (subject.empty() || subject == ">") {
    const uint64_t last = state.last.seq;
    lock.unlock();
    return LoadMsg(last, sm);
  }
  // The rest follows loadLastLocked.
  if (blks.empty()) return std::unexpected(MsgNotFound());
  const bool wc = subject::SubjectHasWildcard(subject);
  uint32_t start = 0;
  uint32_t stop = 0;
  if (wc) {
    start = lmb->index();
    bool any = false;
    psim.Match(subject, [&](std::string_view, SubjectBlocks* psi) {
      any = true;
      start = std::min(start, psi->fblk);
      stop = std::max(stop, psi->lblk);
    });
    if (!any || stop == 0) return std::unexpected(MsgNotFound());
    std::swap(start, stop);
  } else if (auto [psi, found] = psim.Find(subject); found && psi) {
    start = psi->lblk;
    stop = psi->fblk;
  } else {
    return std::unexpected(MsgNotFound());
  }
  for (uint32_t i = start; i >= stop && i > 0; --i) {
    auto it = bim.find(i);
    if (it == bim.end()) continue;
    MsgBlock* mb = it->second;
    std::optional<RebuildResult> rebuilt;
    auto fp = mb->FilteredPending(subject, wc, mb->first.seq, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!fp) return std::unexpected(fp.error());
    if (fp->last == 0) continue;
    auto m = mb->Fetch(fp->last, sm, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (mb->CacheLoaded()) TouchCache(mb);
    return m;
  }
  return std::unexpected(MsgNotFound());
}

// go: server/filestore.go:(*fileStore).subjectsTotalsLocked
std::map<std::string, uint64_t> FileStore::Impl::SubjectsTotals(std::string_view filter) {
  std::lock_guard lock(mu);
  std::map<std::string, uint64_t> out;
  if (psim.Size() == 0) return out;
  if (filter.empty()) filter = ">";
  psim.Match(filter, [&](std::string_view subj, SubjectBlocks* psi) {
    out.emplace(std::string(subj), psi->total);
  });
  return out;
}

// go: server/filestore.go:(*fileStore).numFilteredPendingWithLast
Result<SimpleState> FileStore::Impl::NumFilteredPending(std::string_view filter, bool with_last) {
  SimpleState ss;
  if (filter.empty() || filter == ">") {
    return SimpleState{.msgs = state.msgs, .first = state.first.seq, .last = state.last.seq};
  }
  const bool wc = subject::SubjectHasWildcard(filter);
  uint32_t start = UINT32_MAX;
  uint32_t stop = 0;
  auto note = [&](std::string_view, SubjectBlocks* psi) {
    ss.msgs += psi->total;
    start = std::min(start, psi->fblk);
    stop = std::max(stop, psi->lblk);
  };
  if (wc) {
    psim.Match(filter, note);
  } else if (auto [psi, found] = psim.Find(filter); found && psi) {
    note(filter, psi);
  }
  if (stop == 0) return ss;
  auto first_in = [&](uint32_t index) -> Result<uint64_t> {
    auto it = bim.find(index);
    if (it == bim.end()) return uint64_t{0};
    std::optional<RebuildResult> rebuilt;
    auto fp = it->second->FilteredPending(filter, wc, 0, &rebuilt);
    AfterBlockRebuild(it->second, rebuilt);
    if (!fp) return std::unexpected(fp.error());
    return fp->first;
  };
  auto f = first_in(start);
  if (!f) return std::unexpected(f.error());
  ss.first = *f;
  if (ss.first == 0) {
    // The subject index's first block is kept lazily; walk on and move it.
    uint32_t i = start + 1;
    for (; i <= stop; ++i) {
      auto fi = first_in(i);
      if (!fi) return std::unexpected(fi.error());
      if (*fi > 0) {
        ss.first = *fi;
        break;
      }
    }
    auto bump = [&](std::string_view, SubjectBlocks* psi) { psi->fblk = std::max(psi->fblk, i); };
    if (wc) {
      psim.Match(filter, bump);
    } else if (auto [psi, found] = psim.Find(filter); found && psi) {
      bump(filter, psi);
    }
  }
  if (with_last) {
    if (auto it = bim.find(stop); it != bim.end()) {
      std::optional<RebuildResult> rebuilt;
      auto fp = it->second->FilteredPending(filter, wc, 0, &rebuilt);
      AfterBlockRebuild(it->second, rebuilt);
      if (!fp) return std::unexpected(fp.error());
      ss.last = fp->last;
    }
  }
  return ss;
}

// go: server/filestore.go:(*fileStore).FilteredState
Result<SimpleState> FileStore::Impl::FilteredState(uint64_t sseq, std::string_view subject) {
  std::lock_guard lock(mu);
  sseq = std::max(sseq, state.first.seq);
  if (sseq > state.last.seq) {
    return SimpleState{.msgs = 0, .first = state.first.seq, .last = state.last.seq};
  }
  if (sseq == state.first.seq) return NumFilteredPending(subject, /*with_last=*/true);
  SimpleState out;
  const bool wc = subject::SubjectHasWildcard(subject);
  for (size_t i = 0; i < blks.size(); ++i) {
    MsgBlock* mb = blks[i].get();
    if (sseq > mb->last.seq) continue;
    std::optional<RebuildResult> rebuilt;
    auto fp = mb->FilteredPending(subject, wc, sseq, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (mb->CacheLoaded()) TouchCache(mb);
    if (!fp) return std::unexpected(fp.error());
    out.msgs += fp->msgs;
    if (out.first == 0 || (fp->first > 0 && fp->first < out.first)) out.first = fp->first;
    out.last = std::max(out.last, fp->last);
  }
  return out;
}

// ---- test hooks ----

std::vector<FileStore::BlockForTest> FileStore::BlocksForTest() {
  std::lock_guard lock(impl_->mu);
  std::vector<BlockForTest> out;
  for (const auto& mb : impl_->blks) {
    BlockForTest b;
    b.index = mb->index();
    b.write_block = mb.get() == impl_->lmb;
    b.pending = mb->PendingWriteSize();
    b.flusher = mb->InFlusher();
    b.cache_loaded = mb->CacheAlreadyLoaded();
    b.cache_present = mb->CacheLoaded();
    b.cache_bytes = mb->CacheSize();
    b.cache_loads = mb->CacheLoads();
    b.fss_loaded = !mb->FssNotLoaded();
    b.need_sync = mb->NeedSync();
    b.first_seq = mb->first.seq;
    b.should_compact_sync = mb->ShouldCompactSync();
    b.no_compact = mb->no_compact;
    out.push_back(b);
  }
  return out;
}

void FileStore::StopFlusherForTest(uint32_t index) {
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->bim.find(index); it != impl_->bim.end()) it->second->ClearInFlusher();
}

void FileStore::DropSubjectStateForTest(uint32_t index) {
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->bim.find(index); it != impl_->bim.end()) it->second->DropSubjectState();
}

void FileStore::FinishedWithCacheForTest(uint32_t index) {
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->bim.find(index); it != impl_->bim.end()) it->second->FinishedWithCache();
}

Result<store::StoreMsg*> FileStore::CacheLookupForTest(uint32_t index, uint64_t seq,
                                                       store::StoreMsg* sm) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->bim.find(index);
  if (it == impl_->bim.end()) return MakeError(ErrorCode::kNotFound, "no such block");
  return it->second->CacheLookup(seq, sm);
}

}  // namespace natscpp::store
