#include "avl/seqset.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace natscpp::store::avl {
namespace {

// Little-endian stores and loads that never need alignment; a plain copy on
// little-endian hosts, byte by byte elsewhere.
template <typename T>
void PutLE(std::uint8_t* p, T v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, sizeof(T));
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

template <typename T>
T GetLE(const std::uint8_t* p) {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof(T));
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  }
  return v;
}

// The balance step Go repeats inline after insert, delete and insertNodePrev.
std::unique_ptr<Node> Rebalance(std::unique_ptr<Node> n) {
  const int bf = BalanceF(n.get());
  if (bf > 1) {
    if (BalanceF(n->l.get()) < 0) n->l = Node::RotateL(std::move(n->l));
    return Node::RotateR(std::move(n));
  }
  if (bf < -1) {
    if (BalanceF(n->r.get()) > 0) n->r = Node::RotateR(std::move(n->r));
    return Node::RotateL(std::move(n));
  }
  return n;
}

// Frees a tree without recursion (rotating left children up as it goes), so
// destroying even a degenerate tree cannot exhaust the stack.
void FreeTree(std::unique_ptr<Node> n) {
  while (n) {
    if (n->l) {
      std::unique_ptr<Node> l = std::move(n->l);
      n->l = std::move(l->r);
      l->r = std::move(n);
      n = std::move(l);
    } else {
      // The old node has no children left when it is released here.
      n = std::move(n->r);
    }
  }
}

// go: server/avl/seqset.go:clone
std::unique_ptr<Node> CloneTree(const Node* src) {
  if (src == nullptr) return nullptr;
  auto n = std::make_unique<Node>();
  n->base = src->base;
  n->bits = src->bits;
  n->h = src->h;
  n->l = CloneTree(src->l.get());
  n->r = CloneTree(src->r.get());
  return n;
}

Error BadEncoding(const std::string& why) { return Error(ErrorCode::kBadEncoding, "avl: bad encoding: " + why); }

}  // namespace

// ---- Node ----

// go: server/avl/seqset.go:(*node).set
void Node::Set(std::uint64_t seq, bool* inserted) {
  seq -= base;
  const std::uint64_t i = seq / kBitsPerBucket;
  const std::uint64_t mask = std::uint64_t{1} << (seq % kBitsPerBucket);
  if ((bits[i] & mask) == 0) {
    bits[i] |= mask;
    *inserted = true;
  }
}

// go: server/avl/seqset.go:(*node).insert
std::unique_ptr<Node> Node::Insert(std::unique_ptr<Node> n, std::uint64_t seq, bool* inserted,
                                   std::uint64_t* nodes) {
  if (!n) {
    auto nn = std::make_unique<Node>();
    nn->base = (seq / kNumEntries) * kNumEntries;
    nn->h = 1;
    nn->Set(seq, inserted);
    ++*nodes;
    return nn;
  }
  if (seq < n->base) {
    n->l = Insert(std::move(n->l), seq, inserted, nodes);
  } else if (seq >= n->base + kNumEntries) {
    n->r = Insert(std::move(n->r), seq, inserted, nodes);
  } else {
    n->Set(seq, inserted);
  }
  n->h = MaxH(n.get()) + 1;
  return Rebalance(std::move(n));
}

// go: server/avl/seqset.go:(*node).rotateL
std::unique_ptr<Node> Node::RotateL(std::unique_ptr<Node> n) {
  std::unique_ptr<Node> r = std::move(n->r);
  if (!r) {
    // Callers only rotate toward an existing child. Go would hand back the
    // missing child here; keeping n instead can never drop a subtree.
    n->h = MaxH(n.get()) + 1;
    return n;
  }
  n->r = std::move(r->l);
  n->h = MaxH(n.get()) + 1;
  r->l = std::move(n);
  r->h = MaxH(r.get()) + 1;
  return r;
}

// go: server/avl/seqset.go:(*node).rotateR
std::unique_ptr<Node> Node::RotateR(std::unique_ptr<Node> n) {
  std::unique_ptr<Node> l = std::move(n->l);
  if (!l) {
    // See RotateL.
    n->h = MaxH(n.get()) + 1;
    return n;
  }
  n->l = std::move(l->r);
  n->h = MaxH(n.get()) + 1;
  l->r = std::move(n);
  l->h = MaxH(l.get()) + 1;
  return l;
}

