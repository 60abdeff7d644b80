// GenericSublist: an index of interest in subjects, where the registered
// subjects may hold wildcards ("*" for one token, ">" for the rest) and the
// lookups are literal subjects. The store uses it for multi-filter consumers
// (a SimpleSublist of filters) and the subject tree intersects with it.
//
// Layout: a trie of levels, one level per token position. A level maps a
// literal token to a node and keeps the "*" and ">" nodes aside, so a match
// only has to follow at most three branches per token. A node holds the
// values registered for the subject that ends there (value -> subject) and
// the next level. Insert gives every node on the path a next level, and
// Remove prunes the nodes (and their levels) that became empty.
#ifndef NATSCPP_STORE_GSL_GSL_H_
#define NATSCPP_STORE_GSL_GSL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "natscpp/store/error.h"
#include "subject/subject.h"

namespace natscpp::store::gsl {

inline constexpr char kPwc = subject::kPwc;
inline constexpr char kFwc = subject::kFwc;
inline constexpr char kBtsep = subject::kBtsep;

// Appends the tokens of `subject` to `tts`, keeping empty tokens. Call it
// qualified: ADL on TokenVec also finds the subject:: overload.
void TokenizeSubjectIntoSlice(subject::TokenVec& tts, std::string_view subject);

namespace detail {

// Lets the token map be probed with a string_view without building a string.
struct TokenHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Splits a literal subject for a lookup. Returns false when the subject is
// empty or has an empty token: such a subject can match nothing.
inline bool TokenizeForMatch(std::string_view subj, subject::TokenVec& tokens) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < subj.size(); ++i) {
    if (subj[i] == kBtsep) {
      if (i == start) return false;
      tokens.push_back(subj.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start >= subj.size()) return false;
  tokens.push_back(subj.substr(start));
  return true;
}

}  // namespace detail

// Thread safety: every public method is safe to call concurrently. Like the
// Go type (which embeds a sync.RWMutex) the sublist guards itself with a
// reader/writer lock: Insert and Remove take it exclusively, every lookup
// takes it shared. Match callbacks run with the shared lock held, so they
// must not call back into the same sublist (std::shared_mutex is not
// reentrant; a nested call can deadlock).
//
// T is the value type (Go's `comparable`): it needs == and std::hash<T>.
// A value is registered at most once per subject; inserting the same
// (subject, value) twice counts twice in Count() but is stored once, as in Go.
template <typename T>
class GenericSublist {
 public:
  GenericSublist() : root_(NewLevel()) {}
  ~GenericSublist() { DestroyIteratively(std::move(root_)); }
  GenericSublist(const GenericSublist&) = delete;
  GenericSublist& operator=(const GenericSublist&) = delete;

  // Registers `value` for `subject`, which may hold wildcards. kBadSubject if
  // a token is empty or ">" is not the last token.
  Result<void> Insert(std::string_view subject, const T& value);

  // Unregisters `value` from `subject`. kBadSubject as for Insert,
  // kNotFound if the value was not registered for exactly that subject.
  Result<void> Remove(std::string_view subject, const T& value);

  // Calls cb(const T&) once per value whose subject matches the literal
  // `subject`. Invalid subjects (empty, empty tokens) match nothing.
  template <typename F>
  void Match(std::string_view subject, F&& cb) const;

  // Match for a subject held as bytes.
  template <typename F>
  void MatchBytes(std::span<const std::uint8_t> subject, F&& cb) const;

  // Whether any value matches the literal `subject`; cheaper than Match.
  bool HasInterest(std::string_view subject) const;

  // How many values match the literal `subject` (see the note at
  // matchLevelForAny below on what is counted).
  int NumInterest(std::string_view subject) const;

  // Whether a top-level ">" is registered (everything matches).
  bool MatchesFullWildcard() const;

  // The registered subject when the sublist holds exactly one unique
  // subject: {subject, true}; otherwise {"", false}.
  std::pair<std::string, bool> MatchesSingleFilter() const;

  // Whether some registered subject could match a subject that starts with
  // the tokens of `subj` (a prefix of a literal subject). Used by the
  // subject tree to skip whole subtrees during an intersection.
  bool HasInterestStartingIn(std::string_view subj) const;

  // Number of registered (subject, value) insertions.
  std::uint32_t Count() const;

  // Depth of the deepest path in the trie; a diagnostic for pruning tests.
  int NumLevels() const;

