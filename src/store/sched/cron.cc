#include "sched/cron.h"

#include <limits>
#include <vector>

namespace natscpp::store::sched {
namespace {

using Names = std::map<std::string, uint64_t, std::less<>>;

Error CronError(std::string msg) { return Error(ErrorCode::kInvalidArgument, std::move(msg)); }

// Decodes one UTF-8 rune at s[i]; invalid bytes decode as U+FFFD, length 1.
char32_t DecodeRune(std::string_view s, size_t i, size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  len = 1;
  if (b0 < 0x80) return b0;
  int n = 0;
  char32_t r = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    r = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    r = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    r = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (i + static_cast<size_t>(n) > s.size()) return 0xFFFD;
  for (int k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0xFFFD;
  len = static_cast<size_t>(n);
  return r;
}

// unicode.IsSpace.
bool IsSpaceRune(char32_t r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// strings.Fields: the runs of non-space runes.
std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = std::string_view::npos;
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    const char32_t r = DecodeRune(s, i, len);
    if (IsSpaceRune(r)) {
      if (start != std::string_view::npos) {
        out.push_back(s.substr(start, i - start));
        start = std::string_view::npos;
      }
    } else if (start == std::string_view::npos) {
      start = i;
    }
    i += len;
  }
  if (start != std::string_view::npos) out.push_back(s.substr(start));
  return out;
}

// strings.Split: every part, empty ones included.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

const Names kMonthNames = {{"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},
                           {"may", 5}, {"jun", 6}, {"jul", 7}, {"aug", 8},
                           {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
const Names kDowNames = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                         {"thu", 4}, {"fri", 5}, {"sat", 6}};

}  // namespace

const CronBounds& CronSeconds() {
  static const CronBounds b{0, 59, nullptr};
  return b;
}
const CronBounds& CronMinutes() {
  static const CronBounds b{0, 59, nullptr};
  return b;
}
const CronBounds& CronHours() {
  static const CronBounds b{0, 23, nullptr};
  return b;
}
const CronBounds& CronDom() {
  static const CronBounds b{1, 31, nullptr};
  return b;
}
const CronBounds& CronMonths() {
  static const CronBounds b{1, 12, &kMonthNames};
  return b;
}
const CronBounds& CronDow() {
  static const CronBounds b{0, 6, &kDowNames};
  return b;
}

// go: server/cron.go:parseCron
Result<Time> ParseCron(std::string_view pattern, LocationPtr loc, int64_t ts) {
  const std::vector<std::string_view> fields = Fields(pattern);
  if (fields.size() != 6) {
    return std::unexpected(
        CronError("pattern requires 6 fields, got " + std::to_string(fields.size())));
  }
  if (!loc) loc = Location::UTC();

  const Result<uint64_t> second = GetCronField(fields[0], CronSeconds());
  if (!second) return std::unexpected(second.error());
  const Result<uint64_t> minute = GetCronField(fields[1], CronMinutes());
  if (!minute) return std::unexpected(minute.error());
  const Result<uint64_t> hour = GetCronField(fields[2], CronHours());
  if (!hour) return std::unexpected(hour.error());
  const Result<uint64_t> day_of_month = GetCronField(fields[3], CronDom());
  if (!day_of_month) return std::unexpected(day_of_month.error());
  const Result<uint64_t> month = GetCronField(fields[4], CronMonths());
  if (!month) return std::unexpected(month.error());
  const Result<uint64_t> day_of_week = GetCronField(fields[5], CronDow());
  if (!day_of_week) return std::unexpected(day_of_week.error());

  // A field left with no values (e.g. ",") can never match, so the walk
  // below would end with this same error only after stepping through five
  // years second by second; answer at once.
  const uint64_t values = ~kCronStarBit;
  const bool day_star = ((*day_of_month | *day_of_week) & kCronStarBit) != 0;
  const bool no_day = day_star ? ((*day_of_month & values) == 0 || (*day_of_week & values) == 0)
                               : ((*day_of_month & values) == 0 && (*day_of_week & values) == 0);
  if ((*second & values) == 0 || (*minute & values) == 0 || (*hour & values) == 0 ||
      (*month & values) == 0 || no_day) {
    return std::unexpected(CronError("pattern exceeds maximum range"));
  }

  // Walk the fields from month down to second, advancing the first one that
  // does not match; when one wraps (e.g. December -> January) the higher
  // fields must be checked again, hence the restart. Lower fields are reset
  // to their first value the first time any field advances.
  Time next = Time::Unix(0, ts).In(loc);
  next = next.Truncate(kSecond).Add(kSecond);  // the earliest candidate: the next second
  bool truncated = false;
  const int64_t year_limit = next.Year() + 5;

  for (;;) {
    if (next.Year() > year_limit) return std::unexpected(CronError("pattern exceeds maximum range"));
    bool wrapped = false;

    while (((uint64_t{1} << next.Month()) & *month) == 0) {
      if (!truncated) {
        truncated = true;
        next = Time::Date(next.Year(), next.Month(), 1, 0, 0, 0, 0, loc);
      }
      next = next.AddDate(0, 1, 0);
      if (next.Month() == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;

    while (!CronDayMatches(*day_of_month, *day_of_week, next)) {
      if (!truncated) {
        truncated = true;
        next = Time::Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, loc);
      }
      next = next.AddDate(0, 0, 1);
      if (next.Day() == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;

    while (((uint64_t{1} << next.Hour()) & *hour) == 0) {
      if (!truncated) {
        truncated = true;
        next = Time::Date(next.Year(), next.Month(), next.Day(), next.Hour(), 0, 0, 0, loc);
      }
      next = next.Add(kHour);
      if (next.Hour() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;

    while (((uint64_t{1} << next.Minute()) & *minute) == 0) {
      if (!truncated) {
        truncated = true;
        next = next.Truncate(kMinute);
      }
      next = next.Add(kMinute);
      if (next.Minute() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;

    while (((uint64_t{1} << next.Second()) & *second) == 0) {
      if (!truncated) {
        truncated = true;
        next = next.Truncate(kSecond);
      }
      next = next.Add(kSecond);
      if (next.Second() == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    return next;
  }
}

// go: server/cron.go:getField
Result<uint64_t> GetCronField(std::string_view field, const CronBounds& r) {
  uint64_t bits = 0;
  for (std::string_view expr : Split(field, ',')) {
    if (expr.empty()) continue;  // empty list items are ignored
    const Result<uint64_t> bit = GetCronRange(expr, r);
    if (!bit) return bit;
    bits |= *bit;
  }
  return bits;
}

// go: server/cron.go:getRange
Result<uint64_t> GetCronRange(std::string_view expr, const CronBounds& r) {
  const std::vector<std::string_view> range_and_step = Split(expr, '/');
  const std::vector<std::string_view> low_and_high = Split(range_and_step[0], '-');
  const bool single_digit = low_and_high.size() == 1;
  const std::string e(expr);

  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t step = 0;
  uint64_t extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = r.min;
    end = r.max;
    extra = kCronStarBit;
  } else {
    const Result<uint64_t> s = ParseCronIntOrName(low_and_high[0], r.names);
    if (!s) return s;
    start = *s;
    switch (low_and_high.size()) {
      case 1:
        end = start;
        break;
      case 2: {
        const Result<uint64_t> en = ParseCronIntOrName(low_and_high[1], r.names);
        if (!en) return en;
        end = *en;
        break;
      }
      default:
        return std::unexpected(CronError("too many hyphens: " + e));
    }
  }

  switch (range_and_step.size()) {
    case 1:
      step = 1;
      break;
    case 2: {
      const Result<uint64_t> st = MustParseCronInt(range_and_step[1]);
      if (!st) return st;
      step = *st;
      // "N/step" means "N-max/step".
      if (single_digit) end = r.max;
      if (step > 1) extra = 0;
      break;
    }
    default:
      return std::unexpected(CronError("too many slashes: " + e));
  }

  if (start < r.min) {
    return std::unexpected(CronError("beginning of range (" + std::to_string(start) +
                                     ") below minimum (" + std::to_string(r.min) + "): " + e));
  }
  if (end > r.max) {
    return std::unexpected(CronError("end of range (" + std::to_string(end) + ") above maximum (" +
                                     std::to_string(r.max) + "): " + e));
  }
  if (start > end) {
    return std::unexpected(CronError("beginning of range (" + std::to_string(start) +
                                     ") beyond end of range (" + std::to_string(end) + "): " + e));
  }
  if (step == 0) return std::unexpected(CronError("step of range should be a positive number: " + e));
  return GetCronBits(start, end, step) | extra;
}

// go: server/cron.go:parseIntOrName
Result<uint64_t> ParseCronIntOrName(std::string_view expr, const Names* names) {
  if (names != nullptr) {
    // The names are ASCII and no other rune lower-cases onto ASCII letters
    // used in them, so an ASCII fold matches Go's strings.ToLower here.
    const auto it = names->find(ToLowerAscii(expr));
    if (it != names->end()) return it->second;
  }
  return MustParseCronInt(expr);
}

// go: server/cron.go:mustParseInt
Result<uint64_t> MustParseCronInt(std::string_view expr) {
  const std::string e(expr);
  auto fail = [&e](const std::string& why) {
    return std::unexpected(CronError("failed to parse int from " + e + ": " + why));
  };
  std::string_view s = expr;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return fail("strconv.Atoi: parsing \"" + e + "\": invalid syntax");
  uint64_t v = 0;
  constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |INT64_MIN|
  for (char c : s) {
    if (c < '0' || c > '9') return fail("strconv.Atoi: parsing \"" + e + "\": invalid syntax");
    if (v > (kMaxMagnitude - static_cast<uint64_t>(c - '0')) / 10) {
      return fail("strconv.Atoi: parsing \"" + e + "\": value out of range");
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!neg && v > kMaxMagnitude - 1) {
    return fail("strconv.Atoi: parsing \"" + e + "\": value out of range");
  }
  if (neg && v != 0) {
    return std::unexpected(CronError("negative number (-" + std::to_string(v) + ") not allowed: " + e));
  }
  return v;
}

// go: server/cron.go:getBits
uint64_t GetCronBits(uint64_t min, uint64_t max, uint64_t step) {
  constexpr uint64_t kAll = std::numeric_limits<uint64_t>::max();
  // Go defines shifts of 64 or more as 0; C++ does not, so guard them.
  auto shl = [](uint64_t v, uint64_t n) { return n >= 64 ? uint64_t{0} : v << n; };
  if (step == 1) return ~shl(kAll, max + 1) & shl(kAll, min);
  uint64_t bits = 0;
  for (uint64_t i = min; i <= max; i += step) bits |= shl(1, i);
  return bits;
}

// go: server/cron.go:dayMatches
bool CronDayMatches(uint64_t day_of_month, uint64_t day_of_week, const Time& t) {
  const bool dom_match = ((uint64_t{1} << t.Day()) & day_of_month) > 0;
  const bool dow_match = ((uint64_t{1} << t.Weekday()) & day_of_week) > 0;
  // A '*' in either field means both must match; otherwise either may.
  if ((day_of_month & kCronStarBit) > 0 || (day_of_week & kCronStarBit) > 0) {
    return dom_match && dow_match;
  }
  return dom_match || dow_match;
}

}  // namespace natscpp::store::sched
