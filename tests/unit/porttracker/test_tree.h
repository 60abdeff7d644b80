// A throw-away repository for tracker tests: tracker/ text with small
// batches, a tiny Go "nats-server" in a git repository, and C++ sources.
#ifndef NATSCPP_TESTS_UNIT_PORTTRACKER_TEST_TREE_H_
#define NATSCPP_TESTS_UNIT_PORTTRACKER_TEST_TREE_H_

#include <filesystem>
#include <string>

namespace natscpp::porttracker::testing {

class TestTree {
 public:
  TestTree();
  ~TestTree();
  TestTree(const TestTree&) = delete;
  TestTree& operator=(const TestTree&) = delete;

  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& go_repo() const { return go_repo_; }

  void Write(const std::string& rel, const std::string& content) const;
  std::string Read(const std::string& rel) const;

  // Commits the Go files written under go_repo() and tags the commit.
  void TagGo(const std::string& tag) const;

  // Imports `tag` into the tracker (through the library).
  void Import(const std::string& tag) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path go_repo_;
};

// The tiny Go tree used by the tests (two files in server/, one test file,
// one subpackage).
void WriteSampleGo(const TestTree& tree, bool second_version = false);

}  // namespace natscpp::porttracker::testing

#endif  // NATSCPP_TESTS_UNIT_PORTTRACKER_TEST_TREE_H_
