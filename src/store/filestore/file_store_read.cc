// The read calls of the file store: state, loads by sequence and subject,
// per-subject totals. They follow the server's lookups (block selection,
// the per-subject index to skip ahead) so they answer as it does.
#include <algorithm>

#include "filestore/file_store_impl.h"
#include "subject/subject.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::RebuildResult;

namespace {

Error StoreEof() { return Error(ErrorCode::kStoreEOF, "stream EOF"); }
Error MsgNotFound() { return Error(ErrorCode::kStoreMsgNotFound, "no message found"); }

// How many block caches stay loaded at once: enough for a scan that looks
// back one block, small enough that a large store is not held in memory.
constexpr size_t kMaxCachedBlocks = 4;

}  // namespace

void FileStore::Impl::TouchCache(MsgBlock* mb) {
  std::erase(cached_, mb);
  cached_.push_back(mb);
  while (cached_.size() > kMaxCachedBlocks) {
    cached_.front()->DropCache();
    cached_.erase(cached_.begin());
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
  if (state.last.seq + 1 >= state.first.seq &&
      state.last.seq + 1 - state.first.seq > state.msgs) {
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
    st.num_deleted = static_cast<int>(st.deleted.size());
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
    st->num_deleted = span > st->msgs ? static_cast<int>(span - st->msgs) : 0;
  }
  st->consumers = num_consumers;
  st->num_subjects = static_cast<int>(psim.Size());
}

// go: server/filestore.go:(*fileStore).msgForSeqLocked
Result<StoreMsg*> FileStore::Impl::LoadMsg(uint64_t seq, StoreMsg* sm) {
  std::lock_guard lock(mu);
  if (seq == 0) seq = state.first.seq;
  MsgBlock* mb = SelectMsgBlock(seq);
  if (!mb) {
    if (seq <= state.last.seq) return std::unexpected(MsgNotFound());
    return std::unexpected(StoreEof());
  }
  std::optional<RebuildResult> rebuilt;
  auto m = mb->Fetch(seq, sm, &rebuilt);
  AfterBlockRebuild(mb, rebuilt);
  if (mb->CacheLoaded()) TouchCache(mb);
  return m;
}

// go: server/filestore.go:(*fileStore).LoadNextMsg
Result<LoadedMsg> FileStore::Impl::LoadNextMsg(std::string_view filter, bool wildcard,
                                               uint64_t start, StoreMsg* sm) {
  std::lock_guard lock(mu);
  if (state.msgs == 0 || start > state.last.seq) return std::unexpected(StoreEof());
  start = std::max(start, state.first.seq);
  if (start <= state.first.seq) {
    // Skip to the first block that can hold a match.
    const bool all = filter.empty() || filter == ">";
    if (!all) {
      uint32_t fblk = 0;
      bool any = false;
      auto note = [&](std::string_view, SubjectBlocks* psi) {
        if (!any || psi->fblk < fblk) fblk = psi->fblk;
        any = true;
      };
      if (wildcard) {
        psim.Match(filter, note);
      } else if (auto [psi, found] = psim.Find(filter); found && psi) {
        note(filter, psi);
      }
      if (!any) return std::unexpected(StoreEof());
      if (auto it = bim.find(fblk); it != bim.end()) start = std::max(start, it->second->first.seq);
    }
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
  }
  return std::unexpected(StoreEof());
}

// go: server/filestore.go:(*fileStore).LoadLastMsg
Result<StoreMsg*> FileStore::Impl::LoadLastMsg(std::string_view subject, StoreMsg* sm) {
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

// go: server/filestore.go:(*fileStore).FilteredState
Result<SimpleState> FileStore::Impl::FilteredState(uint64_t sseq, std::string_view subject) {
  std::lock_guard lock(mu);
  SimpleState out;
  if (sseq < state.first.seq) sseq = state.first.seq;
  if (sseq > state.last.seq || state.msgs == 0) return out;
  const bool wc = subject.empty() || subject::SubjectHasWildcard(subject);
  for (const auto& mbp : blks) {
    MsgBlock* mb = mbp.get();
    if (mb->last.seq < sseq || mb->msgs == 0) continue;
    std::optional<RebuildResult> rebuilt;
    auto fp = mb->FilteredPending(subject, wc, sseq, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (mb->CacheLoaded()) TouchCache(mb);
    if (!fp) return std::unexpected(fp.error());
    if (fp->msgs == 0) continue;
    out.msgs += fp->msgs;
    if (out.first == 0 || fp->first < out.first) out.first = fp->first;
    out.last = std::max(out.last, fp->last);
  }
  return out;
}

}  // namespace natscpp::store
