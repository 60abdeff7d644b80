#include "subject/subject.h"

#include <cstdint>

namespace natscpp::store::subject {
namespace {

template <typename Out>
void Tokenize(Out& tts, std::string_view subject) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < subject.size(); ++i) {
    if (subject[i] == kBtsep) {
      tts.push_back(subject.substr(start, i - start));
      start = i + 1;
    }
  }
  tts.push_back(subject.substr(start));
}

// True when the single character at `i` forms a whole token.
bool IsWholeToken(std::string_view s, std::size_t i) {
  return (i == 0 || s[i - 1] == kBtsep) && (i + 1 == s.size() || s[i + 1] == kBtsep);
}

// Go checks runes by ranging over the string, which yields U+FFFD both for
// bytes that are not valid UTF-8 and for an encoded U+FFFD. This mirrors
// Go's decoder: it rejects overlong forms, surrogates and code points above
// U+10FFFF the same way.
bool HasRuneError(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t b0 = p[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return true;
    }
    if (i + len > n) return true;
    if (p[i + 1] < lo || p[i + 1] > hi) return true;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return true;
    }
    // U+FFFD is EF BF BD.
    if (len == 3 && b0 == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD) return true;
    i += len;
  }
  return false;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

}  // namespace

// go: server/sublist.go:tokenizeSubjectIntoSlice
void TokenizeSubjectIntoSlice(TokenVec& tts, std::string_view subject) { Tokenize(tts, subject); }

void TokenizeSubjectIntoSlice(std::vector<std::string_view>& tts, std::string_view subject) {
  Tokenize(tts, subject);
}

// Go ranges over runes here, but '*' and '>' are ASCII and never occur
// inside a multi-byte UTF-8 sequence, so a byte scan gives the same answer.
// go: server/sublist.go:subjectHasWildcard
bool SubjectHasWildcard(std::string_view subject) {
  for (std::size_t i = 0; i < subject.size(); ++i) {
    const char c = subject[i];
    if ((c == kPwc || c == kFwc) && IsWholeToken(subject, i)) return true;
  }
  return false;
}

// go: server/sublist.go:subjectIsLiteral
bool SubjectIsLiteral(std::string_view subject) {
  for (std::size_t i = 0; i < subject.size(); ++i) {
    const char c = subject[i];
    if ((c == kPwc || c == kFwc) && IsWholeToken(subject, i)) return false;
  }
  return true;
}

// go: server/sublist.go:IsValidSubject
bool IsValidSubject(std::string_view subject) { return IsValidSubject(subject, false); }

// go: server/sublist.go:isValidSubject
bool IsValidSubject(std::string_view subject, bool check_runes) {
  if (subject.empty()) return false;
  if (check_runes) {
    if (subject.find('\0') != std::string_view::npos) return false;
    if (HasRuneError(subject)) return false;
  }
  bool sfwc = false;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = subject.find(kBtsep, start);
    const std::string_view t =
        subject.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (t.empty() || sfwc) return false;
    if (t.size() > 1) {
      for (char c : t) {
        if (IsSpace(c)) return false;
      }
    } else if (t[0] == kFwc) {
      sfwc = true;
    } else if (IsSpace(t[0])) {
      return false;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

// go: server/sublist.go:subjectIsSubsetMatch
bool SubjectIsSubsetMatch(std::string_view subject, std::string_view test) {
  TokenVec tts;
  TokenizeSubjectIntoSlice(tts, subject);
  return IsSubsetMatch(tts.span(), test);
}

// go: server/sublist.go:isSubsetMatch
bool IsSubsetMatch(std::span<const std::string_view> tokens, std::string_view test) {
  TokenVec tts;
  TokenizeSubjectIntoSlice(tts, test);
  return IsSubsetMatchTokenized(tokens, tts.span());
}

// go: server/sublist.go:isSubsetMatchTokenized
bool IsSubsetMatchTokenized(std::span<const std::string_view> tokens, std::span<const std::string_view> test) {
  for (std::size_t i = 0; i < test.size(); ++i) {
    if (i >= tokens.size()) return false;
    const std::string_view t2 = test[i];
    if (t2.empty()) return false;
    if (t2.size() == 1 && t2[0] == kFwc) return true;
    const std::string_view t1 = tokens[i];
    if (t1.empty() || (t1.size() == 1 && t1[0] == kFwc)) return false;
    if (t1.size() == 1 && t1[0] == kPwc) {
      // A "*" in the subject is only covered by a "*" in the test.
      if (!(t2.size() == 1 && t2[0] == kPwc)) return false;
      continue;
    }
    // A "*" in the test covers any literal token; note a longer token that
    // merely starts with '*' is treated the same way, as in Go.
    if (t2[0] != kPwc && t1 != t2) return false;
  }
  return tokens.size() == test.size();
}

}  // namespace natscpp::store::subject
