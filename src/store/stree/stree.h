// SubjectTree: an adaptive radix trie keyed by literal subjects, with path
// compression and lazy expansion. The file store keeps one per message block
// to track per-subject state compactly and to answer wildcard filters
// ("foo.*.bar", "foo.>") without scanning every subject.
//
// Subjects are byte strings (std::string_view; NUL bytes allowed). A subject
// holding byte 127 (DEL) is never stored: the tree uses that byte as the
// child key for "subject ends here".
//
// Callbacks receive the subject as a view into a scratch buffer that is only
// valid during the call, and a pointer to the stored value. They must not
// change the tree. Not thread safe: callers lock around it, as in Go.
#ifndef NATSCPP_STORE_STREE_STREE_H_
#define NATSCPP_STORE_STREE_STREE_H_

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gsl/gsl.h"
#include "stree/dump.h"
#include "stree/leaf.h"
#include "stree/node.h"
#include "stree/node10.h"
#include "stree/node16.h"
#include "stree/node256.h"
#include "stree/node4.h"
#include "stree/node48.h"
#include "stree/parts.h"
#include "stree/util.h"

namespace natscpp::store::stree {

// Lets unit tests reach the internals the Go tests inspect (defined there).
struct SubjectTreeTestAccess;

namespace detail {

template <typename F>
struct IsStdFunction : std::false_type {};
template <typename R, typename... A>
struct IsStdFunction<std::function<R(A...)>> : std::true_type {};

// Whether a callback is "nil": an empty std::function or a null function
// pointer. Go's Match treats a nil callback as a no-op.
template <typename F>
bool isNilCallback(const F& f) {
  using D = std::remove_cvref_t<F>;
  if constexpr (std::is_pointer_v<D> || IsStdFunction<D>::value) {
    return !f;
  } else {
    return false;
  }
}

// The part of `s` from `i` on; empty when i is past the end.
inline std::string_view tailFrom(std::string_view s, std::size_t i) {
  return i >= s.size() ? std::string_view{} : s.substr(i);
}

// Prints a leaf value for Dump: with operator<< when the type has one,
// otherwise as "{}" (what Go prints for a struct with no fields).
template <typename T>
void dumpValue(std::ostream& w, const T& v) {
  if constexpr (requires(std::ostream& o, const T& x) { o << x; }) {
    w << v;
  } else {
    w << "{}";
  }
}

}  // namespace detail

template <typename T>
class SubjectTree {
 public:
  SubjectTree() = default;
  SubjectTree(const SubjectTree&) = delete;
  SubjectTree& operator=(const SubjectTree&) = delete;
  SubjectTree(SubjectTree&&) noexcept = default;
  SubjectTree& operator=(SubjectTree&&) noexcept = default;
  ~SubjectTree() = default;

  // Number of stored subjects.
  std::size_t Size() const;

  // Removes everything; returns this tree.
  SubjectTree& Empty();

  // Stores `value` under `subject`. Returns {old value, true} when the
  // subject was already present (the value is replaced), else {nullopt,
  // false}; also {nullopt, false} without storing when the subject holds
  // byte 127.
  std::pair<std::optional<T>, bool> Insert(std::string_view subject, T value);

  // The stored value for a literal subject: {pointer into the tree, true},
  // or {nullptr, false}. The pointer is valid until the tree changes.
  std::pair<T*, bool> Find(std::string_view subject);
  std::pair<const T*, bool> Find(std::string_view subject) const;

  // Removes `subject`: {its value, true}, or {nullopt, false} if absent.
  std::pair<std::optional<T>, bool> Delete(std::string_view subject);

  // Calls cb(std::string_view subject, T* value) for every subject matching
  // `filter` (which may hold "*" and a terminal ">").
  template <typename F>
  void Match(std::string_view filter, F&& cb);

  // Like Match, but cb returns bool and false stops the walk. Returns true
  // if the walk ran to completion.
  template <typename F>
  bool MatchUntil(std::string_view filter, F&& cb);