// go: server/avl/seqset.go:balanceF
int BalanceF(const Node* n) {
  if (n == nullptr) return 0;
  const int lh = n->l ? n->l->h : 0;
  const int rh = n->r ? n->r->h : 0;
  return lh - rh;
}

// go: server/avl/seqset.go:maxH
int MaxH(const Node* n) {
  if (n == nullptr) return 0;
  const int lh = n->l ? n->l->h : 0;
  const int rh = n->r ? n->r->h : 0;
  return std::max(lh, rh);
}

// go: server/avl/seqset.go:(*node).clear
bool Node::Clear(std::uint64_t seq, bool* deleted) {
  seq -= base;
  const std::uint64_t i = seq / kBitsPerBucket;
  const std::uint64_t mask = std::uint64_t{1} << (seq % kBitsPerBucket);
  if ((bits[i] & mask) == 0) {
    // The node had this bit clear already; since tree nodes always hold at
    // least one member, it cannot have become empty.
    return false;
  }
  bits[i] &= ~mask;
  *deleted = true;
  return std::all_of(bits.begin(), bits.end(), [](std::uint64_t b) { return b == 0; });
}

// go: server/avl/seqset.go:(*node).delete
std::unique_ptr<Node> Node::Delete(std::unique_ptr<Node> n, std::uint64_t seq, bool* deleted,
                                   std::uint64_t* nodes) {
  if (!n) return nullptr;
  if (seq < n->base) {
    n->l = Delete(std::move(n->l), seq, deleted, nodes);
  } else if (seq >= n->base + kNumEntries) {
    n->r = Delete(std::move(n->r), seq, deleted, nodes);
  } else if (n->Clear(seq, deleted)) {
    --*nodes;
    // The emptied node is released by each assignment below only after its
    // surviving children have been moved out of it.
    if (!n->l) {
      n = std::move(n->r);
    } else if (!n->r) {
      n = std::move(n->l);
    } else {
      n->r = InsertNodePrev(std::move(n->r), std::move(n->l));
      n = std::move(n->r);
    }
  }
  if (n) n->h = MaxH(n.get()) + 1;
  return Rebalance(std::move(n));
}

// go: server/avl/seqset.go:(*node).insertNodePrev
std::unique_ptr<Node> Node::InsertNodePrev(std::unique_ptr<Node> n, std::unique_ptr<Node> nn) {
  if (!n->l) {
    n->l = std::move(nn);
  } else {
    n->l = InsertNodePrev(std::move(n->l), std::move(nn));
  }
  n->h = MaxH(n.get()) + 1;
  return Rebalance(std::move(n));
}

// go: server/avl/seqset.go:(*node).exists
bool Node::Exists(std::uint64_t seq) const {
  seq -= base;
  const std::uint64_t i = seq / kBitsPerBucket;
  const std::uint64_t mask = std::uint64_t{1} << (seq % kBitsPerBucket);
  return (bits[i] & mask) != 0;
}

// go: server/avl/seqset.go:(*node).min
std::uint64_t Node::Min() const {
  for (std::size_t i = 0; i < kNumBuckets; ++i) {
    if (bits[i] != 0) {
      return base + static_cast<std::uint64_t>(i) * kBitsPerBucket +
             static_cast<std::uint64_t>(std::countr_zero(bits[i]));
    }
  }
  return 0;
}

// go: server/avl/seqset.go:(*node).max
std::uint64_t Node::Max() const {
  for (std::size_t i = kNumBuckets; i-- > 0;) {
    if (bits[i] != 0) {
      return base + static_cast<std::uint64_t>(i) * kBitsPerBucket +
             static_cast<std::uint64_t>(std::bit_width(bits[i]) - 1);
    }
  }
  return 0;
}

// ---- SequenceSet ----

SequenceSet::~SequenceSet() { FreeTree(std::move(root_)); }

SequenceSet::SequenceSet(const SequenceSet& other)
    : root_(CloneTree(other.root_.get())), size_(other.size_), nodes_(other.nodes_) {}

SequenceSet& SequenceSet::operator=(const SequenceSet& other) {
  if (this != &other) *this = other.Clone();
  return *this;
}

