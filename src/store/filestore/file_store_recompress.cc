// Compressing a block once the writer has moved past it. The server does
// this on a goroutine holding only that block's lock, so a new block's
// first write never waits for the old block's compression and fsync. This
// store has one lock, so the work is split: the block is read under the
// lock, compressed, encrypted and written to a synced temporary without
// it, and renamed over the block under the lock again, only if the block
// still holds the bytes that were read. The bytes on disk end up the same
// as the server's.
#include "filestore/file_store_impl.h"
#include "util/file_io.h"

namespace natscpp::store {

using filestore::MsgBlock;

void FileStore::Impl::QueueRecompress(MsgBlock* mb) {
  if (!executor || !background || read_only) {
    if (auto r = mb->RecompressOnDisk(); !r) {
      Note(mb->FileName(), "compression failed: " + r.error().message());
    }
    mb->DropCache();
    return;
  }
  recompress_queue[mb->index()] = mb->id();
  if (recompress_posted) return;
  recompress_posted = true;
  executor->Post([this] {
    std::unique_lock lock(mu);
    recompress_posted = false;
    if (!closed) RunRecompressQueue(lock, true);
  });
}

void FileStore::Impl::RunRecompressQueue(std::unique_lock<std::recursive_mutex>& lock, bool release_lock) {
  while (!recompress_queue.empty() && !closed) {
    const auto [index, id] = *recompress_queue.begin();
    recompress_queue.erase(recompress_queue.begin());
    // The block may have gone (and its index been reused) whenever the
    // lock was let go.
    auto find = [&, index = index, id = id]() -> MsgBlock* {
      auto it = bim.find(index);
      return it == bim.end() || it->second->id() != id ? nullptr : it->second;
    };
    MsgBlock* mb = find();
    if (mb == nullptr) continue;
    auto job = mb->PrepareRecompress();
    if (!job) {
      Note(mb->FileName(), "compression failed: " + job.error().message());
      continue;
    }
    if (!*job) continue;
    if (release_lock) lock.unlock();
    auto staged = MsgBlock::StageRecompress(**job);
    if (release_lock) lock.lock();
    mb = closed ? nullptr : find();
    if (!staged || mb == nullptr) {
      std::error_code ec;
      std::filesystem::remove((*job)->tmp, ec);
      if (!staged && mb != nullptr) {
        Note(mb->FileName(), "compression failed: " + staged.error().message());
      }
      continue;
    }
    auto committed = mb->CommitRecompress(**job);
    if (!committed) {
      Note(mb->FileName(), "compression failed: " + committed.error().message());
      continue;
    }
    if (!*committed) continue;  // the block changed meanwhile; it stays as it is
    mb->DropCache();
    // The rename persists once the directory is synced.
    if (release_lock) lock.unlock();
    (void)SyncDir((*job)->target);
    if (release_lock) lock.lock();
  }
}

}  // namespace natscpp::store
