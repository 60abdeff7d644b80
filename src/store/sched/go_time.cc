#include "sched/go_time.h"

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <utility>

namespace natscpp::store::sched {
namespace {

constexpr int64_t kSecondsPerMinute = 60;
constexpr int64_t kSecondsPerHour = 3600;
constexpr int64_t kSecondsPerDay = 86400;
// Bounds of a zone's validity (Go's alpha and omega).
constexpr int64_t kAlpha = std::numeric_limits<int64_t>::min();
constexpr int64_t kOmega = std::numeric_limits<int64_t>::max();

// Days before the start of each month in a non-leap year (index 0..12).
constexpr std::array<int, 13> kDaysBefore = {0,   31,  59,  90,  120, 151, 181,
                                             212, 243, 273, 304, 334, 365};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysIn(int month, int64_t year) {
  if (month == 2 && IsLeap(year)) return 29;
  return kDaysBefore[static_cast<size_t>(month)] - kDaysBefore[static_cast<size_t>(month - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int64_t y, int m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

// Moves whole multiples of base from lo into hi so that 0 <= lo < base.
void Norm(int64_t& hi, int64_t& lo, int64_t base) {
  if (lo < 0) {
    const int64_t n = (-lo - 1) / base + 1;
    hi -= n;
    lo += n * base;
  }
  if (lo >= base) {
    const int64_t n = lo / base;
    hi += n;
    lo -= n * base;
  }
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kOmega : -kOmega;
  return r;
}

// ---- POSIX TZ strings (the TZif footer) ----

bool TzNameChar(char c) {
  return !((c >= '0' && c <= '9') || c == ',' || c == '-' || c == '+');
}

bool TzsetName(std::string_view& s, std::string& name) {
  if (s.empty()) return false;
  if (s[0] != '<') {
    size_t i = 0;
    while (i < s.size() && TzNameChar(s[i])) ++i;
    if (i < 3) return false;
    name = std::string(s.substr(0, i));
    s.remove_prefix(i);
    return true;
  }
  const size_t close = s.find('>');
  if (close == std::string_view::npos) return false;
  name = std::string(s.substr(1, close - 1));
  s.remove_prefix(close + 1);
  return true;
}

bool TzsetNum(std::string_view& s, int min, int max, int& num) {
  if (s.empty()) return false;
  num = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') {
      if (i == 0 || num < min) return false;
      s.remove_prefix(i);
      return true;
    }
    num = num * 10 + (c - '0');
    if (num > max) return false;
  }
  if (num < min) return false;
  s = {};
  return true;
}

bool TzsetOffset(std::string_view& s, int& offset) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+') {
    s.remove_prefix(1);
  } else if (s[0] == '-') {
    s.remove_prefix(1);
    neg = true;
  }
  int hours = 0;
  if (!TzsetNum(s, 0, 24 * 7, hours)) return false;
  int off = hours * static_cast<int>(kSecondsPerHour);
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    int mins = 0;
    if (!TzsetNum(s, 0, 59, mins)) return false;
    off += mins * static_cast<int>(kSecondsPerMinute);
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      int secs = 0;
      if (!TzsetNum(s, 0, 59, secs)) return false;
      off += secs;
    }
  }
  offset = neg ? -off : off;
  return true;
}

bool TzsetRule(std::string_view& s, Location::Rule& r) {
  if (s.empty()) return false;
  r = Location::Rule{};
  if (s[0] == 'J') {
    s.remove_prefix(1);
    if (!TzsetNum(s, 1, 365, r.day)) return false;
    r.kind = 0;
  } else if (s[0] == 'M') {
    s.remove_prefix(1);
    if (!TzsetNum(s, 1, 12, r.mon) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!TzsetNum(s, 1, 5, r.week) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!TzsetNum(s, 0, 6, r.day)) return false;
    r.kind = 2;
  } else {
    if (!TzsetNum(s, 0, 365, r.day)) return false;
    r.kind = 1;
  }
  if (s.empty() || s[0] != '/') {
    r.time = 2 * static_cast<int>(kSecondsPerHour);  // 02:00 by default
    return true;
  }
  s.remove_prefix(1);
  return TzsetOffset(s, r.time);
}

