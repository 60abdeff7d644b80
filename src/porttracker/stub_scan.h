// The stub scan: finds C++ definitions (those under a `// go:` marker,
// GoogleTest bodies, and named symbols) and flags the ones that are not a
// real port: empty bodies, constant-placeholder returns, "not implemented"
// throws, TODO/FIXME/XXX, tests without an assertion, skipped tests and
// commented-out test code.
#ifndef NATSCPP_PORTTRACKER_STUB_SCAN_H_
#define NATSCPP_PORTTRACKER_STUB_SCAN_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natscpp::porttracker {

struct ScanOptions {
  // Names that count as an assertion in a test body besides EXPECT_*,
  // ASSERT_* and FAIL (ported Go test helpers such as require_NoError).
  std::vector<std::string> assertion_helpers;
};

struct Definition {
  std::string file;    // as given to the scanner
  int line = 0;        // first line of the definition (the marker, if any)
  int body_line = 0;   // line of the opening brace
  int end_line = 0;    // line of the closing brace
  std::string symbol;  // "MsgBlock::WriteMsgRecord", or "Suite.Name" for a test
  std::string go_id;   // from a `// go:` marker
  bool is_test = false;
  bool skipped = false;  // GTEST_SKIP in the body
  std::string intentional;  // the reason of an `// intentional:` comment
  std::vector<std::string> flags;  // what makes it a stub; empty when clean
};

struct FileScan {
  std::vector<Definition> definitions;
  // Findings outside any definition: commented-out tests, markers without
  // a definition after them. Each is "line: what".
  std::vector<std::pair<int, std::string>> loose;
};

FileScan ScanCppSource(std::string_view file, std::string_view source, const ScanOptions& options);

// Looks for the definition of `symbol` ("ns::Class::Method"; the longest
// qualified suffix present wins) in `source`.
std::optional<Definition> FindSymbolDefinition(std::string_view file, std::string_view source,
                                               std::string_view symbol, const ScanOptions& options);

// All C++ files (.h .hh .hpp .cc .cpp) under the given paths, sorted.
std::vector<std::filesystem::path> CppFilesUnder(const std::vector<std::filesystem::path>& paths);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_STUB_SCAN_H_
