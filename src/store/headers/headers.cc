#include "headers/headers.h"

#include <algorithm>
#include <string>

namespace natscpp::store::headers {
namespace {

// Index of sep in s, or npos; an empty sep is found at 0 (as bytes.Index).
size_t Find(ByteView s, std::string_view sep) {
  return AsString(s).find(sep);
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

// go: server/client.go:getHeaderKeyIndex
std::ptrdiff_t GetHeaderKeyIndex(std::string_view key, ByteView hdr) {
  if (hdr.empty()) return -1;
  const size_t key_len = key.size();
  const size_t hdr_len = hdr.size();
  size_t offset = 0;
  for (;;) {
    const size_t rel = Find(hdr.subspan(offset), key);
    // Go compares the offset relative to the re-scan start with 2; besides
    // "not found" this rejects a key without room for a preceding CRLF.
    if (rel == std::string_view::npos || rel < 2) return -1;
    const size_t index = rel + offset;
    if (index >= hdr_len - 1 || hdr[index - 1] != '\n' || hdr[index - 2] != '\r') {
      offset = index + key_len;
      continue;
    }
    if (index + key_len >= hdr_len) return -1;
    if (hdr[index + key_len] != ':') {
      offset = index + key_len;
      continue;
    }
    return static_cast<std::ptrdiff_t>(index);
  }
}

// go: server/client.go:sliceHeader
std::optional<ByteView> SliceHeader(std::string_view key, ByteView hdr) {
  if (hdr.empty()) return std::nullopt;
  const std::ptrdiff_t found = GetHeaderKeyIndex(key, hdr);
  if (found == -1) return std::nullopt;
  const size_t hdr_len = hdr.size();
  size_t index = static_cast<size_t>(found) + key.size() + 1;
  while (index < hdr_len && hdr[index] == ' ') ++index;
  const size_t start = index;
  while (index < hdr_len) {
    if (hdr[index] == '\r' && index < hdr_len - 1 && hdr[index + 1] == '\n') break;
    ++index;
  }
  // index can pass hdr_len only if the key ends the block, which
  // GetHeaderKeyIndex excludes; clamp anyway so a view never leaves hdr.
  const size_t s = std::min(start, hdr_len);
  return hdr.subspan(s, std::min(index, hdr_len) - s);
}

// go: server/client.go:getHeader
std::optional<Bytes> GetHeader(std::string_view key, ByteView hdr) {
  const std::optional<ByteView> v = SliceHeader(key, hdr);
  if (!v) return std::nullopt;
  return Bytes(v->begin(), v->end());
}

// go: server/client.go:removeHeaderIfPresent
Bytes RemoveHeaderIfPresent(Bytes hdr, std::string_view key) {
  for (;;) {
    const std::ptrdiff_t found = GetHeaderKeyIndex(key, hdr);
    // The key must start a line, so it cannot be first.
    if (found < 1 || hdr[static_cast<size_t>(found) - 1] != '\n') return hdr;
    const size_t start = static_cast<size_t>(found);
    const size_t index = start + key.size();
    if (index >= hdr.size() || hdr[index] != ':') return hdr;
    const size_t end = Find(ByteView(hdr).subspan(start), kCrLf);
    if (end == std::string_view::npos) return hdr;
    hdr.erase(hdr.begin() + static_cast<std::ptrdiff_t>(start),
              hdr.begin() + static_cast<std::ptrdiff_t>(start + end + kCrLf.size()));
    if (hdr.size() <= kEmptyHdrLine.size()) return Bytes{};
  }
}

// go: server/client.go:removeHeaderIfPrefixPresent
Bytes RemoveHeaderIfPrefixPresent(Bytes hdr, std::string_view prefix) {
  // An empty prefix never advances the scan (Go loops forever on it);
  // nothing can sensibly be removed, so leave the block alone.
  if (prefix.empty()) return hdr;
  size_t index = 0;
  for (;;) {
    if (index >= hdr.size()) return hdr;
    const size_t start = Find(ByteView(hdr).subspan(index), prefix);
    if (start == std::string_view::npos) return hdr;
    index += start;
    // Only a match at the start of a line is a header name; a match inside
    // a value is skipped and the scan goes on.
    if (index < 1 || hdr[index - 1] != '\n') {
      index += prefix.size();
      continue;
    }
    const size_t end = Find(ByteView(hdr).subspan(index + prefix.size()), kCrLf);
    if (end == std::string_view::npos) return hdr;
    hdr.erase(hdr.begin() + static_cast<std::ptrdiff_t>(index),
              hdr.begin() + static_cast<std::ptrdiff_t>(index + end + prefix.size() + kCrLf.size()));
    if (hdr.size() <= kEmptyHdrLine.size()) return Bytes{};
  }
}

// go: server/client.go:genHeader
Bytes GenHeader(ByteView hdr, std::string_view key, std::string_view value) {
  // http.Header.Write turns CR and LF in a value into spaces and trims
  // ASCII whitespace around it; the key is written as given.
  std::string v(value);
  std::replace_if(v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  size_t b = 0;
  size_t e = v.size();
  while (b < e && IsAsciiSpace(v[b])) ++b;
  while (e > b && IsAsciiSpace(v[e - 1])) --e;
  const std::string_view trimmed = std::string_view(v).substr(b, e - b);

  Bytes out;
  out.reserve(hdr.size() + key.size() + trimmed.size() + kHdrLine.size() + 6);
  if (hdr.size() > kCrLf.size()) {
    out.insert(out.end(), hdr.begin(), hdr.end() - static_cast<std::ptrdiff_t>(kCrLf.size()));
  } else {
    const ByteView line = AsBytes(kHdrLine);
    out.insert(out.end(), line.begin(), line.end());
  }
  for (std::string_view part : {key, std::string_view(": "), trimmed, kCrLf, kCrLf}) {
    const ByteView p = AsBytes(part);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace natscpp::store::headers
