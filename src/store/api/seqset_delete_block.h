// An avl SequenceSet seen as a DeleteBlock (store.go lets a SequenceSet
// stand for deleted sequences in the replicated state and index.db).
#ifndef NATSCPP_STORE_API_SEQSET_DELETE_BLOCK_H_
#define NATSCPP_STORE_API_SEQSET_DELETE_BLOCK_H_

#include "avl/seqset.h"
#include "natscpp/store/store_types.h"

namespace natscpp::store {

class SeqSetDeleteBlock final : public DeleteBlock {
 public:
  explicit SeqSetDeleteBlock(avl::SequenceSet set) : set_(std::move(set)) {}
  Summary State() const override {
    const avl::SeqSetState s = set_.State();
    return {s.min, s.max, s.num};
  }
  void Range(const std::function<bool(uint64_t)>& f) const override { set_.Range(f); }
  const avl::SequenceSet& set() const { return set_; }

 private:
  avl::SequenceSet set_;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_API_SEQSET_DELETE_BLOCK_H_
