// NATS message header helpers (server/client.go). A header block is
// "NATS/1.0\r\n", then "Key: Value\r\n" lines, then a final "\r\n". These
// helpers are deliberately byte-level and lenient, exactly like the Go ones:
// the store reads headers of messages it already accepted, so speed and
// byte-for-byte identical results matter more than validation.
#ifndef NATSCPP_STORE_HEADERS_HEADERS_H_
#define NATSCPP_STORE_HEADERS_HEADERS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace natscpp::store::headers {

using ByteView = std::span<const uint8_t>;
using Bytes = std::vector<uint8_t>;

inline constexpr std::string_view kHdrLine = "NATS/1.0\r\n";
inline constexpr std::string_view kEmptyHdrLine = "NATS/1.0\r\n\r\n";
inline constexpr std::string_view kCrLf = "\r\n";

// Header names and values of stream.go used by the store.
inline constexpr std::string_view kJSMsgId = "Nats-Msg-Id";
inline constexpr std::string_view kJSExpectedStream = "Nats-Expected-Stream";
inline constexpr std::string_view kJSExpectedLastSeq = "Nats-Expected-Last-Sequence";
inline constexpr std::string_view kJSExpectedLastSubjSeq = "Nats-Expected-Last-Subject-Sequence";
inline constexpr std::string_view kJSExpectedLastSubjSeqSubj =
    "Nats-Expected-Last-Subject-Sequence-Subject";
inline constexpr std::string_view kJSExpectedLastMsgId = "Nats-Expected-Last-Msg-Id";
inline constexpr std::string_view kJSMsgRollup = "Nats-Rollup";
inline constexpr std::string_view kJSMessageTTL = "Nats-TTL";
inline constexpr std::string_view kJSMarkerReason = "Nats-Marker-Reason";
inline constexpr std::string_view kJSSchedulePattern = "Nats-Schedule";
inline constexpr std::string_view kJSScheduleTimeZone = "Nats-Schedule-Time-Zone";
inline constexpr std::string_view kJSScheduleTTL = "Nats-Schedule-TTL";
inline constexpr std::string_view kJSScheduleRollup = "Nats-Schedule-Rollup";
inline constexpr std::string_view kJSScheduleTarget = "Nats-Schedule-Target";
inline constexpr std::string_view kJSScheduleSource = "Nats-Schedule-Source";
inline constexpr std::string_view kKVOperation = "KV-Operation";
inline constexpr std::string_view kKVOperationValuePurge = "PURGE";
inline constexpr std::string_view kJSScheduler = "Nats-Scheduler";
inline constexpr std::string_view kJSScheduleNext = "Nats-Schedule-Next";
// The Nats-Schedule-Next value of a one-shot schedule: purge the schedule.
inline constexpr std::string_view kJSScheduleNextPurge = "purge";

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsString(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// Offset of `key` as a header name in hdr (preceded by CRLF, followed by
// ':'), or -1. The quirks of the Go search (a hit within the first two bytes
// of a re-scan ends the search) are kept so results match.
std::ptrdiff_t GetHeaderKeyIndex(std::string_view key, ByteView hdr);

// The value of the first header `key`, as a view into hdr; std::nullopt when
// absent. An empty value is an empty (engaged) view: callers distinguish
// "absent" from "present but empty" (the schedule time zone does).
std::optional<ByteView> SliceHeader(std::string_view key, ByteView hdr);

// As SliceHeader, but an owned copy.
std::optional<Bytes> GetHeader(std::string_view key, ByteView hdr);

// Removes every "key: value\r\n" line; returns the (possibly emptied) block.
// An empty result stands for Go's nil (no header block left).
Bytes RemoveHeaderIfPresent(Bytes hdr, std::string_view key);

// Removes every header line whose name starts with prefix.
Bytes RemoveHeaderIfPrefixPresent(Bytes hdr, std::string_view prefix);

// A new block: hdr without its final CRLF (or a fresh "NATS/1.0\r\n" when
// hdr has none), then "key: value\r\n", then the final CRLF. The value is
// written the way Go's http.Header.Write does: CR/LF become spaces and
// surrounding ASCII whitespace is trimmed.
Bytes GenHeader(ByteView hdr, std::string_view key, std::string_view value);

}  // namespace natscpp::store::headers

#endif  // NATSCPP_STORE_HEADERS_HEADERS_H_
