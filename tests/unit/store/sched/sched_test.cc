// Ports of the Go tests for message scheduling, cron patterns and the TTL
// and schedule header parsers:
//   server/filestore_test.go: TestFileStoreMessageSchedule*
//   server/jetstream_test.go: TestJetStreamScheduledMessageParse
//   server/util_test.go:      TestParseSInt64
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "headers/headers.h"
#include "sched/cron.h"
#include "sched/go_time.h"
#include "sched/scheduler.h"
#include "sched/sdm.h"
#include "sched/stream_headers.h"
#include "util/varint.h"

namespace natscpp::store::sched {
namespace {

Time NowUTC() { return Time::Unix(0, NowUnixNano()).UTC(); }

TEST(FileStore, TestFileStoreMessageScheduleEncodeDecode) {
  MsgScheduling ms([] {});
  const int64_t now = NowUnixNano();

  constexpr int64_t kNumSequences = 100'000;
  for (int64_t seq = 0; seq < kNumSequences; ++seq) {
    const int64_t ts = now + seq * kSecond;
    ms.Add(static_cast<uint64_t>(seq), "foo." + std::to_string(seq), ts);
  }

  const std::vector<uint8_t> b = ms.Encode(12345);
  EXPECT_GT(b.size(), 17u);  // more than the header

  MsgScheduling nms([] {});
  const Result<uint64_t> stamp = nms.Decode(b);
  ASSERT_TRUE(stamp.has_value()) << stamp.error().message();
  EXPECT_EQ(*stamp, 12345u);
  EXPECT_EQ(ms.ttls().GetNextExpiration(std::numeric_limits<int64_t>::max()),
            nms.ttls().GetNextExpiration(std::numeric_limits<int64_t>::max()));

  ASSERT_EQ(ms.seq_to_subj().size(), nms.seq_to_subj().size());
  for (const auto& [seq, subj] : ms.seq_to_subj()) {
    const auto it = nms.seq_to_subj().find(seq);
    ASSERT_NE(it, nms.seq_to_subj().end());
    EXPECT_EQ(subj, it->second);
  }

  ASSERT_EQ(ms.schedules().size(), nms.schedules().size());
  for (const auto& [subj, sched] : ms.schedules()) {
    const auto it = nms.schedules().find(subj);
    ASSERT_NE(it, nms.schedules().end());
    EXPECT_EQ(sched.ts, it->second.ts);
    EXPECT_EQ(sched.seq, it->second.seq);
  }
}

TEST(FileStore, TestFileStoreMessageScheduleDecodeRejectsMalformed) {
  auto header = [](uint64_t count) {
    std::vector<uint8_t> b(kSchedHeaderLen, 0);
    b[0] = 1;
    for (int i = 0; i < 8; ++i) b[1 + static_cast<size_t>(i)] = static_cast<uint8_t>(count >> (8 * i));
    return b;
  };
  auto cat = [](std::vector<uint8_t> a, std::vector<uint8_t> tail) {
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  };
  std::vector<uint8_t> bad_version = header(0);
  bad_version[0] = 2;
  std::vector<uint8_t> truncated_seq = cat(header(1), {3, 0, 'f', 'o', 'o'});
  util::AppendVarint(truncated_seq, 12345);

  struct Case {
    const char* title;
    std::vector<uint8_t> buf;
    const char* err;
  };
  const std::vector<Case> cases = {
      {"ShortHeader", std::vector<uint8_t>(kSchedHeaderLen - 1, 0), kErrShortBuffer},
      {"BadVersion", bad_version, kErrMsgScheduleInvalidVersion},
      // One entry claimed, nothing after the header.
      {"TruncatedAtSubjLen", header(1), kErrUnexpectedEOF},
      // The subject length but no subject.
      {"TruncatedSubj", cat(header(1), {5, 0}), kErrUnexpectedEOF},
      // The subject but no varints.
      {"TruncatedVarints", cat(header(1), {3, 0, 'f', 'o', 'o'}), kErrUnexpectedEOF},
      // The time varint but no sequence.
      {"TruncatedSeq", truncated_seq, kErrUnexpectedEOF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.title);
    MsgScheduling ms([] {});
    const Result<uint64_t> r = ms.Decode(c.buf);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding);
    EXPECT_EQ(r.error().message(), c.err);
  }
}

TEST(JetStream, TestJetStreamScheduledMessageParse) {
  {
    SCOPED_TRACE("@at");
    const Time ts = NowUTC();
    const ParsedMsgSchedule s = ParseMsgSchedule("@at " + ts.FormatRFC3339Nano(), nullptr, 0);
    EXPECT_TRUE(s.ok);
    EXPECT_FALSE(s.repeat);
    EXPECT_TRUE(ts.Equal(s.next));
    EXPECT_EQ(s.next.Location(), Location::UTC());
  }
  {
    SCOPED_TRACE("@every");
    Time now = NowUTC().Round(kSecond);
    ParsedMsgSchedule s = ParseMsgSchedule("@every 5s", nullptr, now.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_TRUE(now.Add(5 * kSecond).Equal(s.next));

    // Not once per missed interval after a long pause.
    now = NowUTC().Round(kSecond);
    s = ParseMsgSchedule("@every 5s", nullptr, 0);
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_TRUE(!s.next.Before(now.Add(5 * kSecond)));

    // At most once a second.
    s = ParseMsgSchedule("@every 999ms", nullptr, 0);
    EXPECT_FALSE(s.ok);

    // The next firing is the previous one rounded to the second, plus the
    // interval.
    constexpr int64_t kInterval = 1500 * kMillisecond;
    const Time anchor = NowUTC().Add(kSecond);
    s = ParseMsgSchedule("@every 1500ms", nullptr, anchor.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_EQ(s.next.UnixNano(), anchor.Round(kSecond).Add(kInterval).UnixNano());

    // Re-arming from that firing rounds again.
    const Time prev = s.next;
    s = ParseMsgSchedule("@every 1500ms", nullptr, s.next.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_EQ(s.next.UnixNano(), prev.Round(kSecond).Add(kInterval).UnixNano());
  }
  {
    SCOPED_TRACE("cron");
    Time now = NowUTC().Round(kSecond);
    ParsedMsgSchedule s = ParseMsgSchedule("* * * * * *", nullptr, now.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_TRUE(now.Add(kSecond).Equal(s.next));

    // The earliest next second.
    now = NowUTC().Truncate(kSecond).Add(kSecond - 1);
    s = ParseMsgSchedule("* * * * * *", nullptr, now.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_TRUE(now.Truncate(kSecond).Add(kSecond).Equal(s.next));

    // Not once per missed firing after a long pause.
    now = NowUTC().Round(kSecond);
    s = ParseMsgSchedule("* * * * * *", nullptr, 0);
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_TRUE(!s.next.Before(now.Add(kSecond)));

    struct Predefined {
      const char* pattern;
      Time (*delay)(const Time&);
    };
    const std::vector<Predefined> predefined = {
        {"@yearly", [](const Time& t) { return t.AddDate(1, 0, 0); }},
        {"@annually", [](const Time& t) { return t.AddDate(1, 0, 0); }},
        {"@monthly", [](const Time& t) { return t.AddDate(0, 1, 0); }},
        {"@weekly", [](const Time& t) { return t.AddDate(0, 0, 7); }},
        {"@daily", [](const Time& t) { return t.AddDate(0, 0, 1); }},
        {"@midnight", [](const Time& t) { return t.AddDate(0, 0, 1); }},
        {"@hourly", [](const Time& t) { return t.Add(kHour); }},
    };
    for (const Predefined& p : predefined) {
      SCOPED_TRACE(p.pattern);
      // A "now" in the future so the delay is exactly one period; a Sunday
      // for @weekly.
      now = Time::Date(NowUTC().Year() + 2, 1, 1, 0, 0, 0, 0, Location::UTC());
      if (std::string(p.pattern) == "@weekly") {
        while (now.Weekday() != 0) now = now.AddDate(0, 0, 1);
      }
      s = ParseMsgSchedule(p.pattern, nullptr, now.UnixNano());
      EXPECT_TRUE(s.ok);
      EXPECT_TRUE(s.repeat);
      EXPECT_TRUE(p.delay(now).Equal(s.next)) << p.delay(now).String() << " vs " << s.next.String();
    }
  }
  {
    SCOPED_TRACE("cron_tz");
    const Result<LocationPtr> loc = LoadLocation("Europe/Amsterdam");
    ASSERT_TRUE(loc.has_value()) << loc.error().message();

    const Time now = NowUTC().Round(kSecond);
    const ParsedMsgSchedule s = ParseMsgSchedule("* * * * * *", *loc, now.UnixNano());
    EXPECT_TRUE(s.ok);
    EXPECT_TRUE(s.repeat);
    EXPECT_EQ(now.In(*loc).Add(kSecond).String(), s.next.String());
  }
}

TEST(Util, TestParseSInt64) {
  EXPECT_EQ(ParseInt64({}), -1);
  EXPECT_EQ(ParseInt64(headers::AsBytes("12345678")), 12345678);
  EXPECT_EQ(ParseInt64(headers::AsBytes("12345invalid678")), -1);
}

}  // namespace
}  // namespace natscpp::store::sched
