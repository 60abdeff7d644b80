#include "go_scanner.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace natscpp::porttracker {
namespace {

enum class Tok { kIdent, kLiteral, kOp, kSemi };

struct Token {
  Tok kind;
  std::string text;
  int line;
};

bool IsIdentStart(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || std::isdigit(c); }

bool IsKeyword(std::string_view s) {
  static const std::set<std::string_view> kKeywords = {
      "break",    "case",   "chan",        "const",  "continue", "default",
      "defer",    "else",   "fallthrough", "for",    "func",     "go",
      "goto",     "if",     "import",      "interface", "map",   "package",
      "range",    "return", "select",      "struct", "switch",   "type",
      "var"};
  return kKeywords.contains(s);
}

// Go inserts a semicolon at a newline after these tokens (spec, "Semicolons").
bool EndsStatement(const Token& t) {
  switch (t.kind) {
    case Tok::kLiteral:
      return true;
    case Tok::kIdent:
      return !IsKeyword(t.text) || t.text == "break" || t.text == "continue" ||
             t.text == "fallthrough" || t.text == "return";
    case Tok::kOp:
      return t.text == ")" || t.text == "]" || t.text == "}" ||
             t.text == "++" || t.text == "--";
    case Tok::kSemi:
      return false;
  }
  return false;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::expected<std::vector<Token>, std::string> Run() {
    while (pos_ < src_.size()) {
      const unsigned char c = src_[pos_];
      if (c == '\n') {
        Newline();
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '/' && Peek(1) == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        const int start = line_;
        const size_t end = src_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Fail(start, "unterminated comment");
        bool had_newline = false;
        for (size_t i = pos_; i < end; ++i) {
          if (src_[i] == '\n') {
            ++line_;
            had_newline = true;
          }
        }
        pos_ = end + 2;
        // A comment spanning lines acts like a newline.
        if (had_newline) InsertSemicolon();
      } else if (c == '"' || c == '\'') {
        if (auto r = Quoted(static_cast<char>(c)); !r) return std::unexpected(r.error());
      } else if (c == '`') {
        const int start = line_;
        const size_t end = src_.find('`', pos_ + 1);
        if (end == std::string_view::npos) return Fail(start, "unterminated raw string");
        line_ += static_cast<int>(std::count(src_.begin() + pos_, src_.begin() + end, '\n'));
        Push(Tok::kLiteral, "`", start);
        pos_ = end + 1;
      } else if (IsIdentStart(c)) {
        const size_t b = pos_;
        while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
        Push(Tok::kIdent, std::string(src_.substr(b, pos_ - b)), line_);
      } else if (std::isdigit(c) || (c == '.' && std::isdigit(static_cast<unsigned char>(Peek(1))))) {
        const size_t b = pos_;
        while (pos_ < src_.size()) {
          const unsigned char d = src_[pos_];
          const bool sign = (d == '+' || d == '-') && pos_ > b &&
                            std::string_view("eEpP").find(src_[pos_ - 1]) != std::string_view::npos;
          if (!(std::isalnum(d) || d == '.' || d == '_' || sign)) break;
          ++pos_;
        }
        Push(Tok::kLiteral, std::string(src_.substr(b, pos_ - b)), line_);
      } else if ((c == '+' || c == '-') && Peek(1) == static_cast<char>(c)) {
        Push(Tok::kOp, std::string(2, static_cast<char>(c)), line_);
        pos_ += 2;
      } else {
        Push(Tok::kOp, std::string(1, static_cast<char>(c)), line_);
        ++pos_;
      }
    }
    InsertSemicolon();
    return std::move(tokens_);
  }

 private:
  char Peek(size_t ahead) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  std::unexpected<std::string> Fail(int line, std::string_view what) const {
    return std::unexpected("line " + std::to_string(line) + ": " + std::string(what));
  }

  std::expected<void, std::string> Quoted(char quote) {
    const int start = line_;
    ++pos_;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        return Fail(start, quote == '"' ? "unterminated string" : "unterminated rune");
      }
      if (src_[pos_] == '\\') {
        pos_ += 2;
        continue;
      }
      if (src_[pos_++] == quote) break;
    }
    Push(Tok::kLiteral, std::string(1, quote), start);
    return {};
  }

  void Push(Tok kind, std::string text, int line) {
    tokens_.push_back(Token{kind, std::move(text), line});
  }

  void InsertSemicolon() {
    if (!tokens_.empty() && EndsStatement(tokens_.back())) {
      Push(Tok::kSemi, ";", line_);
    }
  }

  void Newline() {
    InsertSemicolon();
    ++line_;
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

bool IsOpen(const Token& t) {
  return t.kind == Tok::kOp && (t.text == "(" || t.text == "[" || t.text == "{");
}
bool IsClose(const Token& t) {
  return t.kind == Tok::kOp && (t.text == ")" || t.text == "]" || t.text == "}");
}
bool Is(const Token& t, std::string_view text) {
  return (t.kind == Tok::kOp || t.kind == Tok::kIdent || t.kind == Tok::kSemi) && t.text == text;
}

bool IsBuiltin(std::string_view s) {
  static const std::set<std::string_view> kBuiltins = {
      "append", "cap",     "clear", "close", "complex", "copy",    "delete",
      "imag",   "len",     "make",  "max",   "min",     "new",     "panic",
      "print",  "println", "real",  "recover"};
  return kBuiltins.contains(s);
}

class DeclParser {
 public:
  explicit DeclParser(const std::vector<Token>& toks) : t_(toks) {}

  std::expected<std::vector<GoDecl>, std::string> Run() {
    std::vector<GoDecl> out;
    int depth = 0;
    for (size_t i = 0; i < t_.size(); ++i) {
      const Token& tok = t_[i];
      if (IsOpen(tok)) {
        ++depth;
      } else if (IsClose(tok)) {
        if (--depth < 0) return Fail(tok.line, "unbalanced '" + tok.text + "'");
      } else if (depth == 0 && Is(tok, "func") && (i == 0 || t_[i - 1].kind == Tok::kSemi)) {
        auto decl = ParseDecl(i);
        if (!decl) return std::unexpected(decl.error());
        out.push_back(std::move(decl->first));
        i = decl->second;  // the last token of the declaration
      }
    }
    if (depth != 0) return Fail(t_.empty() ? 1 : t_.back().line, "unclosed bracket at end of file");
    return out;
  }

 private:
  std::unexpected<std::string> Fail(int line, std::string_view what) const {
    return std::unexpected("line " + std::to_string(line) + ": " + std::string(what));
  }

  // Index of the bracket closing the one at `open`, or npos.
  size_t Match(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < t_.size(); ++i) {
      if (IsOpen(t_[i])) ++depth;
      if (IsClose(t_[i]) && --depth == 0) return i;
    }
    return std::string::npos;
  }

  std::expected<std::pair<GoDecl, size_t>, std::string> ParseDecl(size_t at) {
    GoDecl d;
    d.start_line = t_[at].line;
    size_t j = at + 1;
    if (j < t_.size() && Is(t_[j], "(")) {
      const size_t close = Match(j);
      if (close == std::string::npos) return Fail(d.start_line, "unclosed receiver");
      // The receiver type is the last identifier outside type-parameter
      // brackets: `(r *T[K, V])` names T.
      int brackets = 0;
      for (size_t k = j + 1; k < close; ++k) {
        if (Is(t_[k], "[")) ++brackets;
        else if (Is(t_[k], "]")) --brackets;
        else if (brackets == 0 && Is(t_[k], "*")) d.pointer_receiver = true;
        else if (brackets == 0 && t_[k].kind == Tok::kIdent) d.receiver_type = t_[k].text;
      }
      if (d.receiver_type.empty()) return Fail(d.start_line, "receiver without a type");
      j = close + 1;
    }
    if (j >= t_.size() || t_[j].kind != Tok::kIdent) return Fail(d.start_line, "func without a name");
    d.name = t_[j++].text;
    if (j < t_.size() && Is(t_[j], "[")) {  // type parameters
      j = Match(j);
      if (j == std::string::npos) return Fail(d.start_line, "unclosed type parameters");
      ++j;
    }
    if (j >= t_.size() || !Is(t_[j], "(")) return Fail(d.start_line, "func " + d.name + " without parameters");
    const size_t params_end = Match(j);
    if (params_end == std::string::npos) return Fail(d.start_line, "unclosed parameters of " + d.name);
    for (size_t k = j + 1; k < params_end; ++k) {
      if (!d.param_text.empty()) d.param_text += ' ';
      d.param_text += t_[k].text;
    }
    // Results run to the body's `{` or, for a declaration without a body,
    // to the end of the statement. Braces of struct{}/interface{} types in
    // the results belong to the signature.
    for (size_t k = params_end + 1; k < t_.size(); ++k) {
      if (t_[k].kind == Tok::kSemi) {
        d.end_line = t_[k - 1].line;
        return std::pair{std::move(d), k};
      }
      if (Is(t_[k], "(") || Is(t_[k], "[")) {
        k = Match(k);
        if (k == std::string::npos) return Fail(d.start_line, "unclosed result list of " + d.name);
        continue;
      }
      if (Is(t_[k], "{")) {
        const size_t close = Match(k);
        if (close == std::string::npos) return Fail(d.start_line, "unclosed body of " + d.name);
        if (Is(t_[k - 1], "struct") || Is(t_[k - 1], "interface")) {
          k = close;
          continue;
        }
        CollectCalls(k, close, d);
        d.end_line = t_[close].line;
        return std::pair{std::move(d), close};
      }
    }
    return Fail(d.start_line, "func " + d.name + " runs off the end of the file");
  }

  void CollectCalls(size_t begin, size_t end, GoDecl& d) const {
    std::set<std::string> seen;
    for (size_t k = begin + 1; k + 1 < end; ++k) {
      if (t_[k].kind != Tok::kIdent || !Is(t_[k + 1], "(")) continue;
      const std::string& name = t_[k].text;
      if (IsKeyword(name)) continue;
      const bool selector = Is(t_[k - 1], ".");
      if (!selector && IsBuiltin(name)) continue;
      std::string call = selector ? "." + name : name;
      if (seen.insert(call).second) d.calls.push_back(std::move(call));
    }
  }

  const std::vector<Token>& t_;
};

}  // namespace

