// Removing ranges: PurgeEx (by subject, up to a sequence, keeping the
// newest few) and Compact (everything below a sequence), with the
// tombstones that keep a rebuild from bringing the messages back.
#include <algorithm>
#include <chrono>
#include <system_error>

#include "filestore/file_store_impl.h"
#include "subject/subject.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::MsgId;

namespace {

constexpr std::string_view kFullWildcard = ">";
// Below this a block keeps its removed head; above it, and when less than
// half of the block is live, the head is cut off (Go: compactMinimum).
constexpr uint64_t kCompactMinimum = 2 * 1024 * 1024;

// How PurgeEx tells whether a stored subject falls under its filter.
using SubjectCompare = bool (*)(std::string_view subj, std::string_view filter);

// go: server/filestore.go:subjectsEqual
bool SubjectsEqual(std::string_view a, std::string_view b) { return a == b; }

// go: server/filestore.go:subjectsAll
// intentional: the filter of everything matches every subject.
bool SubjectsAll(std::string_view, std::string_view) { return true; }

// go: server/filestore.go:compareFn
SubjectCompare CompareFn(std::string_view subject) {
  if (subject.empty() || subject == kFullWildcard) return SubjectsAll;
  if (subject::SubjectHasWildcard(subject)) return subject::SubjectIsSubsetMatch;
  return SubjectsEqual;
}

}  // namespace

