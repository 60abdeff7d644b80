// Six-field cron patterns for message schedules (server/cron.go, derived
// from robfig/cron): "second minute hour day-of-month month day-of-week",
// each field a comma list of ranges "a", "a-b", "a/step", "a-b/step", "*"
// or "?", with month and weekday names allowed.
#ifndef NATSCPP_STORE_SCHED_CRON_H_
#define NATSCPP_STORE_SCHED_CRON_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "natscpp/store/error.h"
#include "sched/go_time.h"

namespace natscpp::store::sched {

// Acceptable values of one field, with optional names.
struct CronBounds {
  uint64_t min = 0;
  uint64_t max = 0;
  const std::map<std::string, uint64_t, std::less<>>* names = nullptr;
};

const CronBounds& CronSeconds();
const CronBounds& CronMinutes();
const CronBounds& CronHours();
const CronBounds& CronDom();
const CronBounds& CronMonths();
const CronBounds& CronDow();

// Set when a field contained '*' or '?' (it changes how day-of-month and
// day-of-week combine).
inline constexpr uint64_t kCronStarBit = uint64_t{1} << 63;

// The first instant strictly after ts (ns since epoch; whole seconds) that
// matches pattern in loc (UTC when null); an error for a malformed pattern
// or when nothing matches within five years.
Result<Time> ParseCron(std::string_view pattern, LocationPtr loc, int64_t ts);

// The bits for a comma-separated list of ranges.
Result<uint64_t> GetCronField(std::string_view field, const CronBounds& r);
// The bits for one range expression.
Result<uint64_t> GetCronRange(std::string_view expr, const CronBounds& r);
// A number or (case-insensitively) one of r's names.
Result<uint64_t> ParseCronIntOrName(std::string_view expr,
                                    const std::map<std::string, uint64_t, std::less<>>* names);
// A non-negative decimal (strconv.Atoi syntax: optional sign).
Result<uint64_t> MustParseCronInt(std::string_view expr);
// Bits min..max stepping by step.
uint64_t GetCronBits(uint64_t min, uint64_t max, uint64_t step);
// Whether t's day satisfies the day-of-month and day-of-week sets.
bool CronDayMatches(uint64_t day_of_month, uint64_t day_of_week, const Time& t);

}  // namespace natscpp::store::sched

#endif  // NATSCPP_STORE_SCHED_CRON_H_