 private:
  struct Level;
  struct Node {
    std::unique_ptr<Level> next;
    std::unordered_map<T, std::string> subs;  // value -> subject
  };
  struct Level {
    std::unordered_map<std::string, std::unique_ptr<Node>, detail::TokenHash, std::equal_to<>> nodes;
    std::unique_ptr<Node> pwc;
    std::unique_ptr<Node> fwc;

    void PruneNode(const Node* n, std::string_view t);
    int NumNodes() const;
  };
  // The path walked by a removal, deepest last, so empty nodes can be
  // pruned bottom-up.
  struct Lnt {
    Level* l;
    Node* n;
    std::string_view t;
  };

  static std::unique_ptr<Node> NewNode();
  static std::unique_ptr<Level> NewLevel();
  static bool IsEmpty(const Node& n);
  static std::pair<std::string, bool> SingleFilter(const Level* l, std::string filter);
  template <typename F>
  static void CallbacksForResults(const Node& n, F& cb);
  template <typename F>
  static void MatchLevel(const Level* l, std::span<const std::string_view> toks, F& cb);
  static bool MatchLevelForAny(const Level* l, std::span<const std::string_view> toks, int* np);
  static bool HasInterestStartingInLevel(const Level* l, std::span<const std::string_view> tokens);
  static int VisitLevel(const Level* l, int depth);
  static void DestroyIteratively(std::unique_ptr<Level> root);

  template <typename F>
  void MatchImpl(std::string_view subject, F& cb, bool do_lock) const;
  bool HasInterestImpl(std::string_view subject, bool do_lock, int* np) const;
  Result<void> RemoveImpl(std::string_view subject, const T& value, bool should_lock);
  bool RemoveFromNode(Node* n, const T& value);