// Parses a whole TZ string; std::nullopt when Go's tzset would fail on it.
std::optional<Location::Extend> ParseExtend(std::string_view s) {
  Location::Extend e;
  if (!TzsetName(s, e.std_name) || !TzsetOffset(s, e.std_offset)) return std::nullopt;
  // TZ offsets are subtracted from local time to get UTC; ours are added
  // to UTC.
  e.std_offset = -e.std_offset;
  if (s.empty() || s[0] == ',') return e;
  if (!TzsetName(s, e.dst_name)) return std::nullopt;
  if (s.empty() || s[0] == ',') {
    e.dst_offset = e.std_offset + static_cast<int>(kSecondsPerHour);
  } else {
    if (!TzsetOffset(s, e.dst_offset)) return std::nullopt;
    e.dst_offset = -e.dst_offset;
  }
  if (s.empty()) s = ",M3.2.0,M11.1.0";  // tzcode's default rules
  if (s[0] != ',' && s[0] != ';') return std::nullopt;
  s.remove_prefix(1);
  if (!TzsetRule(s, e.start_rule) || s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!TzsetRule(s, e.end_rule) || !s.empty()) return std::nullopt;
  e.has_dst = true;
  return e;
}

// Seconds after the start of the (UTC) year at which rule r fires.
int TzruleTime(int64_t year, const Location::Rule& r, int off) {
  int s = 0;
  switch (r.kind) {
    case 0:
      s = (r.day - 1) * static_cast<int>(kSecondsPerDay);
      if (IsLeap(year) && r.day >= 60) s += static_cast<int>(kSecondsPerDay);
      break;
    case 1:
      s = r.day * static_cast<int>(kSecondsPerDay);
      break;
    default: {
      // Zeller's congruence: weekday of the first day of r.mon.
      const int m1 = (r.mon + 9) % 12 + 1;
      int64_t yy0 = year;
      if (r.mon <= 2) --yy0;
      const int64_t yy1 = yy0 / 100;
      const int64_t yy2 = yy0 % 100;
      int dow = static_cast<int>(((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7);
      if (dow < 0) dow += 7;
      int d = r.day - dow;
      if (d < 0) d += 7;
      for (int i = 1; i < r.week; ++i) {
        if (d + 7 >= DaysIn(r.mon, year)) break;
        d += 7;
      }
      d += kDaysBefore[static_cast<size_t>(r.mon - 1)];
      if (IsLeap(year) && r.mon > 2) ++d;
      s = d * static_cast<int>(kSecondsPerDay);
      break;
    }
  }
  return s + r.time - off;
}

Location::LookupResult Tzset(const Location::Extend& e, int64_t last_tx_sec, int64_t sec) {
  if (!e.has_dst) return {e.std_name, static_cast<int32_t>(e.std_offset), last_tx_sec, kOmega, false};

  int64_t year = 0;
  int month = 0;
  int day = 0;
  const int64_t days = FloorDiv(sec, kSecondsPerDay);
  CivilFromDays(days, year, month, day);
  const int64_t yday = days - DaysFromCivil(year, 1, 1) + 1;
  // Go's truncating remainder, kept for identical results.
  const int64_t ysec = (yday - 1) * kSecondsPerDay + sec % kSecondsPerDay;
  const int64_t ystart = sec - ysec;

  int64_t start_sec = TzruleTime(year, e.start_rule, e.std_offset);
  int64_t end_sec = TzruleTime(year, e.end_rule, e.dst_offset);
  std::string std_name = e.std_name;
  std::string dst_name = e.dst_name;
  int std_offset = e.std_offset;
  int dst_offset = e.dst_offset;
  bool dst_is_dst = true;
  bool std_is_dst = false;
  // Southern hemisphere: the "DST" rule ends before it starts in the year.
  if (end_sec < start_sec) {
    std::swap(start_sec, end_sec);
    std::swap(std_name, dst_name);
    std::swap(std_offset, dst_offset);
    std::swap(std_is_dst, dst_is_dst);
  }
  if (ysec < start_sec) {
    return {std_name, static_cast<int32_t>(std_offset), ystart, start_sec + ystart, std_is_dst};
  }
  if (ysec >= end_sec) {
    return {std_name, static_cast<int32_t>(std_offset), end_sec + ystart,
            ystart + 365 * kSecondsPerDay, std_is_dst};
  }
  return {dst_name, static_cast<int32_t>(dst_offset), start_sec + ystart, end_sec + ystart,
          dst_is_dst};
}

// ---- TZif reading ----

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> d) : d_(d) {}
  std::span<const uint8_t> Read(size_t n) {
    if (failed_ || n > d_.size()) {
      failed_ = true;
      return {};
    }
    auto r = d_.subspan(0, n);
    d_ = d_.subspan(n);
    return r;
  }
  bool Big4(uint32_t& v) {
    auto p = Read(4);
    if (p.size() != 4) return false;
    v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    return true;
  }
  bool Big8(uint64_t& v) {
    uint32_t hi = 0;
    uint32_t lo = 0;
    if (!Big4(hi) || !Big4(lo)) return false;
    v = (uint64_t{hi} << 32) | lo;
    return true;
  }
  bool Byte(uint8_t& v) {
    auto p = Read(1);
    if (p.size() != 1) return false;
    v = p[0];
    return true;
  }
  std::span<const uint8_t> Rest() const { return d_; }
  bool failed() const { return failed_; }

 private:
  std::span<const uint8_t> d_;
  bool failed_ = false;
};

