#include "stub_scan.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

namespace natscpp::porttracker {
namespace fs = std::filesystem;

namespace {

struct Comment {
  int line;
  size_t pos;  // offset of the comment in the source
  std::string text;
};

// The source with comments and literal contents blanked (newlines kept, so
// offsets and lines still match), plus the comments themselves.
struct Blanked {
  std::string code;
  std::vector<Comment> comments;
  std::vector<size_t> line_starts;

  int LineOf(size_t pos) const {
    return static_cast<int>(std::upper_bound(line_starts.begin(), line_starts.end(), pos) -
                            line_starts.begin());
  }
};

bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Blanked Blank(std::string_view src) {
  Blanked b;
  b.code.assign(src);
  b.line_starts.push_back(0);
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\n') b.line_starts.push_back(i + 1);
  }
  auto blank = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < b.code.size(); ++k) {
      if (b.code[k] != '\n') b.code[k] = ' ';
    }
  };
  size_t i = 0;
  while (i < src.size()) {
    const char c = src[i];
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '/') {
      size_t end = src.find('\n', i);
      if (end == std::string_view::npos) end = src.size();
      b.comments.push_back(Comment{0, i, std::string(src.substr(i + 2, end - i - 2))});
      blank(i, end);
      i = end;
    } else if (c == '/' && i + 1 < src.size() && src[i + 1] == '*') {
      size_t end = src.find("*/", i + 2);
      end = end == std::string_view::npos ? src.size() : end + 2;
      b.comments.push_back(Comment{0, i, std::string(src.substr(i + 2, end - i - 2))});
      blank(i, end);
      i = end;
    } else if (c == 'R' && i + 1 < src.size() && src[i + 1] == '"' &&
               (i == 0 || !IdentChar(src[i - 1]) || src[i - 1] == '8' || src[i - 1] == 'u' ||
                src[i - 1] == 'U' || src[i - 1] == 'L')) {
      const size_t open = src.find('(', i + 2);
      if (open == std::string_view::npos) break;
      const std::string close = ")" + std::string(src.substr(i + 2, open - i - 2)) + "\"";
      size_t end = src.find(close, open);
      end = end == std::string_view::npos ? src.size() : end + close.size();
      blank(i + 2, end - 1);
      i = end;
    } else if (c == '"' || (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(src[i - 1])) &&
                                           i + 1 < src.size() && std::isxdigit(static_cast<unsigned char>(src[i + 1]))))) {
      // (a quote between hex digits is a digit separator: 1'000'000)
      size_t k = i + 1;
      while (k < src.size() && src[k] != c && src[k] != '\n') k += src[k] == '\\' ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else {
      ++i;
    }
  }
  for (Comment& cm : b.comments) cm.line = b.LineOf(cm.pos);
  return b;
}

size_t MatchBrace(const std::string& code, size_t open) {
  const char o = code[open];
  const char c = o == '(' ? ')' : o == '{' ? '}' : o == '[' ? ']' : '>';
  int depth = 0;
  for (size_t i = open; i < code.size(); ++i) {
    if (code[i] == o) ++depth;
    if (code[i] == c && --depth == 0) return i;
  }
  return std::string::npos;
}

size_t SkipSpace(const std::string& code, size_t i) {
  while (i < code.size() && std::isspace(static_cast<unsigned char>(code[i]))) ++i;
  return i;
}