  mutable std::shared_mutex mu_;
  std::unique_ptr<Level> root_;
  std::uint32_t count_ = 0;
};

// Go's SimpleSublist: interest only, no per-entry payload.
using SimpleSublist = GenericSublist<std::monostate>;

// go: server/gsl/gsl.go:NewSublist
template <typename T>
std::unique_ptr<GenericSublist<T>> NewSublist() {
  return std::make_unique<GenericSublist<T>>();
}

// go: server/gsl/gsl.go:NewSimpleSublist
inline std::unique_ptr<SimpleSublist> NewSimpleSublist() { return std::make_unique<SimpleSublist>(); }

// Go allows MatchesFullWildcard and MatchesSingleFilter on a nil sublist;
// these overloads keep that for callers holding an optional sublist.
template <typename T>
bool MatchesFullWildcard(const GenericSublist<T>* s) {
  return s != nullptr && s->MatchesFullWildcard();
}
template <typename T>
std::pair<std::string, bool> MatchesSingleFilter(const GenericSublist<T>* s) {
  if (s == nullptr) return {std::string(), false};
  return s->MatchesSingleFilter();
}

// ---------------------------------------------------------------------------
// Implementation.

// go: server/gsl/gsl.go:newNode
template <typename T>
std::unique_ptr<typename GenericSublist<T>::Node> GenericSublist<T>::NewNode() {
  return std::make_unique<Node>();
}

// go: server/gsl/gsl.go:newLevel
template <typename T>
std::unique_ptr<typename GenericSublist<T>::Level> GenericSublist<T>::NewLevel() {
  return std::make_unique<Level>();
}

// go: server/gsl/gsl.go:(*GenericSublist).Insert
template <typename T>
Result<void> GenericSublist<T>::Insert(std::string_view subject, const T& value) {
  std::unique_lock lock(mu_);
  bool sfwc = false;
  Node* n = nullptr;
  Level* l = root_.get();
  // Nodes created before a bad token is found stay in the trie (empty), as
  // in Go; lookups and removals see the same shape Go's would.
  std::size_t start = 0;
  while (true) {
    std::size_t end = subject.find(kBtsep, start);
    std::string_view t = subject.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (t.empty() || sfwc) return MakeError(ErrorCode::kBadSubject, "gsl: invalid subject");

    std::unique_ptr<Node>* slot = nullptr;
    if (t.size() == 1 && t[0] == kPwc) {
      slot = &l->pwc;
    } else if (t.size() == 1 && t[0] == kFwc) {
      slot = &l->fwc;
      sfwc = true;
    } else {
      auto it = l->nodes.find(t);
      if (it == l->nodes.end()) it = l->nodes.emplace(std::string(t), nullptr).first;
      slot = &it->second;
    }
    if (!*slot) *slot = NewNode();
    n = slot->get();
    if (!n->next) n->next = NewLevel();
    l = n->next.get();

    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  n->subs.insert_or_assign(value, std::string(subject));
  ++count_;
  return {};
}

// go: server/gsl/gsl.go:(*GenericSublist).Match
template <typename T>
template <typename F>
void GenericSublist<T>::Match(std::string_view subject, F&& cb) const {
  MatchImpl(subject, cb, true);
}

// go: server/gsl/gsl.go:(*GenericSublist).MatchBytes
template <typename T>
template <typename F>
void GenericSublist<T>::MatchBytes(std::span<const std::uint8_t> subject, F&& cb) const {
  MatchImpl(std::string_view(reinterpret_cast<const char*>(subject.data()), subject.size()), cb, true);
}

// go: server/gsl/gsl.go:(*GenericSublist).HasInterest
template <typename T>
bool GenericSublist<T>::HasInterest(std::string_view subject) const {
  return HasInterestImpl(subject, true, nullptr);
}

// go: server/gsl/gsl.go:(*GenericSublist).NumInterest
template <typename T>
int GenericSublist<T>::NumInterest(std::string_view subject) const {
  int np = 0;
  HasInterestImpl(subject, true, &np);
  return np;
}

// go: server/gsl/gsl.go:(*GenericSublist).MatchesFullWildcard
template <typename T>
bool GenericSublist<T>::MatchesFullWildcard() const {
  std::shared_lock lock(mu_);
  return root_->fwc != nullptr;
}

// go: server/gsl/gsl.go:(*GenericSublist).MatchesSingleFilter
template <typename T>
std::pair<std::string, bool> GenericSublist<T>::MatchesSingleFilter() const {
  std::shared_lock lock(mu_);
  return SingleFilter(root_.get(), std::string());
}

// Walks down while each level has exactly one branch; the first node with
// values fixes the filter, and it only counts if nothing hangs below it.
// A loop rather than Go's tail call, so deep tries cannot exhaust the stack.
// go: server/gsl/gsl.go:singleFilter
template <typename T>
std::pair<std::string, bool> GenericSublist<T>::SingleFilter(const Level* l, std::string filter) {
  while (true) {
    if (l == nullptr) {
      bool ok = !filter.empty();
      return {std::move(filter), ok};
    }
    if (l->nodes.size() > 1) return {std::string(), false};
    const Node* next = nullptr;
    int branches = 0;
    if (l->pwc) {
      next = l->pwc.get();
      ++branches;
    }
    if (l->fwc) {
      next = l->fwc.get();
      ++branches;
    }
    for (const auto& kv : l->nodes) {
      next = kv.second.get();
      ++branches;
    }
    if (branches != 1) return {std::string(), false};
    // All values of one node share its subject, so any one will do.
    if (!next->subs.empty()) filter = next->subs.begin()->second;
    if (!next->next) {
      bool ok = !filter.empty();
      return {std::move(filter), ok};
    }
    if (!filter.empty()) {
      if (next->next->NumNodes() > 0) return {std::string(), false};
      return {std::move(filter), true};
    }
    l = next->next.get();
  }
}

// go: server/gsl/gsl.go:(*GenericSublist).match
template <typename T>
template <typename F>
void GenericSublist<T>::MatchImpl(std::string_view subject, F& cb, bool do_lock) const {
  subject::TokenVec tokens;
  if (!detail::TokenizeForMatch(subject, tokens)) return;
  std::shared_lock lock(mu_, std::defer_lock);
  if (do_lock) lock.lock();
  MatchLevel(root_.get(), tokens.span(), cb);
}

// go: server/gsl/gsl.go:(*GenericSublist).hasInterest
template <typename T>
bool GenericSublist<T>::HasInterestImpl(std::string_view subject, bool do_lock, int* np) const {
  subject::TokenVec tokens;
  if (!detail::TokenizeForMatch(subject, tokens)) return false;
  std::shared_lock lock(mu_, std::defer_lock);
  if (do_lock) lock.lock();
  return MatchLevelForAny(root_.get(), tokens.span(), np);
}

// Stops at the first match unless counting (np != nullptr). Like Go, a ">"
// reached on the way ends the walk: when counting, values registered under
// more specific subjects below that point are not added.
// go: server/gsl/gsl.go:matchLevelForAny
template <typename T>
bool GenericSublist<T>::MatchLevelForAny(const Level* l, std::span<const std::string_view> toks, int* np) {
  const Node* pwc = nullptr;
  const Node* n = nullptr;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (l == nullptr) return false;
    if (l->fwc) {
      if (np != nullptr) *np += static_cast<int>(l->fwc->subs.size());
      return true;
    }
    pwc = l->pwc.get();
    if (pwc != nullptr) {
      if (MatchLevelForAny(pwc->next.get(), toks.subspan(i + 1), np)) return true;
    }
    auto it = l->nodes.find(toks[i]);
    n = it != l->nodes.end() ? it->second.get() : nullptr;
    l = n != nullptr ? n->next.get() : nullptr;
  }
  if (n != nullptr) {
    if (np != nullptr) *np += static_cast<int>(n->subs.size());
    if (!n->subs.empty()) return true;
  }
  if (pwc != nullptr) {
    if (np != nullptr) *np += static_cast<int>(pwc->subs.size());
    return !pwc->subs.empty();
  }
  return false;
}

// go: server/gsl/gsl.go:callbacksForResults
template <typename T>
template <typename F>
void GenericSublist<T>::CallbacksForResults(const Node& n, F& cb) {
  for (const auto& kv : n.subs) cb(kv.first);
}

// go: server/gsl/gsl.go:matchLevel
template <typename T>
template <typename F>
void GenericSublist<T>::MatchLevel(const Level* l, std::span<const std::string_view> toks, F& cb) {
  const Node* pwc = nullptr;
  const Node* n = nullptr;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (l == nullptr) return;
    if (l->fwc) CallbacksForResults(*l->fwc, cb);
    pwc = l->pwc.get();
    if (pwc != nullptr) MatchLevel(pwc->next.get(), toks.subspan(i + 1), cb);
    auto it = l->nodes.find(toks[i]);
    n = it != l->nodes.end() ? it->second.get() : nullptr;
    l = n != nullptr ? n->next.get() : nullptr;
  }
  if (n != nullptr) CallbacksForResults(*n, cb);
  if (pwc != nullptr) CallbacksForResults(*pwc, cb);
}

