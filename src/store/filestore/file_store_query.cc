// Small lookups of the file store that answer one question about one
// message (its subject, by sequence).
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

}  // namespace natscpp::store
