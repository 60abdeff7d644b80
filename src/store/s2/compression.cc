#include "s2/compression.h"

#include "s2/s2.h"
#include "util/filestore_constants.h"
#include "util/varint.h"

namespace natscpp::store::s2 {
namespace {

std::unexpected<Error> UnknownAlgorithm() {
  return MakeError(ErrorCode::kInvalidArgument, "unknown compression algorithm");
}

constexpr bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Parses one JSON text that must be a string (or null, which leaves the
// target empty, as decoding null into a string does). Only the value
// matters to the caller, which compares it against two ASCII names.
Result<std::string> ParseJsonString(std::string_view j) {
  auto bad = [](std::string what) { return MakeError(ErrorCode::kBadEncoding, "invalid JSON: " + what); };
  size_t i = 0;
  while (i < j.size() && IsJsonSpace(j[i])) ++i;
  size_t end = j.size();
  while (end > i && IsJsonSpace(j[end - 1])) --end;
  const std::string_view v = j.substr(i, end - i);
  if (v == "null") return std::string();
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return bad("not a string");
  std::string out;
  for (size_t k = 1; k + 1 < v.size(); ++k) {
    const char c = v[k];
    if (static_cast<unsigned char>(c) < 0x20) return bad("control character in string");
    if (c == '"') return bad("unexpected quote");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (k + 2 >= v.size()) return bad("escape at end of string");
    const char e = v[++k];
    switch (e) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        if (k + 4 >= v.size() - 1) return bad("short \\u escape");
        uint32_t cp = 0;
        for (size_t h = 1; h <= 4; ++h) {
          const int hv = HexValue(v[k + h]);
          if (hv < 0) return bad("bad \\u escape");
          cp = cp << 4 | static_cast<uint32_t>(hv);
        }
        k += 4;
        // Lone surrogates decode to U+FFFD; neither can spell a valid name.
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
        AppendUtf8(out, cp);
        break;
      }
      default:
        return bad("unknown escape");
    }
  }
  return out;
}

}  // namespace

// go: server/filestore.go:(StoreCompression).String
std::string_view String(StoreCompression alg) {
  switch (alg) {
    case StoreCompression::kNone:
      return "None";
    case StoreCompression::kS2:
      return "S2";
  }
  return "Unknown StoreCompression";
}

// go: server/filestore.go:(StoreCompression).MarshalJSON
Result<std::string> MarshalJSON(StoreCompression alg) {
  switch (alg) {
    case StoreCompression::kS2:
      return std::string("\"s2\"");
    case StoreCompression::kNone:
      return std::string("\"none\"");
  }
  return UnknownAlgorithm();
}

// go: server/filestore.go:(*StoreCompression).UnmarshalJSON
Result<StoreCompression> UnmarshalJSON(std::string_view json) {
  auto str = ParseJsonString(json);
  if (!str) return std::unexpected(str.error());
  if (*str == "s2") return StoreCompression::kS2;
  if (*str == "none") return StoreCompression::kNone;
  return UnknownAlgorithm();
}

// go: server/filestore.go:(*CompressionInfo).MarshalMetadata
std::vector<uint8_t> CompressionInfo::MarshalMetadata() const {
  std::vector<uint8_t> b(4 + util::kMaxVarintLen64);
  b[0] = 'c';
  b[1] = 'm';
  b[2] = 'p';
  b[3] = static_cast<uint8_t>(algorithm);
  const size_t n = util::PutUvarint(b.data() + 4, original_size);
  b.resize(4 + n);
  return b;
}

// go: server/filestore.go:(*CompressionInfo).UnmarshalMetadata
Result<size_t> CompressionInfo::UnmarshalMetadata(std::span<const uint8_t> b) {
  algorithm = StoreCompression::kNone;
  original_size = 0;
  // The magic plus at least one varint byte; anything shorter, or without
  // the magic, is an uncompressed block.
  if (b.size() < 5) return 0;
  if (b[0] != 'c' || b[1] != 'm' || b[2] != 'p') return 0;
  algorithm = static_cast<StoreCompression>(b[3]);
  const util::VarintRead v = util::ReadUvarint(b.subspan(4));
  original_size = v.value;
  if (v.n <= 0) return MakeError(ErrorCode::kCorrupt, "metadata incomplete");
  return 4 + static_cast<size_t>(v.n);
}

// go: server/filestore.go:(StoreCompression).Compress
Result<std::vector<uint8_t>> Compress(StoreCompression alg, std::span<const uint8_t> buf) {
  if (buf.size() < kChecksumSize) {
    return MakeError(ErrorCode::kInvalidArgument, "uncompressed buffer is too short");
  }
  switch (alg) {
    case StoreCompression::kNone:
      return std::vector<uint8_t>(buf.begin(), buf.end());
    case StoreCompression::kS2:
      break;
    default:
      return MakeError(ErrorCode::kInvalidArgument, "compression algorithm not known");
  }
  // The trailing checksum stays raw so it can be read without decoding.
  const size_t body_len = buf.size() - kChecksumSize;
  std::vector<uint8_t> out;
  AppendEncodedStream(buf.first(body_len), out);
  out.insert(out.end(), buf.begin() + static_cast<std::ptrdiff_t>(body_len), buf.end());
  return out;
}

// go: server/filestore.go:(StoreCompression).Decompress
Result<std::vector<uint8_t>> Decompress(StoreCompression alg, std::span<const uint8_t> buf) {
  if (buf.size() < kChecksumSize) {
    return MakeError(ErrorCode::kCorrupt, "compressed buffer is too short");
  }
  switch (alg) {
    case StoreCompression::kNone:
      return std::vector<uint8_t>(buf.begin(), buf.end());
    case StoreCompression::kS2:
      break;
    default:
      return MakeError(ErrorCode::kUnsupported, "compression algorithm not known");
  }
  const size_t body_len = buf.size() - kChecksumSize;
  std::vector<uint8_t> out;
  auto r = AppendDecodedStream(buf.first(body_len), out);
  if (!r) {
    return MakeError(r.error().code(), "error reading compression reader: " + r.error().message());
  }
  out.insert(out.end(), buf.begin() + static_cast<std::ptrdiff_t>(body_len), buf.end());
  return out;
}

}  // namespace natscpp::store::s2