// go: server/gsl/gsl.go:(*GenericSublist).remove
template <typename T>
Result<void> GenericSublist<T>::RemoveImpl(std::string_view subject, const T& value, bool should_lock) {
  std::unique_lock lock(mu_, std::defer_lock);
  if (should_lock) lock.lock();

  bool sfwc = false;
  Node* n = nullptr;
  Level* l = root_.get();
  std::vector<Lnt> levels;
  levels.reserve(32);

  std::size_t start = 0;
  while (true) {
    std::size_t end = subject.find(kBtsep, start);
    std::string_view t = subject.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    // The token checks come before the missing-level check on purpose: a
    // malformed subject is reported as such even when its prefix is absent.
    if (t.empty() || sfwc) return MakeError(ErrorCode::kBadSubject, "gsl: invalid subject");
    if (l == nullptr) return MakeError(ErrorCode::kNotFound, "gsl: no matches found");
    if (t.size() == 1 && t[0] == kPwc) {
      n = l->pwc.get();
    } else if (t.size() == 1 && t[0] == kFwc) {
      n = l->fwc.get();
      sfwc = true;
    } else {
      auto it = l->nodes.find(t);
      n = it != l->nodes.end() ? it->second.get() : nullptr;
    }
    if (n != nullptr) {
      levels.push_back(Lnt{l, n, t});
      l = n->next.get();
    } else {
      l = nullptr;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }

  if (!RemoveFromNode(n, value)) return MakeError(ErrorCode::kNotFound, "gsl: no matches found");
  --count_;

  // Bottom-up, so a parent is judged after its emptied children are gone.
  // Pruning a node frees its subtree, which only holds entries already
  // visited.
  for (std::size_t i = levels.size(); i-- > 0;) {
    if (IsEmpty(*levels[i].n)) levels[i].l->PruneNode(levels[i].n, levels[i].t);
  }
  return {};
}

// go: server/gsl/gsl.go:(*GenericSublist).Remove
template <typename T>
Result<void> GenericSublist<T>::Remove(std::string_view subject, const T& value) {
  return RemoveImpl(subject, value, true);
}

// go: server/gsl/gsl.go:(*GenericSublist).HasInterestStartingIn
template <typename T>
bool GenericSublist<T>::HasInterestStartingIn(std::string_view subj) const {
  std::shared_lock lock(mu_);
  subject::TokenVec tokens;
  gsl::TokenizeSubjectIntoSlice(tokens, subj);
  return HasInterestStartingInLevel(root_.get(), tokens.span());
}

// Recurses only into "*" branches and walks literal tokens in a loop, so the
// stack grows with the wildcards on the path, not with the subject length.
// go: server/gsl/gsl.go:hasInterestStartingIn
template <typename T>
bool GenericSublist<T>::HasInterestStartingInLevel(const Level* l, std::span<const std::string_view> tokens) {
  while (true) {
    if (l == nullptr) return false;
    if (tokens.empty()) return true;
    if (l->fwc) return true;
    if (l->pwc && HasInterestStartingInLevel(l->pwc->next.get(), tokens.subspan(1))) return true;
    auto it = l->nodes.find(tokens[0]);
    if (it == l->nodes.end()) return false;
    l = it->second->next.get();
    tokens = tokens.subspan(1);
  }
}

// go: server/gsl/gsl.go:(*level).pruneNode
template <typename T>
void GenericSublist<T>::Level::PruneNode(const Node* n, std::string_view t) {
  if (n == nullptr) return;
  if (n == fwc.get()) {
    fwc.reset();
  } else if (n == pwc.get()) {
    pwc.reset();
  } else {
    auto it = nodes.find(t);
    if (it != nodes.end()) nodes.erase(it);
  }
}

// go: server/gsl/gsl.go:(*node).isEmpty
template <typename T>
bool GenericSublist<T>::IsEmpty(const Node& n) {
  return n.subs.empty() && (!n.next || n.next->NumNodes() == 0);
}

// go: server/gsl/gsl.go:(*level).numNodes
template <typename T>
int GenericSublist<T>::Level::NumNodes() const {
  int num = static_cast<int>(nodes.size());
  if (pwc) ++num;
  if (fwc) ++num;
  return num;
}

// go: server/gsl/gsl.go:(*GenericSublist).removeFromNode
template <typename T>
bool GenericSublist<T>::RemoveFromNode(Node* n, const T& value) {
  if (n == nullptr) return false;
  return n->subs.erase(value) > 0;
}

// go: server/gsl/gsl.go:(*GenericSublist).Count
template <typename T>
std::uint32_t GenericSublist<T>::Count() const {
  std::shared_lock lock(mu_);
  return count_;
}

// Go reads the trie here without the lock; taking it shared costs nothing
// and keeps a concurrent call race-free.
// go: server/gsl/gsl.go:(*GenericSublist).numLevels
template <typename T>
int GenericSublist<T>::NumLevels() const {
  std::shared_lock lock(mu_);
  return VisitLevel(root_.get(), 0);
}

// go: server/gsl/gsl.go:visitLevel
template <typename T>
int GenericSublist<T>::VisitLevel(const Level* l, int depth) {
  if (l == nullptr || l->NumNodes() == 0) return depth;
  ++depth;
  int max_depth = depth;
  for (const auto& kv : l->nodes) {
    if (!kv.second) continue;
    max_depth = std::max(max_depth, VisitLevel(kv.second->next.get(), depth));
  }
  if (l->pwc) max_depth = std::max(max_depth, VisitLevel(l->pwc->next.get(), depth));
  if (l->fwc) max_depth = std::max(max_depth, VisitLevel(l->fwc->next.get(), depth));
  return max_depth;
}

// The trie is as deep as the longest subject has tokens; freeing it through
// nested unique_ptr destructors would recurse that deep, so it is taken
// apart with an explicit stack instead.
template <typename T>
void GenericSublist<T>::DestroyIteratively(std::unique_ptr<Level> root) {
  std::vector<std::unique_ptr<Level>> stack;
  if (root) stack.push_back(std::move(root));
  while (!stack.empty()) {
    std::unique_ptr<Level> l = std::move(stack.back());
    stack.pop_back();
    for (auto& kv : l->nodes) {
      if (kv.second && kv.second->next) stack.push_back(std::move(kv.second->next));
    }
    if (l->pwc && l->pwc->next) stack.push_back(std::move(l->pwc->next));
    if (l->fwc && l->fwc->next) stack.push_back(std::move(l->fwc->next));
  }
}

}  // namespace natscpp::store::gsl

#endif  // NATSCPP_STORE_GSL_GSL_H_
