// Small views of the store the server's tests read (last sequence, block
// and subject counts, cache use, lost data), the storage type and
// utilization, and the pending storage update the public calls hand to the
// stream layer.
#include <utility>

#include "filestore/file_store_impl.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;

std::pair<std::optional<FileStore::Impl::PendingStorageUpdate>, StorageUpdateHandler>
FileStore::Impl::TakeStorageUpdate() {
  return {std::exchange(pending_scb, std::nullopt), scb};
}

// go: server/filestore.go:(*fileStore).Type
StorageType FileStore::Type() const { return StorageType::kFile; }

// go: server/filestore.go:(*fileStore).Utilization
Result<Utilization> FileStore::GetUtilization() {
  std::lock_guard lock(impl_->mu);
  Utilization u;
  for (const auto& mb : impl_->blks) {
    u.reported += mb->bytes;
    u.total += mb->rbytes;
  }
  return u;
}

// go: server/filestore.go:(*fileStore).fileStoreConfig
FileStoreConfig FileStore::Config() {
  std::lock_guard lock(impl_->mu);
  return impl_->fcfg;
}

// go: server/filestore.go:(*fileStore).lastSeq
uint64_t FileStore::Impl::LastSeq() {
  std::lock_guard lock(mu);
  return state.last.seq;
}

// go: server/filestore.go:(*fileStore).numMsgBlocks
int FileStore::Impl::NumMsgBlocks() {
  std::lock_guard lock(mu);
  return static_cast<int>(blks.size());
}

// go: server/filestore.go:(*fileStore).numSubjects
int FileStore::Impl::NumSubjects() {
  std::lock_guard lock(mu);
  return static_cast<int>(psim.Size());
}

// go: server/filestore.go:(*fileStore).numConsumers
int FileStore::Impl::NumConsumers() {
  std::lock_guard lock(mu);
  return num_consumers;
}

// go: server/filestore.go:(*fileStore).dmapEntries
uint64_t FileStore::Impl::DmapEntries() {
  std::lock_guard lock(mu);
  uint64_t total = 0;
  for (const auto& mb : blks) total += mb->dmap.Size();
  return total;
}

// go: server/filestore.go:(*fileStore).cacheLoads
uint64_t FileStore::Impl::CacheLoads() {
  std::lock_guard lock(mu);
  uint64_t total = 0;
  for (const auto& mb : blks) total += mb->CacheLoads();
  return total;
}

// go: server/filestore.go:(*fileStore).cacheSize
uint64_t FileStore::Impl::CacheSize() {
  std::lock_guard lock(mu);
  uint64_t sz = 0;
  for (const auto& mb : blks) sz += mb->CacheSize();
  return sz;
}

// go: server/filestore.go:(*fileStore).sizeForSeq
uint64_t FileStore::Impl::SizeForSeq(uint64_t seq) {
  if (seq == 0) return 0;
  std::lock_guard lock(mu);
  MsgBlock* mb = SelectMsgBlock(seq);
  if (!mb) return 0;
  store::StoreMsg sm;
  std::optional<filestore::RebuildResult> rebuilt;
  auto found = mb->Fetch(seq, &sm, &rebuilt);
  AfterBlockRebuild(mb, rebuilt);
  // Kept among the cached blocks, as SubjectForSeq does.
  if (mb->CacheLoaded()) TouchCache(mb);
  if (!found) return 0;
  return FileStoreMsgSize(sm.subject, sm.hdr_len, sm.buf.size() - sm.hdr_len);
}

// go: server/filestore.go:(*fileStore).msgForSeq
Result<store::StoreMsg*> FileStore::Impl::MsgForSeq(uint64_t seq, store::StoreMsg* sm) {
  if (!sm) return MakeError(ErrorCode::kInvalidArgument, "no store::StoreMsg given");
  return LoadMsg(seq, sm);
}

// go: server/filestore.go:(*fileStore).isClosed
bool FileStore::Impl::IsClosed() {
  std::lock_guard lock(mu);
  return closed;
}

// go: server/filestore.go:(*fileStore).lostData
std::optional<LostStreamData> FileStore::Impl::LostData() {
  std::lock_guard lock(mu);
  return ld;
}

// go: server/filestore.go:(*fileStore).closeAllMsgBlocks
Result<void> FileStore::Impl::CloseAllMsgBlocks(bool sync) {
  Result<void> out;
  for (auto& mb : blks) {
    // Closing writes what is pending; a closed block can still be synced.
    mb->CloseFd();
    if (sync) {
      if (auto r = mb->SyncIfNeeded(); !r && out) out = r;
    }
  }
  return out;
}

// go: server/filestore.go:(*fileStore).writeTombstoneNoFlush
Result<void> FileStore::Impl::WriteTombstoneNoFlush(uint64_t seq, int64_t ts) {
  auto mb = CheckLastBlock(kEmptyRecordLen);
  if (!mb) return std::unexpected(mb.error());
  return (*mb)->WriteTombstone(seq, ts, false);
}

// go: server/filestore.go:(*fileStore).writeFileWithOptionalSync
Result<void> FileStore::Impl::WriteFileWithOptionalSync(const std::filesystem::path& name,
                                                        std::span<const uint8_t> data, uint32_t perm) {
  return WriteAtomically(DiskIoSemaphore::Default(), name, data, static_cast<mode_t>(perm),
                         fcfg.sync_always);
}

}  // namespace natscpp::store
