// Taking messages out: single removals (with the tombstone a user removal
// leaves), secure erasure, emptied blocks, and purges. On a read-only store
// the same bookkeeping runs in memory only, which is how recovery applies
// tombstones without touching the directory.
#include <algorithm>
#include <system_error>

#include "filestore/file_store_impl.h"
#include "sched/stream_headers.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

constexpr std::string_view kNewMsgDir = "__new_msgs__";
constexpr std::string_view kPurgeDir = "__msgs__";
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

// go: server/filestore.go:(*fileStore).removeMsg
Result<bool> FileStore::Impl::RemoveMsg(uint64_t seq, bool secure, bool via_limits) {
  if (seq == 0) return MakeError(ErrorCode::kStoreMsgNotFound, "no message found");
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (werr) return std::unexpected(*werr);
  // An encrypted block is not rewritten; its ciphertext already hides it.
  if (secure && prf) secure = false;
  MsgBlock* mb = SelectMsgBlock(seq);
  if (!mb) {
    if (seq <= state.last.seq) return MakeError(ErrorCode::kStoreMsgNotFound, "no message found");
    return MakeError(ErrorCode::kStoreEOF, "stream EOF");
  }
  auto r = RemoveMsgFromBlock(mb, seq, secure, via_limits);
  if (!r && !read_only) SetWriteErr(r.error());
  return r;
}

// go: server/filestore.go:(*fileStore).removeMsgFromBlock
Result<bool> FileStore::Impl::RemoveMsgFromBlock(MsgBlock* mb, uint64_t seq, bool secure,
                                                 bool via_limits) {
  if (mb->closed || seq < mb->first.seq || mb->dmap.Exists(seq)) return false;

  const bool fifo = seq == mb->first.seq;
  const bool is_last_block = mb == lmb;
  const bool is_empty = mb->msgs == 1;
  std::optional<filestore::RebuildResult> rebuilt;
  auto loaded = mb->LoadCache(&rebuilt);
  AfterBlockRebuild(mb, rebuilt);
  if (!loaded) return std::unexpected(loaded.error());
  TouchCache(mb);
  store::StoreMsg sm;
  auto found = mb->CacheLookup(seq, &sm);
  if (!found) {
    if (found.error().code() == ErrorCode::kStoreMsgNotFound) return false;
    return std::unexpected(found.error());
  }

  // A user's removal leaves a tombstone in the write block, so a rebuild
  // without index.db still knows; an emptied block leaves one below.
  if (!read_only && !via_limits && !is_empty) {
    if (auto r = WriteTombstone(seq, sm.ts); !r) return std::unexpected(r.error());
  }
  const uint64_t msz = FileStoreMsgSize(sm.subject, sm.hdr_len, sm.buf.size() - sm.hdr_len);
  if (secure && !read_only) {
    if (auto r = mb->EraseRecord(seq, is_last_block); !r) return std::unexpected(r.error());
  }

  state.msgs = state.msgs > 0 ? state.msgs - 1 : 0;
  state.bytes = msz < state.bytes ? state.bytes - msz : 0;
  mb->msgs = mb->msgs > 0 ? mb->msgs - 1 : 0;
  mb->bytes = msz < mb->bytes ? mb->bytes - msz : 0;
  mb->NoteRemoval();
  // The block changed: compaction may pay off again.
  mb->no_compact = false;
  ++dirty;

  if (auto fss = mb->EnsurePerSubjectInfo(nullptr); !fss) return std::unexpected(fss.error());
  mb->RemoveSeqPerSubject(sm.subject, seq);
  RemovePerSubject(sm.subject);
  if (ttls && sm.hdr_len > 0) {
    // The deadline the message was stored with (Nats-TTL from its time).
    if (auto ttl = sched::GetMessageTTL(sm.hdr()); ttl && *ttl > 0) {
      (void)ttls->Remove(seq, sm.ts + *ttl * kNanosPerSecond);
    }
  }

  if (fifo) {
    mb->SelectNextFirst();
    if (!is_empty && seq == state.first.seq) state.first = mb->first;
  } else if (!is_empty) {
    mb->dmap.Insert(seq);
    // An interior removal that leaves the block at most half live is
    // compacted now when the block is big; the sync pass does the rest.
    if (!read_only && !is_last_block && mb->ShouldCompactInline()) {
      if (auto r = mb->CompactWithFloor(0, nullptr); !r) return std::unexpected(r.error());
    }
  }

  if (is_empty) {
    const bool first_needs_update = seq == state.first.seq;
    if (read_only) {
      // In memory only: the write block stays, as the new one the server
      // would start (holding a tombstone) does.
      if (mb == lmb) {
        const filestore::MsgId last = mb->last;
        const uint32_t index = mb->index();
        RemoveMsgBlockFromList(mb);
        AddMsgBlock(MsgBlock::Placeholder(&env, index + 1, last));
      } else {
        RemoveMsgBlockFromList(mb);
      }
    } else if (auto r = RemoveMsgBlock(mb); !r) {
      return std::unexpected(r.error());
    }
    if (first_needs_update) SelectNextFirst();
  }
  // The subject is the StoreMsg's own copy, not a view of the block cache.
  FireStorageUpdate(-1, -static_cast<int64_t>(msz), seq, sm.subject);
  return true;
}

