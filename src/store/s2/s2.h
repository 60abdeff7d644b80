// The S2 compression format (klauspost/compress/s2), block and framed
// stream, as the file store uses it for compressed message blocks and
// snapshots (FORMAT.md §4, §13).
//
// Block format: uvarint decoded length, then elements whose first byte's low
// two bits select literal / copy-1 / copy-2 / copy-4, as in Snappy. S2 adds:
//   * a copy-1 with offset 0 repeats the previous copy's offset, and its
//     length field then selects a longer length encoding (4..8 inline, or
//     1, 2 or 3 following bytes);
//   * blocks may decode to more than 64 KiB (streams allow up to 4 MiB).
// The repeat offset starts unset in every block.
//
// Framed stream: Snappy's framing format (type byte, 3-byte little-endian
// length, then the body; data chunks start with the masked CRC-32C of the
// decoded bytes) with the stream identifier "S2sTwO" (or Snappy's "sNaPpY",
// which limits chunks to 64 KiB decoded).
//
// No decoder here trusts its input: every length and offset is checked
// before use and errors come back as ErrorCode::kCorrupt (or kUnsupported
// for chunk types the format reserves).
#ifndef NATSCPP_STORE_S2_S2_H_
#define NATSCPP_STORE_S2_S2_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "natscpp/store/error.h"

namespace natscpp::store::s2 {

// Largest decoded chunk a stream may carry; the Go reader's default limit.
inline constexpr size_t kMaxBlockSize = size_t{4} << 20;
// Decoded bytes per chunk written by EncodeStream; s2.NewWriter's default.
inline constexpr size_t kDefaultStreamBlockSize = size_t{1} << 20;
// Decoded-size limit of a chunk in a Snappy-identified stream.
inline constexpr size_t kMaxSnappyBlockSize = size_t{1} << 16;
// The block header's length is a uint32 in the format.
inline constexpr size_t kMaxDecodedLen = 0xffffffffu;

inline constexpr uint8_t kChunkTypeCompressedData = 0x00;
inline constexpr uint8_t kChunkTypeUncompressedData = 0x01;
inline constexpr uint8_t kChunkTypeIndex = 0x99;
inline constexpr uint8_t kChunkTypePadding = 0xfe;
inline constexpr uint8_t kChunkTypeStreamIdentifier = 0xff;

// Worst-case size of EncodeBlock's output for src_len input bytes (the
// length header plus everything as one literal); 0 if src_len exceeds what
// a block can hold.
size_t MaxEncodedLen(size_t src_len);

// The decoded length a block declares, and how many bytes that header took.
struct BlockHeader {
  size_t decoded_len = 0;
  size_t header_len = 0;
};
Result<BlockHeader> DecodedLen(std::span<const uint8_t> block);

// Decodes a block into dst, which must hold at least the declared length;
// returns the decoded length. Nothing past that length is written.
Result<size_t> DecodeBlockInto(std::span<const uint8_t> block, std::span<uint8_t> dst);

// Decodes a block. Declared lengths above max_decoded_len, or above what
// the block's bytes could possibly expand to, are rejected before any
// allocation; a declared length above kMaxBlockSize is allocated only after
// a pass over the elements confirms they produce exactly that many bytes.
Result<std::vector<uint8_t>> DecodeBlock(std::span<const uint8_t> block,
                                         size_t max_decoded_len = kMaxDecodedLen);

// Encodes src as one S2 block (also valid for any S2 decoder; copies use
// S2's repeat extension, so Snappy decoders may not read it). src must be
// at most kMaxDecodedLen bytes.
std::vector<uint8_t> EncodeBlock(std::span<const uint8_t> src);

// Appends the block encoding of src to out; returns the bytes appended.
size_t AppendEncodedBlock(std::span<const uint8_t> src, std::vector<uint8_t>& out);

// Decodes a complete framed stream, appending to out. An empty input, or a
// stream that ends cleanly at a chunk boundary, is complete (as for Go's
// reader); a cut inside a chunk is corrupt. Stops with kCorrupt once more
// than max_output bytes would be appended.
Result<void> AppendDecodedStream(std::span<const uint8_t> stream, std::vector<uint8_t>& out,
                                 size_t max_output = std::numeric_limits<size_t>::max());

Result<std::vector<uint8_t>> DecodeStream(std::span<const uint8_t> stream,
                                          size_t max_output = std::numeric_limits<size_t>::max());

// Appends src as a framed stream the way s2.NewWriter with default options
// writes it: nothing at all for empty input, otherwise the S2 stream
// identifier and chunks of at most block_size decoded bytes, each
// compressed, or stored raw when compression does not shrink it.
// block_size is clamped to [4 KiB, kMaxBlockSize].
void AppendEncodedStream(std::span<const uint8_t> src, std::vector<uint8_t>& out,
                         size_t block_size = kDefaultStreamBlockSize);

std::vector<uint8_t> EncodeStream(std::span<const uint8_t> src, size_t block_size = kDefaultStreamBlockSize);

}  // namespace natscpp::store::s2

#endif  // NATSCPP_STORE_S2_S2_H_
