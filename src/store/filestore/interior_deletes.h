// A point-in-time copy of the delete maps of the live blocks, used by the
// sync pass's compaction to tell whether a tombstone still hides a message
// some block holds (FORMAT.md §3.4). Blocks own disjoint ascending ranges,
// so a lookup finds the one owning block by binary search.
#ifndef NATSCPP_STORE_FILESTORE_INTERIOR_DELETES_H_
#define NATSCPP_STORE_FILESTORE_INTERIOR_DELETES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "avl/seqset.h"

namespace natscpp::store::filestore {

class MsgBlock;

class InteriorDeletes {
 public:
  // Copies the delete map of every open block that has one.
  static InteriorDeletes Of(const std::vector<std::unique_ptr<MsgBlock>>& blks);

  // Whether a live block had seq marked deleted when the copy was made.
  // Not for concurrent use: it remembers the last block it answered from.
  bool Exists(uint64_t seq);
  // How many blocks' delete maps were copied.
  size_t size() const { return sets_.size(); }

 private:
  std::vector<avl::SequenceSet> sets_;
  std::vector<uint64_t> maxs_;  // last sequence of the block owning sets_[i]
  size_t last_ = 0;
};

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_INTERIOR_DELETES_H_
