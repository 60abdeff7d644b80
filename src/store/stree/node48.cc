#include "stree/node48.h"

#include "stree/node16.h"
#include "stree/node256.h"

namespace natscpp::store::stree {

// go: server/stree/node48.go:newNode48
std::unique_ptr<Node48> newNode48(std::string_view prefix) {
  auto nn = std::make_unique<Node48>();
  nn->setPrefix(prefix);
  return nn;
}

// go: server/stree/node48.go:(*node48).addChild
void Node48::addChild(std::uint8_t c, std::unique_ptr<Node> nn) {
  if (size >= 48) fatalInternal("node48 full!");
  child[size] = std::move(nn);
  key[c] = static_cast<std::uint8_t>(size + 1);  // 1-based; 0 means absent
  ++size;
}

// go: server/stree/node48.go:(*node48).findChild
std::unique_ptr<Node>* Node48::findChild(std::uint8_t c) {
  const std::uint8_t i = key[c];
  if (i == 0) return nullptr;
  return &child[i - 1];
}

// go: server/stree/node48.go:(*node48).isFull
bool Node48::isFull() const { return size >= 48; }

// go: server/stree/node48.go:(*node48).grow
std::unique_ptr<Node> Node48::grow() {
  auto nn = std::make_unique<Node256>();
  nn->prefix = prefix;
  for (std::size_t c = 0; c < key.size(); ++c) {
    if (const std::uint8_t i = key[c]; i > 0) {
      nn->addChild(static_cast<std::uint8_t>(c), std::move(child[i - 1]));
    }
  }
  return nn;
}

// go: server/stree/node48.go:(*node48).deleteChild
void Node48::deleteChild(std::uint8_t c) {
  std::uint8_t i = key[c];
  if (i == 0) return;
  --i;  // to a 0-based slot
  const std::uint8_t last = static_cast<std::uint8_t>(size - 1);
  if (i < last) {
    // Move the last child into the hole and repoint its key.
    child[i] = std::move(child[last]);
    for (std::size_t ic = 0; ic < key.size(); ++ic) {
      if (key[ic] == last + 1) {
        key[ic] = static_cast<std::uint8_t>(i + 1);
        break;
      }
    }
  }
  child[last].reset();
  key[c] = 0;
  --size;
}

// go: server/stree/node48.go:(*node48).shrink
std::unique_ptr<Node> Node48::shrink() {
  if (size > 16) return nullptr;
  auto nn = newNode16("");
  for (std::size_t c = 0; c < key.size(); ++c) {
    if (const std::uint8_t i = key[c]; i > 0) {
      nn->addChild(static_cast<std::uint8_t>(c), std::move(child[i - 1]));
    }
  }
  return nn;
}

// go: server/stree/node48.go:(*node48).iter
void Node48::iter(const std::function<bool(Node*)>& f) {
  for (auto& c : child) {
    if (c != nullptr && !f(c.get())) return;
  }
}

// go: server/stree/node48.go:(*node48).children
std::span<std::unique_ptr<Node>> Node48::children() { return std::span(child).first(size); }

// go: server/stree/dump.go:(*node48).kind
// intentional: the kind name is fixed per node type.
std::string_view Node48::kind() const { return "NODE48"; }

}  // namespace natscpp::store::stree