Error BadData() { return Error(ErrorCode::kBadEncoding, "malformed time zone information"); }

std::optional<std::vector<uint8_t>> ReadZoneFile(const std::string& path) {
  constexpr std::streamoff kMaxFileSize = 10 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxFileSize) return std::nullopt;
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> data(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(data.data()), size)) return std::nullopt;
  return data;
}

bool ContainsDotDot(std::string_view s) { return s.find("..") != std::string_view::npos; }

Result<LocationPtr> LoadFromSources(const std::string& name, std::string_view file) {
  std::vector<std::string> dirs;
  if (const char* zi = std::getenv("ZONEINFO"); zi != nullptr && *zi != '\0') dirs.emplace_back(zi);
  for (const char* d : {"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ",
                        "/etc/zoneinfo"}) {
    dirs.emplace_back(d);
  }
  for (const std::string& dir : dirs) {
    const std::optional<std::vector<uint8_t>> data = ReadZoneFile(dir + "/" + std::string(file));
    if (!data) continue;
    Result<LocationPtr> loc = Location::FromTZData(name, *data);
    if (loc) return loc;
  }
  return MakeError(ErrorCode::kNotFound, "unknown time zone " + std::string(file));
}

LocationPtr LoadLocal() {
  auto named_local = [](Result<LocationPtr> r) -> LocationPtr {
    if (!r) return Location::UTC();
    return *r;
  };
  const char* tz = std::getenv("TZ");
  if (tz == nullptr) {
    const std::optional<std::vector<uint8_t>> data = ReadZoneFile("/etc/localtime");
    if (!data) return Location::UTC();
    return named_local(Location::FromTZData("Local", *data));
  }
  std::string_view name(tz);
  if (!name.empty() && name[0] == ':') name.remove_prefix(1);
  if (name.empty() || name == "UTC") return Location::UTC();
  if (name[0] == '/') {
    const std::optional<std::vector<uint8_t>> data = ReadZoneFile(std::string(name));
    if (!data) return Location::UTC();
    return named_local(Location::FromTZData("Local", *data));
  }
  if (ContainsDotDot(name)) return Location::UTC();
  return named_local(LoadFromSources("Local", name));
}

void AppendInt(std::string& b, int64_t x, int width) {
  uint64_t u = static_cast<uint64_t>(x);
  if (x < 0) {
    b.push_back('-');
    u = 0 - u;
  }
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  for (int i = n; i < width; ++i) b.push_back('0');
  while (n > 0) b.push_back(buf[--n]);
}

// ".123" with trailing zeros trimmed; nothing for zero (Go's .999999999).
void AppendNano9(std::string& b, int32_t nsec) {
  if (nsec == 0) return;
  std::string digits;
  AppendInt(digits, nsec, 9);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  b.push_back('.');
  b += digits;
}

bool IsDigit(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }
bool CommaOrPeriod(char c) { return c == '.' || c == ','; }

// Go's parseNanoseconds: value starts with the separator, nbytes long.
bool ParseNanoseconds(std::string_view value, size_t nbytes, int64_t& ns) {
  if (!CommaOrPeriod(value[0])) return false;
  if (nbytes > 10) nbytes = 10;
  ns = 0;
  for (size_t i = 1; i < nbytes; ++i) ns = ns * 10 + (value[i] - '0');
  for (size_t i = nbytes; i < 10; ++i) ns *= 10;
  return true;
}

