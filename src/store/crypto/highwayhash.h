// HighwayHash-64 as the file store uses it (FORMAT.md §0 "HH64"): record
// checksums, index.db trailers and meta.sum. The bytes must equal what
// minio/highwayhash (Go) produces: the 32-byte key is read as four
// little-endian uint64 lanes and the 64-bit result is written little-endian.
// Google's reference implementation (Debian's libhighwayhash) computes the
// same function, so this wraps it rather than re-deriving the permutations.
#ifndef NATSCPP_STORE_CRYPTO_HIGHWAYHASH_H_
#define NATSCPP_STORE_CRYPTO_HIGHWAYHASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include <highwayhash/highwayhash.h>

#include "natscpp/store/error.h"

namespace natscpp::store::crypto {

inline constexpr size_t kHighwayHashKeySize = 32;
inline constexpr size_t kHighwayHash64Size = 8;

using HashKey = std::array<uint8_t, kHighwayHashKeySize>;
using Hash64Bytes = std::array<uint8_t, kHighwayHash64Size>;

// SHA-256 of an ASCII string: every HH64 key in the store is made this way
// ("<stream>-<N>" for block records, "<stream>" for meta.sum and index.db).
HashKey HashKeyFromString(std::string_view s);

// Streaming HighwayHash-64. Feeding the data in any number of pieces gives
// the same result as hashing their concatenation. Sum64/Sum do not change
// the state, so more data may follow (as with Go's hash.Hash).
//
// The incremental state of the reference implementation can only use the
// instruction set the translation unit is compiled for (portable code at the
// x86-64 baseline, several times slower than AVX2). Records — the common
// input — are small, so up to kBufferLimit bytes are collected and hashed
// at Sum time by the run-time-dispatched one-shot function; past that the
// data goes through the incremental state and memory stays bounded.
class HighwayHash64 {
 public:
  static constexpr size_t kBufferLimit = 64 * 1024;

  explicit HighwayHash64(const HashKey& key);

  // Checked construction from raw bytes: the key must be exactly 32 bytes,
  // as minio/highwayhash.New64 requires.
  static Result<HighwayHash64> New(std::span<const uint8_t> key);

  void Update(std::span<const uint8_t> data);
  void Update(std::string_view data) {
    Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }

  // Starts over with the same key.
  void Reset();

  // Hash of everything written so far.
  uint64_t Sum64() const;

  // The same value in the on-disk byte order (little-endian).
  void Sum(Hash64Bytes& out) const;
  Hash64Bytes Sum() const {
    Hash64Bytes out{};
    Sum(out);
    return out;
  }

 private:
  // The key as the reference implementation takes it; kept so Reset can
  // re-key. Wrapped in a struct so it can be returned from a function.
  struct Lanes {
    highwayhash::HHKey k;
  };
  static Lanes ToLanes(const HashKey& key);

  HashKey key_;
  Lanes lanes_;
  highwayhash::HighwayHashCatT<HH_TARGET> cat_;
  // Data not yet given to cat_; everything written while !streaming_.
  std::vector<uint8_t> pending_;
  bool streaming_ = false;
};

// One-shot hash of contiguous data.
uint64_t HighwayHash64Sum(const HashKey& key, std::span<const uint8_t> data);

// One-shot hash of the concatenation of several fragments, without copying
// them together (a record's seq/ts, subject, headers and payload).
uint64_t HighwayHash64Sum(const HashKey& key,
                          std::initializer_list<std::span<const uint8_t>> fragments);

// Writes v little-endian, as the store writes every HH64 value.
inline void PutHash64(uint64_t v, std::span<uint8_t, kHighwayHash64Size> out) {
  for (size_t i = 0; i < kHighwayHash64Size; ++i) {
    out[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

// Reads a stored little-endian HH64 value.
inline uint64_t GetHash64(std::span<const uint8_t, kHighwayHash64Size> in) {
  uint64_t v = 0;
  for (size_t i = 0; i < kHighwayHash64Size; ++i) {
    v |= static_cast<uint64_t>(in[i]) << (8 * i);
  }
  return v;
}

}  // namespace natscpp::store::crypto

#endif  // NATSCPP_STORE_CRYPTO_HIGHWAYHASH_H_
