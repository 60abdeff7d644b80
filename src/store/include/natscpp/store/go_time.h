// Go-compatible wall-clock times and the JSON decoding mode shared by the
// stream and consumer configurations (stream_config.h, consumer_config.h).
//
// The file store keeps configs in meta.inf as Go encoding/json output
// (FORMAT.md §8-9): times there are RFC 3339 strings with nanoseconds and the
// trailing zeros of the fraction dropped ("2026-11-26T10:28:02.02091359Z"),
// with "Z" for a zero offset and "+hh:mm"/"-hh:mm" otherwise.
#ifndef NATSCPP_STORE_GO_TIME_H_
#define NATSCPP_STORE_GO_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "natscpp/store/error.h"

namespace natscpp::store {

// A Go time.Time as far as JSON can see it: an instant plus the zone offset
// it is shown in. The default value is Go's zero time (0001-01-01T00:00:00Z),
// so a default-constructed GoTime encodes exactly like a zero time.Time.
struct GoTime {
  // Seconds of 0001-01-01T00:00:00Z counted from the Unix epoch.
  static constexpr int64_t kZeroUnixSeconds = -62135596800;

  int64_t unix_sec = kZeroUnixSeconds;  // seconds since 1970-01-01T00:00:00Z
  int32_t nsec = 0;                      // 0..999'999'999
  int32_t offset_sec = 0;                // zone offset east of UTC, in seconds

  // A UTC time from nanoseconds since the Unix epoch (what store records carry).
  static GoTime FromUnixNanos(int64_t unix_nanos);
  // Nanoseconds since the Unix epoch; saturates outside int64's range.
  int64_t UnixNanos() const;
  bool IsZero() const { return unix_sec == kZeroUnixSeconds && nsec == 0; }
  // Same instant, whatever the zone offset (Go's Time.Equal).
  bool SameInstant(const GoTime& o) const { return unix_sec == o.unix_sec && nsec == o.nsec; }
  bool operator==(const GoTime&) const = default;
};

// Formats t as Go's time.RFC3339Nano does for Time.MarshalJSON (without the
// quotes). Fails with kInvalidArgument, as Go does, when the year shown is
// outside [0, 9999] or the offset's hours do not fit two digits below 24.
Result<std::string> FormatRfc3339Nano(const GoTime& t);

// Parses an RFC 3339 time the way Go's Time.UnmarshalJSON does (strict:
// four-digit year, two-digit fields, 'T' separator, optional '.' fraction of
// any length with digits past the ninth ignored, "Z" or "+hh:mm"/"-hh:mm").
// Errors are kBadEncoding.
Result<GoTime> ParseRfc3339(std::string_view text);

// How unknown object keys are treated when decoding a config.
enum class JsonMode {
  kStrict,   // reject them, like the server's first decoding pass (DisallowUnknownFields)
  kLenient,  // ignore them, like its json.Unmarshal fallback
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_GO_TIME_H_