SequenceSet::SequenceSet(SequenceSet&& other) noexcept
    : root_(std::move(other.root_)),
      size_(std::exchange(other.size_, 0)),
      nodes_(std::exchange(other.nodes_, 0)) {}

SequenceSet& SequenceSet::operator=(SequenceSet&& other) noexcept {
  if (this != &other) {
    FreeTree(std::move(root_));
    root_ = std::move(other.root_);
    size_ = std::exchange(other.size_, 0);
    nodes_ = std::exchange(other.nodes_, 0);
  }
  return *this;
}

// go: server/avl/seqset.go:(*SequenceSet).Insert
void SequenceSet::Insert(std::uint64_t seq) {
  // Most inserts land in an existing node. Flipping a bit there leaves the
  // shape and heights as they are, so only a miss pays for the recursive,
  // rebalancing insert below.
  for (Node* n = root_.get(); n != nullptr;) {
    if (seq < n->base) {
      n = n->l.get();
    } else if (seq >= n->base + kNumEntries) {
      n = n->r.get();
    } else {
      bool inserted = false;
      n->Set(seq, &inserted);
      if (inserted) ++size_;
      return;
    }
  }
  bool inserted = false;
  root_ = Node::Insert(std::move(root_), seq, &inserted, &nodes_);
  if (inserted) ++size_;
}

// go: server/avl/seqset.go:(*SequenceSet).Exists
bool SequenceSet::Exists(std::uint64_t seq) const {
  for (const Node* n = root_.get(); n != nullptr;) {
    if (seq < n->base) {
      n = n->l.get();
    } else if (seq >= n->base + kNumEntries) {
      n = n->r.get();
    } else {
      return n->Exists(seq);
    }
  }
  return false;
}

// go: server/avl/seqset.go:(*SequenceSet).SetInitialMin
Result<void> SequenceSet::SetInitialMin(std::uint64_t min) {
  if (!IsEmpty()) return MakeError(ErrorCode::kInvalidArgument, "avl: set not empty");
  auto n = std::make_unique<Node>();
  n->base = min;
  n->h = 1;
  root_ = std::move(n);
  nodes_ = 1;
  return {};
}

// go: server/avl/seqset.go:(*SequenceSet).Delete
bool SequenceSet::Delete(std::uint64_t seq) {
  if (!root_) return false;
  bool deleted = false;
  root_ = Node::Delete(std::move(root_), seq, &deleted, &nodes_);
  if (!deleted) return false;
  --size_;
  if (size_ == 0) Empty();
  return true;
}

// go: server/avl/seqset.go:(*SequenceSet).Size
std::uint64_t SequenceSet::Size() const { return size_; }

// go: server/avl/seqset.go:(*SequenceSet).Nodes
std::uint64_t SequenceSet::Nodes() const { return nodes_; }

// go: server/avl/seqset.go:(*SequenceSet).Empty
void SequenceSet::Empty() {
  FreeTree(std::move(root_));
  size_ = 0;
  nodes_ = 0;
}

// go: server/avl/seqset.go:(*SequenceSet).IsEmpty
bool SequenceSet::IsEmpty() const { return root_ == nullptr; }

// go: server/avl/seqset.go:(*SequenceSet).Heights
std::pair<int, int> SequenceSet::Heights() const {
  if (!root_) return {0, 0};
  const int l = root_->l ? root_->l->h : 0;
  const int r = root_->r ? root_->r->h : 0;
  return {l, r};
}

// go: server/avl/seqset.go:(*SequenceSet).State
SeqSetState SequenceSet::State() const {
  if (!root_) return {};
  const auto [min, max] = MinMax();
  return {min, max, Size()};
}

// go: server/avl/seqset.go:(*SequenceSet).MinMax
std::pair<std::uint64_t, std::uint64_t> SequenceSet::MinMax() const {
  if (!root_) return {0, 0};
  const Node* l = root_.get();
  while (l->l) l = l->l.get();
  const Node* r = root_.get();
  while (r->r) r = r->r.get();
  return {l->Min(), r->Max()};
}

// go: server/avl/seqset.go:(*SequenceSet).Clone
SequenceSet SequenceSet::Clone() const { return SequenceSet(*this); }