// From the parameter list at `paren`, finds the body's braces; npos when a
// `;` or `= default/delete/0` shows it is a declaration. `initializers` is
// set when a constructor's member-initializer list precedes the body.
std::pair<size_t, size_t> FindBody(const std::string& code, size_t paren, bool* initializers = nullptr) {
  size_t i = MatchBrace(code, paren);
  if (i == std::string::npos) return {std::string::npos, 0};
  ++i;
  while (i < code.size()) {
    i = SkipSpace(code, i);
    if (i >= code.size()) break;
    const char c = code[i];
    if (c == ';' || c == '=' || c == '}') return {std::string::npos, 0};
    if (c == '{') {
      const size_t close = MatchBrace(code, i);
      if (close == std::string::npos) return {std::string::npos, 0};
      return {i, close};
    }
    if (c == ':' && (i + 1 >= code.size() || code[i + 1] != ':')) {
      // Constructor initializers, `name(args)` or `name{args}` separated by
      // commas; the body is the brace after the last one.
      if (initializers) *initializers = true;
      ++i;
      while (i < code.size()) {
        while (i < code.size() && (IdentChar(code[i]) || code[i] == ':' || code[i] == '<' ||
                                   code[i] == '>' || std::isspace(static_cast<unsigned char>(code[i])))) {
          ++i;
        }
        if (i >= code.size() || (code[i] != '(' && code[i] != '{')) return {std::string::npos, 0};
        const size_t close = MatchBrace(code, i);
        if (close == std::string::npos) return {std::string::npos, 0};
        i = SkipSpace(code, close + 1);
        if (i < code.size() && code[i] == ',') {
          ++i;
          continue;
        }
        if (i < code.size() && code[i] == '{') {
          const size_t body_close = MatchBrace(code, i);
          if (body_close == std::string::npos) return {std::string::npos, 0};
          return {i, body_close};
        }
        return {std::string::npos, 0};
      }
      return {std::string::npos, 0};
    }
    if (c == '(' || c == '[' || c == '<') {
      // noexcept(...), attributes, or a trailing return type's template args
      const size_t close = MatchBrace(code, i);
      if (close == std::string::npos) return {std::string::npos, 0};
      i = close + 1;
      continue;
    }
    ++i;
  }
  return {std::string::npos, 0};
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void Analyze(const Blanked& b, std::string_view src, size_t open, size_t close,
             const ScanOptions& options, Definition& d, bool initializers = false,
             const std::vector<std::string>& local_helpers = {}) {
  d.body_line = b.LineOf(open);
  d.end_line = b.LineOf(close);
  const std::string body = Trim(std::string_view(b.code).substr(open + 1, close - open - 1));
  const std::string raw = Lower(std::string(src.substr(open, close - open + 1)));

  for (const Comment& c : b.comments) {
    const bool inside = c.pos > open && c.pos < close;
    const bool near_head = c.line >= d.line - 1 && c.pos < open;
    if (inside || near_head) {
      static const std::regex kIntentional(R"(intentional:\s*(\S.*))");
      std::smatch m;
      if (std::regex_search(c.text, m, kIntentional)) d.intentional = Trim(m[1].str());
    }
    if (!inside) continue;
    static const std::regex kTodo(R"(\b(TODO|FIXME|XXX)\b)");
    if (std::regex_search(c.text, kTodo)) d.flags.push_back("line " + std::to_string(c.line) + ": TODO/FIXME/XXX in body");
    if (d.is_test) {
      const std::string t = Trim(c.text);
      // Code, not prose: an assertion, or a call/assignment statement.
      static const std::regex kCodeLine(R"(^[\w:.<>\[\]*&-]+\s*(\(.*\)|=[^=].*)\s*;$)");
      if (t.find("EXPECT_") != std::string::npos || t.find("ASSERT_") != std::string::npos ||
          std::regex_match(t, kCodeLine)) {
        d.flags.push_back("line " + std::to_string(c.line) + ": commented-out code in test");
      }
    }
  }

  // (Test bodies may well mention the phrase in the inputs they plant.)
  if (!d.is_test && (raw.find("not implemented") != std::string::npos || raw.find("unimplemented") != std::string::npos ||
      raw.find("notimplemented") != std::string::npos)) {
    d.flags.push_back("throws or returns \"not implemented\"");
  }
  if (d.is_test) {
    static const std::regex kAssert(R"(\b(EXPECT_\w+|ASSERT_\w+|FAIL|ADD_FAILURE)\s*\()");
    bool asserts = std::regex_search(body, kAssert);
    for (const auto* helpers : {&options.assertion_helpers, &local_helpers}) {
      for (const std::string& h : *helpers) {
        if (asserts) break;
        asserts = std::regex_search(body, std::regex("\\b" + h + "\\s*\\("));
      }
    }
    if (!asserts) d.flags.push_back("test has no assertion");
    // An unconditional skip parks the test; one under an `if` (say, when
    // ../shared is absent) is a property of the environment.
    static const std::regex kSkip(R"(\bGTEST_SKIP\b)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), kSkip); it != std::sregex_iterator(); ++it) {
      const size_t at = static_cast<size_t>(it->position(0));
      const size_t stmt = body.find_last_of(";{}", at == 0 ? 0 : at - 1);
      const size_t from = stmt == std::string::npos ? 0 : stmt + 1;
      std::string head = body.substr(from, at - from);
      // `if (cond) { GTEST_SKIP() ...; }`: the condition is before the brace.
      if (stmt != std::string::npos && body[stmt] == '{' &&
          head.find_first_not_of(" \t\r\n") == std::string::npos) {
        const size_t prev = stmt == 0 ? std::string::npos : body.find_last_of(";{}", stmt - 1);
        const size_t pfrom = prev == std::string::npos ? 0 : prev + 1;
        head = body.substr(pfrom, stmt - pfrom);
      }
      if (!std::regex_search(head, std::regex(R"(\bif\s*\()"))) d.skipped = true;
    }
    return;
  }
  if (!d.intentional.empty()) return;
  if (body.empty()) {
    // A constructor whose work is its member initializers is not a stub.
    if (!initializers) d.flags.push_back("empty body");
    return;
  }
  static const std::regex kConstReturn(
      R"(^return\s+(true|false|nullptr|std::nullopt|-?[0-9][0-9a-fA-FxX']*[uUlL]*|\{\s*\}|"\s*"|[\w:]+\s*\{\s*\}|[\w:]+\(\s*\))\s*;$)");
  if (std::regex_match(body, kConstReturn)) d.flags.push_back("returns a constant placeholder");
}

}  // namespace