  // Walks all entries in byte-wise lexicographic subject order; cb returns
  // false to stop.
  template <typename F>
  void IterOrdered(F&& cb);

  // Walks all entries in storage order (no ordering guarantee); cb returns
  // false to stop.
  template <typename F>
  void IterFast(F&& cb);

  // Prints the tree shape, one node per line, for debugging.
  void Dump(std::ostream& w) const;
  std::string Dump() const;

  // The root node (nullptr when empty), for intersections and inspection.
  Node* root() { return root_.get(); }
  const Node* root() const { return root_.get(); }

 private:
  friend struct SubjectTreeTestAccess;

  std::pair<std::optional<T>, bool> insert(std::unique_ptr<Node>* np, std::string_view subject,
                                           T value, std::size_t si);
  std::pair<std::optional<T>, bool> del(std::unique_ptr<Node>* np, std::string_view subject,
                                        std::size_t si);
  // `pre` is a scratch buffer shared down the recursion; each call owns the
  // bytes from `plen` on and leaves the first `plen` untouched.
  template <typename F>
  bool match(Node* n, Parts parts, std::string& pre, std::size_t plen, F& cb);
  template <typename F>
  bool iter(Node* n, std::string& pre, std::size_t plen, bool ordered, F& cb);
  void dump(std::ostream& w, Node* n, int depth) const;

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
};

// go: server/stree/stree.go:NewSubjectTree
template <typename T>
std::unique_ptr<SubjectTree<T>> NewSubjectTree() {
  return std::make_unique<SubjectTree<T>>();
}

// go: server/stree/stree.go:(*SubjectTree).Size
template <typename T>
std::size_t SubjectTree<T>::Size() const {
  return size_;
}

// go: server/stree/stree.go:(*SubjectTree).Empty
template <typename T>
SubjectTree<T>& SubjectTree<T>::Empty() {
  root_.reset();
  size_ = 0;
  return *this;
}

// go: server/stree/stree.go:(*SubjectTree).Insert
template <typename T>
std::pair<std::optional<T>, bool> SubjectTree<T>::Insert(std::string_view subject, T value) {
  // Byte 127 is the tree's own end-of-subject key; such a subject could not
  // be told apart from a shorter one.
  if (subject.find(static_cast<char>(kNoPivot)) != std::string_view::npos) {
    return {std::nullopt, false};
  }
  auto res = insert(&root_, subject, std::move(value), 0);
  if (!res.second) ++size_;
  return res;
}

// go: server/stree/stree.go:(*SubjectTree).Find
template <typename T>
std::pair<T*, bool> SubjectTree<T>::Find(std::string_view subject) {
  std::size_t si = 0;
  for (Node* n = root_.get(); n != nullptr;) {
    if (n->isLeaf()) {
      auto* ln = static_cast<Leaf<T>*>(n);
      if (ln->match(detail::tailFrom(subject, si))) return {&ln->value, true};
      return {nullptr, false};
    }
    if (const Meta* bn = n->base(); !bn->prefix.empty()) {
      const std::size_t end = std::min(si + bn->prefix.size(), subject.size());
      if (subject.substr(si, end - si) != bn->prefix) return {nullptr, false};
      si += bn->prefix.size();
    }
    std::unique_ptr<Node>* an = n->findChild(pivot(subject, si));
    if (an == nullptr) return {nullptr, false};
    n = an->get();
  }
  return {nullptr, false};
}

template <typename T>
std::pair<const T*, bool> SubjectTree<T>::Find(std::string_view subject) const {
  // Find does not modify the tree; the non-const version only hands out a
  // mutable pointer.
  auto [v, found] = const_cast<SubjectTree*>(this)->Find(subject);
  return {v, found};
}

// go: server/stree/stree.go:(*SubjectTree).Delete
template <typename T>
std::pair<std::optional<T>, bool> SubjectTree<T>::Delete(std::string_view subject) {
  auto res = del(&root_, subject, 0);
  if (res.second) --size_;
  return res;
}

// go: server/stree/stree.go:(*SubjectTree).Match
template <typename T>
template <typename F>
void SubjectTree<T>::Match(std::string_view filter, F&& cb) {
  if (root_ == nullptr || filter.empty() || detail::isNilCallback(cb)) return;
  std::vector<std::string_view> raw;
  raw.reserve(16);
  genParts(filter, raw);
  std::string pre;
  pre.reserve(256);
  auto all = [&cb](std::string_view subject, T* val) {
    cb(subject, val);
    return true;
  };
  match(root_.get(), Parts(raw), pre, 0, all);
}

// go: server/stree/stree.go:(*SubjectTree).MatchUntil
template <typename T>
template <typename F>
bool SubjectTree<T>::MatchUntil(std::string_view filter, F&& cb) {
  if (root_ == nullptr || filter.empty() || detail::isNilCallback(cb)) return true;
  std::vector<std::string_view> raw;
  raw.reserve(16);
  genParts(filter, raw);
  std::string pre;
  pre.reserve(256);
  return match(root_.get(), Parts(raw), pre, 0, cb);
}

// go: server/stree/stree.go:(*SubjectTree).IterOrdered
template <typename T>
template <typename F>
void SubjectTree<T>::IterOrdered(F&& cb) {
  if (root_ == nullptr) return;
  std::string pre;
  pre.reserve(256);
  iter(root_.get(), pre, 0, true, cb);
}

// go: server/stree/stree.go:(*SubjectTree).IterFast
template <typename T>
template <typename F>
void SubjectTree<T>::IterFast(F&& cb) {
  if (root_ == nullptr) return;
  std::string pre;
  pre.reserve(256);
  iter(root_.get(), pre, 0, false, cb);
}

// go: server/stree/stree.go:(*SubjectTree).insert
template <typename T>
std::pair<std::optional<T>, bool> SubjectTree<T>::insert(std::unique_ptr<Node>* np,
                                                         std::string_view subject, T value,
                                                         std::size_t si) {
  Node* n = np->get();
  if (n == nullptr) {
    *np = newLeaf(subject, std::move(value));
    return {std::nullopt, false};
  }
  if (n->isLeaf()) {
    auto* ln = static_cast<Leaf<T>*>(n);
    const std::string_view rest = detail::tailFrom(subject, si);
    if (ln->match(rest)) {
      std::optional<T> old(std::move(ln->value));
      ln->value = std::move(value);
      return {std::move(old), true};
    }
    // Split the leaf: a node4 takes the common part, the leaf keeps the rest.
    const std::size_t cpi = commonPrefixLen(ln->suffix, rest);
    auto nn = newNode4(rest.substr(0, cpi));
    ln->setSuffix(std::string_view(ln->suffix).substr(cpi));
    si += cpi;
    // The two pivots differ unless prefixes overflowed; then split again below.
    if (const std::uint8_t p = pivot(ln->suffix, 0);
        cpi > 0 && si < subject.size() && p == static_cast<std::uint8_t>(subject[si])) {
      insert(np, subject, std::move(value), si);
      nn->addChild(p, std::move(*np));
    } else {
      auto nl = newLeaf(detail::tailFrom(subject, si), std::move(value));
      const std::uint8_t nlp = pivot(nl->suffix, 0);
      nn->addChild(nlp, std::move(nl));
      const std::uint8_t lnp = pivot(ln->suffix, 0);
      nn->addChild(lnp, std::move(*np));
    }
    *np = std::move(nn);
    return {std::nullopt, false};
  }

  Meta* bn = n->base();
  if (!bn->prefix.empty()) {
    const std::size_t cpi = commonPrefixLen(bn->prefix, detail::tailFrom(subject, si));
    if (const std::size_t pli = bn->prefix.size(); cpi >= pli) {
      // The whole prefix matched: descend, or add a leaf here.
      si += pli;
      if (std::unique_ptr<Node>* nn = n->findChild(pivot(subject, si)); nn != nullptr) {
        return insert(nn, subject, std::move(value), si);
      }
      if (n->isFull()) {
        *np = n->grow();
        n = np->get();
      }
      n->addChild(pivot(subject, si), newLeaf(detail::tailFrom(subject, si), std::move(value)));
      return {std::nullopt, false};
    } else {
      // Only part of the prefix matched: a new node4 takes the shared part
      // and this node, with its prefix shortened, goes below it.
      const std::string_view prefix = subject.substr(si, cpi);
      si += prefix.size();
      auto nn = newNode4(prefix);
      n->setPrefix(std::string_view(bn->prefix).substr(cpi));
      const std::uint8_t np0 = pivot(bn->prefix, 0);
      nn->addChild(np0, std::move(*np));
      const std::string_view rest = detail::tailFrom(subject, si);
      nn->addChild(pivot(rest, 0), newLeaf(rest, std::move(value)));
      *np = std::move(nn);
    }
  } else {
    if (std::unique_ptr<Node>* nn = n->findChild(pivot(subject, si)); nn != nullptr) {
      return insert(nn, subject, std::move(value), si);
    }
    if (n->isFull()) {
      *np = n->grow();
      n = np->get();
    }
    n->addChild(pivot(subject, si), newLeaf(detail::tailFrom(subject, si), std::move(value)));
  }
  return {std::nullopt, false};
}

// go: server/stree/stree.go:(*SubjectTree).delete
template <typename T>
std::pair<std::optional<T>, bool> SubjectTree<T>::del(std::unique_ptr<Node>* np,
                                                      std::string_view subject, std::size_t si) {
  if (np == nullptr || *np == nullptr || subject.empty()) return {std::nullopt, false};
  Node* n = np->get();
  if (n->isLeaf()) {
    auto* ln = static_cast<Leaf<T>*>(n);
    if (ln->match(detail::tailFrom(subject, si))) {
      std::optional<T> val(std::move(ln->value));
      np->reset();
      return {std::move(val), true};
    }
    return {std::nullopt, false};
  }
  if (const Meta* bn = n->base(); !bn->prefix.empty()) {
    // The subject may be shorter than this node's prefix.
    if (subject.size() < si + bn->prefix.size()) return {std::nullopt, false};
    if (subject.substr(si, bn->prefix.size()) != bn->prefix) return {std::nullopt, false};
    si += bn->prefix.size();
  }
  const std::uint8_t p = pivot(subject, si);
  std::unique_ptr<Node>* nna = n->findChild(p);
  if (nna == nullptr) return {std::nullopt, false};
  Node* nn = nna->get();
  if (nn->isLeaf()) {
    auto* ln = static_cast<Leaf<T>*>(nn);
    if (!ln->match(detail::tailFrom(subject, si))) return {std::nullopt, false};
    // Take the value before deleteChild destroys the leaf.
    std::optional<T> val(std::move(ln->value));
    n->deleteChild(p);
    if (std::unique_ptr<Node> sn = n->shrink(); sn != nullptr) {
      // The replacement takes this node's place, so it inherits its prefix.
      const std::string& pre = n->base()->prefix;
      if (sn->isLeaf()) {
        auto* sl = static_cast<Leaf<T>*>(sn.get());
        sl->suffix = pre + sl->suffix;
      } else if (!pre.empty()) {
        Meta* bsn = sn->base();
        bsn->prefix = pre + bsn->prefix;
      }
      *np = std::move(sn);
    }
    return {std::move(val), true};
  }
  return del(nna, subject, si);
}

// go: server/stree/stree.go:(*SubjectTree).match
template <typename T>
template <typename F>
bool SubjectTree<T>::match(Node* n, Parts parts, std::string& pre, std::size_t plen, F& cb) {
  // Whether the filter ends in a full wildcard.
  bool hasFWC = false;
  if (const std::size_t lp = parts.size(); lp > 0 && !parts[lp - 1].empty() && parts[lp - 1][0] == kFwc) {
    hasFWC = true;
  }

  while (n != nullptr) {
    auto [nparts, matched] = n->matchParts(parts);
    if (!matched) return true;
    if (n->isLeaf()) {
      // A leaf matches when all parts are used, or only the trailing ">" is left.
      if (nparts.empty() || (hasFWC && nparts.size() == 1)) {
        auto* ln = static_cast<Leaf<T>*>(n);
        pre.resize(plen);
        pre.append(ln->suffix);
        if (!cb(std::string_view(pre), &ln->value)) return false;
      }
      return true;
    }
    if (const Meta* bn = n->base(); !bn->prefix.empty()) {
      pre.resize(plen);
      pre.append(bn->prefix);
      plen = pre.size();
    }

    if (nparts.empty() && !hasFWC) {
      // The filter is used up at this node. Children that match now are a
      // leaf with no suffix, or, for a terminal "*", leaves whose suffix
      // finishes the token and inner nodes that may still finish it.
      bool hasTermPWC = false;
      if (const std::size_t lp = parts.size(); lp > 0 && parts[lp - 1].size() == 1 && parts[lp - 1][0] == kPwc) {
        nparts = parts.from(lp - 1);
        hasTermPWC = true;
      }
      for (std::unique_ptr<Node>& cnp : n->children()) {
        Node* cn = cnp.get();
        if (cn == nullptr) continue;
        if (cn->isLeaf()) {
          auto* ln = static_cast<Leaf<T>*>(cn);
          if (ln->suffix.empty() || (hasTermPWC && ln->suffix.find(kTsep) == std::string::npos)) {
            pre.resize(plen);
            pre.append(ln->suffix);
            if (!cb(std::string_view(pre), &ln->value)) return false;
          }
        } else if (hasTermPWC) {
          if (!match(cn, nparts, pre, plen, cb)) return false;
        }
      }
      return true;
    }
    // A trailing ">" keeps applying below this node.
    if (hasFWC && nparts.empty()) nparts = parts.from(parts.size() - 1);

    const std::string_view fp = nparts[0];
    const std::uint8_t p = pivot(fp, 0);
    if (fp.size() == 1 && (p == kPwc || p == kFwc)) {
      // A wildcard part: any child may continue the match.
      for (std::unique_ptr<Node>& cnp : n->children()) {
        if (Node* cn = cnp.get(); cn != nullptr) {
          if (!match(cn, nparts, pre, plen, cb)) return false;
        }
      }
      return true;
    }
    // A literal part: follow the one child keyed by its first byte.
    std::unique_ptr<Node>* nn = n->findChild(p);
    if (nn == nullptr) return true;
    n = nn->get();
    parts = nparts;
  }
  return true;
}

// go: server/stree/stree.go:(*SubjectTree).iter
template <typename T>
template <typename F>
bool SubjectTree<T>::iter(Node* n, std::string& pre, std::size_t plen, bool ordered, F& cb) {
  if (n->isLeaf()) {
    auto* ln = static_cast<Leaf<T>*>(n);
    pre.resize(plen);
    pre.append(ln->suffix);
    return cb(std::string_view(pre), &ln->value);
  }
  pre.resize(plen);
  pre.append(n->base()->prefix);
  plen = pre.size();
  if (!ordered) {
    for (std::unique_ptr<Node>& cnp : n->children()) {
      if (cnp == nullptr) continue;
      if (!iter(cnp.get(), pre, plen, false, cb)) return false;
    }
    return true;
  }
  // Children are stored by arrival (or key), so sort them by path; paths
  // start with distinct bytes except the empty suffix, which sorts first.
  std::array<Node*, 256> nodes;
  std::size_t count = 0;
  for (std::unique_ptr<Node>& cnp : n->children()) {
    if (cnp != nullptr) nodes[count++] = cnp.get();
  }
  std::stable_sort(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(count),
                   [](const Node* a, const Node* b) { return a->path() < b->path(); });
  for (std::size_t i = 0; i < count; ++i) {
    if (!iter(nodes[i], pre, plen, true, cb)) return false;
  }
  return true;
}

// go: server/stree/dump.go:(*SubjectTree).Dump
template <typename T>
void SubjectTree<T>::Dump(std::ostream& w) const {
  dump(w, root_.get(), 0);
  w << '\n';
}

template <typename T>
std::string SubjectTree<T>::Dump() const {
  std::ostringstream os;
  Dump(os);
  return os.str();
}

// go: server/stree/dump.go:(*SubjectTree).dump
template <typename T>
void SubjectTree<T>::dump(std::ostream& w, Node* n, int depth) const {
  if (n == nullptr) {
    w << "EMPTY\n";
    return;
  }
  if (n->isLeaf()) {
    const auto* leaf = static_cast<const Leaf<T>*>(n);
    w << dumpPre(depth) << " LEAF: Suffix: " << quoteForDump(leaf->suffix) << " Value: ";
    detail::dumpValue(w, leaf->value);
    w << '\n';
    return;
  }
  const Meta* bn = n->base();
  w << dumpPre(depth) << ' ' << n->kind() << " Prefix: " << quoteForDump(bn->prefix) << '\n';
  ++depth;
  n->iter([&](Node* c) {
    dump(w, c, depth);
    return true;
  });
}

// Calls cb(subject, TL*, TR*) for every subject present in both trees,
// walking the smaller one and looking each subject up in the other.
// go: server/stree/stree.go:LazyIntersect
template <typename TL, typename TR, typename F>
void LazyIntersect(SubjectTree<TL>* tl, SubjectTree<TR>* tr, F&& cb) {
  if (tl == nullptr || tr == nullptr || tl->root() == nullptr || tr->root() == nullptr) return;
  if (tl->Size() <= tr->Size()) {
    tl->IterFast([&](std::string_view key, TL* v1) {
      if (auto [v2, ok] = tr->Find(key); ok) cb(key, v1, v2);
      return true;
    });
  } else {
    tr->IterFast([&](std::string_view key, TR* v2) {
      if (auto [v1, ok] = tl->Find(key); ok) cb(key, v1, v2);
      return true;
    });
  }
}

// Whether `sl` has interest in something starting with each whole-token
// prefix of subj that ends at a separator at or after `since` (the tree's
// paths can end mid-token, so only completed tokens are checked).
// go: server/stree/stree.go:hasInterestForTokens
template <typename SL>
bool hasInterestForTokens(const gsl::GenericSublist<SL>& sl, std::string_view subj, std::size_t since) {
  for (std::size_t i = since; i < subj.size(); ++i) {
    if (subj[i] == kTsep) {
      if (!sl.HasInterestStartingIn(subj.substr(0, i))) return false;
    }
  }
  return true;
}

// go: server/stree/stree.go:_intersectGSL
template <typename T, typename SL, typename F>
bool intersectGSLNode(Node* n, std::string& pre, std::size_t plen, const gsl::GenericSublist<SL>& sl,
                      F& cb) {
  if (n->isLeaf()) {
    auto* ln = static_cast<Leaf<T>*>(n);
    pre.resize(plen);
    pre.append(ln->suffix);
    if (sl.HasInterest(pre)) return cb(std::string_view(pre), &ln->value);
    return true;
  }
  pre.resize(plen);
  pre.append(n->base()->prefix);
  plen = pre.size();
  for (std::unique_ptr<Node>& cnp : n->children()) {
    Node* cn = cnp.get();
    if (cn == nullptr) continue;
    // Prune subtrees whose completed tokens nobody is interested in.
    pre.resize(plen);
    pre.append(cn->path());
    if (!hasInterestForTokens(sl, pre, plen)) continue;
    if (!intersectGSLNode<T>(cn, pre, plen, sl, cb)) return false;
  }
  return true;
}

// Calls cb(subject, T*) once for every subject in `t` that some entry of
// `sl` matches; cb returns false to stop.
// go: server/stree/stree.go:IntersectGSL
template <typename T, typename SL, typename F>
void IntersectGSL(SubjectTree<T>* t, const gsl::GenericSublist<SL>* sl, F&& cb) {
  if (t == nullptr || t->root() == nullptr || sl == nullptr) return;
  std::string pre;
  pre.reserve(256);
  intersectGSLNode<T>(t->root(), pre, 0, *sl, cb);
}

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_STREE_H_
