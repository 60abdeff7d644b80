// S2 block and framed-stream encoding. The matcher is a single-probe hash
// table over 6-byte windows with a check for the previous copy's offset,
// which lets long runs use S2's cheap repeat elements. It favours speed;
// its bytes need not match Go's, only decode to the same data.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "s2/crc32c.h"
#include "s2/s2.h"
#include "util/varint.h"

namespace natscpp::store::s2 {
namespace {

constexpr uint8_t kTagLiteral = 0x00;
constexpr uint8_t kTagCopy1 = 0x01;
constexpr uint8_t kTagCopy2 = 0x02;
constexpr uint8_t kTagCopy4 = 0x03;

// Below this size a block is stored as one literal; matching cannot pay.
constexpr size_t kMinNonLiteralBlockSize = 32;
// The matcher stops this far from the end so 8-byte loads stay in bounds.
constexpr size_t kInputMargin = 8;
constexpr int kMaxTableBits = 14;
// Room past MaxEncodedLen for the last element written before a bail-out
// check; keeps every store in bounds without per-byte checks.
constexpr size_t kEncodeSlack = 32;

// Sized explicitly: the identifier contains NUL bytes.
constexpr std::string_view kMagicChunk("\xff\x06\x00\x00S2sTwO", 10);
constexpr size_t kMinStreamBlockSize = size_t{4} << 10;

inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Hash of the low six bytes of u into a table of 2^bits entries.
inline uint32_t Hash6(uint64_t u, int bits) {
  constexpr uint64_t kPrime6Bytes = 227718039650203ull;
  return static_cast<uint32_t>(((u << 16) * kPrime6Bytes) >> (64 - bits));
}

size_t LiteralExtraSize(size_t n) {
  if (n == 0) return 0;
  if (n < 60) return 1;
  if (n < (size_t{1} << 8)) return 2;
  if (n < (size_t{1} << 16)) return 3;
  if (n < (size_t{1} << 24)) return 4;
  return 5;
}

size_t EmitLiteral(uint8_t* dst, const uint8_t* lit, size_t len) {
  if (len == 0) return 0;
  const size_t n = len - 1;
  size_t i;
  if (n < 60) {
    dst[0] = static_cast<uint8_t>(n << 2 | kTagLiteral);
    i = 1;
  } else {
    const size_t bytes = n < (size_t{1} << 8) ? 1 : n < (size_t{1} << 16) ? 2 : n < (size_t{1} << 24) ? 3 : 4;
    dst[0] = static_cast<uint8_t>((59 + bytes) << 2 | kTagLiteral);
    for (size_t k = 0; k < bytes; ++k) dst[1 + k] = static_cast<uint8_t>(n >> (8 * k));
    i = 1 + bytes;
  }
  std::memcpy(dst + i, lit, len);
  return i + len;
}

// A copy-1 element: offset < 2048, length 4..11.
inline size_t EmitCopy1(uint8_t* dst, size_t offset, size_t length) {
  dst[0] = static_cast<uint8_t>((offset >> 8) << 5 | (length - 4) << 2 | kTagCopy1);
  dst[1] = static_cast<uint8_t>(offset);
  return 2;
}

// A copy-2 element: offset < 65536, length 1..64.
inline size_t EmitCopy2(uint8_t* dst, size_t offset, size_t length) {
  dst[0] = static_cast<uint8_t>((length - 1) << 2 | kTagCopy2);
  dst[1] = static_cast<uint8_t>(offset);
  dst[2] = static_cast<uint8_t>(offset >> 8);
  return 3;
}

inline size_t EmitCopy4(uint8_t* dst, size_t offset, size_t length) {
  dst[0] = static_cast<uint8_t>((length - 1) << 2 | kTagCopy4);
  for (size_t k = 0; k < 4; ++k) dst[1 + k] = static_cast<uint8_t>(offset >> (8 * k));
  return 5;
}

// Repeats the previous copy's offset for length (>= 4) bytes. The decoder
// adds 4 to every copy-1 length and, for the 1/2/3-byte forms, a further
// 4, 256 or 65536; each branch stores the remainder accordingly.
size_t EmitRepeat(uint8_t* dst, size_t offset, size_t length) {
  size_t rest = length - 4;
  if (rest <= 4) {
    dst[0] = static_cast<uint8_t>(rest << 2 | kTagCopy1);
    dst[1] = 0;
    return 2;
  }
  if (rest < 8 && offset < 2048) {
    // Length codes 5..7 mean extended repeats, so spell the offset out.
    return EmitCopy1(dst, offset, length);
  }
  if (rest < (size_t{1} << 8) + 4) {
    rest -= 4;
    dst[0] = 5 << 2 | kTagCopy1;
    dst[1] = 0;
    dst[2] = static_cast<uint8_t>(rest);
    return 3;
  }
  if (rest < (size_t{1} << 16) + (size_t{1} << 8)) {
    rest -= size_t{1} << 8;
    dst[0] = 6 << 2 | kTagCopy1;
    dst[1] = 0;
    dst[2] = static_cast<uint8_t>(rest);
    dst[3] = static_cast<uint8_t>(rest >> 8);
    return 4;
  }
  constexpr size_t kMaxRepeat = (size_t{1} << 24) - 1;
  rest -= size_t{1} << 16;
  size_t left = 0;
  if (rest > kMaxRepeat) {
    // Split so the tail is itself a valid repeat of at least 5 bytes.
    left = rest - kMaxRepeat + 4;
    rest = kMaxRepeat - 4;
  }
  dst[0] = 7 << 2 | kTagCopy1;
  dst[1] = 0;
  dst[2] = static_cast<uint8_t>(rest);
  dst[3] = static_cast<uint8_t>(rest >> 8);
  dst[4] = static_cast<uint8_t>(rest >> 16);
  if (left > 0) return 5 + EmitRepeat(dst + 5, offset, left);
  return 5;
}

// A copy of length >= 4 at offset >= 1; long copies become one explicit
// copy followed by repeats of its offset.
size_t EmitCopy(uint8_t* dst, size_t offset, size_t length) {
  if (offset >= 65536) {
    if (length > 64) {
      size_t n = EmitCopy4(dst, offset, 64);
      length -= 64;
      if (length >= 4) return n + EmitRepeat(dst + n, offset, length);
      return n + EmitCopy4(dst + n, offset, length);
    }
    return EmitCopy4(dst, offset, length);
  }
  if (length > 64) {
    size_t n;
    if (offset < 2048) {
      n = EmitCopy1(dst, offset, 8);
      length -= 8;
    } else {
      n = EmitCopy2(dst, offset, 60);
      length -= 60;
    }
    return n + EmitRepeat(dst + n, offset, length);
  }
  if (length >= 12 || offset >= 2048) return EmitCopy2(dst, offset, length);
  return EmitCopy1(dst, offset, length);
}

// Encodes src (kMinNonLiteralBlockSize <= n) into dst, which has room for
// MaxEncodedLen(n) + kEncodeSlack bytes. Returns the bytes written, or 0 when
// the result would not beat storing src as a literal by ~3%.
size_t EncodeBody(uint8_t* dst, const uint8_t* src, size_t n) {
  const int table_bits = std::clamp(static_cast<int>(std::bit_width(n)) - 2, 8, kMaxTableBits);
  std::array<uint32_t, size_t{1} << kMaxTableBits> table;
  std::fill_n(table.begin(), size_t{1} << table_bits, 0u);

  const size_t s_limit = n - kInputMargin;
  const size_t dst_limit = n - (n >> 5) - 5;
  size_t d = 0;
  size_t next_emit = 0;  // src before this is already encoded
  size_t s = 1;          // nothing to copy from at 0
  uint64_t cv = Load64(src + s);
  // Offset of the last copy. Only usable as a repeat once a copy exists
  // (next_emit > 0); before that a "repeat" hit is emitted as a plain copy.
  size_t repeat = 1;

  for (;;) {
    size_t candidate = 0;
    // Search for a 4-byte match, skipping faster the longer nothing matches.
    for (;;) {
      const size_t next_s = s + ((s - next_emit) >> 6) + 4;
      if (next_s > s_limit) goto emit_remainder;
      const uint32_t h0 = Hash6(cv, table_bits);
      const uint32_t h1 = Hash6(cv >> 8, table_bits);
      candidate = table[h0];
      const size_t candidate2 = table[h1];
      table[h0] = static_cast<uint32_t>(s);
      table[h1] = static_cast<uint32_t>(s + 1);
      const uint32_t h2 = Hash6(cv >> 16, table_bits);

      // The previous offset, tried at s+1, is cheapest to encode.
      if (static_cast<uint32_t>(cv >> 8) == Load32(src + s + 1 - repeat)) {
        size_t base = s + 1;
        for (size_t i = base - repeat; base > next_emit && i > 0 && src[i - 1] == src[base - 1];) {
          --i;
          --base;
        }
        if (d + (base - next_emit) > dst_limit) return 0;
        d += EmitLiteral(dst + d, src + next_emit, base - next_emit);
        size_t cand = s + 1 - repeat + 4;
        s += 5;
        while (s <= s_limit) {
          const uint64_t diff = Load64(src + s) ^ Load64(src + cand);
          if (diff != 0) {
            s += static_cast<size_t>(std::countr_zero(diff) >> 3);
            break;
          }
          s += 8;
          cand += 8;
        }
        d += next_emit > 0 ? EmitRepeat(dst + d, repeat, s - base) : EmitCopy(dst + d, repeat, s - base);
        next_emit = s;
        if (s >= s_limit) goto emit_remainder;
        if (d > dst_limit) return 0;
        cv = Load64(src + s);
        continue;
      }

      if (static_cast<uint32_t>(cv) == Load32(src + candidate)) break;
      candidate = table[h2];
      if (static_cast<uint32_t>(cv >> 8) == Load32(src + candidate2)) {
        table[h2] = static_cast<uint32_t>(s + 2);
        candidate = candidate2;
        s += 1;
        break;
      }
      table[h2] = static_cast<uint32_t>(s + 2);
      if (static_cast<uint32_t>(cv >> 16) == Load32(src + candidate)) {
        s += 2;
        break;
      }
      cv = Load64(src + next_s);
      s = next_s;
    }

    // Grow the match backwards over bytes not yet emitted.
    while (candidate > 0 && s > next_emit && src[candidate - 1] == src[s - 1]) {
      --candidate;
      --s;
    }
    if (d + (s - next_emit) > dst_limit) return 0;
    d += EmitLiteral(dst + d, src + next_emit, s - next_emit);

    // Emit copies for as long as another match follows immediately.
    for (;;) {
      const size_t base = s;
      repeat = base - candidate;
      s += 4;
      candidate += 4;
      while (s <= n - 8) {
        const uint64_t diff = Load64(src + s) ^ Load64(src + candidate);
        if (diff != 0) {
          s += static_cast<size_t>(std::countr_zero(diff) >> 3);
          break;
        }
        s += 8;
        candidate += 8;
      }
      d += EmitCopy(dst + d, repeat, s - base);
      next_emit = s;
      if (s >= s_limit) goto emit_remainder;
      if (d > dst_limit) return 0;

      const uint64_t x = Load64(src + s - 2);
      const uint32_t prev_hash = Hash6(x, table_bits);
      const uint32_t cur_hash = Hash6(x >> 16, table_bits);
      candidate = table[cur_hash];
      table[prev_hash] = static_cast<uint32_t>(s - 2);
      table[cur_hash] = static_cast<uint32_t>(s);
      if (static_cast<uint32_t>(x >> 16) != Load32(src + candidate)) {
        cv = Load64(src + s + 1);
        s += 1;
        break;
      }
    }
  }

emit_remainder:
  if (next_emit < n) {
    if (d + (n - next_emit) > dst_limit) return 0;
    d += EmitLiteral(dst + d, src + next_emit, n - next_emit);
  }
  return d;
}

// Writes the block encoding of src at dst (room for MaxEncodedLen(n) +
// kEncodeSlack); returns its length.
size_t EncodeBlockAt(uint8_t* dst, std::span<const uint8_t> src) {
  size_t d = util::PutUvarint(dst, src.size());
  if (src.empty()) return d;
  if (src.size() >= kMinNonLiteralBlockSize) {
    const size_t n = EncodeBody(dst + d, src.data(), src.size());
    // The matcher's own limit almost always holds this; the check makes
    // MaxEncodedLen a hard bound.
    if (n > 0 && d + n <= MaxEncodedLen(src.size())) return d + n;
  }
  return d + EmitLiteral(dst + d, src.data(), src.size());
}

}  // namespace

size_t MaxEncodedLen(size_t src_len) {
  if (src_len > kMaxDecodedLen) return 0;
  // Go's bound: it rounds the header up to (bits + 7) / 7 bytes, one more
  // than the varint needs at exact multiples of 7 bits.
  const size_t header = (static_cast<size_t>(std::bit_width(src_len)) + 7) / 7;
  const size_t n = src_len + header + LiteralExtraSize(src_len);
  return n > kMaxDecodedLen ? 0 : n;
}

size_t AppendEncodedBlock(std::span<const uint8_t> src, std::vector<uint8_t>& out) {
  const size_t max = MaxEncodedLen(src.size());
  if (max == 0) return 0;  // larger than the format can describe
  const size_t at = out.size();
  out.resize(at + max + kEncodeSlack);
  const size_t n = EncodeBlockAt(out.data() + at, src);
  out.resize(at + n);
  return n;
}

std::vector<uint8_t> EncodeBlock(std::span<const uint8_t> src) {
  std::vector<uint8_t> out;
  AppendEncodedBlock(src, out);
  return out;
}

void AppendEncodedStream(std::span<const uint8_t> src, std::vector<uint8_t>& out, size_t block_size) {
  if (src.empty()) return;  // Go's writer emits nothing, not even the identifier
  block_size = std::clamp(block_size, kMinStreamBlockSize, kMaxBlockSize);
  constexpr size_t kChunkHeader = 4;
  constexpr size_t kChecksum = 4;
  const size_t chunks = (src.size() + block_size - 1) / block_size;
  out.reserve(out.size() + kMagicChunk.size() + src.size() + chunks * (kChunkHeader + kChecksum + 16));
  out.insert(out.end(), kMagicChunk.begin(), kMagicChunk.end());

  for (size_t off = 0; off < src.size(); off += block_size) {
    const std::span<const uint8_t> chunk = src.subspan(off, std::min(block_size, src.size() - off));
    const uint32_t crc = MaskedCrc32c(chunk);
    const size_t at = out.size();
    uint8_t type = kChunkTypeUncompressedData;
    size_t body_len = chunk.size();
    if (chunk.size() >= kMinNonLiteralBlockSize) {
      out.resize(at + kChunkHeader + kChecksum + MaxEncodedLen(chunk.size()) + kEncodeSlack);
      uint8_t* body = out.data() + at + kChunkHeader + kChecksum;
      const size_t hdr = util::PutUvarint(body, chunk.size());
      const size_t n = EncodeBody(body + hdr, chunk.data(), chunk.size());
      if (n > 0 && hdr + n < chunk.size()) {
        type = kChunkTypeCompressedData;
        body_len = hdr + n;
      }
    }
    out.resize(at + kChunkHeader + kChecksum + (type == kChunkTypeCompressedData ? body_len : 0));
    if (type == kChunkTypeUncompressedData) out.insert(out.end(), chunk.begin(), chunk.end());
    const size_t chunk_len = kChecksum + body_len;  // < 2^24: blocks are at most 4 MiB
    uint8_t* h = out.data() + at;
    h[0] = type;
    h[1] = static_cast<uint8_t>(chunk_len);
    h[2] = static_cast<uint8_t>(chunk_len >> 8);
    h[3] = static_cast<uint8_t>(chunk_len >> 16);
    for (size_t k = 0; k < 4; ++k) h[4 + k] = static_cast<uint8_t>(crc >> (8 * k));
  }
}

std::vector<uint8_t> EncodeStream(std::span<const uint8_t> src, size_t block_size) {
  std::vector<uint8_t> out;
  AppendEncodedStream(src, out, block_size);
  return out;
}

}  // namespace natscpp::store::s2
