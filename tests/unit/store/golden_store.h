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
#include <vector>

namespace natscpp::store::testing {

inline std::filesystem::path SharedDir() { return NATSCPP_SHARED_DIR; }
inline bool HaveShared() { return std::filesystem::exists(SharedDir() / "golden"); }

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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

class GoldenStore {
 public:
  explicit GoldenStore(const std::string& set) {
    const auto src = SharedDir() / "golden" / set;
    expect_ = nlohmann::json::parse(ReadAll(src / "expect.json"));
    std::string tmpl = (std::filesystem::temp_directory_path() / "natscpp-golden-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return;
    dir_ = tmpl;
    const std::string cmd = "tar --zstd -xf '" + (src / "store.tar.zst").string() + "' -C '" + dir_.string() + "'";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  ~GoldenStore() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  GoldenStore(const GoldenStore&) = delete;
  GoldenStore& operator=(const GoldenStore&) = delete;

  bool ok() const { return ok_; }
  const nlohmann::json& expect() const { return expect_; }
  std::filesystem::path root() const { return dir_; }
  std::filesystem::path stream_dir() const { return dir_ / expect_.at("stream_dir").get<std::string>(); }

 private:
  nlohmann::json expect_;
  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace natscpp::store::testing

#endif  // NATSCPP_TESTS_UNIT_STORE_GOLDEN_STORE_H_
