// SequenceSet: a set of uint64 sequences kept as an AVL tree whose nodes each
// cover 2048 consecutive sequences with a 32-word bitmap. The file store uses
// it for deleted-message maps and writes its binary encoding into index.db and
// replicated stream state (FORMAT.md §11), so Encode must produce exactly the
// bytes Go writes and Decode must accept them (and reject anything hostile).
//
// Not thread safe; callers lock around it like the Go code does.
#ifndef NATSCPP_STORE_AVL_SEQSET_H_
#define NATSCPP_STORE_AVL_SEQSET_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "natscpp/store/error.h"

namespace natscpp::store::avl {

inline constexpr std::uint64_t kBitsPerBucket = 64;
inline constexpr std::size_t kNumBuckets = 32;
inline constexpr std::uint64_t kNumEntries = kNumBuckets * kBitsPerBucket;

// Encoding layout (FORMAT.md §11).
inline constexpr std::uint8_t kMagic = 22;
inline constexpr std::uint8_t kVersion = 2;
inline constexpr std::size_t kHdrLen = 2;
// magic + version + uint32 node count + uint32 sequence count.
inline constexpr std::size_t kMinLen = kHdrLen + 8;
// base + bitmap words + uint16 height.
inline constexpr std::size_t kEncodedNodeLen = (kNumBuckets + 1) * 8 + 2;
static_assert(kEncodedNodeLen == 266, "FORMAT.md §11 gives 266 bytes per v2 node");
// Version 1 nodes carried 64 bitmap words.
inline constexpr std::size_t kV1NumBuckets = 64;
inline constexpr std::size_t kV1EncodedNodeLen = (kV1NumBuckets + 1) * 8 + 2;
static_assert(kV1EncodedNodeLen == 522, "FORMAT.md §11 gives 522 bytes per v1 node");

// A v2 decode links nodes in the stored order without rebalancing, so a
// hostile buffer could describe a chain as deep as it has nodes, and every
// later Insert/Delete recurses that deep. Go's own trees stay within a few
// dozen levels (an AVL tree of 2^32 nodes is under 50 deep), so anything
// deeper than this is rejected as a bad encoding rather than risking the stack.
inline constexpr std::size_t kMaxDecodedDepth = 1024;

// One tree node: sequences [base, base + kNumEntries), bit j of word i standing
// for base + 64*i + j. Nodes in a tree are never empty except when decoded
// from a buffer that says so.
struct Node {
  std::uint64_t base = 0;
  std::array<std::uint64_t, kNumBuckets> bits{};
  std::unique_ptr<Node> l;
  std::unique_ptr<Node> r;
  int h = 0;

  // seq must lie in this node's range.
  void Set(std::uint64_t seq, bool* inserted);
  // Returns true if this node became empty.
  bool Clear(std::uint64_t seq, bool* deleted);
  bool Exists(std::uint64_t seq) const;
  std::uint64_t Min() const;
  std::uint64_t Max() const;

  // Tree surgery takes and returns ownership of the (sub)tree root, since a
  // rotation or removal can replace it; a null tree is valid input.
  static std::unique_ptr<Node> Insert(std::unique_ptr<Node> n, std::uint64_t seq, bool* inserted,
                                      std::uint64_t* nodes);
  static std::unique_ptr<Node> Delete(std::unique_ptr<Node> n, std::uint64_t seq, bool* deleted,
                                      std::uint64_t* nodes);
  // Places nn as the leftmost subtree of n (every node of nn sorts before n's).
  static std::unique_ptr<Node> InsertNodePrev(std::unique_ptr<Node> n, std::unique_ptr<Node> nn);
  static std::unique_ptr<Node> RotateL(std::unique_ptr<Node> n);
  static std::unique_ptr<Node> RotateR(std::unique_ptr<Node> n);

  // Pre-order walk (node, left, right): the order Encode writes nodes in.
  template <typename F>
  static void NodeIter(const Node* n, F&& f);
  // In-order walk over every set sequence; stops when f returns false and
  // then returns false itself.
  template <typename F>
  static bool Iter(const Node* n, F&& f);
};

int BalanceF(const Node* n);
int MaxH(const Node* n);

struct SeqSetState {
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::uint64_t num = 0;
};

struct DecodedSequenceSet;

class SequenceSet {
 public:
  SequenceSet() = default;
  ~SequenceSet();
  // Copies are deep, like Clone().
  SequenceSet(const SequenceSet& other);
  SequenceSet& operator=(const SequenceSet& other);
  SequenceSet(SequenceSet&& other) noexcept;
  SequenceSet& operator=(SequenceSet&& other) noexcept;

