// The stream's deleted sequences as delete blocks: what a replicated stream
// snapshot carries (EncodedStreamState) and what a follower brings its own
// deletes in line with (SyncDeleted).
#ifndef NATSCPP_STORE_FILESTORE_DELETE_BLOCKS_H_
#define NATSCPP_STORE_FILESTORE_DELETE_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "avl/seqset.h"
#include "natscpp/store/store_types.h"

namespace natscpp::store::filestore {

// One run of deleted sequences, borrowed from the blocks: either a range
// (a gap between blocks: first and num, set == nullptr) or a block's own
// delete map (set). Valid while the store's lock is held.
struct DeleteRun {
  uint64_t first = 0;
  uint64_t num = 0;
  const avl::SequenceSet* set = nullptr;
};

struct DeleteRuns {
  std::vector<DeleteRun> runs;
  size_t encoded_size = 0;  // bytes the runs take in a stream-state encoding
};

// Owned copies of the runs, as DeleteRange and SeqSetDeleteBlock.
DeleteBlocks ToDeleteBlocks(std::span<const DeleteRun> runs);

// Skips the blocks of `blocks` that end before db starts, then says whether
// the next one holds exactly db's sequences; on a match it is consumed too.
// `blocks` is left at the remaining suffix either way.
bool PruneDeleteBlock(const DeleteBlock& db, std::span<const std::unique_ptr<DeleteBlock>>& blocks);

// Whether two delete blocks with the same summary hold the same sequences.
// Only answerable cheaply when one side is a sequence set; false otherwise.
bool DeleteBlockContentsEqual(const DeleteBlock& a, const DeleteBlock& b);

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_DELETE_BLOCKS_H_