Error ParseError(std::string_view value) {
  return Error(ErrorCode::kInvalidArgument,
               "parsing time \"" + std::string(value) + "\" as \"2006-01-02T15:04:05Z07:00\"");
}

// Go's parseRFC3339 fast path.
std::optional<Time> ParseRFC3339Fast(std::string_view s) {
  bool ok = true;
  auto parse_uint = [&](std::string_view p, int64_t min, int64_t max) -> int64_t {
    int64_t x = 0;
    for (char c : p) {
      if (c < '0' || c > '9') {
        ok = false;
        return min;
      }
      x = x * 10 + (c - '0');
    }
    if (x < min || max < x) {
      ok = false;
      return min;
    }
    return x;
  };
  if (s.size() < 19) return std::nullopt;
  const int64_t year = parse_uint(s.substr(0, 4), 0, 9999);
  const int64_t month = parse_uint(s.substr(5, 2), 1, 12);
  const int64_t day = parse_uint(s.substr(8, 2), 1, DaysIn(static_cast<int>(month), year));
  const int64_t hour = parse_uint(s.substr(11, 2), 0, 23);
  const int64_t min = parse_uint(s.substr(14, 2), 0, 59);
  const int64_t sec = parse_uint(s.substr(17, 2), 0, 59);
  if (!ok || !(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':')) {
    return std::nullopt;
  }
  s.remove_prefix(19);
  int64_t nsec = 0;
  if (s.size() >= 2 && s[0] == '.' && IsDigit(s, 1)) {
    size_t n = 2;
    while (n < s.size() && IsDigit(s, n)) ++n;
    ParseNanoseconds(s, n, nsec);
    s.remove_prefix(n);
  }
  Time t = Time::Date(year, month, day, hour, min, sec, nsec, nullptr);
  if (s.size() != 1 || s[0] != 'Z') {
    if (s.size() != 6) return std::nullopt;
    const int64_t hr = parse_uint(s.substr(1, 2), 0, 23);
    const int64_t mm = parse_uint(s.substr(4, 2), 0, 59);
    if (!ok || !((s[0] == '-' || s[0] == '+') && s[3] == ':')) return std::nullopt;
    int32_t zone_offset = static_cast<int32_t>((hr * 60 + mm) * 60);
    if (s[0] == '-') zone_offset = -zone_offset;
    t = Time::Unix(t.UnixSec() - zone_offset, t.Nanosecond()).In(Location::Fixed("", zone_offset));
  }
  return t;
}

// Go's general layout parser specialised to the RFC 3339 layout; it is
// what time.Parse falls back to when the fast path rejects the input, and
// is a little more lenient (one-digit hour, ',' before the fraction,
// offsets up to 24:60).
Result<Time> ParseRFC3339Layout(std::string_view value) {
  const std::string_view orig = value;
  auto getnum = [](std::string_view& s, bool fixed, int64_t& out) {
    if (!IsDigit(s, 0)) return false;
    if (!IsDigit(s, 1)) {
      if (fixed) return false;
      out = s[0] - '0';
      s.remove_prefix(1);
      return true;
    }
    out = (s[0] - '0') * 10 + (s[1] - '0');
    s.remove_prefix(2);
    return true;
  };
  auto lit = [](std::string_view& s, char c) {
    if (s.empty() || s[0] != c) return false;
    s.remove_prefix(1);
    return true;
  };
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  int64_t hour = 0;
  int64_t min = 0;
  int64_t sec = 0;
  int64_t nsec = 0;
  if (value.size() < 4 || !IsDigit(value, 0)) return std::unexpected(ParseError(orig));
  for (size_t i = 0; i < 4; ++i) {
    if (!IsDigit(value, i)) return std::unexpected(ParseError(orig));
    year = year * 10 + (value[i] - '0');
  }
  value.remove_prefix(4);
  if (!lit(value, '-') || !getnum(value, true, month) || month <= 0 || month > 12 ||
      !lit(value, '-') || !getnum(value, true, day) || !lit(value, 'T') ||
      !getnum(value, false, hour) || hour >= 24 || !lit(value, ':') ||
      !getnum(value, true, min) || min >= 60 || !lit(value, ':') ||
      !getnum(value, true, sec) || sec >= 60) {
    return std::unexpected(ParseError(orig));
  }
  if (value.size() >= 2 && CommaOrPeriod(value[0]) && IsDigit(value, 1)) {
    size_t n = 2;
    while (n < value.size() && IsDigit(value, n)) ++n;
    ParseNanoseconds(value, n, nsec);
    value.remove_prefix(n);
  }
  bool utc = false;
  int32_t zone_offset = 0;
  if (!value.empty() && value[0] == 'Z') {
    value.remove_prefix(1);
    utc = true;
  } else {
    if (value.size() < 6 || value[3] != ':') return std::unexpected(ParseError(orig));
    std::string_view hh = value.substr(1, 2);
    std::string_view mm = value.substr(4, 2);
    int64_t hr = 0;
    int64_t mi = 0;
    if (!getnum(hh, true, hr) || !getnum(mm, true, mi)) return std::unexpected(ParseError(orig));
    if (hr > 24 || mi > 60) return std::unexpected(ParseError(orig));
    zone_offset = static_cast<int32_t>((hr * 60 + mi) * 60);
    if (value[0] == '-') {
      zone_offset = -zone_offset;
    } else if (value[0] != '+') {
      return std::unexpected(ParseError(orig));
    }
    value.remove_prefix(6);
  }
  if (!value.empty()) return std::unexpected(ParseError(orig));
  if (day < 1 || day > DaysIn(static_cast<int>(month), year)) return std::unexpected(ParseError(orig));
  Time t = Time::Date(year, month, day, hour, min, sec, nsec, nullptr);
  if (utc) return t;
  return Time::Unix(t.UnixSec() - zone_offset, t.Nanosecond()).In(Location::Fixed("", zone_offset));
}

}  // namespace

