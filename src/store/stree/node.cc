#include "stree/node.h"

#include <cstdio>
#include <cstdlib>

namespace natscpp::store::stree {

void fatalInternal(const char* what) {
  std::fprintf(stderr, "stree: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

// go: server/stree/node.go:(*meta).isLeaf
// intentional: inner nodes are never leaves.
bool Meta::isLeaf() const { return false; }

// go: server/stree/node.go:(*meta).base
Meta* Meta::base() { return this; }

// go: server/stree/node.go:(*meta).setPrefix
void Meta::setPrefix(std::string_view pre) {
  // Copy first: callers pass views into this very prefix.
  prefix = std::string(pre);
}

// go: server/stree/node.go:(*meta).numChildren
std::uint16_t Meta::numChildren() const { return size; }

// go: server/stree/node.go:(*meta).path
std::string_view Meta::path() const { return prefix; }

// go: server/stree/node.go:(*meta).matchParts
std::pair<Parts, bool> Meta::matchParts(const Parts& parts) const {
  return stree::matchParts(parts, prefix);
}

}  // namespace natscpp::store::stree
