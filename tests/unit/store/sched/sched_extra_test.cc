// Checks of this port beyond the Go tests: expected values worked out from
// the Go sources (time zone resolution, cron walking, header rewriting of
// fired schedules, TTL parsing, delete-marker bookkeeping).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "headers/headers.h"
#include "sched/cron.h"
#include "sched/go_time.h"
#include "sched/scheduler.h"
#include "sched/sdm.h"
#include "sched/stream_headers.h"

namespace natscpp::store::sched {
namespace {

Time Utc(int64_t y, int64_t mo, int64_t d, int64_t h = 0, int64_t mi = 0, int64_t s = 0) {
  return Time::Date(y, mo, d, h, mi, s, 0, Location::UTC());
}

headers::Bytes Hdr(const std::vector<std::pair<std::string, std::string>>& kv) {
  headers::Bytes h;
  for (const auto& [k, v] : kv) h = headers::GenHeader(h, k, v);
  return h;
}

TEST(Scheduler, GoTimeZonesResolveLikeGo) {
  const Result<LocationPtr> ams = LoadLocation("Europe/Amsterdam");
  ASSERT_TRUE(ams.has_value()) << ams.error().message();
  EXPECT_EQ(Time::Date(2024, 7, 1, 12, 0, 0, 0, *ams).String(), "2024-07-01 12:00:00 +0200 CEST");
  EXPECT_EQ(Time::Date(2024, 1, 1, 12, 0, 0, 0, *ams).String(), "2024-01-01 12:00:00 +0100 CET");
  // Past the last transition in the file the TZ footer rule applies.
  EXPECT_EQ(Time::Date(2100, 7, 1, 12, 0, 0, 0, *ams).String(), "2100-07-01 12:00:00 +0200 CEST");
  EXPECT_EQ(Time::Date(2100, 12, 1, 12, 0, 0, 0, *ams).String(), "2100-12-01 12:00:00 +0100 CET");
  // A wall time in the spring-forward gap resolves as Go's Date does.
  EXPECT_EQ(Time::Date(2024, 3, 31, 2, 30, 0, 0, *ams).String(), "2024-03-31 03:30:00 +0200 CEST");
  // Normalisation: month 13 and day 0.
  EXPECT_TRUE(Utc(2024, 13, 1).Equal(Utc(2025, 1, 1)));
  EXPECT_TRUE(Utc(2024, 3, 0).Equal(Utc(2024, 2, 29)));
  // AddDate overflows the day like Go (Jan 31 + 1 month = Mar 2 in 2024).
  EXPECT_TRUE(Utc(2024, 1, 31).AddDate(0, 1, 0).Equal(Utc(2024, 3, 2)));

  EXPECT_FALSE(LoadLocation("Not/AZone").has_value());
  EXPECT_FALSE(LoadLocation("../etc/passwd").has_value());
  EXPECT_EQ(*LoadLocation("UTC"), Location::UTC());
  EXPECT_EQ(*LoadLocation(""), Location::UTC());

  EXPECT_TRUE(Time().IsZero());
  EXPECT_EQ(Time::Unix(1, 500'000'000).FormatRFC3339Nano(), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(Time::Date(2024, 1, 2, 3, 4, 5, 0, *ams).FormatRFC3339Nano(), "2024-01-02T03:04:05+01:00");
}

TEST(Scheduler, GoParsersMatchGo) {
  EXPECT_EQ(*ParseDuration("1h30m"), 90 * kMinute);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500 * kMillisecond);
  EXPECT_EQ(*ParseDuration("-2us"), -2 * kMicrosecond);
  EXPECT_EQ(*ParseDuration("3\xC2\xB5s"), 3 * kMicrosecond);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration(".5m"), 30 * kSecond);
  for (const char* bad : {"", "5", "1x", ".s", "s", "-", "9223372036854775808ns"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
  EXPECT_EQ(*ParseDuration("9223372036854775807ns"), std::numeric_limits<int64_t>::max());

  const Result<Time> t = ParseRFC3339("2024-01-02T03:04:05.123456789+02:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->UnixNano(), Utc(2024, 1, 2, 1, 4, 5).UnixNano() + 123456789);
  EXPECT_EQ(t->FormatRFC3339Nano(), "2024-01-02T03:04:05.123456789+02:00");
  // Go's general parser accepts a one-digit hour and a comma.
  EXPECT_TRUE(ParseRFC3339("2024-01-02T3:04:05,5Z").has_value());
  for (const char* bad : {"2024-02-30T00:00:00Z", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05",
                          "2024-01-02T03:04:05+0200", "2024-01-02T24:00:00Z", "x"}) {
    EXPECT_FALSE(ParseRFC3339(bad).has_value()) << bad;
  }
}

TEST(Scheduler, ParseMessageTTL) {
  EXPECT_EQ(*ParseMessageTTL("never"), -1);
  EXPECT_EQ(*ParseMessageTTL("NeVeR"), -1);
  EXPECT_EQ(*ParseMessageTTL("1s"), 1);
  EXPECT_EQ(*ParseMessageTTL("1h"), 3600);
  EXPECT_EQ(*ParseMessageTTL("1.9s"), 1);
  EXPECT_EQ(*ParseMessageTTL("10"), 10);
  for (const char* bad : {"500ms", "0", "-5", "abc", "", "-1s"}) {
    const Result<int64_t> r = ParseMessageTTL(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().message(), kErrMessageTTLInvalid);
  }
  EXPECT_EQ(*GetMessageTTL(Hdr({{"Nats-TTL", "2m"}})), 120);
  EXPECT_EQ(*GetMessageTTL(Hdr({{"Other", "1"}})), 0);
  EXPECT_EQ(*GetMessageTTL({}), 0);
  EXPECT_FALSE(GetMessageTTL(Hdr({{"Nats-TTL", "bad"}})).has_value());

  EXPECT_EQ(*GetMessageScheduleTTL(Hdr({{"Nats-Schedule-TTL", "5m"}})), "5m");
  EXPECT_EQ(*GetMessageScheduleTTL(Hdr({{"a", "b"}})), "");
  EXPECT_FALSE(GetMessageScheduleTTL(Hdr({{"Nats-Schedule-TTL", "5ms"}})).has_value());
}

TEST(Scheduler, ParseCronWalksFields) {
  const int64_t monday = Utc(2024, 1, 1).UnixNano();  // a Monday, 00:00:00
  auto next = [&](const char* p, int64_t ts) { return ParseCron(p, nullptr, ts); };

  EXPECT_TRUE(next("0 30 9 * * mon", monday)->Equal(Utc(2024, 1, 1, 9, 30)));
  EXPECT_TRUE(next("*/15 * * * * *", monday)->Equal(Utc(2024, 1, 1, 0, 0, 15)));
  EXPECT_TRUE(next("0 0 0 29 2 *", Utc(2025, 1, 1).UnixNano())->Equal(Utc(2028, 2, 29)));
  EXPECT_TRUE(next("0 0 12 * JAN,jul *", Utc(2024, 2, 1).UnixNano())->Equal(Utc(2024, 7, 1, 12)));
  // Without a star, day-of-month OR day-of-week: Friday 5th beats the 13th.
  EXPECT_TRUE(next("0 0 0 13 * fri", monday)->Equal(Utc(2024, 1, 5)));
  // "5/1" is 5-6 without the star: Friday, Saturday or the 13th.
  EXPECT_TRUE(next("0 0 0 13 * 5/1", monday)->Equal(Utc(2024, 1, 5)));
  EXPECT_TRUE(next("0 0 0 14 * 6/1", monday)->Equal(Utc(2024, 1, 6)));
  // With a star in either field both must match: "*" days and Fridays.
  EXPECT_TRUE(next("0 0 0 * * 5", monday)->Equal(Utc(2024, 1, 5)));
  EXPECT_TRUE(next("0 0 0 13 * *", monday)->Equal(Utc(2024, 1, 13)));
  // A time zone shifts the wall clock.
  const Result<LocationPtr> ams = LoadLocation("Europe/Amsterdam");
  ASSERT_TRUE(ams.has_value());
  EXPECT_TRUE(ParseCron("0 0 9 * * *", *ams, monday)->Equal(Utc(2024, 1, 1, 8)));
  EXPECT_TRUE(ParseCron("0 0 9 * * *", *ams, Utc(2024, 7, 1).UnixNano())->Equal(Utc(2024, 7, 1, 7)));

  for (const char* bad : {"* * * * *", "60 * * * * *", "* * * * 13 *", "5-1 * * * * *",
                          "*/0 * * * * *", "a * * * * *", "1-2-3 * * * * *", "1/2/3 * * * * *",
                          "-1 * * * * *", "* * * 0 * *"}) {
    EXPECT_FALSE(next(bad, monday).has_value()) << bad;
  }
  // Fields with no values never match (answered without walking 5 years).
  for (const char* empty : {", * * * * *", "* , * * * *", "* * , * * *", "* * * * , *",
                            "* * * , * *", "* * * * * ,", "* * * , * ,"}) {
    const Result<Time> r = next(empty, monday);
    ASSERT_FALSE(r.has_value()) << empty;
    EXPECT_EQ(r.error().message(), "pattern exceeds maximum range");
  }
  // With no star, an empty day-of-month leaves day-of-week in charge.
  EXPECT_TRUE(next("0 0 0 , * 3", monday)->Equal(Utc(2024, 1, 3)));
  EXPECT_FALSE(LoadLocation("Europe").has_value());  // a directory
  // Feb 30 never comes.
  const Result<Time> never = next("0 0 0 30 2 *", monday);
  ASSERT_FALSE(never.has_value());
  EXPECT_EQ(never.error().message(), "pattern exceeds maximum range");

  EXPECT_EQ(GetCronBits(0, 59, 1), (uint64_t{1} << 60) - 1);
  EXPECT_EQ(GetCronBits(1, 5, 2), 0b101010u);
  EXPECT_EQ(*GetCronRange("*", CronHours()), ((uint64_t{1} << 24) - 1) | kCronStarBit);
  EXPECT_EQ(*GetCronRange("*/2", CronHours()) & kCronStarBit, 0u);
  EXPECT_EQ(*GetCronField("1,,3", CronMinutes()), 0b1010u);
  EXPECT_EQ(*MustParseCronInt("+7"), 7u);
  EXPECT_EQ(*MustParseCronInt("-0"), 0u);
}

TEST(Scheduler, ParseMsgScheduleRejects) {
  const Result<LocationPtr> ams = LoadLocation("Europe/Amsterdam");
  ASSERT_TRUE(ams.has_value());
  EXPECT_TRUE(ParseMsgSchedule("", nullptr, 0).ok);
  EXPECT_TRUE(ParseMsgSchedule("", nullptr, 0).next.IsZero());
  EXPECT_FALSE(ParseMsgSchedule("@at 2024-01-01T00:00:00Z", *ams, 0).ok);
  EXPECT_FALSE(ParseMsgSchedule("@every 5s", *ams, 0).ok);
  EXPECT_FALSE(ParseMsgSchedule("@at tomorrow", nullptr, 0).ok);
  EXPECT_FALSE(ParseMsgSchedule("@every", nullptr, 0).ok);
  EXPECT_FALSE(ParseMsgSchedule("@fortnightly", nullptr, 0).ok);

  // Header forms.
  EXPECT_TRUE(NextMessageSchedule({}, 0)->IsZero());
  EXPECT_FALSE(NextMessageSchedule(Hdr({{"Nats-Schedule", "bad"}}), 0).has_value());
  const Result<Time> at = NextMessageSchedule(Hdr({{"Nats-Schedule", "@at 2030-01-01T00:00:00Z"}}), 0);
  ASSERT_TRUE(at.has_value());
  EXPECT_TRUE(at->Equal(Utc(2030, 1, 1)));
  const Result<Time> badtz = NextMessageSchedule(
      Hdr({{"Nats-Schedule", "* * * * * *"}, {"Nats-Schedule-Time-Zone", "Nowhere/Zone"}}), 0);
  ASSERT_FALSE(badtz.has_value());
  EXPECT_EQ(badtz.error().message(), kErrMessageSchedulesTimeZoneInvalid);
  // Present but empty is invalid; absent is UTC (nullptr).
  headers::Bytes empty_tz = Hdr({{"Nats-Schedule", "* * * * * *"}});
  const std::string raw = "NATS/1.0\r\nNats-Schedule-Time-Zone:\r\n\r\n";
  EXPECT_FALSE(LoadMessageScheduleLocation(headers::AsBytes(raw)).has_value());
  EXPECT_EQ(*LoadMessageScheduleLocation(empty_tz), nullptr);
}

class FakeTimer : public Timer {
 public:
  explicit FakeTimer(std::vector<int64_t>* log) : log_(log) {}
  void Reset(int64_t d) override { log_->push_back(d); }
  void Stop() override { log_->push_back(-1); }

 private:
  std::vector<int64_t>* log_;
};

TEST(Scheduler, ResetTimerArmsOnceAndNeverLater) {
  std::vector<int64_t> log;
  int created = 0;
  MsgScheduling ms([] {}, [&](int64_t d, std::function<void()>) {
    ++created;
    log.push_back(d);
    return std::make_unique<FakeTimer>(&log);
  });
  const int64_t now = NowUnixNano();
  ms.Add(1, "a", now - kSecond);  // overdue: fires after the 250ms floor
  ASSERT_EQ(created, 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], 250 * kMillisecond);
  EXPECT_GT(ms.deadline(), now);

  ms.Add(2, "b", now + kHour);  // later than the armed deadline: untouched
  EXPECT_EQ(log.size(), 1u);

  ms.set_running(true);
  ms.ResetTimer();  // a run in progress re-arms itself
  EXPECT_EQ(log.size(), 1u);
  ms.set_running(false);

  ms.RemoveSubject("a");
  ms.RemoveSubject("b");
  // Removal leaves the wheel's low mark stale (as in Go) until the next
  // expiry pass recomputes it; then nothing is left and the timer stops.
  ms.ResetTimer();
  EXPECT_EQ(log.size(), 1u);
  EXPECT_TRUE(ms.GetScheduledMessages([](uint64_t) { return std::optional<StoreMsg>(); },
                                      [](std::string_view) { return std::optional<StoreMsg>(); })
                  .empty());
  ms.ResetTimer();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], -1);
}

TEST(Scheduler, GetScheduledMessagesRewritesHeaders) {
  MsgScheduling ms([] {});
  const int64_t past = NowUnixNano() - kSecond;
  std::map<uint64_t, StoreMsg> store;
  store[1] = StoreMsg{"sched.one",
                      Hdr({{"Custom", "y"},
                           {"Nats-Schedule", "@at 2020-01-01T00:00:00Z"},
                           {"Nats-Schedule-Target", "out.one"},
                           {"Nats-Schedule-TTL", "5m"},
                           {"Nats-Msg-Id", "dup"},
                           {"Nats-Expected-Stream", "S"},
                           {"Nats-TTL", "1h"}}),
                      {'h', 'i'}, 1, past};
  store[2] = StoreMsg{"sched.two",
                      Hdr({{"Nats-Schedule", "@every 1m"},
                           {"Nats-Schedule-Target", "out.two"},
                           {"Nats-Schedule-Source", "src"},
                           {"Nats-Schedule-Rollup", "sub"}}),
                      {'x'}, 2, past};
  store[3] = StoreMsg{"sched.bad", Hdr({{"Nats-Schedule", "nonsense"}}), {}, 3, past};
  // Sequence 4 is tracked but no longer stored.
  ms.Add(2, "sched.two", past);
  ms.Add(1, "sched.one", past);
  ms.Add(3, "sched.bad", past);
  ms.Add(4, "sched.gone", past);

  auto load = [&](uint64_t seq) -> std::optional<StoreMsg> {
    const auto it = store.find(seq);
    if (it == store.end()) return std::nullopt;
    return it->second;
  };
  auto load_last = [&](std::string_view subj) -> std::optional<StoreMsg> {
    if (subj != "src") return std::nullopt;
    return StoreMsg{"src", Hdr({{"From", "source"}}), {'s', 'r', 'c'}, 9, 0};
  };

  std::vector<InMsg> msgs = ms.GetScheduledMessages(load, load_last);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].seq, 1u);
  EXPECT_EQ(msgs[0].subj, "out.one");
  EXPECT_EQ(std::string(headers::AsString(msgs[0].hdr)),
            "NATS/1.0\r\nCustom: y\r\nNats-Scheduler: sched.one\r\nNats-Schedule-Next: purge\r\n"
            "Nats-TTL: 5m\r\n\r\n");
  EXPECT_EQ(std::string(msgs[0].msg.begin(), msgs[0].msg.end()), "hi");

  EXPECT_EQ(msgs[1].seq, 2u);
  EXPECT_EQ(msgs[1].subj, "out.two");
  const std::string h2(headers::AsString(msgs[1].hdr));
  EXPECT_TRUE(h2.starts_with("NATS/1.0\r\nFrom: source\r\nNats-Scheduler: sched.two\r\nNats-Schedule-Next: "))
      << h2;
  EXPECT_TRUE(h2.ends_with("\r\nNats-Rollup: sub\r\n\r\n")) << h2;
  EXPECT_EQ(std::string(msgs[1].msg.begin(), msgs[1].msg.end()), "src");

  // Invalid and vanished schedules are dropped; fired ones stay in flight.
  EXPECT_EQ(ms.schedules().size(), 2u);
  EXPECT_TRUE(ms.IsInflight("sched.one"));
  EXPECT_TRUE(ms.IsInflight("sched.two"));
  EXPECT_TRUE(ms.GetScheduledMessages(load, load_last).empty());
  ms.ClearInflight();
  EXPECT_EQ(ms.GetScheduledMessages(load, load_last).size(), 2u);

  // A new schedule message for the subject replaces the old one.
  ms.Add(7, "sched.one", past + kHour);
  EXPECT_EQ(ms.schedules().at("sched.one").seq, 7u);
  EXPECT_FALSE(ms.seq_to_subj().contains(1));
  EXPECT_FALSE(ms.IsInflight("sched.one"));
  ms.Remove(7);
  EXPECT_FALSE(ms.schedules().contains("sched.one"));
}

