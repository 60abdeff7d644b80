// Shared constants and byte helpers of the subject tree.
#ifndef NATSCPP_STORE_STREE_UTIL_H_
#define NATSCPP_STORE_STREE_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace natscpp::store::stree {

// Wildcard and separator bytes the tree understands when matching filters.
inline constexpr char kPwc = '*';
inline constexpr char kFwc = '>';
inline constexpr char kTsep = '.';

// The byte returned by pivot() when a position is past the end of a subject.
// DEL never appears in stored subjects (Insert refuses them), so it can stand
// for "no more bytes" as a child key; 0 could not, since subjects may hold NULs.
inline constexpr std::uint8_t kNoPivot = 127;

// go: server/stree/util.go:commonPrefixLen
inline std::size_t commonPrefixLen(std::string_view s1, std::string_view s2) {
  const std::size_t limit = std::min(s1.size(), s2.size());
  std::size_t i = 0;
  for (; i < limit; ++i) {
    if (s1[i] != s2[i]) break;
  }
  return i;
}

// go: server/stree/util.go:pivot
inline std::uint8_t pivot(std::string_view subject, std::size_t pos) {
  if (pos >= subject.size()) return kNoPivot;
  return static_cast<std::uint8_t>(subject[pos]);
}

// Views bytes as a subject without copying, for callers that hold subjects
// as byte spans (message buffers); the bytes must outlive the view.
// go: server/stree/stree.go:bytesToString
inline std::string_view bytesToString(std::span<const std::uint8_t> b) {
  if (b.empty()) return {};
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The reverse view, read-only like the Go original.
// go: server/stree/stree.go:stringToBytes
inline std::span<const std::uint8_t> stringToBytes(std::string_view s) {
  if (s.empty()) return {};
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_UTIL_H_