// go: server/avl/seqset.go:(*SequenceSet).Equal
bool SequenceSet::Equal(const SequenceSet* other) const {
  const bool other_empty = other == nullptr || other->IsEmpty();
  if (IsEmpty() || other_empty) return IsEmpty() && other_empty;
  if (size_ != other->size_) return false;
  // With equal sizes, every member of this set being in other is enough.
  bool equal = true;
  Range([&](std::uint64_t seq) {
    equal = other->Exists(seq);
    return equal;
  });
  return equal;
}

bool Equal(const SequenceSet* a, const SequenceSet* b) {
  if (a == nullptr) return b == nullptr || b->IsEmpty();
  return a->Equal(b);
}

// go: server/avl/seqset.go:(*SequenceSet).Union
void SequenceSet::Union(std::span<const SequenceSet* const> sets) {
  for (const SequenceSet* sa : sets) {
    // Adding a set to itself changes nothing; skipping it also avoids walking
    // a tree while inserting into it.
    if (sa == nullptr || sa == this) continue;
    Node::NodeIter(sa->root_.get(), [this](const Node* n) {
      for (std::size_t nb = 0; nb < kNumBuckets; ++nb) {
        const std::uint64_t base = n->base + static_cast<std::uint64_t>(nb) * kBitsPerBucket;
        for (std::uint64_t b = n->bits[nb]; b != 0; b &= b - 1) {
          Insert(base + static_cast<std::uint64_t>(std::countr_zero(b)));
        }
      }
    });
  }
}

// go: server/avl/seqset.go:Union
SequenceSet Union(std::span<const SequenceSet* const> sets) {
  std::vector<const SequenceSet*> ssa;
  ssa.reserve(sets.size());
  for (const SequenceSet* s : sets) {
    if (s != nullptr) ssa.push_back(s);
  }
  if (ssa.empty()) return SequenceSet();
  // Clone the largest and insert the others into it: the fewest inserts.
  std::stable_sort(ssa.begin(), ssa.end(),
                   [](const SequenceSet* a, const SequenceSet* b) { return a->Size() > b->Size(); });
  SequenceSet ss = ssa[0]->Clone();
  for (std::size_t i = 1; i < ssa.size(); ++i) {
    ssa[i]->Range([&ss](std::uint64_t n) {
      ss.Insert(n);
      return true;
    });
  }
  return ss;
}

// go: server/avl/seqset.go:(SequenceSet).EncodeLen
std::size_t SequenceSet::EncodeLen() const {
  return kMinLen + static_cast<std::size_t>(nodes_) * kEncodedNodeLen;
}

// go: server/avl/seqset.go:(SequenceSet).Encode
std::vector<std::uint8_t> SequenceSet::Encode(std::vector<std::uint8_t> buf) const {
  // nodes_ counts exactly the nodes in the tree, so the walk below fills
  // exactly EncodeLen() bytes.
  buf.resize(EncodeLen());
  std::uint8_t* p = buf.data();
  p[0] = kMagic;
  p[1] = kVersion;
  std::size_t i = kHdrLen;
  // Both counts are uint32 on the wire; Go truncates the same way.
  PutLE<std::uint32_t>(p + i, static_cast<std::uint32_t>(nodes_));
  PutLE<std::uint32_t>(p + i + 4, static_cast<std::uint32_t>(size_));
  i += 8;
  Node::NodeIter(root_.get(), [p, &i](const Node* n) {
    PutLE<std::uint64_t>(p + i, n->base);
    i += 8;
    for (std::uint64_t b : n->bits) {
      PutLE<std::uint64_t>(p + i, b);
      i += 8;
    }
    PutLE<std::uint16_t>(p + i, static_cast<std::uint16_t>(n->h));
    i += 2;
  });
  buf.resize(i);
  return buf;
}

// go: server/avl/seqset.go:Decode
Result<DecodedSequenceSet> Decode(std::span<const std::uint8_t> buf) {
  if (buf.size() < kMinLen) {
    return std::unexpected(BadEncoding("buffer of " + std::to_string(buf.size()) +
                                       " bytes is shorter than the " + std::to_string(kMinLen) +
                                       "-byte header"));
  }
  if (buf[0] != kMagic) {
    return std::unexpected(BadEncoding("magic byte " + std::to_string(buf[0]) + ", want " +
                                       std::to_string(kMagic)));
  }
  switch (buf[1]) {
    case 1:
      return SequenceSet::DecodeV1(buf);
    case 2:
      return SequenceSet::DecodeV2(buf);
    default:
      return MakeError(ErrorCode::kBadEncoding,
                       "avl: bad version " + std::to_string(buf[1]) + " (want 1 or 2)");
  }
}

