// Node interface of the subject tree (an adaptive radix trie) and the part
// shared by all inner nodes. Inner nodes come in five sizes (4, 10, 16, 48 and
// 256 children) and grow or shrink between them; leaves (leaf.h) carry values.
//
// Children are owned by their parent through std::unique_ptr. grow() and
// shrink() hand the children over to a new node, leaving the old one hollow;
// the caller puts the new node in the old one's slot, which destroys it.
#ifndef NATSCPP_STORE_STREE_NODE_H_
#define NATSCPP_STORE_STREE_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "stree/parts.h"

namespace natscpp::store::stree {

class Meta;

// Ends the process for a broken internal invariant (a call that makes no
// sense for the node kind, or adding to a full node). These are programming
// errors inside the tree, never caused by subjects or filters.
[[noreturn]] void fatalInternal(const char* what);

class Node {
 public:
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;

  virtual bool isLeaf() const = 0;
  // The inner-node part, or nullptr for a leaf.
  virtual Meta* base() = 0;
  virtual void setPrefix(std::string_view pre) = 0;
  virtual void addChild(std::uint8_t c, std::unique_ptr<Node> n) = 0;
  // The slot holding the child keyed c, or nullptr.
  virtual std::unique_ptr<Node>* findChild(std::uint8_t c) = 0;
  virtual void deleteChild(std::uint8_t c) = 0;
  virtual bool isFull() const = 0;
  virtual std::unique_ptr<Node> grow() = 0;
  // A smaller node holding the children, or nullptr if this one should stay.
  virtual std::unique_ptr<Node> shrink() = 0;
  virtual std::pair<Parts, bool> matchParts(const Parts& parts) const = 0;
  virtual std::string_view kind() const = 0;
  virtual void iter(const std::function<bool(Node*)>& f) = 0;
  // The child slots; slots may be empty (node48 past size, node256 gaps).
  virtual std::span<std::unique_ptr<Node>> children() = 0;
  virtual std::uint16_t numChildren() const = 0;
  // The prefix of an inner node or the suffix of a leaf.
  virtual std::string_view path() const = 0;
};

// Common state and behaviour of inner nodes.
class Meta : public Node {
 public:
  bool isLeaf() const override;
  Meta* base() override;
  void setPrefix(std::string_view pre) override;
  std::uint16_t numChildren() const override;
  std::string_view path() const override;
  std::pair<Parts, bool> matchParts(const Parts& parts) const override;

  std::string prefix;
  std::uint16_t size = 0;
};

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_NODE_H_