FileScan ScanCppSource(std::string_view file, std::string_view source, const ScanOptions& options) {
  FileScan out;
  const Blanked b = Blank(source);
  static const std::regex kMarker(R"(^\s*go:\s*(server/\S+))");
  for (const Comment& c : b.comments) {
    std::smatch m;
    if (std::regex_search(c.text, m, kMarker)) {
      Definition d;
      d.file = std::string(file);
      d.line = c.line;
      d.go_id = m[1].str();
      // The definition after the marker: its name precedes the first '('.
      const size_t after = c.pos + c.text.size() + 2;
      const size_t paren = b.code.find('(', after);
      const size_t semi = b.code.find(';', after);
      const size_t brace = b.code.find('{', after);
      if (paren == std::string::npos || (brace < paren) || (semi < paren)) {
        out.loose.emplace_back(c.line, "marker for " + d.go_id + " is not above a function definition");
        continue;
      }
      size_t name_end = paren;
      while (name_end > after && std::isspace(static_cast<unsigned char>(b.code[name_end - 1]))) --name_end;
      // Walk back over the qualified name, template arguments included
      // (`Pointer<T>::Set`), then drop the arguments: the symbol is
      // `Pointer::Set`.
      size_t name_begin = name_end;
      while (name_begin > after) {
        const char ch = b.code[name_begin - 1];
        if (IdentChar(ch) || ch == ':' || ch == '~') {
          --name_begin;
        } else if (ch == '>' && name_begin >= 2 && b.code[name_begin - 2] != '-' &&
                   name_begin < name_end && b.code[name_begin] == ':') {
          int depth = 0;
          size_t k = name_begin;
          while (k > after) {
            --k;
            if (b.code[k] == '>') ++depth;
            if (b.code[k] == '<' && --depth == 0) break;
          }
          if (depth != 0) break;
          name_begin = k;
        } else {
          break;
        }
      }
      std::string symbol;
      int angle = 0;
      for (size_t k = name_begin; k < name_end; ++k) {
        const char ch = b.code[k];
        if (ch == '<') ++angle;
        if (angle == 0 && !std::isspace(static_cast<unsigned char>(ch))) symbol += ch;
        if (ch == '>') --angle;
      }
      d.symbol = symbol;
      bool initializers = false;
      const auto [open, close] = FindBody(b.code, paren, &initializers);
      if (open == std::string::npos) {
        out.loose.emplace_back(c.line, "marker for " + d.go_id + " is above a declaration, not a definition");
        continue;
      }
      Analyze(b, source, open, close, options, d, initializers);
      out.definitions.push_back(std::move(d));
    }
    static const std::regex kCommentedTest(R"(\b(TEST|TEST_F|TEST_P|TYPED_TEST)\s*\(\s*\w+\s*,\s*\w+\s*\))");
    if (std::regex_search(c.text, kCommentedTest)) {
      out.loose.emplace_back(c.line, "commented-out test");
    }
  }

  // Functions and lambdas of this file that assert count as assertions
  // where a test calls them (ExpectRoundTrip(...), check(...)).
  std::vector<std::string> local_helpers;
  {
    static const std::regex kAsserting(R"(\b(EXPECT_\w+|ASSERT_\w+|FAIL|ADD_FAILURE)\s*\()");
    static const std::regex kFunc(R"(\b([A-Za-z_]\w*)\s*\()");
    static const std::regex kLambda(R"(\b([A-Za-z_]\w*)\s*=\s*\[[^\]]*\]\s*\()");
    std::set<std::string> names;
    for (const std::regex* re : {&kFunc, &kLambda}) {
      for (auto it = std::sregex_iterator(b.code.begin(), b.code.end(), *re); it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1].str();
        if (name == "TEST" || name == "TEST_F" || name == "TEST_P" || names.contains(name)) continue;
        const size_t paren = static_cast<size_t>(it->position(0) + it->length(0) - 1);
        const auto [open, close] = FindBody(b.code, paren);
        if (open == std::string::npos) continue;
        if (std::regex_search(b.code.begin() + static_cast<long>(open), b.code.begin() + static_cast<long>(close),
                              kAsserting)) {
          names.insert(name);
        }
      }
    }
    local_helpers.assign(names.begin(), names.end());
  }

  static const std::regex kTest(R"(\b(TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\))");
  for (auto it = std::sregex_iterator(b.code.begin(), b.code.end(), kTest); it != std::sregex_iterator(); ++it) {
    const size_t pos = static_cast<size_t>(it->position(0));
    if (pos > 0 && (IdentChar(b.code[pos - 1]) || b.code[pos - 1] == '#')) continue;
    Definition d;
    d.file = std::string(file);
    d.line = b.LineOf(pos);
    d.is_test = true;
    d.symbol = (*it)[2].str() + "." + (*it)[3].str();
    const size_t paren = b.code.find('(', pos);
    const auto [open, close] = FindBody(b.code, paren);
    if (open == std::string::npos) continue;  // the macro's own definition
    Analyze(b, source, open, close, options, d, false, local_helpers);
    out.definitions.push_back(std::move(d));
  }
  std::sort(out.definitions.begin(), out.definitions.end(),
            [](const Definition& x, const Definition& y) { return x.line < y.line; });
  return out;
}

