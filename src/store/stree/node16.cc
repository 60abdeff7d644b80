#include "stree/node16.h"

#include "stree/node48.h"
#include "stree/node10.h"

namespace natscpp::store::stree {

// go: server/stree/node16.go:newNode16
std::unique_ptr<Node16> newNode16(std::string_view prefix) {
  auto nn = std::make_unique<Node16>();
  nn->setPrefix(prefix);
  return nn;
}

// go: server/stree/node16.go:(*node16).addChild
void Node16::addChild(std::uint8_t c, std::unique_ptr<Node> nn) {
  if (size >= 16) fatalInternal("node16 full!");
  key[size] = c;
  child[size] = std::move(nn);
  ++size;
}

// go: server/stree/node16.go:(*node16).findChild
std::unique_ptr<Node>* Node16::findChild(std::uint8_t c) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (key[i] == c) return &child[i];
  }
  return nullptr;
}

// go: server/stree/node16.go:(*node16).isFull
bool Node16::isFull() const { return size >= 16; }

// go: server/stree/node16.go:(*node16).grow
std::unique_ptr<Node> Node16::grow() {
  auto nn = std::make_unique<Node48>();
  nn->prefix = prefix;
  for (std::size_t i = 0; i < 16; ++i) nn->addChild(key[i], std::move(child[i]));
  return nn;
}

// go: server/stree/node16.go:(*node16).deleteChild
void Node16::deleteChild(std::uint8_t c) {
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

// go: server/stree/node16.go:(*node16).shrink
std::unique_ptr<Node> Node16::shrink() {
  if (size > 10) return nullptr;
  auto nn = newNode10("");
  for (std::uint16_t i = 0; i < size; ++i) nn->addChild(key[i], std::move(child[i]));
  return nn;
}

// go: server/stree/node16.go:(*node16).iter
void Node16::iter(const std::function<bool(Node*)>& f) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (!f(child[i].get())) return;
  }
}

// go: server/stree/node16.go:(*node16).children
std::span<std::unique_ptr<Node>> Node16::children() { return std::span(child).first(size); }

// go: server/stree/dump.go:(*node16).kind
// intentional: the kind name is fixed per node type.
std::string_view Node16::kind() const { return "NODE16"; }

}  // namespace natscpp::store::stree
