#include "stree/node10.h"

#include "stree/node16.h"
#include "stree/node4.h"

namespace natscpp::store::stree {

// go: server/stree/node10.go:newNode10
std::unique_ptr<Node10> newNode10(std::string_view prefix) {
  auto nn = std::make_unique<Node10>();
  nn->setPrefix(prefix);
  return nn;
}

// go: server/stree/node10.go:(*node10).addChild
void Node10::addChild(std::uint8_t c, std::unique_ptr<Node> nn) {
  if (size >= 10) fatalInternal("node10 full!");
  key[size] = c;
  child[size] = std::move(nn);
  ++size;
}

// go: server/stree/node10.go:(*node10).findChild
std::unique_ptr<Node>* Node10::findChild(std::uint8_t c) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (key[i] == c) return &child[i];
  }
  return nullptr;
}

// go: server/stree/node10.go:(*node10).isFull
bool Node10::isFull() const { return size >= 10; }

// go: server/stree/node10.go:(*node10).grow
std::unique_ptr<Node> Node10::grow() {
  auto nn = std::make_unique<Node16>();
  nn->prefix = prefix;
  for (std::size_t i = 0; i < 10; ++i) nn->addChild(key[i], std::move(child[i]));
  return nn;
}

// go: server/stree/node10.go:(*node10).deleteChild
void Node10::deleteChild(std::uint8_t c) {
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

// go: server/stree/node10.go:(*node10).shrink
std::unique_ptr<Node> Node10::shrink() {
  if (size > 4) return nullptr;
  auto nn = newNode4("");
  for (std::uint16_t i = 0; i < size; ++i) nn->addChild(key[i], std::move(child[i]));
  return nn;
}

// go: server/stree/node10.go:(*node10).iter
void Node10::iter(const std::function<bool(Node*)>& f) {
  for (std::uint16_t i = 0; i < size; ++i) {
    if (!f(child[i].get())) return;
  }
}

// go: server/stree/node10.go:(*node10).children
std::span<std::unique_ptr<Node>> Node10::children() { return std::span(child).first(size); }

// go: server/stree/dump.go:(*node10).kind
// intentional: the kind name is fixed per node type.
std::string_view Node10::kind() const { return "NODE10"; }

}  // namespace natscpp::store::stree