// go: server/avl/seqset.go:decodev2
Result<DecodedSequenceSet> SequenceSet::DecodeV2(std::span<const std::uint8_t> buf) {
  const std::uint8_t* p = buf.data();
  std::size_t index = kHdrLen;
  const std::uint64_t nn = GetLE<std::uint32_t>(p + index);
  const std::uint64_t sz = GetLE<std::uint32_t>(p + index + 4);
  index += 8;
  // Division, not multiplication, so no count can overflow past the check.
  if (nn > (buf.size() - kMinLen) / kEncodedNodeLen) {
    return std::unexpected(BadEncoding("node count " + std::to_string(nn) + " needs more than the " +
                                       std::to_string(buf.size()) + " bytes given"));
  }
  SequenceSet ss;
  ss.size_ = sz;
  for (std::uint64_t i = 0; i < nn; ++i) {
    auto n = std::make_unique<Node>();
    n->base = GetLE<std::uint64_t>(p + index);
    index += 8;
    for (std::uint64_t& b : n->bits) {
      b = GetLE<std::uint64_t>(p + index);
      index += 8;
    }
    n->h = GetLE<std::uint16_t>(p + index);
    index += 2;
    if (ss.InsertNode(std::move(n)) > kMaxDecodedDepth) {
      return std::unexpected(BadEncoding("node " + std::to_string(i) + " lies deeper than " +
                                         std::to_string(kMaxDecodedDepth) + " levels"));
    }
  }
  return DecodedSequenceSet{std::move(ss), index};
}

// go: server/avl/seqset.go:decodev1
Result<DecodedSequenceSet> SequenceSet::DecodeV1(std::span<const std::uint8_t> buf) {
  const std::uint8_t* p = buf.data();
  std::size_t index = kHdrLen;
  const std::uint64_t nn = GetLE<std::uint32_t>(p + index);
  const std::uint64_t sz = GetLE<std::uint32_t>(p + index + 4);
  index += 8;
  if (nn > (buf.size() - kMinLen) / kV1EncodedNodeLen) {
    return std::unexpected(BadEncoding("v1 node count " + std::to_string(nn) +
                                       " needs more than the " + std::to_string(buf.size()) +
                                       " bytes given"));
  }
  // v1 nodes had 64 words and a different shape, so rebuild by inserting
  // every member instead of linking nodes.
  SequenceSet ss;
  for (std::uint64_t i = 0; i < nn; ++i) {
    const std::uint64_t base = GetLE<std::uint64_t>(p + index);
    index += 8;
    for (std::uint64_t nb = 0; nb < kV1NumBuckets; ++nb) {
      for (std::uint64_t b = GetLE<std::uint64_t>(p + index); b != 0; b &= b - 1) {
        ss.Insert(base + nb * kBitsPerBucket + static_cast<std::uint64_t>(std::countr_zero(b)));
      }
      index += 8;
    }
    // The stored height means nothing for the rebuilt tree.
    index += 2;
  }
  if (ss.Size() != sz) {
    return std::unexpected(BadEncoding("v1 holds " + std::to_string(ss.Size()) +
                                       " sequences but its header says " + std::to_string(sz)));
  }
  return DecodedSequenceSet{std::move(ss), index};
}

// go: server/avl/seqset.go:(*SequenceSet).insertNode
std::size_t SequenceSet::InsertNode(std::unique_ptr<Node> n) {
  ++nodes_;
  if (!root_) {
    root_ = std::move(n);
    return 1;
  }
  std::size_t depth = 1;
  for (Node* p = root_.get();; ++depth) {
    std::unique_ptr<Node>& next = n->base < p->base ? p->l : p->r;
    if (!next) {
      next = std::move(n);
      return depth + 1;
    }
    p = next.get();
  }
}

}  // namespace natscpp::store::avl
