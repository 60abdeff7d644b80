// Text helpers for SubjectTree::Dump, a debugging print of the tree shape.
#ifndef NATSCPP_STORE_STREE_DUMP_H_
#define NATSCPP_STORE_STREE_DUMP_H_

#include <string>
#include <string_view>

namespace natscpp::store::stree {

// Indentation put before a node at the given depth.
std::string dumpPre(int depth);

// `s` as a double-quoted literal with escapes, the way Go's %q prints it, so
// dumps read the same as the Go server's (NUL and DEL bytes stay visible).
std::string quoteForDump(std::string_view s);

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_DUMP_H_
