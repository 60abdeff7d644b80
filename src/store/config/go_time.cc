#include "natscpp/store/go_time.h"

#include <cstdint>
#include <limits>
#include <string>

namespace natscpp::store {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Go's calendar; year 0
// exists and is a leap year). Algorithm from H. Hinnant's "chrono-compatible
// low-level date algorithms".
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int64_t DaysIn(int64_t month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeap(year)) return 29;
  return kDays[month - 1];
}

void AppendDigits(std::string& out, int64_t v, int width) {
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out.push_back('0');
  out += digits;
}

bool IsDigit(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

// A fixed-width unsigned decimal within [lo, hi]; clears ok otherwise.
int64_t ParseUint(std::string_view s, int64_t lo, int64_t hi, bool& ok) {
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      return lo;
    }
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) {
    ok = false;
    return lo;
  }
  return v;
}

}  // namespace

GoTime GoTime::FromUnixNanos(int64_t unix_nanos) {
  GoTime t;
  t.unix_sec = FloorDiv(unix_nanos, 1'000'000'000);
  t.nsec = static_cast<int32_t>(unix_nanos - t.unix_sec * 1'000'000'000);
  t.offset_sec = 0;
  return t;
}

int64_t GoTime::UnixNanos() const {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (unix_sec > kMax / 1'000'000'000 - 1) return kMax;
  if (unix_sec < kMin / 1'000'000'000 + 1) return kMin;
  return unix_sec * 1'000'000'000 + nsec;
}

Result<std::string> FormatRfc3339Nano(const GoTime& t) {
  // The wall clock shown is the instant moved by the zone offset.
  const int64_t local = t.unix_sec + t.offset_sec;
  const int64_t days = FloorDiv(local, kSecondsPerDay);
  const int64_t sod = local - days * kSecondsPerDay;
  int64_t y = 0;
  int64_t m = 0;
  int64_t d = 0;
  CivilFromDays(days, y, m, d);
  // Go formats the year with at least four digits and then refuses any
  // result whose year is not exactly four digits wide (negative years
  // included), i.e. anything outside [0, 9999].
  if (y < 0 || y > 9999) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Time.MarshalJSON: year outside of range [0,9999]");
  }
  std::string out;
  out.reserve(35);
  AppendDigits(out, y, 4);
  out.push_back('-');
  AppendDigits(out, m, 2);
  out.push_back('-');
  AppendDigits(out, d, 2);
  out.push_back('T');
  AppendDigits(out, sod / 3600, 2);
  out.push_back(':');
  AppendDigits(out, sod / 60 % 60, 2);
  out.push_back(':');
  AppendDigits(out, sod % 60, 2);
  if (t.nsec != 0) {
    std::string frac;
    AppendDigits(frac, t.nsec, 9);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out.push_back('.');
    out += frac;
  }
  if (t.offset_sec == 0) {
    out.push_back('Z');
    return out;
  }
  // Seconds of the offset are dropped (truncated toward zero, as Go does),
  // so a sub-minute offset shows as "+00:00".
  int64_t zone = t.offset_sec / 60;
  if (zone < 0) {
    out.push_back('-');
    zone = -zone;
  } else {
    out.push_back('+');
  }
  if (zone / 60 >= 24) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Time.MarshalJSON: timezone hour outside of range [0,23]");
  }
  AppendDigits(out, zone / 60, 2);
  out.push_back(':');
  AppendDigits(out, zone % 60, 2);
  return out;
}

Result<GoTime> ParseRfc3339(std::string_view s) {
  const std::string input(s);
  auto bad = [&input]() {
    return MakeError(ErrorCode::kBadEncoding,
                     "parsing time \"" + input + "\" as RFC 3339: invalid syntax or value");
  };
  if (s.size() < 19) return bad();
  bool ok = true;
  const int64_t year = ParseUint(s.substr(0, 4), 0, 9999, ok);
  const int64_t month = ParseUint(s.substr(5, 2), 1, 12, ok);
  const int64_t day = ParseUint(s.substr(8, 2), 1, ok ? DaysIn(month, year) : 31, ok);
  const int64_t hour = ParseUint(s.substr(11, 2), 0, 23, ok);
  const int64_t min = ParseUint(s.substr(14, 2), 0, 59, ok);
  const int64_t sec = ParseUint(s.substr(17, 2), 0, 59, ok);
  if (!ok || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return bad();
  }
  s.remove_prefix(19);

  int64_t nsec = 0;
  if (s.size() >= 2 && s[0] == '.' && IsDigit(s, 1)) {
    size_t n = 2;
    while (IsDigit(s, n)) ++n;
    // Only the first nine digits count; further ones are ignored.
    const size_t used = n - 1 > 9 ? 9 : n - 1;
    for (size_t i = 0; i < 9; ++i) {
      nsec = nsec * 10 + (i < used ? s[1 + i] - '0' : 0);
    }
    s.remove_prefix(n);
  }

  int64_t offset = 0;
  if (!(s.size() == 1 && s[0] == 'Z')) {
    if (s.size() != 6) return bad();
    const int64_t hr = ParseUint(s.substr(1, 2), 0, 23, ok);
    const int64_t mm = ParseUint(s.substr(4, 2), 0, 59, ok);
    if (!ok || !(s[0] == '-' || s[0] == '+') || s[3] != ':') return bad();
    offset = (hr * 60 + mm) * 60;
    if (s[0] == '-') offset = -offset;
  }

  GoTime t;
  t.unix_sec = DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + min * 60 + sec -
               offset;
  t.nsec = static_cast<int32_t>(nsec);
  t.offset_sec = static_cast<int32_t>(offset);
  return t;
}

}  // namespace natscpp::store
