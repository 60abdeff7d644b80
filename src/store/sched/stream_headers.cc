#include "sched/stream_headers.h"

#include "sched/scheduler.h"

namespace natscpp::store::sched {
namespace {

std::string ToString(const std::optional<headers::Bytes>& b) {
  if (!b) return {};
  return std::string(headers::AsString(*b));
}

std::string ToString(const std::optional<ByteView>& b) {
  if (!b) return {};
  return std::string(headers::AsString(*b));
}

}  // namespace

// go: server/util.go:parseInt64
int64_t ParseInt64(ByteView d) {
  if (d.empty()) return -1;
  uint64_t n = 0;  // unsigned so that overflow wraps as Go's int64 does
  for (uint8_t dec : d) {
    if (dec < '0' || dec > '9') return -1;
    n = n * 10 + static_cast<uint64_t>(dec - '0');
  }
  return static_cast<int64_t>(n);
}

// go: server/stream.go:getMessageTTL
Result<int64_t> GetMessageTTL(ByteView hdr) {
  const std::optional<headers::Bytes> ttl = headers::GetHeader(headers::kJSMessageTTL, hdr);
  if (!ttl || ttl->empty()) return 0;
  return ParseMessageTTL(headers::AsString(*ttl));
}

// go: server/stream.go:parseMessageTTL
Result<int64_t> ParseMessageTTL(std::string_view ttl) {
  if (ttl.size() == 5) {
    bool never = true;
    for (size_t i = 0; i < 5; ++i) {
      char c = ttl[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != "never"[i]) never = false;
    }
    if (never) return -1;
  }
  if (const Result<int64_t> dur = ParseDuration(ttl); dur) {
    if (*dur < kSecond) return MakeError(ErrorCode::kInvalidArgument, kErrMessageTTLInvalid);
    // Duration.Seconds() as a float64, truncated like Go's int64 conversion.
    const double secs = static_cast<double>(*dur / kSecond) +
                        static_cast<double>(*dur % kSecond) / 1e9;
    return static_cast<int64_t>(secs);
  }
  // A bare number of seconds. Negative numbers fail to parse, which is why
  // "never forever" is spelt "never".
  const int64_t t = ParseInt64(headers::AsBytes(ttl));
  if (t < 0) return MakeError(ErrorCode::kInvalidArgument, kErrMessageTTLInvalid);
  return t;
}

// go: server/stream.go:getMessageSchedule
Result<Time> GetMessageSchedule(ByteView hdr) {
  if (hdr.empty()) return Time{};
  return NextMessageSchedule(hdr, NowUnixNano());
}

// go: server/stream.go:nextMessageSchedule
Result<Time> NextMessageSchedule(ByteView hdr, int64_t ts) {
  if (hdr.empty()) return Time{};
  Result<LocationPtr> loc = LoadMessageScheduleLocation(hdr);
  if (!loc) return std::unexpected(loc.error());
  const std::string val = ToString(headers::SliceHeader(headers::kJSSchedulePattern, hdr));
  const ParsedMsgSchedule s = ParseMsgSchedule(val, *loc, ts);
  if (!s.ok) return MakeError(ErrorCode::kInvalidArgument, kErrMessageSchedulesPatternInvalid);
  return s.next;
}

// go: server/stream.go:loadMessageScheduleLocation
Result<LocationPtr> LoadMessageScheduleLocation(ByteView hdr) {
  const std::optional<ByteView> tz = headers::SliceHeader(headers::kJSScheduleTimeZone, hdr);
  if (!tz) return LocationPtr{};
  if (tz->empty()) return MakeError(ErrorCode::kInvalidArgument, kErrMessageSchedulesTimeZoneInvalid);
  Result<LocationPtr> loc = LoadLocation(headers::AsString(*tz));
  if (!loc) return MakeError(ErrorCode::kInvalidArgument, kErrMessageSchedulesTimeZoneInvalid);
  return loc;
}

// go: server/stream.go:getMessageScheduleTTL
std::optional<std::string> GetMessageScheduleTTL(ByteView hdr) {
  const std::optional<headers::Bytes> ttl = headers::GetHeader(headers::kJSScheduleTTL, hdr);
  if (!ttl || ttl->empty()) return std::string();
  if (!ParseMessageTTL(headers::AsString(*ttl))) return std::nullopt;
  return std::string(headers::AsString(*ttl));
}

// go: server/stream.go:getMessageScheduleRollup
std::string GetMessageScheduleRollup(ByteView hdr) {
  return ToString(headers::SliceHeader(headers::kJSScheduleRollup, hdr));
}

// go: server/stream.go:getMessageScheduleTarget
std::string GetMessageScheduleTarget(ByteView hdr) {
  if (hdr.empty()) return {};
  return ToString(headers::GetHeader(headers::kJSScheduleTarget, hdr));
}

// go: server/stream.go:getMessageScheduleSource
std::string GetMessageScheduleSource(ByteView hdr) {
  if (hdr.empty()) return {};
  return ToString(headers::GetHeader(headers::kJSScheduleSource, hdr));
}

// go: server/stream.go:getMessageScheduler
std::string GetMessageScheduler(ByteView hdr) {
  if (hdr.empty()) return {};
  return ToString(headers::GetHeader(headers::kJSScheduler, hdr));
}

}  // namespace natscpp::store::sched