// go: server/filestore.go:(*fileStore).PurgeEx
Result<uint64_t> FileStore::Impl::PurgeEx(std::string_view subject, uint64_t sequence, uint64_t keep) {
  // Up to but not including 1: nothing.
  if (sequence == 1) return uint64_t{0};
  const bool all = subject.empty() || subject == kFullWildcard;
  if (all) {
    if (keep == 0 && sequence == 0) return Purge(0);
    if (sequence > 1) return CompactLocked(sequence);
  }
  const std::string_view filter = all ? kFullWildcard : subject;
  const bool wc = subject::SubjectHasWildcard(filter);
  const SubjectCompare eq = CompareFn(subject);
  const auto matches = [&](std::string_view subj) { return eq(subj, filter); };

  uint64_t maxp = 0;
  if (keep > 0) {
    auto ss = FilteredState(1, filter);
    if (!ss) return std::unexpected(ss.error());
    if (keep >= ss->msgs) return uint64_t{0};
    maxp = ss->msgs - keep;
  }
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (werr) return std::unexpected(*werr);
  if (blks.empty() || !lmb) return uint64_t{0};

  uint32_t start = 0;
  uint32_t stop = 0;
  if (wc) {
    start = lmb->index();
    psim.Match(filter, [&](std::string_view, SubjectBlocks* psi) {
      start = std::min(start, psi->fblk);
      stop = std::max(stop, psi->lblk);
      return true;
    });
    if (stop == 0) return uint64_t{0};
  } else if (auto [psi, found] = psim.Find(filter); found && psi) {
    start = psi->fblk;
    stop = psi->lblk;
  } else {
    return uint64_t{0};
  }

  uint64_t purged = 0;
  uint64_t bytes = 0;
  uint64_t low_seq = 0;
  bool first_needs_update = false;
  std::vector<MsgId> tomb_list;
  store::StoreMsg sm;
  // Blocks may go away while we walk, so index rather than iterate.
  for (size_t i = 0; i < blks.size(); ++i) {
    MsgBlock* mb = blks[i].get();
    if (mb->index() < start || mb->index() > stop || mb->placeholder) continue;
    // A block whose subject state this purge loads is one it was not
    // reading: its caches go again afterwards.
    bool should_expire = mb->FssNotLoaded();
    std::optional<filestore::RebuildResult> rebuilt;
    auto fp = mb->FilteredPending(filter, wc, mb->first.seq, &rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!fp) return std::unexpected(fp.error());
    if (fp->msgs == 0) {
      if (should_expire) mb->TryForceExpireCache();
      continue;
    }
    uint64_t f = fp->first;
    uint64_t l = fp->last;
    if (sequence >= 1 && sequence <= l) l = sequence - 1;
    if (mb->CacheNotLoaded()) {
      if (auto r = mb->LoadCache(&rebuilt); !r) {
        AfterBlockRebuild(mb, rebuilt);
        return std::unexpected(r.error());
      }
      AfterBlockRebuild(mb, rebuilt);
      should_expire = true;
    }
    const size_t tombs_before = tomb_list.size();
    bool removed_block = false;
    // Messages of the subject left in this block, and in the stream.
    uint64_t nr = 0;
    uint64_t nrg = 0;
    for (uint64_t seq = f; seq <= l; ++seq) {
      auto found = mb->CacheLookup(seq, &sm);
      if (!found || !matches(sm.subject)) continue;
      uint64_t rl = FileStoreMsgSize(sm.subject, sm.hdr_len, sm.buf.size() - sm.hdr_len);
      if (mb->msgs > 0) {
        --state.msgs;
        --mb->msgs;
        rl = std::min({rl, state.bytes, mb->bytes});
        state.bytes -= rl;
        mb->bytes -= rl;
        ++purged;
        bytes += rl;
      }
      nr = mb->RemoveSeqPerSubject(sm.subject, seq);
      nrg = RemovePerSubject(sm.subject);
      tomb_list.push_back({sm.seq, sm.ts});
      if (sm.seq < low_seq || low_seq == 0) low_seq = sm.seq;
      if (seq == mb->first.seq) {
        mb->SelectNextFirst();
        if (mb->first.seq > mb->last.seq) {
          // The block goes; its messages need no tombstones.
          tomb_list.resize(tombs_before);
          first_needs_update = first_needs_update || seq == state.first.seq;
          if (auto r = RemoveMsgBlock(mb); !r) return std::unexpected(r.error());
          removed_block = true;
        } else if (seq == state.first.seq) {
          state.first = mb->first;
        }
      } else {
        mb->dmap.Insert(seq);
      }
      if (removed_block || mb->first.seq > mb->last.seq || (maxp > 0 && purged >= maxp)) break;
      // A literal subject with nothing left here: the rest of the block
      // cannot match.
      if (!wc && nr == 0) break;
    }
    if (!removed_block) {
      // A lone purge lets go of what it loaded; successive ones (a KV's
      // deletes) keep the block among the recently used caches.
      if (should_expire && std::chrono::steady_clock::now() - lpex > std::chrono::seconds(1)) {
        mb->TryForceExpireCache();
      } else {
        TouchCache(mb);
      }
    }
    if (removed_block && i < blks.size() && blks[i].get() != mb) --i;
    if (maxp > 0 && purged >= maxp) break;
    if (!wc && nrg == 0) break;
  }
  if (first_needs_update) SelectNextFirst();
  lpex = std::chrono::steady_clock::now();
  // Many tombstones are written and then flushed once.
  for (const MsgId& t : tomb_list) {
    if (auto r = WriteTombstoneNoFlush(t.seq, t.ts); !r) {
      SetWriteErr(r.error());
      return std::unexpected(r.error());
    }
  }
  if (!tomb_list.empty() && lmb) {
    if (auto r = lmb->FlushPendingMsgs(); !r) {
      SetWriteErr(r.error());
      return std::unexpected(r.error());
    }
  }
  ++dirty;
  // A single removal names its sequence and subject; more only the totals.
  pending_scb = PendingStorageUpdate{-static_cast<int64_t>(purged), -static_cast<int64_t>(bytes),
                                     purged == 1 ? low_seq : 0,
                                     purged == 1 ? std::string(filter) : std::string()};
  return purged;
}

// go: server/filestore.go:(*fileStore).compact
Result<uint64_t> FileStore::Impl::CompactLocked(uint64_t seq) {
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  const uint64_t bytes_before = state.bytes;
  Result<uint64_t> r = (seq == 0 || seq > state.last.seq) ? PurgeLocked(seq) : CompactBelow(seq);
  if (!r) {
    SetWriteErr(r.error());
    return r;
  }
  if (*r > 0) {
    (void)ForceWriteFullState();
    // Both paths take exactly the bytes they report off the totals.
    pending_scb = PendingStorageUpdate{-static_cast<int64_t>(*r),
                                       -static_cast<int64_t>(bytes_before - state.bytes), 0, {}};
  }
  return r;
}

