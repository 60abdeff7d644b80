// Small lookups of the file store that answer one question about one
// message: its subject, by sequence; the first sequence at or after a time.
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>

#include "filestore/file_store_impl.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::RebuildResult;

// go: server/filestore.go:(*fileStore).SubjectForSeq
Result<std::string> FileStore::SubjectForSeq(uint64_t seq) {
  const auto not_found = [] { return MakeError(ErrorCode::kStoreMsgNotFound, "no message found"); };
  std::lock_guard lock(impl_->mu);
  if (seq < impl_->state.first.seq) return not_found();
  MsgBlock* mb = impl_->SelectMsgBlock(seq);
  if (!mb) return not_found();
  store::StoreMsg sm;
  std::optional<RebuildResult> rebuilt;
  auto m = mb->Fetch(seq, &sm, &rebuilt);
  impl_->AfterBlockRebuild(mb, rebuilt);
  // The server lets go of the cache here but keeps it reachable until the
  // collector needs the memory, so the next lookup finds it loaded; the
  // store's bounded set of cached blocks is that here (dropping the cache
  // made every call read the block again).
  if (mb->CacheLoaded()) impl_->TouchCache(mb);
  if (!m) return not_found();
  return std::move(sm.subject);
}

// go: server/filestore.go:(*fileStore).selectMsgBlockForStart
MsgBlock* FileStore::Impl::SelectMsgBlockForStart(int64_t min_ts) {
  // The first block whose last message is not older than min_ts.
  auto it = std::partition_point(blks.begin(), blks.end(),
                                 [&](const auto& mb) { return mb->last.ts < min_ts; });
  return it == blks.end() ? nullptr : it->get();
}

// go: server/filestore.go:(*fileStore).GetSeqFromTime
uint64_t FileStore::GetSeqFromTime(int64_t ts) {
  std::lock_guard lock(impl_->mu);
  if (impl_->closed) return 0;
  MsgBlock* mb = impl_->SelectMsgBlockForStart(ts);
  if (!mb) return impl_->state.last.seq + 1;
  uint64_t fseq = mb->first.seq;
  uint64_t lseq = mb->last.seq;
  uint64_t seq = lseq + 1;
  store::StoreMsg sm;
  // A binary search over the block's sequences; a probe that lands on a
  // deleted one walks right to the next message, and when none is left
  // before lseq the search goes on to the left.
  while (fseq <= lseq) {
    const uint64_t mid = fseq + (lseq - fseq) / 2;
    uint64_t off = 0;
    bool found = false;
    for (; mid + off <= lseq; ++off) {
      std::optional<RebuildResult> rebuilt;
      auto m = mb->Fetch(mid + off, &sm, &rebuilt);
      impl_->AfterBlockRebuild(mb, rebuilt);
      if (m) {
        found = true;
        break;
      }
    }
    if (!found) {
      if (mid == 0) break;
      lseq = mid - 1;
      continue;
    }
    if (sm.ts >= ts) {
      seq = sm.seq;
      if (mid == fseq) break;
      lseq = mid - 1;
    } else {
      fseq = mid + off + 1;
    }
  }
  if (mb->CacheLoaded()) impl_->TouchCache(mb);
  return seq;
}

}  // namespace natscpp::store
