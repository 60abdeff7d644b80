#include "stree/node4.h"

#include "stree/node10.h"

namespace natscpp::store::stree {

// go: server/stree/node4.go:newNode4
std::unique_ptr<Node4> newNode4(std::string_view prefix) {
  auto nn = std::make_unique<Node4>();
  nn->setPrefix(prefix);
  return nn;
}

// go: server/stree/node4.go:(*node4).addChild
void Node4::addChild(std::uint8_t c, std::unique_ptr<Node> nn) {
  if (size >= 4) fatalInternal("node4 full!");
  key[size] = c;
  child[size] = std::move(nn);
  ++size;
}

// go: server/stree/node4.go:(*node4).findChild
std::unique_ptr<Node>* Node4::findChild(std::uint8_t c) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (key[i] == c) return &child[i];
  }
  return nullptr;
}

// go: server/stree/node4.go:(*node4).isFull
bool Node4::isFull() const { return size >= 4; }

// go: server/stree/node4.go:(*node4).grow
std::unique_ptr<Node> Node4::grow() {
  auto nn = std::make_unique<Node10>();
  nn->prefix = prefix;
  for (std::size_t i = 0; i < 4; ++i) nn->addChild(key[i], std::move(child[i]));
  return nn;
}

// go: server/stree/node4.go:(*node4).deleteChild
void Node4::deleteChild(std::uint8_t c) {
  const std::uint16_t last = static_cast<std::uint16_t>(size - 1);
  for (std::uint16_t i = 0; i < size; ++i) {
    if (key[i] == c) {
      // Children are unordered, so the last one fills the hole.
      if (i < last) {
        key[i] = key[last];
        child[i] = std::move(child[last]);
        key[last] = 0;
      } else {
        key[i] = 0;
        child[i].reset();
      }
      --size;
      return;
    }
  }
}

// go: server/stree/node4.go:(*node4).shrink
std::unique_ptr<Node> Node4::shrink() {
  // A node with a single child is replaced by that child.
  if (size == 1) return std::move(child[0]);
  return nullptr;
}

// go: server/stree/node4.go:(*node4).iter
void Node4::iter(const std::function<bool(Node*)>& f) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (!f(child[i].get())) return;
  }
}

// go: server/stree/node4.go:(*node4).children
std::span<std::unique_ptr<Node>> Node4::children() { return std::span(child).first(size); }

// go: server/stree/dump.go:(*node4).kind
// intentional: the kind name is fixed per node type.
std::string_view Node4::kind() const { return "NODE4"; }

}  // namespace natscpp::store::stree