std::optional<Definition> FindSymbolDefinition(std::string_view file, std::string_view source,
                                               std::string_view symbol, const ScanOptions& options) {
  const Blanked b = Blank(source);
  // Try "A::B::C", then "B::C", then "C".
  std::vector<std::string> parts;
  for (size_t p = 0; p <= symbol.size();) {
    size_t q = symbol.find("::", p);
    if (q == std::string_view::npos) q = symbol.size();
    parts.emplace_back(symbol.substr(p, q - p));
    p = q + 2;
  }
  for (size_t first = 0; first < parts.size(); ++first) {
    std::string pattern;
    for (size_t k = first; k < parts.size(); ++k) {
      if (!pattern.empty()) pattern += R"(\s*::\s*)";
      for (char c : parts[k]) {
        if (!IdentChar(c) && c != '~') pattern += '\\';
        pattern += c;
      }
    }
    const std::regex re("(^|[^\\w:~])(" + pattern + R"()\s*\()");
    for (auto it = std::sregex_iterator(b.code.begin(), b.code.end(), re); it != std::sregex_iterator(); ++it) {
      const size_t paren = static_cast<size_t>(it->position(0) + it->length(0) - 1);
      bool initializers = false;
      const auto [open, close] = FindBody(b.code, paren, &initializers);
      if (open == std::string::npos) continue;
      Definition d;
      d.file = std::string(file);
      d.line = b.LineOf(static_cast<size_t>(it->position(2)));
      d.symbol = std::string(symbol);
      Analyze(b, source, open, close, options, d, initializers);
      return d;
    }
  }
  return std::nullopt;
}

std::vector<fs::path> CppFilesUnder(const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  auto is_cpp = [](const fs::path& p) {
    const std::string e = p.extension().string();
    return e == ".h" || e == ".hh" || e == ".hpp" || e == ".cc" || e == ".cpp";
  };
  for (const fs::path& p : paths) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      if (is_cpp(p)) out.push_back(p);
      continue;
    }
    if (!fs::is_directory(p, ec)) continue;
    for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
      if (e.is_regular_file() && is_cpp(e.path())) out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace natscpp::porttracker
