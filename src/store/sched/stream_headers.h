// Parsers for the per-message TTL and schedule headers (server/stream.go)
// and util.go's parseInt64. They read header blocks with the helpers of
// the headers area.
#ifndef NATSCPP_STORE_SCHED_STREAM_HEADERS_H_
#define NATSCPP_STORE_SCHED_STREAM_HEADERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "headers/headers.h"
#include "natscpp/store/error.h"
#include "sched/go_time.h"

namespace natscpp::store::sched {

using headers::ByteView;

// The JetStream API errors these parsers report (description as in Go's
// jetstream_errors_generated.go; the numeric codes are for the API layer).
inline constexpr const char* kErrMessageTTLInvalid = "invalid per-message TTL";
inline constexpr int kErrMessageTTLInvalidCode = 10165;
inline constexpr const char* kErrMessageSchedulesPatternInvalid = "message schedules pattern is invalid";
inline constexpr int kErrMessageSchedulesPatternInvalidCode = 10189;
inline constexpr const char* kErrMessageSchedulesTimeZoneInvalid =
    "message schedules time zone is invalid";
inline constexpr int kErrMessageSchedulesTimeZoneInvalidCode = 10223;

// A non-negative decimal; -1 for empty input or any non-digit. Like Go,
// values past INT64_MAX wrap rather than fail.
int64_t ParseInt64(ByteView d);

// The Nats-TTL header in seconds: 0 when absent, -1 for "never".
Result<int64_t> GetMessageTTL(ByteView hdr);
// A TTL value: a Go duration of at least 1s, a number of seconds, or
// "never" (-1), case-insensitively.
Result<int64_t> ParseMessageTTL(std::string_view ttl);

// The next fire time of the schedule in hdr, from now; the zero Time when
// hdr is empty.
Result<Time> GetMessageSchedule(ByteView hdr);
// As GetMessageSchedule, from ts (ns since epoch).
Result<Time> NextMessageSchedule(ByteView hdr, int64_t ts);
// The Nats-Schedule-Time-Zone zone; nullptr when the header is absent.
Result<LocationPtr> LoadMessageScheduleLocation(ByteView hdr);
// The raw Nats-Schedule-TTL value ("" when absent); std::nullopt when it
// is present but not a valid TTL.
std::optional<std::string> GetMessageScheduleTTL(ByteView hdr);
std::string GetMessageScheduleRollup(ByteView hdr);
std::string GetMessageScheduleTarget(ByteView hdr);
std::string GetMessageScheduleSource(ByteView hdr);
std::string GetMessageScheduler(ByteView hdr);

}  // namespace natscpp::store::sched

#endif  // NATSCPP_STORE_SCHED_STREAM_HEADERS_H_