std::string GoDecl::QualifiedName() const {
  if (receiver_type.empty()) return name;
  return std::string("(") + (pointer_receiver ? "*" : "") + receiver_type + ")." + name;
}

std::expected<std::vector<GoDecl>, std::string> ScanGoSource(std::string_view source) {
  auto tokens = Lexer(source).Run();
  if (!tokens) return std::unexpected(tokens.error());
  return DeclParser(*tokens).Run();
}

bool IsGoTestFunc(const GoDecl& decl) {
  if (!decl.receiver_type.empty()) return false;
  struct Kind {
    std::string_view prefix, param;
  };
  static constexpr std::array<Kind, 3> kKinds = {
      Kind{"Test", "testing . T"}, Kind{"Benchmark", "testing . B"}, Kind{"Fuzz", "testing . F"}};
  for (const Kind& k : kKinds) {
    if (!decl.name.starts_with(k.prefix)) continue;
    // `go test` skips TestMain and names like "Testable": the rest of the
    // name must not start with a lower-case letter.
    const std::string_view rest = std::string_view(decl.name).substr(k.prefix.size());
    if (!rest.empty() && std::islower(static_cast<unsigned char>(rest[0]))) return false;
    return decl.param_text.find(k.param) != std::string::npos &&
           decl.param_text.find(',') == std::string::npos;
  }
  return false;
}

}  // namespace natscpp::porttracker