  void Insert(std::uint64_t seq);
  bool Exists(std::uint64_t seq) const;
  // Only valid on an empty set: the first node then starts at min instead of
  // the 2048-aligned base below it, which saves a node when min is known.
  Result<void> SetInitialMin(std::uint64_t min);
  // Returns whether seq was in the set.
  bool Delete(std::uint64_t seq);
  std::uint64_t Size() const;
  std::uint64_t Nodes() const;
  void Empty();
  bool IsEmpty() const;
  // Calls f(seq) for each member in ascending order until f returns false.
  template <typename F>
  void Range(F&& f) const;
  // Heights of the root's left and right subtrees.
  std::pair<int, int> Heights() const;
  SeqSetState State() const;
  std::pair<std::uint64_t, std::uint64_t> MinMax() const;
  SequenceSet Clone() const;
  // A null other counts as an empty set, as a nil set does in Go.
  bool Equal(const SequenceSet* other) const;
  bool Equal(const SequenceSet& other) const { return Equal(&other); }
  // Adds every member of each set; null entries are skipped.
  void Union(std::span<const SequenceSet* const> sets);
  void Union(std::initializer_list<const SequenceSet*> sets) {
    Union(std::span<const SequenceSet* const>(sets.begin(), sets.size()));
  }

  std::size_t EncodeLen() const;
  // Writes the v2 encoding into buf (reusing its capacity; old contents are
  // overwritten, not appended to) and returns it.
  std::vector<std::uint8_t> Encode(std::vector<std::uint8_t> buf = {}) const;

  // The tree itself, for tests and diagnostics.
  const Node* root() const { return root_.get(); }

 private:
  friend Result<DecodedSequenceSet> Decode(std::span<const std::uint8_t> buf);
  static Result<DecodedSequenceSet> DecodeV1(std::span<const std::uint8_t> buf);
  static Result<DecodedSequenceSet> DecodeV2(std::span<const std::uint8_t> buf);
  // Links a decoded node where a plain BST insert puts it; returns the depth
  // it landed at (root = 1).
  std::size_t InsertNode(std::unique_ptr<Node> n);

  std::unique_ptr<Node> root_;
  std::uint64_t size_ = 0;
  std::uint64_t nodes_ = 0;
};

struct DecodedSequenceSet {
  SequenceSet set;
  // Bytes of buf the encoding occupied; callers continue reading after it.
  std::size_t consumed = 0;
};

// Decodes a v1 or v2 encoding from the front of buf. Truncated buffers, bad
// magic or version, impossible node counts and over-deep trees return
// kBadEncoding.
Result<DecodedSequenceSet> Decode(std::span<const std::uint8_t> buf);

// A new set holding every member of the given sets (null entries skipped);
// empty if there are none.
SequenceSet Union(std::span<const SequenceSet* const> sets);
inline SequenceSet Union(std::initializer_list<const SequenceSet*> sets) {
  return Union(std::span<const SequenceSet* const>(sets.begin(), sets.size()));
}

// Equal where either side may be null (null = empty), for callers holding
// optional sets.
bool Equal(const SequenceSet* a, const SequenceSet* b);

// go: server/avl/seqset.go:(*node).nodeIter
template <typename F>
void Node::NodeIter(const Node* n, F&& f) {
  if (n == nullptr) return;
  f(n);
  NodeIter(n->l.get(), f);
  NodeIter(n->r.get(), f);
}

// go: server/avl/seqset.go:(*node).iter
template <typename F>
bool Node::Iter(const Node* n, F&& f) {
  if (n == nullptr) return true;
  if (!Iter(n->l.get(), f)) return false;
  for (std::size_t i = 0; i < kNumBuckets; ++i) {
    const std::uint64_t base = n->base + static_cast<std::uint64_t>(i) * kBitsPerBucket;
    for (std::uint64_t b = n->bits[i]; b != 0; b &= b - 1) {
      if (!f(base + static_cast<std::uint64_t>(std::countr_zero(b)))) return false;
    }
  }
  return Iter(n->r.get(), f);
}

// go: server/avl/seqset.go:(*SequenceSet).Range
template <typename F>
void SequenceSet::Range(F&& f) const {
  Node::Iter(root_.get(), f);
}

}  // namespace natscpp::store::avl

#endif  // NATSCPP_STORE_AVL_SEQSET_H_
