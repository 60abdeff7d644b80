// Filter decomposition for SubjectTree matching: a filter is cut into literal
// runs and single-byte wildcard parts ("*" or ">"), and each node's prefix or
// leaf suffix consumes those parts as the match walks down the tree.
#ifndef NATSCPP_STORE_STREE_PARTS_H_
#define NATSCPP_STORE_STREE_PARTS_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace natscpp::store::stree {

// The remaining parts of a filter: a tail of the list genParts built, whose
// first element may have been shortened by a partial match inside a node's
// prefix. Only the first element can ever differ from the list (matchParts
// shortens the part it hands back first), so keeping that one override makes
// the view a value: siblings in a walk each get their own without copying.
class Parts {
 public:
  Parts() = default;
  explicit Parts(std::span<const std::string_view> parts)
      : parts_(parts), first_(parts.empty() ? std::string_view{} : parts.front()) {}

  std::size_t size() const { return parts_.size(); }
  bool empty() const { return parts_.empty(); }
  std::string_view operator[](std::size_t i) const { return i == 0 ? first_ : parts_[i]; }

  // The parts from index i on (i <= size()).
  Parts from(std::size_t i) const {
    if (i == 0) return *this;
    return Parts(parts_.subspan(i));
  }

  // The same parts with the first one replaced.
  Parts withFirst(std::string_view first) const {
    Parts p = *this;
    p.first_ = first;
    return p;
  }

 private:
  std::span<const std::string_view> parts_;
  std::string_view first_;
};

// Appends the parts of `filter` to `parts`; the views point into `filter`.
void genParts(std::string_view filter, std::vector<std::string_view>& parts);

// Matches `parts` against a node fragment (a prefix or leaf suffix). Returns
// the parts still to be matched below this fragment and whether it matched.
std::pair<Parts, bool> matchParts(const Parts& parts, std::string_view frag);

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_PARTS_H_
