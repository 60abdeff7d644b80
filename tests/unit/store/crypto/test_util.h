// Helpers shared by the crypto tests: hex, files, and the Go-written golden
// stores under ../shared/golden.
#ifndef NATSCPP_TESTS_STORE_CRYPTO_TEST_UTIL_H_
#define NATSCPP_TESTS_STORE_CRYPTO_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../golden_store.h"

namespace natscpp::store::crypto::testing {

inline std::vector<uint8_t> FromHex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    const int v = nib(c);
    if (v < 0) continue;  // whitespace in multi-line literals
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>((hi << 4) | v));
      hi = -1;
    }
  }
  return out;
}

inline std::string ToHex(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 0xf];
  }
  return s;
}

template <typename C>
std::string ToHex(const C& c) {
  return ToHex(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}

inline std::optional<std::vector<uint8_t>> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// Directory of ../shared, or empty when the build did not define it or it
// is not there.
inline std::filesystem::path SharedDir() {
#ifdef NATSCPP_SHARED_DIR
  std::filesystem::path p(NATSCPP_SHARED_DIR);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return p;
#endif
  return {};
}

// The temporary directories and archive unpacking of the other store tests.
using natscpp::store::testing::ExtractTarZst;
using natscpp::store::testing::TempDir;

}  // namespace natscpp::store::crypto::testing

#endif  // NATSCPP_TESTS_STORE_CRYPTO_TEST_UTIL_H_
