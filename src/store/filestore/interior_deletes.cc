#include "filestore/interior_deletes.h"

#include <algorithm>

#include "filestore/msg_block.h"

namespace natscpp::store::filestore {

// go: server/filestore.go:deleteMap
InteriorDeletes InteriorDeletes::Of(const std::vector<std::unique_ptr<MsgBlock>>& blks) {
  InteriorDeletes v;
  v.sets_.reserve(blks.size());
  v.maxs_.reserve(blks.size());
  for (const auto& mb : blks) {
    if (mb->closed || mb->dmap.Size() == 0) continue;
    // The block's last sequence bounds its delete map and keeps the copies
    // in ascending, disjoint order.
    v.sets_.push_back(mb->dmap.Clone());
    v.maxs_.push_back(mb->last.seq);
  }
  return v;
}

// go: server/filestore.go:(*interiorDeletes).Exists
bool InteriorDeletes::Exists(uint64_t seq) {
  // Lookups mostly come in ascending order and cluster per block: try the
  // block that answered last time first.
  if (last_ < maxs_.size() && seq <= maxs_[last_] && (last_ == 0 || maxs_[last_ - 1] < seq)) {
    return sets_[last_].Exists(seq);
  }
  const auto it = std::lower_bound(maxs_.begin(), maxs_.end(), seq);
  if (it == maxs_.end()) return false;
  last_ = static_cast<size_t>(it - maxs_.begin());
  return sets_[last_].Exists(seq);
}

}  // namespace natscpp::store::filestore
