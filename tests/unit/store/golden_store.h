// Test support: unpacks a golden store set (../shared/golden/VERSION/NAME)
// into a temporary directory, removed when the object goes away.
#ifndef NATSCPP_TESTS_UNIT_STORE_GOLDEN_STORE_H_
#define NATSCPP_TESTS_UNIT_STORE_GOLDEN_STORE_H_

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace natscpp::store::testing {

inline std::filesystem::path SharedDir() { return NATSCPP_SHARED_DIR; }

// A fresh temporary directory, removed with the object; path() is empty
// when it could not be made.
class TempDir {
 public:
  explicit TempDir(std::string_view tag = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("natscpp-" + std::string(tag) + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (path_.empty()) return;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Unpacks a store.tar.zst into dir (only the members matching `wildcard`
// when given); true on success.
inline bool ExtractTarZst(const std::filesystem::path& archive, const std::filesystem::path& dir,
                          std::string_view wildcard = {}) {
  std::string cmd = "tar --zstd -xf '" + archive.string() + "' -C '" + dir.string() + "'";
  if (!wildcard.empty()) cmd += " --wildcards '" + std::string(wildcard) + "'";
  return std::system(cmd.c_str()) == 0;
}
inline bool HaveShared() { return std::filesystem::exists(SharedDir() / "golden"); }

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every set directory (one holding store.tar.zst) under root, at any depth
// up to two (ROOT/VERSION/SCENARIO as in golden/, or ROOT/SCENARIO as the
// generator writes), sorted.
inline std::vector<std::filesystem::path> GoldenSetDirs(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return out;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it.depth() > 1) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory() && std::filesystem::exists(it->path() / "store.tar.zst")) {
      out.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every golden set: "2.14.5/basic", ...
inline std::vector<std::string> GoldenSets() {
  std::vector<std::string> out;
  const auto root = SharedDir() / "golden";
  if (!std::filesystem::exists(root)) return out;
  for (const auto& v : std::filesystem::directory_iterator(root)) {
    if (!v.is_directory()) continue;
    for (const auto& s : std::filesystem::directory_iterator(v.path())) {
      if (std::filesystem::exists(s.path() / "store.tar.zst")) {
        out.push_back(v.path().filename().string() + "/" + s.path().filename().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A set's directory given in full, for sets outside ../shared/golden.
struct GoldenSetDir {
  std::filesystem::path path;
};

class GoldenStore {
 public:
  explicit GoldenStore(const std::string& set) : GoldenStore(GoldenSetDir{SharedDir() / "golden" / set}) {}
  explicit GoldenStore(const GoldenSetDir& src) : dir_("golden") {
    expect_ = nlohmann::json::parse(ReadAll(src.path / "expect.json"), nullptr, /*allow_exceptions=*/false);
    ok_ = !expect_.is_discarded() && !dir_.path().empty() && ExtractTarZst(src.path / "store.tar.zst", dir_.path());
  }

  bool ok() const { return ok_; }
  const nlohmann::json& expect() const { return expect_; }
  std::filesystem::path root() const { return dir_.path(); }
  std::filesystem::path stream_dir() const { return dir_.path() / expect_.at("stream_dir").get<std::string>(); }

 private:
  nlohmann::json expect_;
  TempDir dir_;
  bool ok_ = false;
};

}  // namespace natscpp::store::testing

#endif  // NATSCPP_TESTS_UNIT_STORE_GOLDEN_STORE_H_