int64_t NowUnixNano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- Location ----

LocationPtr Location::UTC() {
  static const LocationPtr utc = [] {
    auto l = std::make_shared<Location>();
    l->name_ = "UTC";
    return LocationPtr(std::move(l));
  }();
  return utc;
}

LocationPtr Location::Fixed(std::string name, int32_t offset) {
  auto l = std::make_shared<Location>();
  l->name_ = name;
  l->zones_.push_back(Zone{std::move(name), offset, false});
  l->tx_.push_back(Transition{kAlpha, 0});
  return l;
}

Result<LocationPtr> Location::FromTZData(std::string name, std::span<const uint8_t> data) {
  Reader d(data);
  const auto magic = d.Read(4);
  if (magic.size() != 4 || magic[0] != 'T' || magic[1] != 'Z' || magic[2] != 'i' || magic[3] != 'f') {
    return std::unexpected(BadData());
  }
  const auto p = d.Read(16);
  if (p.size() != 16) return std::unexpected(BadData());
  const int version = p[0] == 0 ? 1 : 2;  // 2, 3 and later share the layout we read

  enum { kNUTCLocal, kNStdWall, kNLeap, kNTime, kNZone, kNChar };
  std::array<size_t, 6> n{};
  auto read_counts = [&] {
    for (size_t& c : n) {
      uint32_t v = 0;
      if (!d.Big4(v)) return false;
      c = v;
    }
    return true;
  };
  if (!read_counts()) return std::unexpected(BadData());
  bool is64 = false;
  if (version > 1) {
    // Skip the 32-bit data and the second header; read the 64-bit data.
    const size_t skip = n[kNTime] * 4 + n[kNTime] + n[kNZone] * 6 + n[kNChar] + n[kNLeap] * 8 +
                        n[kNStdWall] + n[kNUTCLocal] + 4 + 16;
    d.Read(skip);
    is64 = true;
    if (!read_counts()) return std::unexpected(BadData());
  }
  const size_t size = is64 ? 8 : 4;
  Reader txtimes(d.Read(n[kNTime] * size));
  const auto txzones = d.Read(n[kNTime]);
  Reader zonedata(d.Read(n[kNZone] * 6));
  const auto abbrev = d.Read(n[kNChar]);
  d.Read(n[kNLeap] * (size + 4));
  d.Read(n[kNStdWall]);
  d.Read(n[kNUTCLocal]);
  if (d.failed()) return std::unexpected(BadData());

  auto l = std::make_shared<Location>();
  l->name_ = std::move(name);
  const auto rest = d.Rest();
  if (rest.size() > 2 && rest[0] == '\n' && rest[rest.size() - 1] == '\n') {
    const std::string_view ext(reinterpret_cast<const char*>(rest.data()) + 1, rest.size() - 2);
    if (!ext.empty()) l->extend_ = ParseExtend(ext);
  }

  // A file without zones is useless (and Go rejects it).
  if (n[kNZone] == 0) return std::unexpected(BadData());
  l->zones_.resize(n[kNZone]);
  for (Zone& z : l->zones_) {
    uint32_t off = 0;
    uint8_t isdst = 0;
    uint8_t ab = 0;
    if (!zonedata.Big4(off) || !zonedata.Byte(isdst) || !zonedata.Byte(ab) || ab >= abbrev.size()) {
      return std::unexpected(BadData());
    }
    z.offset = static_cast<int32_t>(off);
    z.is_dst = isdst != 0;
    size_t e = ab;
    while (e < abbrev.size() && abbrev[e] != 0) ++e;
    z.name.assign(reinterpret_cast<const char*>(abbrev.data()) + ab, e - ab);
  }
  l->tx_.resize(n[kNTime]);
  for (size_t i = 0; i < l->tx_.size(); ++i) {
    int64_t when = 0;
    if (!is64) {
      uint32_t v = 0;
      if (!txtimes.Big4(v)) return std::unexpected(BadData());
      when = static_cast<int32_t>(v);
    } else {
      uint64_t v = 0;
      if (!txtimes.Big8(v)) return std::unexpected(BadData());
      when = static_cast<int64_t>(v);
    }
    if (txzones[i] >= l->zones_.size()) return std::unexpected(BadData());
    l->tx_[i] = Transition{when, txzones[i]};
  }
  // Fixed zones (Etc/GMT+1) have no transitions: one covers all time.
  if (l->tx_.empty()) l->tx_.push_back(Transition{kAlpha, 0});
  return LocationPtr(std::move(l));
}

