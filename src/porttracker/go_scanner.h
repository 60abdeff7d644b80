// Finds top-level func and method declarations in Go source text.
//
// This is not a Go parser: it is a lexer with Go's automatic semicolon
// insertion, which is enough to tell a declaration `func` (the first token
// of a top-level statement) from a func literal, and to match braces while
// ignoring those inside strings, raw strings, runes and comments.
#ifndef NATSCPP_PORTTRACKER_GO_SCANNER_H_
#define NATSCPP_PORTTRACKER_GO_SCANNER_H_

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace natscpp::porttracker {

struct GoDecl {
  std::string name;           // "writeMsgRecord"
  std::string receiver_type;  // "msgBlock", empty for a plain func
  bool pointer_receiver = false;
  std::string param_text;     // the parameter list, tokens joined by spaces
  int start_line = 0;         // line of the `func` keyword (1-based)
  int end_line = 0;           // line of the closing brace (or of the
                              // signature when there is no body)
  // Calls made in the body: "name" for a plain call, ".name" for a call
  // through a selector (method call or package-qualified function).
  std::vector<std::string> calls;

  // The tracker's name for the declaration: "(*msgBlock).writeMsgRecord",
  // "(SequenceSet).Encode" or "newFileStore".
  std::string QualifiedName() const;
};

// Scans one Go source file. Fails on text that cannot be Go (an
// unterminated string or comment, unbalanced brackets), naming the line.
std::expected<std::vector<GoDecl>, std::string> ScanGoSource(
    std::string_view source);

// True when `decl` (from a _test.go file) is one that `go test` runs:
// TestXxx(*testing.T), BenchmarkXxx(*testing.B) or FuzzXxx(*testing.F),
// TestMain excluded.
bool IsGoTestFunc(const GoDecl& decl);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_GO_SCANNER_H_