// go: server/filestore.go:(*fileStore).compactLocked
Result<uint64_t> FileStore::Impl::CompactBelow(uint64_t seq) {
  if (werr) return std::unexpected(*werr);
  if (state.first.seq > seq) return uint64_t{0};
  MsgBlock* smb = SelectMsgBlock(seq);
  if (!smb) return uint64_t{0};

  uint64_t purged = 0;
  uint64_t bytes = 0;
  // Every block before smb goes whole.
  std::vector<MsgBlock*> gone;
  for (auto& mb : blks) {
    if (mb.get() == smb) break;
    purged += mb->msgs;
    bytes += mb->bytes;
    auto fss = mb->EnsurePerSubjectInfo(nullptr);
    if (!fss) return std::unexpected(fss.error());
    (*fss)->IterOrdered([&](std::string_view subj, SimpleState* ss) {
      for (uint64_t i = 0; i < ss->msgs; ++i) RemovePerSubject(subj);
      return true;
    });
    gone.push_back(mb.get());
  }
  for (MsgBlock* mb : gone) {
    if (auto rm = ForceRemoveMsgBlock(mb); !rm) return std::unexpected(rm.error());
  }

  std::vector<MsgId> tomb_list;
  if (smb->first.seq == seq) {
    state.first = smb->first;
  } else {
    std::optional<filestore::RebuildResult> rebuilt;
    if (auto l = smb->LoadCache(&rebuilt); !l) {
      AfterBlockRebuild(smb, rebuilt);
      return std::unexpected(l.error());
    }
    TouchCache(smb);
    store::StoreMsg sm;
    for (uint64_t mseq = smb->first.seq; mseq < seq; ++mseq) {
      auto found = smb->CacheLookup(mseq, &sm);
      if (!found) {
        if (smb->dmap.Exists(mseq)) smb->dmap.Delete(mseq);
        continue;
      }
      uint64_t sz = FileStoreMsgSize(sm.subject, sm.hdr_len, sm.buf.size() - sm.hdr_len);
      if (smb->msgs > 0) {
        --smb->msgs;
        sz = std::min(sz, smb->bytes);
        smb->bytes -= sz;
        bytes += sz;
        ++purged;
      }
      smb->RemoveSeqPerSubject(sm.subject, mseq);
      RemovePerSubject(sm.subject);
      tomb_list.push_back({sm.seq, sm.ts});
    }
    if (smb->msgs == 0) {
      const uint64_t next = smb->last.seq + 1;
      if (smb != lmb) {
        if (auto rm = ForceRemoveMsgBlock(smb); !rm) return std::unexpected(rm.error());
        smb = nullptr;
      }
      state.first = {next, 0};
    } else {
      // selectNextFirst moves past first, so start one below.
      smb->first.seq = smb->first.seq < seq ? seq - 1 : smb->first.seq - 1;
      smb->SelectNextFirst();
      state.first = smb->first;
      // Reclaim the head when it is large and mostly removed; the cut
      // block needs no tombstones.
      if (smb->rbytes > kCompactMinimum && smb->bytes * 2 < smb->rbytes) {
        auto cut = smb->CutHeadBefore(smb->first.seq);
        if (!cut) return std::unexpected(cut.error());
        if (*cut) tomb_list.clear();
      }
    }
  }
  for (const MsgId& t : tomb_list) {
    if (auto w = WriteTombstone(t.seq, t.ts); !w) return std::unexpected(w.error());
  }
  purged = std::min(purged, state.msgs);
  state.msgs -= purged;
  if (state.msgs == 0) state.first = {state.last.seq + 1, 0};
  state.bytes -= std::min(bytes, state.bytes);
  // The state file no longer applies; a new one is written right after.
  std::error_code ec;
  std::filesystem::remove(dir / kMsgDir / kStreamStateFile, ec);
  ++dirty;
  return purged;
}

}  // namespace natscpp::store
