// Lower-case hex of bytes, as Go's hex.EncodeToString writes it (meta.sum
// files, checksums in messages).
#ifndef NATSCPP_STORE_UTIL_HEX_H_
#define NATSCPP_STORE_UTIL_HEX_H_

#include <cstdint>
#include <span>
#include <string>

namespace natscpp::store {

inline std::string HexLower(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_HEX_H_
