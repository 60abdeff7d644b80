// Subject helpers: tokenizing, validity, wildcard and subset checks.
//
// A NATS subject is a '.'-separated list of tokens. A token that is exactly
// "*" matches any single token, one that is exactly ">" matches one or more
// trailing tokens; '*' or '>' inside a longer token is an ordinary character.
// All functions work on bytes (std::string_view) and never allocate unless a
// subject has more tokens than a TokenVec holds inline.
#ifndef NATSCPP_STORE_SUBJECT_SUBJECT_H_
#define NATSCPP_STORE_SUBJECT_SUBJECT_H_

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace natscpp::store::subject {

inline constexpr char kPwc = '*';   // partial wildcard token
inline constexpr char kFwc = '>';   // full wildcard token
inline constexpr char kBtsep = '.'; // token separator
inline constexpr std::string_view kPwcs = "*";
inline constexpr std::string_view kFwcs = ">";
inline constexpr std::string_view kTsep = ".";

// A growable list of token views with 32 slots inline, so tokenizing a
// typical subject does not touch the heap. The views point into the subject
// that was tokenized; the caller keeps that subject alive.
class TokenVec {
 public:
  static constexpr std::size_t kInline = 32;

  TokenVec() = default;
  TokenVec(const TokenVec& other) { *this = other; }
  TokenVec& operator=(const TokenVec& other) {
    if (this != &other) {
      clear();
      for (std::string_view t : other) push_back(t);
    }
    return *this;
  }

  void push_back(std::string_view t) {
    if (size_ < kInline) {
      inline_[size_] = t;
    } else {
      // Spill: the heap copy becomes the storage from here on.
      if (size_ == kInline) heap_.assign(inline_.begin(), inline_.end());
      heap_.push_back(t);
    }
    ++size_;
  }
  void clear() {
    size_ = 0;
    heap_.clear();
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string_view* data() const { return size_ <= kInline ? inline_.data() : heap_.data(); }
  const std::string_view& operator[](std::size_t i) const { return data()[i]; }
  const std::string_view* begin() const { return data(); }
  const std::string_view* end() const { return data() + size_; }
  std::span<const std::string_view> span() const { return {data(), size_}; }
  operator std::span<const std::string_view>() const { return span(); }

 private:
  std::array<std::string_view, kInline> inline_{};
  std::vector<std::string_view> heap_;
  std::size_t size_ = 0;
};

// Appends the tokens of `subject` to `tts`. Empty tokens are kept (".a."
// gives "", "a", ""), and an empty subject gives one empty token.
void TokenizeSubjectIntoSlice(TokenVec& tts, std::string_view subject);
void TokenizeSubjectIntoSlice(std::vector<std::string_view>& tts, std::string_view subject);

// True if some token of `subject` is exactly "*" or ">". Does not validate.
bool SubjectHasWildcard(std::string_view subject);

// True if no token of `subject` is exactly "*" or ">". Does not validate.
bool SubjectIsLiteral(std::string_view subject);

// True if `subject` is non-empty, has no empty token, no token after a ">"
// token and no whitespace (space, \t, \n, \r, \f) in any token. With
// `check_runes` it also rejects embedded NUL bytes and bytes that are not
// valid UTF-8 (or encode U+FFFD, which Go cannot tell from invalid bytes).
bool IsValidSubject(std::string_view subject, bool check_runes);

// IsValidSubject without the rune checks (Go's exported IsValidSubject).
bool IsValidSubject(std::string_view subject);

// True if every subject matched by `subject` is also matched by `test`
// (both may hold wildcards): "foo.*" is a subset of ">", "*.*" and "foo.*",
// but not of "foo.bar". Empty tokens on either side never match.
bool SubjectIsSubsetMatch(std::string_view subject, std::string_view test);

// SubjectIsSubsetMatch with `subject` already tokenized.
bool IsSubsetMatch(std::span<const std::string_view> tokens, std::string_view test);

// SubjectIsSubsetMatch with both sides already tokenized.
bool IsSubsetMatchTokenized(std::span<const std::string_view> tokens,
                            std::span<const std::string_view> test);

}  // namespace natscpp::store::subject

#endif  // NATSCPP_STORE_SUBJECT_SUBJECT_H_
