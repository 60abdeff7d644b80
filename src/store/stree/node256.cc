#include "stree/node256.h"

#include "stree/node48.h"

namespace natscpp::store::stree {

// go: server/stree/node256.go:newNode256
std::unique_ptr<Node256> newNode256(std::string_view prefix) {
  auto nn = std::make_unique<Node256>();
  nn->setPrefix(prefix);
  return nn;
}

// go: server/stree/node256.go:(*node256).addChild
void Node256::addChild(std::uint8_t c, std::unique_ptr<Node> nn) {
  child[c] = std::move(nn);
  ++size;
}

// go: server/stree/node256.go:(*node256).findChild
std::unique_ptr<Node>* Node256::findChild(std::uint8_t c) {
  if (child[c] != nullptr) return &child[c];
  return nullptr;
}

// go: server/stree/node256.go:(*node256).isFull
// intentional: every byte has a slot, so there is always room.
bool Node256::isFull() const { return false; }

// go: server/stree/node256.go:(*node256).grow
std::unique_ptr<Node> Node256::grow() { fatalInternal("grow can not be called on node256"); }

// go: server/stree/node256.go:(*node256).deleteChild
void Node256::deleteChild(std::uint8_t c) {
  if (child[c] != nullptr) {
    child[c].reset();
    --size;
  }
}

// go: server/stree/node256.go:(*node256).shrink
std::unique_ptr<Node> Node256::shrink() {
  if (size > 48) return nullptr;
  auto nn = newNode48("");
  for (std::size_t c = 0; c < child.size(); ++c) {
    if (child[c] != nullptr) nn->addChild(static_cast<std::uint8_t>(c), std::move(child[c]));
  }
  return nn;
}

// go: server/stree/node256.go:(*node256).iter
void Node256::iter(const std::function<bool(Node*)>& f) {
  for (auto& c : child) {
    if (c != nullptr) {
      if (!f(c.get())) return;
    }
  }
}

// go: server/stree/node256.go:(*node256).children
std::span<std::unique_ptr<Node>> Node256::children() { return child; }

// go: server/stree/dump.go:(*node256).kind
// intentional: the kind name is fixed per node type.
std::string_view Node256::kind() const { return "NODE256"; }

}  // namespace natscpp::store::stree
