#include "test_tree.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "importer.h"
#include "tracker.h"
#include "util.h"

namespace natscpp::porttracker::testing {
namespace fs = std::filesystem;

TestTree::TestTree() {
  std::string tmpl = (fs::temp_directory_path() / "porttracker-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  go_repo_ = root_ / "go";
  fs::create_directories(root_ / "tracker");
  fs::create_directories(go_repo_ / "server");
  Write("tracker/meta.json", R"({"tag": "", "commit": ""})");
  Write("tracker/batches.json", R"({"batches": [
    {"id": "B01", "name": "Foundations: one", "scope": "store", "depends_on": []},
    {"id": "B02", "name": "Store two", "scope": "store", "depends_on": ["B01"]},
    {"id": "B09", "name": "Outside: the rest", "scope": "outside", "depends_on": []}
  ]})");
  Write("tracker/config.json", R"({
    "scan_paths": ["src", "tests"],
    "assertion_helpers": ["require_Equal"],
    "build_command": ["true"],
    "ctest_command": ["sh", "-c", "cp fake-junit.xml {junit}"],
    "batch_rules": [
      {"pattern": "server/sub/", "batch": "B01"},
      {"pattern": "server/store.go", "batch": "B02"},
      {"pattern": "server/store_test.go", "batch": "B02"},
      {"pattern": "*", "batch": "B09"}
    ]
  })");
  RunOrThrow({"git", "init", "-q", go_repo_.string()});
  RunOrThrow({"git", "-C", go_repo_.string(), "config", "user.email", "t@example.invalid"});
  RunOrThrow({"git", "-C", go_repo_.string(), "config", "user.name", "t"});
}

TestTree::~TestTree() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void TestTree::Write(const std::string& rel, const std::string& content) const {
  const fs::path p = root_ / rel;
  fs::create_directories(p.parent_path());
  WriteFileAtomic(p, content);
}

std::string TestTree::Read(const std::string& rel) const { return ReadFile(root_ / rel); }

void TestTree::TagGo(const std::string& tag) const {
  RunOrThrow({"git", "-C", go_repo_.string(), "add", "-A"});
  RunOrThrow({"git", "-C", go_repo_.string(), "commit", "-q", "--allow-empty", "-m", tag});
  RunOrThrow({"git", "-C", go_repo_.string(), "tag", tag});
}

void TestTree::Import(const std::string& tag) const {
  Tracker t(root_, {});
  std::string commit;
  auto inv = BuildInventory(ReadGoTree(go_repo_, tag, &commit));
  MergeInventory(t, tag, commit, std::move(inv), LoadBatchRules(root_));
}

void WriteSampleGo(const TestTree& tree, bool second_version) {
  tree.Write("go/server/store.go",
             "package server\n"
             "\n"
             "type store struct{ n int }\n"
             "\n"
             "func newStore() *store { return &store{} }\n"
             "\n" +
                 std::string(second_version ? "// moved down a line\n" : "") +
                 "func (s *store) Put(b []byte) error {\n"
                 "\ts.n++\n"
                 "\treturn nil\n"
                 "}\n"
                 "\n"
                 "func (s *store) Len() int { return s.n }\n" +
                 std::string(second_version ? "\nfunc (s *store) Reset() { s.n = 0 }\n" : "\nfunc init() {}\n\nfunc init() {}\n"));
  tree.Write("go/server/store_test.go",
             "package server\n"
             "\n"
             "import \"testing\"\n"
             "\n"
             "func helper(t *testing.T) *store { return newStore() }\n"
             "\n"
             "func TestStorePut(t *testing.T) {\n"
             "\ts := newStore()\n"
             "\ts.Put(nil)\n"
             "\tif s.Len() != 1 { t.Fatal(\"len\") }\n"
             "}\n"
             "\n"
             "func BenchmarkStorePut(b *testing.B) {}\n");
  tree.Write("go/server/sub/sub.go",
             "package sub\n"
             "\n"
             "func Split(s string) []string { return nil }\n");
  tree.Write("go/server/other.go", "package server\n\nfunc unrelated() {}\n");
  tree.Write("go/README.md", "not Go\n");
}

}  // namespace natscpp::porttracker::testing
