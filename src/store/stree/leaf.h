// Leaf of the subject tree: a value and the rest of its subject below the
// inner nodes on its path (often just the last bytes, sometimes the whole).
#ifndef NATSCPP_STORE_STREE_LEAF_H_
#define NATSCPP_STORE_STREE_LEAF_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "stree/node.h"
#include "stree/parts.h"

namespace natscpp::store::stree {

template <typename T>
class Leaf final : public Node {
 public:
  Leaf(std::string_view suffix_in, T value_in) : value(std::move(value_in)), suffix(suffix_in) {}

  bool isLeaf() const override;
  Meta* base() override;
  bool match(std::string_view subject) const;
  void setSuffix(std::string_view s);
  bool isFull() const override;
  std::pair<Parts, bool> matchParts(const Parts& parts) const override;
  void iter(const std::function<bool(Node*)>& f) override;
  std::span<std::unique_ptr<Node>> children() override;
  std::uint16_t numChildren() const override;
  std::string_view path() const override;
  std::string_view kind() const override;

  // Inner-node operations make no sense on a leaf; calling one is a bug.
  void setPrefix(std::string_view pre) override;
  void addChild(std::uint8_t c, std::unique_ptr<Node> n) override;
  std::unique_ptr<Node>* findChild(std::uint8_t c) override;
  std::unique_ptr<Node> grow() override;
  void deleteChild(std::uint8_t c) override;
  std::unique_ptr<Node> shrink() override;

  T value;
  std::string suffix;
};

// go: server/stree/leaf.go:newLeaf
template <typename T>
std::unique_ptr<Leaf<T>> newLeaf(std::string_view suffix, T value) {
  return std::make_unique<Leaf<T>>(suffix, std::move(value));
}

// go: server/stree/leaf.go:(*leaf).isLeaf
// intentional: a leaf is always a leaf.
template <typename T>
bool Leaf<T>::isLeaf() const {
  return true;
}

// go: server/stree/leaf.go:(*leaf).base
// intentional: leaves have no inner-node part.
template <typename T>
Meta* Leaf<T>::base() {
  return nullptr;
}

// go: server/stree/leaf.go:(*leaf).match
template <typename T>
bool Leaf<T>::match(std::string_view subject) const {
  return subject == suffix;
}

// go: server/stree/leaf.go:(*leaf).setSuffix
template <typename T>
void Leaf<T>::setSuffix(std::string_view s) {
  // Copy first: callers pass views into this very suffix.
  suffix = std::string(s);
}

// go: server/stree/leaf.go:(*leaf).isFull
// intentional: a leaf can take no children, so it always counts as full.
template <typename T>
bool Leaf<T>::isFull() const {
  return true;
}

// go: server/stree/leaf.go:(*leaf).matchParts
template <typename T>
std::pair<Parts, bool> Leaf<T>::matchParts(const Parts& parts) const {
  return stree::matchParts(parts, suffix);
}

// go: server/stree/leaf.go:(*leaf).iter
// intentional: a leaf has no children to visit.
template <typename T>
void Leaf<T>::iter(const std::function<bool(Node*)>& /*f*/) {}

// go: server/stree/leaf.go:(*leaf).children
// intentional: a leaf has no child slots.
template <typename T>
std::span<std::unique_ptr<Node>> Leaf<T>::children() {
  return {};
}

// go: server/stree/leaf.go:(*leaf).numChildren
// intentional: a leaf has no children.
template <typename T>
std::uint16_t Leaf<T>::numChildren() const {
  return 0;
}

// go: server/stree/leaf.go:(*leaf).path
template <typename T>
std::string_view Leaf<T>::path() const {
  return suffix;
}

// go: server/stree/dump.go:(*leaf).kind
// intentional: the kind name is fixed per node type.
template <typename T>
std::string_view Leaf<T>::kind() const {
  return "LEAF";
}

// go: server/stree/leaf.go:(*leaf).setPrefix
template <typename T>
void Leaf<T>::setPrefix(std::string_view /*pre*/) {
  fatalInternal("setPrefix called on leaf");
}

// go: server/stree/leaf.go:(*leaf).addChild
template <typename T>
void Leaf<T>::addChild(std::uint8_t /*c*/, std::unique_ptr<Node> /*n*/) {
  fatalInternal("addChild called on leaf");
}

// go: server/stree/leaf.go:(*leaf).findChild
template <typename T>
std::unique_ptr<Node>* Leaf<T>::findChild(std::uint8_t /*c*/) {
  fatalInternal("findChild called on leaf");
}

// go: server/stree/leaf.go:(*leaf).grow
template <typename T>
std::unique_ptr<Node> Leaf<T>::grow() {
  fatalInternal("grow called on leaf");
}

// go: server/stree/leaf.go:(*leaf).deleteChild
template <typename T>
void Leaf<T>::deleteChild(std::uint8_t /*c*/) {
  fatalInternal("deleteChild called on leaf");
}

// go: server/stree/leaf.go:(*leaf).shrink
template <typename T>
std::unique_ptr<Node> Leaf<T>::shrink() {
  fatalInternal("shrink called on leaf");
}

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_LEAF_H_
