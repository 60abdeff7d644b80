#include "stree/parts.h"

#include <algorithm>
#include <cstddef>

#include "stree/util.h"

namespace natscpp::store::stree {

// go: server/stree/parts.go:genParts
void genParts(std::string_view filter, std::vector<std::string_view>& parts) {
  // Signed indices: the last index e is -1 for an empty filter, and the
  // look-behind/look-ahead checks below compare against it.
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(filter.size());
  const std::ptrdiff_t e = n - 1;
  auto at = [&](std::ptrdiff_t i) { return filter[static_cast<std::size_t>(i)]; };
  auto slice = [&](std::ptrdiff_t from, std::ptrdiff_t to) {
    return filter.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
  };
  std::ptrdiff_t start = 0;
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    if (at(i) == kTsep) {
      // A separator followed by a whole "*" token, inside or at the end.
      if (i < e && at(i + 1) == kPwc && ((i + 2 <= e && at(i + 2) == kTsep) || i + 1 == e)) {
        if (i > start) parts.push_back(slice(start, i + 1));
        parts.push_back(slice(i + 1, i + 2));
        ++i;  // past the '*'
        if (i + 2 <= e) ++i;  // and the separator after it
        start = i + 1;
      } else if (i < e && at(i + 1) == kFwc && i + 1 == e) {
        // A separator followed by a terminal ">".
        if (i > start) parts.push_back(slice(start, i + 1));
        parts.push_back(slice(i + 1, i + 2));
        ++i;  // past the '>'
        start = i + 1;
      }
    } else if (at(i) == kPwc || at(i) == kFwc) {
      // Only a whole token is a wildcard: preceded by a separator or the start...
      if (const std::ptrdiff_t prev = i - 1; prev >= 0 && at(prev) != kTsep) continue;
      // ...and followed by a separator or the end.
      if (const std::ptrdiff_t next = i + 1; next == e || (next < e && at(next) != kTsep)) continue;
      // A ">" that is not the last token ends the usable filter.
      if (at(i) == kFwc && i < e) break;
      parts.push_back(slice(i, i + 1));
      if (i + 1 <= e) ++i;  // past the separator after the wildcard
      start = i + 1;
    }
  }
  if (start < n) {
    if (at(start) == kTsep) ++start;  // a leading separator belongs to no part
    parts.push_back(slice(start, n));
  }
}

// go: server/stree/parts.go:matchParts
std::pair<Parts, bool> matchParts(const Parts& parts, std::string_view frag) {
  const std::size_t lf = frag.size();
  if (lf == 0) return {parts, true};

  std::size_t si = 0;
  const std::size_t np = parts.size();

  for (std::size_t i = 0; i < np; ++i) {
    if (si >= lf) return {parts.from(i), true};
    std::string_view part = parts[i];
    const std::size_t lp = part.size();
    if (lp == 1) {
      if (part[0] == kPwc) {
        const std::size_t index = frag.find(kTsep, si);
        if (index == std::string_view::npos) {
          // The '*' token runs past this fragment; the caller continues it
          // in the next node (or it is satisfied if it was the last part).
          if (i + 1 == np) return {Parts{}, true};
          return {parts.from(i), true};
        }
        si = index + 1;
        continue;
      }
      if (part[0] == kFwc) return {Parts{}, true};
    }
    const std::size_t end = std::min(si + lp, lf);
    if (si + lp > end) {
      // The fragment ends inside this part: compare only what it holds.
      part = part.substr(0, end - si);
    }
    if (part != frag.substr(si, end - si)) return {parts, false};
    if (end < lf) {
      si = end;
      continue;
    }
    if (end < si + lp) {
      if (end >= lf) {
        // The part continues below this node: hand back its unconsumed rest.
        return {parts.from(i).withFirst(parts[i].substr(lf - si)), true};
      }
      return {parts.from(i + 1), true};
    }
    if (i + 1 == np) return {Parts{}, true};
    // Not the last part, so a wildcard follows; move past this literal run.
    si += part.size();
  }
  return {parts, false};
}

}  // namespace natscpp::store::stree
