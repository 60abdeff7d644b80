// S2 block and framed-stream decoding. See s2.h for the format summary.
#include <cstring>
#include <string>

#include "s2/crc32c.h"
#include "s2/s2.h"
#include "util/varint.h"

namespace natscpp::store::s2 {
namespace {

constexpr uint8_t kTagLiteral = 0x00;
constexpr uint8_t kTagCopy1 = 0x01;
constexpr uint8_t kTagCopy2 = 0x02;

constexpr std::string_view kMagicBody = "S2sTwO";
constexpr std::string_view kMagicBodySnappy = "sNaPpY";
constexpr size_t kChunkHeaderSize = 4;
constexpr size_t kChunkChecksumSize = 4;

// The most one input byte can expand to: a 5-byte repeat with a 3-byte
// length yields (1<<24)-1 + (1<<16) + 4 bytes. Used to reject declared
// lengths that no body of the given size could produce, before allocating.
constexpr size_t kMaxExpansionPerByte = ((size_t{1} << 24) - 1 + (size_t{1} << 16) + 4) / 5;

inline uint32_t Load16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
inline uint32_t Load24(const uint8_t* p) { return Load16(p) | (uint32_t{p[2]} << 16); }
inline uint32_t Load32(const uint8_t* p) { return Load24(p) | (uint32_t{p[3]} << 24); }

std::unexpected<Error> Corrupt(std::string what) {
  return MakeError(ErrorCode::kCorrupt, "s2: corrupt input: " + std::move(what));
}

// Writes length bytes at out from offset bytes back. Overlap (offset <
// length) is the run-length case: the output repeats with period offset.
// room is the space left in the output; when it allows, copies go in
// 8-byte steps that may write up to 7 bytes past length (inside the output,
// to be overwritten by the elements that follow).
inline void CopyBack(uint8_t* out, size_t offset, size_t length, size_t room) {
  const uint8_t* from = out - offset;
  if (offset >= 8 && length + 8 <= room) {
    // Each step reads 8 bytes that end at or before where it writes, so
    // overlapping copies still see the bytes already produced.
    for (size_t i = 0; i < length; i += 8) std::memcpy(out + i, from + i, 8);
    return;
  }
  if (offset >= length) {
    std::memcpy(out, from, length);
    return;
  }
  if (offset == 1) {
    std::memset(out, from[0], length);
    return;
  }
  // Keep `done` a multiple of offset so out[done + t] == from[t]; the
  // readable, non-overlapping window then doubles with every step.
  size_t done = 0;
  while (done < length) {
    const size_t n = std::min(offset + done, length - done);
    std::memcpy(out + done, from, n);
    done += n;
  }
}

// Decodes the elements of a block body (after the length header) into
// exactly dst_len bytes at dst. With kWrite false it only checks that the
// body would decode to dst_len bytes, touching no output (dst may be null).
template <bool kWrite>
Result<void> DecodeBody(const uint8_t* src, size_t src_len, uint8_t* dst, size_t dst_len) {
  size_t s = 0;
  size_t d = 0;
  size_t offset = 0;  // the repeat offset; none yet in a new block
  while (s < src_len) {
    const uint8_t tag = src[s];
    size_t length = 0;
    switch (tag & 0x03) {
      case kTagLiteral: {
        size_t x = tag >> 2;
        ++s;
        if (x >= 60) {
          const size_t extra = x - 59;  // 1..4 little-endian length bytes
          if (src_len - s < extra) return Corrupt("literal length cut short");
          x = 0;
          for (size_t i = 0; i < extra; ++i) x |= size_t{src[s + i]} << (8 * i);
          s += extra;
        }
        length = x + 1;
        if (length > dst_len - d) return Corrupt("literal overruns the declared length");
        if (length > src_len - s) return Corrupt("literal runs past the input");
        if constexpr (kWrite) {
          if (length <= 16 && src_len - s >= 16 && dst_len - d >= 16) {
            std::memcpy(dst + d, src + s, 16);  // fixed size: no library call
          } else {
            std::memcpy(dst + d, src + s, length);
          }
        }
        d += length;
        s += length;
        continue;
      }
      case kTagCopy1: {
        if (src_len - s < 2) return Corrupt("copy-1 cut short");
        length = (tag >> 2) & 0x07;
        const size_t this_offset = (static_cast<size_t>(tag & 0xe0u) << 3) | src[s + 1];
        s += 2;
        if (this_offset == 0) {
          // Repeat of the previous offset; the length field selects how
          // the (longer) length is stored.
          switch (length) {
            case 5:
              if (src_len - s < 1) return Corrupt("repeat length cut short");
              length = size_t{src[s]} + 4;
              s += 1;
              break;
            case 6:
              if (src_len - s < 2) return Corrupt("repeat length cut short");
              length = size_t{Load16(src + s)} + (size_t{1} << 8);
              s += 2;
              break;
            case 7:
              if (src_len - s < 3) return Corrupt("repeat length cut short");
              length = size_t{Load24(src + s)} + (size_t{1} << 16);
              s += 3;
              break;
            default:
              break;
          }
        } else {
          offset = this_offset;
        }
        length += 4;
        break;
      }
      case kTagCopy2:
        if (src_len - s < 3) return Corrupt("copy-2 cut short");
        length = static_cast<size_t>(tag >> 2) + 1;
        offset = Load16(src + s + 1);
        s += 3;
        break;
      default:  // copy-4
        if (src_len - s < 5) return Corrupt("copy-4 cut short");
        length = static_cast<size_t>(tag >> 2) + 1;
        offset = Load32(src + s + 1);
        s += 5;
        break;
    }
    if (offset == 0) return Corrupt("copy with offset 0 or a repeat before any copy");
    if (offset > d) return Corrupt("copy offset before the start of the block");
    if (length > dst_len - d) return Corrupt("copy overruns the declared length");
    if constexpr (kWrite) CopyBack(dst + d, offset, length, dst_len - d);
    d += length;
  }
  if (d != dst_len) return Corrupt("block decodes to fewer bytes than declared");
  return {};
}

}  // namespace

Result<BlockHeader> DecodedLen(std::span<const uint8_t> block) {
  const util::VarintRead v = util::ReadUvarint(block);
  if (v.n <= 0) return Corrupt("bad block length header");
  if (v.value > kMaxDecodedLen) return Corrupt("block length header above 4 GiB");
  return BlockHeader{static_cast<size_t>(v.value), static_cast<size_t>(v.n)};
}

Result<size_t> DecodeBlockInto(std::span<const uint8_t> block, std::span<uint8_t> dst) {
  auto hdr = DecodedLen(block);
  if (!hdr) return std::unexpected(hdr.error());
  if (hdr->decoded_len > dst.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "s2: destination smaller than the decoded block");
  }
  auto r = DecodeBody<true>(block.data() + hdr->header_len, block.size() - hdr->header_len, dst.data(),
                            hdr->decoded_len);
  if (!r) return std::unexpected(r.error());
  return hdr->decoded_len;
}

