// Truncate: everything after a sequence goes. The blocks past the one
// holding it are removed, that block is cut back on disk, and tombstones in
// a new write block keep the last sequence (and the removals recorded in
// the dropped blocks) for a rebuild without index.db. Truncate(0) resets
// the store to empty.
#include <algorithm>
#include <chrono>
#include <system_error>

#include "filestore/file_store_impl.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::MsgId;

// The public entry to Impl::Truncate.
Result<void> FileStore::Truncate(uint64_t seq) {
  std::unique_lock lock(impl_->mu);
  if (impl_->read_only) return MakeError(ErrorCode::kUnsupported, "the store was opened read-only");
  impl_->pending_scb.reset();
  auto r = impl_->Truncate(seq);
  auto [up, cb] = impl_->TakeStorageUpdate();
  lock.unlock();
  if (r && up && cb) cb(up->msgs, up->bytes, up->seq, up->subject);
  return r;
}

// go: server/filestore.go:(*fileStore).Truncate
Result<void> FileStore::Impl::Truncate(uint64_t seq) {
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (seq == 0) return Reset();
  if (werr) return std::unexpected(*werr);

  const auto fail = [this](Error e) -> Result<void> {
    SetWriteErr(e);
    return std::unexpected(std::move(e));
  };

  // Whatever index.db says no longer holds; a new one is written below.
  std::error_code ec;
  std::filesystem::remove(dir / kMsgDir / kStreamStateFile, ec);

  bool has_lsm = false;
  int64_t last_time = 0;
  MsgBlock* smb = SelectMsgBlock(seq);
  if (smb) {
    store::StoreMsg sm;
    std::optional<filestore::RebuildResult> rebuilt;
    auto found = smb->Fetch(seq, &sm, &rebuilt);
    AfterBlockRebuild(smb, rebuilt);
    if (found) {
      has_lsm = true;
      last_time = sm.ts;
    } else if (found.error().code() != ErrorCode::kStoreMsgNotFound) {
      return fail(found.error());
    }
    TouchCache(smb);
  }
  // The new write block must not carry the truncated sequences or times.
  if (!has_lsm) last_time = smb ? smb->last.ts : state.last.ts;
  state.last = {seq, last_time};

  // Tombstones go to a new write block: the selected block is cut last
  // and cannot take them. Unused, it is dropped at the end.
  auto created = NewMsgBlockForWrite();
  if (!created) return fail(created.error());
  MsgBlock* tmb = *created;

  // A block starting past seq goes whole.
  const bool remove_smb = smb && smb->first.seq > seq;
  // Without the message at seq, a tombstone keeps the last sequence and
  // time from moving back.
  if (!has_lsm || remove_smb) {
    if (auto r = WriteTombstone(seq, last_time); !r) return fail(r.error());
  }

  uint64_t purged = 0;
  uint64_t bytes = 0;
  // The tombstones a dropped block holds for sequences up to seq still
  // hide messages of earlier blocks; they move to the write block.
  const auto carry_tombstones = [&](MsgBlock* mb) -> Result<void> {
    for (const MsgId& tomb : mb->Tombstones()) {
      if (tomb.seq < seq) {
        if (auto r = WriteTombstone(tomb.seq, tomb.ts); !r) return r;
      }
    }
    return {};
  };
  // The newest block before tmb (tombstones may have rolled past it).
  const auto last_before_tmb = [&]() -> MsgBlock* {
    for (size_t i = blks.size(); i-- > 0;) {
      if (blks[i]->index() < tmb->index()) return blks[i].get();
    }
    return nullptr;
  };
  for (MsgBlock* mb = last_before_tmb(); mb && mb != smb; mb = last_before_tmb()) {
    purged += mb->msgs;
    bytes += mb->bytes;
    if (auto r = carry_tombstones(mb); !r) return fail(r.error());
    if (auto r = ForceRemoveMsgBlock(mb); !r) return fail(r.error());
  }

  const bool has_written_tombstones = !tmb->Tombstones().empty();
  if (smb) {
    if (remove_smb) {
      purged += smb->msgs;
      bytes += smb->bytes;
      if (auto r = carry_tombstones(smb); !r) return fail(r.error());
      if (auto r = ForceRemoveMsgBlock(smb); !r) return fail(r.error());
      smb = nullptr;
    } else {
      std::optional<filestore::RebuildResult> rebuilt;
      auto cut = smb->Truncate(seq, last_time, &rebuilt);
      AfterBlockRebuild(smb, rebuilt);
      if (!cut) {
        return fail(Error(cut.error().code(), "smb.truncate: " + cut.error().message()));
      }
      TouchCache(smb);
      purged += cut->msgs;
      bytes += cut->bytes;
      // No longer the write block: close it, and compress it when the
      // store compresses.
      if (has_written_tombstones) {
        smb->CloseFd();
        if (auto r = smb->RecompressOnDisk(); !r) {
          Note(smb->FileName(), "compression failed: " + r.error().message());
        }
      }
    }
  }

  // Without tombstones the cut block stays the write block.
  if (!has_written_tombstones) {
    if (auto r = ForceRemoveMsgBlock(tmb); !r) return fail(r.error());
    lmb = smb;
  }

  state.last = {seq, last_time};
  purged = std::min(purged, state.msgs);
  state.msgs -= purged;
  bytes = std::min(bytes, state.bytes);
  state.bytes -= bytes;

  if (auto r = ResetGlobalPerSubjectInfo(); !r) return fail(r.error());
  ++dirty;
  if (purged > 0) (void)ForceWriteFullState();
  pending_scb = PendingStorageUpdate{-static_cast<int64_t>(purged), -static_cast<int64_t>(bytes), 0, {}};
  return {};
}

// go: server/filestore.go:(*fileStore).reset
Result<void> FileStore::Impl::Reset() {
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  uint64_t purged = 0;
  uint64_t bytes = 0;
  for (auto& mb : blks) {
    purged += mb->msgs;
    bytes += mb->bytes;
    if (auto r = mb->RemoveFiles(); !r) return r;
  }
  state.first = {0, 0};
  state.last = {0, std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()};
  state.msgs = 0;
  state.bytes = 0;
  blks.clear();
  bim.clear();
  cached_.clear();
  lmb = nullptr;
  psim.Empty();
  sdm.Empty();
  if (purged > 0) ++dirty;
  pending_scb = PendingStorageUpdate{-static_cast<int64_t>(purged), -static_cast<int64_t>(bytes), 0, {}};
  return {};
}

// go: server/filestore.go:(*fileStore).noTrackSubjects
bool FileStore::Impl::NoTrackSubjects() const {
  const StreamConfig& c = info.config;
  return psim.Size() == 0 && c.subjects.empty() && !c.mirror && c.sources.empty();
}

// go: server/filestore.go:(*fileStore).resetGlobalPerSubjectInfo
Result<void> FileStore::Impl::ResetGlobalPerSubjectInfo() {
  psim.Empty();
  if (NoTrackSubjects()) return {};
  for (size_t i = 0; i < blks.size(); ++i) {
    MsgBlock* mb = blks[i].get();
    if (mb->placeholder || mb->closed) continue;
    if (auto r = PopulateGlobalPerSubjectInfo(mb); !r) return r;
  }
  return {};
}

}  // namespace natscpp::store
