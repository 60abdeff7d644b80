// The slice of Go's time package that message scheduling depends on, with
// Go's exact semantics: instants with a location, calendar normalisation of
// time.Date/AddDate, Truncate/Round, RFC 3339 parsing and formatting,
// ParseDuration, and IANA time zones read from the system's TZif files
// (including the POSIX TZ footer rule used past the last transition).
// Schedules computed here must fire at the same instants the Go server
// computes, so none of this uses the C library's notion of local time.
//
// No Go function of nats-server is ported here (these are standard library
// behaviours), hence no tracker markers.
#ifndef NATSCPP_STORE_SCHED_GO_TIME_H_
#define NATSCPP_STORE_SCHED_GO_TIME_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "natscpp/store/error.h"

namespace natscpp::store::sched {

inline constexpr int64_t kNanosecond = 1;
inline constexpr int64_t kMicrosecond = 1000 * kNanosecond;
inline constexpr int64_t kMillisecond = 1000 * kMicrosecond;
inline constexpr int64_t kSecond = 1000 * kMillisecond;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;

// Nanoseconds since the Unix epoch, from the system clock.
int64_t NowUnixNano();

// A time zone: Go's *time.Location.
class Location {
 public:
  struct Zone {
    std::string name;  // abbreviation, e.g. "CEST"
    int32_t offset = 0;  // seconds east of UTC
    bool is_dst = false;
  };
  struct Transition {
    int64_t when = 0;  // unix seconds
    uint8_t index = 0;  // into zones
  };
  struct LookupResult {
    std::string name;
    int32_t offset = 0;
    int64_t start = 0;  // the zone applies for [start, end)
    int64_t end = 0;
    bool is_dst = false;
  };
  // The parsed POSIX TZ string that extends the rules past the last
  // transition (public so the .cc helpers can build it).
  struct Rule {
    int kind = 0;  // 0 Julian (Jn), 1 day of year (n), 2 month.week.day (Mm.w.d)
    int day = 0;
    int week = 0;
    int mon = 0;
    int time = 0;  // seconds after local midnight
  };
  struct Extend {
    bool has_dst = false;
    std::string std_name;
    std::string dst_name;
    int std_offset = 0;
    int dst_offset = 0;
    Rule start_rule;
    Rule end_rule;
  };

  static std::shared_ptr<const Location> UTC();
  // A zone with one fixed offset (Go's time.FixedZone).
  static std::shared_ptr<const Location> Fixed(std::string name, int32_t offset);
  // Parses a TZif file (version 1 to 4), as Go's LoadLocationFromTZData.
  static Result<std::shared_ptr<const Location>> FromTZData(std::string name,
                                                           std::span<const uint8_t> data);

  const std::string& name() const { return name_; }
  // The zone in effect at unix second sec.
  LookupResult Lookup(int64_t sec) const;

 private:
  size_t LookupFirstZone() const;

  std::string name_;
  std::vector<Zone> zones_;  // empty: UTC
  std::vector<Transition> tx_;
  std::optional<Extend> extend_;  // absent or unparsable footer: none
};

using LocationPtr = std::shared_ptr<const Location>;

// Go's time.LoadLocation: "" and "UTC" are UTC, "Local" the process's zone
// (TZ, else /etc/localtime), anything else an IANA name looked up under
// $ZONEINFO and the usual system zoneinfo directories.
Result<LocationPtr> LoadLocation(std::string_view name);

// An instant with a location for presenting it: Go's time.Time without the
// monotonic clock reading. The default value is Go's zero Time
// (January 1, year 1, 00:00:00 UTC).
class Time {
 public:
  Time() = default;

  // time.Unix(sec, nsec) in UTC (nsec may be outside [0, 1e9)).
  static Time Unix(int64_t sec, int64_t nsec);
  // time.Date: fields are normalised (month 13 is January of the next
  // year, and so on) and the wall clock is resolved in loc.
  static Time Date(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min,
                   int64_t sec, int64_t nsec, LocationPtr loc);

  bool IsZero() const { return sec_ == kZeroUnixSec && nsec_ == 0; }
  int64_t UnixSec() const { return sec_; }
  int32_t Nanosecond() const { return nsec_; }
  // Wraps like Go's UnixNano outside the years 1678..2262.
  int64_t UnixNano() const;

  bool Before(const Time& o) const { return sec_ < o.sec_ || (sec_ == o.sec_ && nsec_ < o.nsec_); }
  bool After(const Time& o) const { return o.Before(*this); }
  bool Equal(const Time& o) const { return sec_ == o.sec_ && nsec_ == o.nsec_; }

  Time Add(int64_t d) const;
  Time AddDate(int64_t years, int64_t months, int64_t days) const;
  // Rounding is relative to the zero Time, as in Go (so independent of the
  // location); d <= 0 returns t unchanged.
  Time Truncate(int64_t d) const;
  Time Round(int64_t d) const;

  Time In(LocationPtr loc) const;
  Time UTC() const { return In(nullptr); }
  // The location (UTC when none was set).
  LocationPtr Location() const;

  // Calendar fields in the time's location.
  int64_t Year() const { return Civil().year; }
  int Month() const { return Civil().month; }  // 1..12
  int Day() const { return Civil().day; }
  int Hour() const { return Civil().hour; }
  int Minute() const { return Civil().minute; }
  int Second() const { return Civil().second; }
  int Weekday() const { return Civil().weekday; }  // 0 = Sunday
  int32_t ZoneOffset() const { return Civil().offset; }

  // "2006-01-02T15:04:05.999999999Z07:00"
  std::string FormatRFC3339Nano() const;
  // "2006-01-02 15:04:05.999999999 -0700 MST" (Go's Time.String)
  std::string String() const;

 private:
  // Unix seconds of January 1, year 1.
  static constexpr int64_t kZeroUnixSec = -62135596800;

  struct CivilFields {
    int64_t year = 1;
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;
    int second = 0;
    int weekday = 0;
    int32_t offset = 0;
    std::string zone_name;
  };
  CivilFields Civil() const;
  // The remainder of t divided by d (d > 0), relative to the zero Time.
  int64_t Mod(int64_t d) const;

  int64_t sec_ = kZeroUnixSec;
  int32_t nsec_ = 0;
  LocationPtr loc_;  // nullptr: UTC
};

// time.ParseDuration: "1h30m", "1.5s", "-2us", "0"; nanoseconds.
Result<int64_t> ParseDuration(std::string_view s);

// time.Parse(time.RFC3339, s); a numeric offset becomes a fixed zone.
Result<Time> ParseRFC3339(std::string_view s);

}  // namespace natscpp::store::sched

#endif  // NATSCPP_STORE_SCHED_GO_TIME_H_