size_t Location::LookupFirstZone() const {
  // The zone before the first transition: if zone 0 is never used by a
  // transition it is the one; else the first standard-time zone before the
  // first transition's zone, else the first standard-time zone, else 0.
  bool first_used = false;
  for (const Transition& t : tx_) {
    if (t.index == 0) first_used = true;
  }
  if (!first_used) return 0;
  if (!tx_.empty() && zones_[tx_[0].index].is_dst) {
    for (int zi = static_cast<int>(tx_[0].index) - 1; zi >= 0; --zi) {
      if (!zones_[static_cast<size_t>(zi)].is_dst) return static_cast<size_t>(zi);
    }
  }
  for (size_t zi = 0; zi < zones_.size(); ++zi) {
    if (!zones_[zi].is_dst) return zi;
  }
  return 0;
}

Location::LookupResult Location::Lookup(int64_t sec) const {
  if (zones_.empty()) return {"UTC", 0, kAlpha, kOmega, false};
  if (tx_.empty() || sec < tx_[0].when) {
    const Zone& z = zones_[LookupFirstZone()];
    return {z.name, z.offset, kAlpha, tx_.empty() ? kOmega : tx_[0].when, z.is_dst};
  }
  // Binary search for the last transition at or before sec.
  int64_t end = kOmega;
  size_t lo = 0;
  size_t hi = tx_.size();
  while (hi - lo > 1) {
    const size_t m = lo + (hi - lo) / 2;
    const int64_t lim = tx_[m].when;
    if (sec < lim) {
      end = lim;
      hi = m;
    } else {
      lo = m;
    }
  }
  const Zone& z = zones_[tx_[lo].index];
  LookupResult r{z.name, z.offset, tx_[lo].when, end, z.is_dst};
  if (lo == tx_.size() - 1 && extend_) return Tzset(*extend_, r.start, sec);
  return r;
}

Result<LocationPtr> LoadLocation(std::string_view name) {
  if (name.empty() || name == "UTC") return Location::UTC();
  if (name == "Local") {
    static const LocationPtr local = LoadLocal();
    return local;
  }
  if (ContainsDotDot(name) || name[0] == '/' || name[0] == '\\') {
    return MakeError(ErrorCode::kInvalidArgument, "time: invalid location name");
  }
  return LoadFromSources(std::string(name), name);
}

// ---- Time ----

Time Time::Unix(int64_t sec, int64_t nsec) {
  if (nsec < 0 || nsec >= kSecond) {
    const int64_t n = nsec / kSecond;
    sec += n;
    nsec -= n * kSecond;
    if (nsec < 0) {
      nsec += kSecond;
      --sec;
    }
  }
  Time t;
  t.sec_ = sec;
  t.nsec_ = static_cast<int32_t>(nsec);
  return t;
}

