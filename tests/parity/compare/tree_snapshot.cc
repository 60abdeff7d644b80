#include "tree_snapshot.h"

#include <sys/stat.h>

#include <fstream>
#include <vector>

namespace natscpp::parity {
namespace {

uint64_t HashFile(const std::filesystem::path& p) {
  uint64_t h = 1469598103934665603ull;
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<uint8_t>(buf[static_cast<size_t>(i)]);
      h *= 1099511628211ull;
    }
  }
  return h;
}

Entry Stat(const std::filesystem::path& p) {
  Entry e;
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return e;
  e.type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : '?';
  e.mode = st.st_mode;
  e.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  // A directory's size depends on the file system's bookkeeping of entries
  // it once held; its listing is covered by the per-path keys.
  if (e.type == 'f') {
    e.size = static_cast<uint64_t>(st.st_size);
    e.hash = HashFile(p);
  }
  return e;
}

std::string Describe(const Entry& e) {
  return std::string(1, e.type) + " size=" + std::to_string(e.size) + " mode=" + std::to_string(e.mode) +
         " mtime_ns=" + std::to_string(e.mtime_ns) + " hash=" + std::to_string(e.hash);
}

}  // namespace

TreeSnapshot SnapshotTree(const std::filesystem::path& root) {
  TreeSnapshot out;
  out[""] = Stat(root);
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    out[it->path().lexically_relative(root).generic_string()] = Stat(it->path());
  }
  return out;
}

std::string DiffTrees(const TreeSnapshot& before, const TreeSnapshot& after) {
  std::string out;
  for (const auto& [path, e] : before) {
    auto it = after.find(path);
    if (it == after.end()) {
      out += "removed: " + path + "\n";
    } else if (!(it->second == e)) {
      out += "changed: " + path + " (" + Describe(e) + " -> " + Describe(it->second) + ")\n";
    }
  }
  for (const auto& [path, e] : after) {
    if (!before.contains(path)) out += "added: " + path + " (" + Describe(e) + ")\n";
  }
  return out;
}

}  // namespace natscpp::parity