TEST(Scheduler, EncodeMatchesFormat) {
  MsgScheduling ms([] {});
  ms.Init(300, "foo", -3);
  const std::vector<uint8_t> b = ms.Encode(2);
  const std::vector<uint8_t> want = {1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
                                     3, 0, 'f', 'o', 'o', 5, 0xAC, 0x02};
  EXPECT_EQ(b, want);

  // Subjects longer than 65535 bytes are cut to that length.
  MsgScheduling big([] {});
  big.Init(1, std::string(70'000, 'x'), 1);
  const std::vector<uint8_t> e = big.Encode(0);
  EXPECT_EQ(e[17], 0xFF);
  EXPECT_EQ(e[18], 0xFF);
  MsgScheduling back([] {});
  ASSERT_TRUE(back.Decode(e).has_value());
  EXPECT_TRUE(back.schedules().contains(std::string(65'535, 'x')));
}

TEST(Scheduler, SubjectDeleteMarkers) {
  EXPECT_TRUE(IsSubjectDeleteMarker(Hdr({{"Nats-Marker-Reason", "MaxAge"}})));
  EXPECT_TRUE(IsSubjectDeleteMarker(Hdr({{"KV-Operation", "PURGE"}})));
  EXPECT_FALSE(IsSubjectDeleteMarker(Hdr({{"KV-Operation", "DEL"}})));
  EXPECT_FALSE(IsSubjectDeleteMarker(Hdr({{"Nats-Marker-Reason", ""}})));
  EXPECT_FALSE(IsSubjectDeleteMarker({}));

  SDMMeta sdm;
  EXPECT_TRUE(sdm.TrackPending(1, "a", true));
  EXPECT_TRUE(sdm.TrackPending(1, "a", false));  // first answer sticks
  EXPECT_FALSE(sdm.TrackPending(2, "a", false));
  EXPECT_EQ(sdm.totals().at("a"), 2u);
  sdm.RemoveSeqAndSubject(1, "a");
  EXPECT_EQ(sdm.totals().at("a"), 1u);
  sdm.RemoveSeqAndSubject(1, "a");  // not pending any more: no change
  EXPECT_EQ(sdm.totals().at("a"), 1u);
  sdm.RemoveSeqAndSubject(2, "a");
  EXPECT_TRUE(sdm.totals().empty());
  sdm.TrackPending(3, "b", true);
  sdm.Empty();
  EXPECT_TRUE(sdm.pending().empty());
  EXPECT_TRUE(sdm.totals().empty());
}

}  // namespace
}  // namespace natscpp::store::sched