Result<std::vector<uint8_t>> DecodeBlock(std::span<const uint8_t> block, size_t max_decoded_len) {
  auto hdr = DecodedLen(block);
  if (!hdr) return std::unexpected(hdr.error());
  const size_t body = block.size() - hdr->header_len;
  if (hdr->decoded_len > max_decoded_len) {
    return Corrupt("declared length " + std::to_string(hdr->decoded_len) + " above the limit " +
                   std::to_string(max_decoded_len));
  }
  if (body < hdr->decoded_len / kMaxExpansionPerByte + (hdr->decoded_len % kMaxExpansionPerByte != 0)) {
    return Corrupt("declared length " + std::to_string(hdr->decoded_len) + " cannot come from a body of " +
                   std::to_string(body) + " bytes");
  }
  const uint8_t* elements = block.data() + hdr->header_len;
  if (hdr->decoded_len > kMaxBlockSize) {
    // A large declared length is only believed once the elements add up
    // to it, so a damaged header cannot make us allocate gigabytes.
    auto check = DecodeBody<false>(elements, body, nullptr, hdr->decoded_len);
    if (!check) return std::unexpected(check.error());
  }
  std::vector<uint8_t> out(hdr->decoded_len);
  auto r = DecodeBody<true>(elements, body, out.data(), out.size());
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> AppendDecodedStream(std::span<const uint8_t> stream, std::vector<uint8_t>& out,
                                 size_t max_output) {
  const uint8_t* p = stream.data();
  const size_t n = stream.size();
  const size_t start_size = out.size();
  // A chunk's body can be no larger than the biggest block's worst-case
  // encoding plus its checksum (the Go reader's buffer limit).
  const size_t max_chunk_body = MaxEncodedLen(kMaxBlockSize) + kChunkChecksumSize;
  size_t pos = 0;
  bool seen_identifier = false;
  bool snappy = false;

  auto fail = [&](std::unexpected<Error> e) -> Result<void> {
    out.resize(start_size);
    return e;
  };

  while (pos < n) {
    if (n - pos < kChunkHeaderSize) return fail(Corrupt("stream ends inside a chunk header"));
    const uint8_t type = p[pos];
    const size_t chunk_len = Load24(p + pos + 1);
    const size_t chunk_at = pos;
    pos += kChunkHeaderSize;
    if (!seen_identifier) {
      if (type != kChunkTypeStreamIdentifier) {
        return fail(Corrupt("stream does not start with a stream identifier"));
      }
      seen_identifier = true;
    }
    const auto where = [&] { return " (chunk at offset " + std::to_string(chunk_at) + ")"; };

    switch (type) {
      case kChunkTypeCompressedData:
      case kChunkTypeUncompressedData: {
        if (chunk_len < kChunkChecksumSize)
          return fail(Corrupt("data chunk shorter than its checksum" + where()));
        if (chunk_len > max_chunk_body) return fail(Corrupt("data chunk too large" + where()));
        if (n - pos < chunk_len) return fail(Corrupt("stream ends inside a data chunk" + where()));
        const uint32_t want_crc = Load32(p + pos);
        const uint8_t* body = p + pos + kChunkChecksumSize;
        const size_t body_len = chunk_len - kChunkChecksumSize;
        size_t decoded_len = body_len;
        size_t header_len = 0;
        if (type == kChunkTypeCompressedData) {
          auto hdr = DecodedLen({body, body_len});
          if (!hdr) return fail(std::unexpected(hdr.error()));
          decoded_len = hdr->decoded_len;
          header_len = hdr->header_len;
        }
        if (snappy && decoded_len > kMaxSnappyBlockSize) {
          return fail(Corrupt("chunk above 64 KiB in a Snappy stream" + where()));
        }
        if (decoded_len > kMaxBlockSize) return fail(Corrupt("chunk decodes to more than 4 MiB" + where()));
        if (decoded_len > max_output - (out.size() - start_size)) {
          return fail(
              Corrupt("stream decodes to more than the allowed " + std::to_string(max_output) + " bytes"));
        }
        const size_t at = out.size();
        if (type == kChunkTypeCompressedData) {
          out.resize(at + decoded_len);
          auto r = DecodeBody<true>(body + header_len, body_len - header_len, out.data() + at, decoded_len);
          if (!r) return fail(Corrupt(r.error().message() + where()));
        } else {
          out.insert(out.end(), body, body + body_len);
        }
        const uint32_t got_crc = MaskedCrc32c({out.data() + at, decoded_len});
        if (got_crc != want_crc) return fail(Corrupt("crc mismatch" + where()));
        pos += chunk_len;
        break;
      }
      case kChunkTypeStreamIdentifier: {
        if (chunk_len != kMagicBody.size()) return fail(Corrupt("bad stream identifier length" + where()));
        if (n - pos < chunk_len) return fail(Corrupt("stream ends inside the stream identifier"));
        const std::string_view magic(reinterpret_cast<const char*>(p + pos), chunk_len);
        if (magic == kMagicBody) {
          snappy = false;
        } else if (magic == kMagicBodySnappy) {
          snappy = true;
        } else {
          return fail(Corrupt("unknown stream identifier" + where()));
        }
        pos += chunk_len;
        break;
      }
      default:
        if (type <= 0x7f) {
          return fail(MakeError(ErrorCode::kUnsupported,
                                "s2: reserved unskippable chunk type " + std::to_string(type) + where()));
        }
        // Padding, the index chunk and other skippable chunks carry nothing
        // the decoded data needs.
        if (n - pos < chunk_len) return fail(Corrupt("stream ends inside a skippable chunk" + where()));
        pos += chunk_len;
        break;
    }
  }
  return {};
}

Result<std::vector<uint8_t>> DecodeStream(std::span<const uint8_t> stream, size_t max_output) {
  std::vector<uint8_t> out;
  auto r = AppendDecodedStream(stream, out, max_output);
  if (!r) return std::unexpected(r.error());
  return out;
}

}  // namespace natscpp::store::s2