Time Time::Date(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min, int64_t sec,
                int64_t nsec, LocationPtr loc) {
  int64_t m = month - 1;
  Norm(year, m, 12);
  Norm(sec, nsec, kSecond);
  Norm(min, sec, 60);
  Norm(hour, min, 60);
  Norm(day, hour, 24);
  const int64_t days = DaysFromCivil(year, static_cast<int>(m + 1), 1) + (day - 1);
  int64_t unix = days * kSecondsPerDay + hour * kSecondsPerHour + min * kSecondsPerMinute + sec;

  // Resolve the wall clock to UTC: guess with the offset in effect at the
  // wall time read as UTC, and look again if that lands outside the zone.
  if (loc) {
    const sched::Location::LookupResult z = loc->Lookup(unix);
    int64_t offset = z.offset;
    if (offset != 0) {
      const int64_t utc = unix - offset;
      if (utc < z.start || utc >= z.end) offset = loc->Lookup(utc).offset;
      unix -= offset;
    }
  }
  Time t = Unix(unix, nsec);
  return t.In(std::move(loc));
}

int64_t Time::UnixNano() const {
  return static_cast<int64_t>(static_cast<uint64_t>(sec_) * static_cast<uint64_t>(kSecond) +
                              static_cast<uint64_t>(nsec_));
}

Time Time::Add(int64_t d) const {
  int64_t dsec = d / kSecond;
  int64_t nsec = nsec_ + d % kSecond;
  if (nsec >= kSecond) {
    ++dsec;
    nsec -= kSecond;
  } else if (nsec < 0) {
    --dsec;
    nsec += kSecond;
  }
  Time t = *this;
  t.sec_ = SaturatingAdd(sec_, dsec);
  t.nsec_ = static_cast<int32_t>(nsec);
  return t;
}

Time Time::AddDate(int64_t years, int64_t months, int64_t days) const {
  const CivilFields c = Civil();
  return Date(c.year + years, c.month + months, c.day + days, c.hour, c.minute, c.second, nsec_,
              loc_);
}

int64_t Time::Mod(int64_t d) const {
  // Seconds since the zero Time; negative ones are handled on their
  // absolute value and mirrored, as Go's div does.
  int64_t sec = 0;
  // Only a saturated time can overflow here; keep it saturated.
  if (__builtin_sub_overflow(sec_, kZeroUnixSec, &sec)) sec = kOmega;
  int64_t nsec = nsec_;
  bool neg = false;
  if (sec < 0) {
    neg = true;
    sec = -sec;
    nsec = -nsec;
    if (nsec < 0) {
      nsec += kSecond;
      --sec;
    }
  }
  int64_t r = 0;
  if (d < kSecond && kSecond % (d + d) == 0) {
    r = nsec % d;
  } else if (d % kSecond == 0) {
    const int64_t d1 = d / kSecond;
    r = (sec % d1) * kSecond + nsec;
  } else {
    __extension__ typedef unsigned __int128 U128;
    const U128 total = static_cast<U128>(static_cast<uint64_t>(sec)) * static_cast<uint64_t>(kSecond) +
                       static_cast<uint64_t>(nsec);
    r = static_cast<int64_t>(total % static_cast<uint64_t>(d));
  }
  if (neg && r != 0) r = d - r;
  return r;
}

Time Time::Truncate(int64_t d) const {
  if (d <= 0) return *this;
  return Add(-Mod(d));
}

Time Time::Round(int64_t d) const {
  if (d <= 0) return *this;
  const int64_t r = Mod(d);
  // Halfway rounds up.
  if (static_cast<uint64_t>(r) + static_cast<uint64_t>(r) < static_cast<uint64_t>(d)) return Add(-r);
  return Add(d - r);
}

Time Time::In(LocationPtr loc) const {
  Time t = *this;
  t.loc_ = (loc == sched::Location::UTC()) ? nullptr : std::move(loc);
  return t;
}

LocationPtr Time::Location() const { return loc_ ? loc_ : sched::Location::UTC(); }