// go: server/filestore.go:(*fileStore).removeMsgBlock
Result<void> FileStore::Impl::RemoveMsgBlock(MsgBlock* mb) {
  const filestore::MsgId last = mb->last;
  if (mb == lmb) {
    // The new write block remembers the last sequence.
    auto nb = NewMsgBlockForWrite();
    if (!nb) return std::unexpected(nb.error());
    if (auto r = WriteTombstone(last.seq, last.ts); !r) return r;
  } else if (last.seq == state.last.seq) {
    if (auto r = WriteTombstone(last.seq, last.ts); !r) return r;
  }
  // A block holding tombstones for earlier blocks stays until those are
  // gone, or a rebuild would bring their messages back.
  if (mb->NumPriorTombstones(state.first.seq) > 0) return {};
  return ForceRemoveMsgBlock(mb);
}

// go: server/filestore.go:(*fileStore).forceRemoveMsgBlock
Result<void> FileStore::Impl::ForceRemoveMsgBlock(MsgBlock* mb) {
  if (!read_only) {
    if (auto r = mb->RemoveFiles(); !r) return r;
  }
  std::erase(cached_, mb);
  RemoveMsgBlockFromList(mb);
  return {};
}

// go: server/filestore.go:(*fileStore).purgeMsgBlock
Result<void> FileStore::Impl::PurgeMsgBlock(MsgBlock* mb) {
  auto fss = mb->EnsurePerSubjectInfo(nullptr);
  if (!fss) return std::unexpected(fss.error());
  (*fss)->IterFast([&](std::string_view subj, SimpleState* ss) {
    for (uint64_t i = 0; i < ss->msgs; ++i) RemovePerSubject(subj);
    return true;
  });
  if (auto r = RemoveBlockSchedules(mb); !r) return r;
  const uint64_t msgs = std::min(mb->msgs, state.msgs);
  const uint64_t bytes = std::min(mb->bytes, state.bytes);
  state.msgs -= msgs;
  state.bytes -= bytes;
  if (auto r = RemoveMsgBlock(mb); !r) return r;
  SelectNextFirst();
  ++dirty;
  FireStorageUpdate(-static_cast<int64_t>(msgs), -static_cast<int64_t>(bytes), 0, {});
  return {};
}

