// The file store's block compression (FORMAT.md §4): the algorithm enum of
// the stream config, its names, and the "cmp" header that marks a
// compressed block.
#ifndef NATSCPP_STORE_S2_COMPRESSION_H_
#define NATSCPP_STORE_S2_COMPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "natscpp/store/error.h"

namespace natscpp::store::s2 {

// Stored as one byte in the cmp header; a header may carry values this
// enum does not name, which Compress/Decompress then reject.
enum class StoreCompression : uint8_t {
  kNone = 0,
  kS2 = 1,
};

// Display name: "None", "S2", or "Unknown StoreCompression".
std::string_view String(StoreCompression alg);

// The stream-config JSON value: "\"none\"" or "\"s2\"" (with the quotes).
Result<std::string> MarshalJSON(StoreCompression alg);

// Parses a JSON string value "none" or "s2" (escapes and surrounding
// whitespace allowed, as in any JSON text).
Result<StoreCompression> UnmarshalJSON(std::string_view json);

// The cmp header in front of a compressed block: "cmp", the algorithm
// byte, and the uvarint size of the block before compression.
struct CompressionInfo {
  StoreCompression algorithm = StoreCompression::kNone;
  uint64_t original_size = 0;

  std::vector<uint8_t> MarshalMetadata() const;

  // Reads a header from the start of b. Returns its length, or 0 (with
  // algorithm kNone) when b does not start with one, so the block is
  // uncompressed; an error only when the size varint is cut short or
  // overlong.
  Result<size_t> UnmarshalMetadata(std::span<const uint8_t> b);
};

// Compresses a block for disk: the S2 stream of everything but the last
// 8 bytes (the last record's checksum), which follow uncompressed. For
// kNone the block is returned as is. The cmp header is not included.
Result<std::vector<uint8_t>> Compress(StoreCompression alg, std::span<const uint8_t> buf);

// Reverses Compress for a body that follows a cmp header.
Result<std::vector<uint8_t>> Decompress(StoreCompression alg, std::span<const uint8_t> buf);

}  // namespace natscpp::store::s2

#endif  // NATSCPP_STORE_S2_COMPRESSION_H_
