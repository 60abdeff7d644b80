// A directory tree's observable state (paths, types, sizes, modes, mtimes
// and a hash of every file's bytes), to show that reading a store
// read-only leaves it exactly as it was.
#ifndef NATSCPP_TESTS_PARITY_COMPARE_TREE_SNAPSHOT_H_
#define NATSCPP_TESTS_PARITY_COMPARE_TREE_SNAPSHOT_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace natscpp::parity {

struct Entry {
  char type = '?';  // 'd' directory, 'f' file, 'l' symlink
  uint64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime_ns = 0;
  uint64_t hash = 0;  // FNV-1a 64 of the bytes, files only
  bool operator==(const Entry&) const = default;
};

// Keyed by path relative to root ("" is root itself).
using TreeSnapshot = std::map<std::string, Entry>;

TreeSnapshot SnapshotTree(const std::filesystem::path& root);

// "" when equal, else a line per difference.
std::string DiffTrees(const TreeSnapshot& before, const TreeSnapshot& after);

}  // namespace natscpp::parity

#endif  // NATSCPP_TESTS_PARITY_COMPARE_TREE_SNAPSHOT_H_