// go: server/filestore.go:(*fileStore).purgeLocked
Result<uint64_t> FileStore::Impl::PurgeLocked(uint64_t fseq) {
  if (werr) return std::unexpected(*werr);
  const uint64_t purged = state.msgs;
  state.first = {state.last.seq + 1, 0};
  state.msgs = state.bytes = 0;
  for (auto& mb : blks) {
    mb->CloseFd();
    mb->DropCache();
    mb->closed = true;
  }
  if (fseq > state.first.seq) {
    state.first.seq = fseq;
    state.last.seq = fseq - 1;
  }
  auto nb = NewMsgBlockForWrite();
  if (!nb) return std::unexpected(nb.error());
  MsgBlock* w = *nb;
  w->first.seq = state.first.seq;
  w->last = {state.last.seq, state.last.ts};
  // A tombstone keeps the starting sequence should index.db be lost.
  if (w->last.seq > 0) {
    if (auto r = w->WriteTombstone(w->last.seq, w->last.ts, true); !r) {
      return std::unexpected(r.error());
    }
  }
  if (auto r = w->FlushPending(); !r) return std::unexpected(r.error());
  w->CloseFd();

  // Keep the new write block, drop every other.
  std::unique_ptr<MsgBlock> keep;
  for (auto& mb : blks) {
    if (mb.get() == w) keep = std::move(mb);
  }
  blks.clear();
  bim.clear();
  cached_.clear();
  lmb = nullptr;
  psim.Empty();
  sdm.Empty();
  ++dirty;
  AddMsgBlock(std::move(keep));

  // The directory dance the server does, so a crash in the middle is
  // recognised on the next open: the new block moves aside, the old
  // directory is renamed away, and the new block moves back.
  const auto mdir = dir / kMsgDir;
  const auto ndir = dir / kNewMsgDir;
  const auto pdir = dir / kPurgeDir;
  std::error_code ec;
  std::filesystem::remove_all(ndir, ec);
  if (ec) return std::unexpected(IoError(ndir, "remove", ec.value()));
  std::filesystem::remove_all(pdir, ec);
  if (ec) return std::unexpected(IoError(pdir, "remove", ec.value()));
  std::filesystem::create_directories(ndir, ec);
  if (ec) return std::unexpected(IoError(ndir, "create", ec.value()));
  std::filesystem::permissions(ndir, static_cast<std::filesystem::perms>(kDefaultDirPerms), ec);
  for (const std::string ext : {".key", ".blk"}) {
    const std::string name = std::to_string(w->index()) + ext;
    std::filesystem::rename(mdir / name, ndir / name, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return std::unexpected(IoError(mdir / name, "move", ec.value()));
    }
  }
  std::filesystem::rename(mdir, pdir, ec);
  if (ec) return std::unexpected(IoError(mdir, "move", ec.value()));
  std::filesystem::rename(ndir, mdir, ec);
  if (ec) return std::unexpected(IoError(ndir, "move", ec.value()));
  if (auto r = RemoveAllWithRetry(DiskIoSemaphore::Default(), pdir); !r) return std::unexpected(r.error());
  return purged;
}

// go: server/filestore.go:(*fileStore).selectNextFirst
void FileStore::Impl::SelectNextFirst() {
  if (!blks.empty()) {
    while (blks.size() > 1 && blks.front()->msgs == 0) {
      if (read_only) {
        RemoveMsgBlockFromList(blks.front().get());
      } else if (!ForceRemoveMsgBlock(blks.front().get())) {
        break;
      }
    }
    state.first = blks.front()->first;
  } else {
    state.first = {state.last.seq + 1, 0};
  }
  first_moved = true;
}

// go: server/filestore.go:(*fileStore).removePerSubject
uint64_t FileStore::Impl::RemovePerSubject(std::string_view subject) {
  if (subject.empty()) return 0;
  if (auto [psi, found] = psim.Find(subject); found && psi) {
    if (--psi->total == 0) {
      psim.Delete(subject);
      return 0;
    }
    return psi->total;
  }
  return 0;
}

}  // namespace natscpp::store