Time::CivilFields Time::Civil() const {
  CivilFields c;
  int64_t offset = 0;
  if (loc_) {
    const sched::Location::LookupResult z = loc_->Lookup(sec_);
    offset = z.offset;
    c.zone_name = z.name;
  } else {
    c.zone_name = "UTC";
  }
  c.offset = static_cast<int32_t>(offset);
  const int64_t local = SaturatingAdd(sec_, offset);
  const int64_t days = FloorDiv(local, kSecondsPerDay);
  const int64_t rem = local - days * kSecondsPerDay;
  CivilFromDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / kSecondsPerHour);
  c.minute = static_cast<int>(rem % kSecondsPerHour / kSecondsPerMinute);
  c.second = static_cast<int>(rem % kSecondsPerMinute);
  c.weekday = static_cast<int>(FloorMod(days + 4, 7));  // 1970-01-01 was a Thursday
  return c;
}

std::string Time::FormatRFC3339Nano() const {
  const CivilFields c = Civil();
  std::string b;
  AppendInt(b, c.year, 4);
  b.push_back('-');
  AppendInt(b, c.month, 2);
  b.push_back('-');
  AppendInt(b, c.day, 2);
  b.push_back('T');
  AppendInt(b, c.hour, 2);
  b.push_back(':');
  AppendInt(b, c.minute, 2);
  b.push_back(':');
  AppendInt(b, c.second, 2);
  AppendNano9(b, nsec_);
  if (c.offset == 0) {
    b.push_back('Z');
    return b;
  }
  int64_t zone = c.offset / 60;
  if (zone < 0) {
    b.push_back('-');
    zone = -zone;
  } else {
    b.push_back('+');
  }
  AppendInt(b, zone / 60, 2);
  b.push_back(':');
  AppendInt(b, zone % 60, 2);
  return b;
}

std::string Time::String() const {
  const CivilFields c = Civil();
  std::string b;
  AppendInt(b, c.year, 4);
  b.push_back('-');
  AppendInt(b, c.month, 2);
  b.push_back('-');
  AppendInt(b, c.day, 2);
  b.push_back(' ');
  AppendInt(b, c.hour, 2);
  b.push_back(':');
  AppendInt(b, c.minute, 2);
  b.push_back(':');
  AppendInt(b, c.second, 2);
  AppendNano9(b, nsec_);
  b.push_back(' ');
  auto num_tz = [&b](int64_t offset) {
    int64_t zone = offset / 60;
    if (zone < 0) {
      b.push_back('-');
      zone = -zone;
    } else {
      b.push_back('+');
    }
    AppendInt(b, zone / 60, 2);
    AppendInt(b, zone % 60, 2);
  };
  num_tz(c.offset);
  b.push_back(' ');
  if (!c.zone_name.empty()) {
    b += c.zone_name;
  } else {
    num_tz(c.offset);
  }
  return b;
}

// ---- parsing ----

Result<int64_t> ParseDuration(std::string_view s) {
  const std::string orig(s);
  auto invalid = [&orig] {
    return MakeError(ErrorCode::kInvalidArgument, "time: invalid duration \"" + orig + "\"");
  };
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid();
    // Integer part.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > kLimit / 10) return invalid();
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) return invalid();
    }
    const bool pre = i != 0;
    s.remove_prefix(i);
    // Fraction: digits past the point that would overflow are dropped.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        const uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j != 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid();
    // Unit: everything up to the next digit or point.
    size_t u = 0;
    while (u < s.size() && !(s[u] == '.' || (s[u] >= '0' && s[u] <= '9'))) ++u;
    if (u == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "time: missing unit in duration \"" + orig + "\"");
    }
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xC2\xB5s" || unit_name == "\xCE\xBCs") {
      unit = kMicrosecond;
    } else if (unit_name == "ms") {
      unit = kMillisecond;
    } else if (unit_name == "s") {
      unit = kSecond;
    } else if (unit_name == "m") {
      unit = kMinute;
    } else if (unit_name == "h") {
      unit = kHour;
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "time: unknown unit \"" + std::string(unit_name) +
                                                        "\" in duration \"" + orig + "\"");
    }
    if (v > kLimit / unit) return invalid();
    v *= unit;
    if (f > 0) {
      // Go computes the fraction in float64; so do we, for identical results.
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) return invalid();
    }
    d += v;
    if (d > kLimit) return invalid();
  }
  if (neg) return static_cast<int64_t>(0 - d);
  if (d > kLimit - 1) return invalid();
  return static_cast<int64_t>(d);
}

Result<Time> ParseRFC3339(std::string_view s) {
  if (std::optional<Time> t = ParseRFC3339Fast(s)) return *t;
  return ParseRFC3339Layout(s);
}

}  // namespace natscpp::store::sched
