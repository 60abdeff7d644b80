// Go's encoding/binary varints (LEB128 uvarint; zig-zag varint), the only
// variable-length integers in the store's formats (FORMAT.md §0).
#ifndef NATSCPP_STORE_UTIL_VARINT_H_
#define NATSCPP_STORE_UTIL_VARINT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace natscpp::store::util {

inline constexpr size_t kMaxVarintLen64 = 10;

// Bytes a uvarint of v takes.
// go: server/store.go:uvarintLen
constexpr size_t UvarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at out (which has room for kMaxVarintLen64); returns the length.
inline size_t PutUvarint(uint8_t* out, uint64_t v) {
  size_t i = 0;
  while (v >= 0x80) {
    out[i++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  out[i++] = static_cast<uint8_t>(v);
  return i;
}

inline size_t PutVarint(uint8_t* out, int64_t v) {
  const uint64_t zz = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  return PutUvarint(out, zz);
}

inline void AppendUvarint(std::vector<uint8_t>& b, uint64_t v) {
  uint8_t tmp[kMaxVarintLen64];
  b.insert(b.end(), tmp, tmp + PutUvarint(tmp, v));
}

inline void AppendVarint(std::vector<uint8_t>& b, int64_t v) {
  uint8_t tmp[kMaxVarintLen64];
  b.insert(b.end(), tmp, tmp + PutVarint(tmp, v));
}

// The result of a read, with Go's convention for n: > 0 bytes read;
// 0 the buffer ended first; < 0 the value overflows 64 bits (-n bytes
// were examined).
struct VarintRead {
  uint64_t value = 0;
  int n = 0;
};

inline VarintRead ReadUvarint(std::span<const uint8_t> buf) {
  uint64_t x = 0;
  unsigned s = 0;
  for (size_t i = 0; i < buf.size(); ++i) {
    if (i == kMaxVarintLen64) return {0, -static_cast<int>(i + 1)};
    const uint8_t b = buf[i];
    if (b < 0x80) {
      if (i == kMaxVarintLen64 - 1 && b > 1) return {0, -static_cast<int>(i + 1)};
      return {x | (static_cast<uint64_t>(b) << s), static_cast<int>(i + 1)};
    }
    x |= static_cast<uint64_t>(b & 0x7f) << s;
    s += 7;
  }
  return {0, 0};
}

struct SignedVarintRead {
  int64_t value = 0;
  int n = 0;
};

inline SignedVarintRead ReadVarint(std::span<const uint8_t> buf) {
  const VarintRead u = ReadUvarint(buf);
  int64_t x = static_cast<int64_t>(u.value >> 1);
  if (u.value & 1) x = ~x;
  return {x, u.n};
}

}  // namespace natscpp::store::util

#endif  // NATSCPP_STORE_UTIL_VARINT_H_
