// Tests of the stream/consumer configuration types and their Go-compatible
// JSON. The golden tests decode every meta.inf of the unencrypted Go-written
// stores under ../shared/golden and re-encode them byte for byte.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/go_json.h"
#include "natscpp/store/consumer_config.h"
#include "natscpp/store/go_time.h"
#include "natscpp/store/stream_config.h"
#include "../golden_store.h"

namespace natscpp::store {
namespace {

using std::chrono::nanoseconds;
using namespace std::chrono_literals;

std::string GoString(std::string_view s) {
  std::string out;
  config::AppendGoJsonString(out, s);
  return out;
}

GoTime MustParse(std::string_view s) {
  auto t = ParseRfc3339(s);
  EXPECT_TRUE(t.has_value()) << s << ": " << (t ? "" : t.error().message());
  return t.value_or(GoTime{});
}

std::string MustFormat(const GoTime& t) {
  auto s = FormatRfc3339Nano(t);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return s.value_or("");
}

// ---------------------------------------------------------------- enums

template <typename E>
void ExpectEnumToken(E v, std::string_view token) {
  auto m = MarshalJson(v);
  ASSERT_TRUE(m.has_value()) << token;
  EXPECT_EQ(*m, token);
  E back{};
  // Start from a different value so a no-op decode would be caught.
  back = static_cast<E>(static_cast<int>(v) == 1 ? 2 : 1);
  ASSERT_TRUE(UnmarshalJson(token, back).has_value()) << token;
  EXPECT_EQ(back, v) << token;
}

TEST(GoJson, EnumMarshalUnmarshalEveryValue) {
  ExpectEnumToken(RetentionPolicy::kLimits, "\"limits\"");
  ExpectEnumToken(RetentionPolicy::kInterest, "\"interest\"");
  ExpectEnumToken(RetentionPolicy::kWorkQueue, "\"workqueue\"");
  ExpectEnumToken(DiscardPolicy::kOld, "\"old\"");
  ExpectEnumToken(DiscardPolicy::kNew, "\"new\"");
  ExpectEnumToken(StorageType::kFile, "\"file\"");
  ExpectEnumToken(StorageType::kMemory, "\"memory\"");
  ExpectEnumToken(PersistMode::kDefault, "\"default\"");
  ExpectEnumToken(PersistMode::kAsync, "\"async\"");
  ExpectEnumToken(AckPolicy::kNone, "\"none\"");
  ExpectEnumToken(AckPolicy::kAll, "\"all\"");
  ExpectEnumToken(AckPolicy::kExplicit, "\"explicit\"");
  ExpectEnumToken(AckPolicy::kFlowControl, "\"flow_control\"");
  ExpectEnumToken(ReplayPolicy::kInstant, "\"instant\"");
  ExpectEnumToken(ReplayPolicy::kOriginal, "\"original\"");
  ExpectEnumToken(DeliverPolicy::kAll, "\"all\"");
  ExpectEnumToken(DeliverPolicy::kLast, "\"last\"");
  ExpectEnumToken(DeliverPolicy::kNew, "\"new\"");
  ExpectEnumToken(DeliverPolicy::kByStartSequence, "\"by_start_sequence\"");
  ExpectEnumToken(DeliverPolicy::kByStartTime, "\"by_start_time\"");
  ExpectEnumToken(DeliverPolicy::kLastPerSubject, "\"last_per_subject\"");
  ExpectEnumToken(PriorityPolicy::kNone, "\"none\"");
  ExpectEnumToken(PriorityPolicy::kOverflow, "\"overflow\"");
  ExpectEnumToken(PriorityPolicy::kPinnedClient, "\"pinned_client\"");
  ExpectEnumToken(PriorityPolicy::kPrioritized, "\"prioritized\"");
  ExpectEnumToken(StreamCompression::kNone, "\"none\"");
  ExpectEnumToken(StreamCompression::kS2, "\"s2\"");
}

TEST(GoJson, EnumStringForms) {
  EXPECT_EQ(ToString(RetentionPolicy::kLimits), "Limits");
  EXPECT_EQ(ToString(RetentionPolicy::kInterest), "Interest");
  EXPECT_EQ(ToString(RetentionPolicy::kWorkQueue), "WorkQueue");
  EXPECT_EQ(ToString(static_cast<RetentionPolicy>(9)), "Unknown Retention Policy");
  EXPECT_EQ(ToString(DiscardPolicy::kOld), "DiscardOld");
  EXPECT_EQ(ToString(DiscardPolicy::kNew), "DiscardNew");
  EXPECT_EQ(ToString(static_cast<DiscardPolicy>(7)), "Unknown Discard Policy");
  EXPECT_EQ(ToString(StorageType::kFile), "File");
  EXPECT_EQ(ToString(StorageType::kMemory), "Memory");
  EXPECT_EQ(ToString(StorageType{}), "Unknown Storage Type");
  EXPECT_EQ(ToString(PersistMode::kDefault), "Default");
  EXPECT_EQ(ToString(PersistMode::kAsync), "Async");
  EXPECT_EQ(ToString(static_cast<PersistMode>(5)), "Unknown Persist Mode Type");
  EXPECT_EQ(ToString(StreamCompression::kNone), "None");
  EXPECT_EQ(ToString(StreamCompression::kS2), "S2");
  EXPECT_EQ(ToString(static_cast<StreamCompression>(3)), "Unknown StoreCompression");
  EXPECT_EQ(ToString(AckPolicy::kNone), "none");
  EXPECT_EQ(ToString(AckPolicy::kAll), "all");
  EXPECT_EQ(ToString(AckPolicy::kExplicit), "explicit");
  EXPECT_EQ(ToString(AckPolicy::kFlowControl), "flow_control");
  EXPECT_EQ(ToString(static_cast<AckPolicy>(9)), "explicit");
  EXPECT_EQ(ToString(ReplayPolicy::kInstant), "\"instant\"");
  EXPECT_EQ(ToString(ReplayPolicy::kOriginal), "\"original\"");
  EXPECT_EQ(ToString(static_cast<ReplayPolicy>(9)), "\"original\"");
  EXPECT_EQ(ToString(DeliverPolicy::kAll), "all");
  EXPECT_EQ(ToString(DeliverPolicy::kLast), "last");
  EXPECT_EQ(ToString(DeliverPolicy::kNew), "new");
  EXPECT_EQ(ToString(DeliverPolicy::kByStartSequence), "by_start_sequence");
  EXPECT_EQ(ToString(DeliverPolicy::kByStartTime), "by_start_time");
  EXPECT_EQ(ToString(DeliverPolicy::kLastPerSubject), "last_per_subject");
  EXPECT_EQ(ToString(static_cast<DeliverPolicy>(99)), "undefined");
  EXPECT_EQ(ToString(PriorityPolicy::kNone), "\"none\"");
  EXPECT_EQ(ToString(PriorityPolicy::kOverflow), "\"overflow\"");
  EXPECT_EQ(ToString(PriorityPolicy::kPinnedClient), "\"pinned_client\"");
  EXPECT_EQ(ToString(PriorityPolicy::kPrioritized), "\"prioritized\"");
  EXPECT_EQ(ToString(static_cast<PriorityPolicy>(9)), "\"none\"");
}

TEST(GoJson, EnumMarshalRejectsUnknownValues) {
  auto r = MarshalJson(static_cast<RetentionPolicy>(3));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "can not marshal Unknown Retention Policy");
  EXPECT_FALSE(MarshalJson(static_cast<DiscardPolicy>(2)).has_value());
  auto st = MarshalJson(StorageType{});
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(), "can not marshal Unknown Storage Type");
  EXPECT_FALSE(MarshalJson(static_cast<PersistMode>(2)).has_value());
  auto ack = MarshalJson(static_cast<AckPolicy>(4));
  ASSERT_FALSE(ack.has_value());
  EXPECT_EQ(ack.error().message(), "can not marshal explicit");
  EXPECT_FALSE(MarshalJson(static_cast<ReplayPolicy>(2)).has_value());
  auto pp = MarshalJson(static_cast<PriorityPolicy>(4));
  ASSERT_FALSE(pp.has_value());
  EXPECT_EQ(pp.error().message(), "unknown priority policy: \"none\"");
  EXPECT_FALSE(MarshalJson(static_cast<StreamCompression>(2)).has_value());
  // DeliverPolicy never fails: unknown values become "undefined", which
  // decodes back as DeliverAll.
  auto dp = MarshalJson(static_cast<DeliverPolicy>(42));
  ASSERT_TRUE(dp.has_value());
  EXPECT_EQ(*dp, "\"undefined\"");
  DeliverPolicy back = DeliverPolicy::kNew;
  ASSERT_TRUE(UnmarshalJson("\"undefined\"", back).has_value());
  EXPECT_EQ(back, DeliverPolicy::kAll);
}

template <typename E>
void ExpectRejected(std::string_view token, E start) {
  E v = start;
  auto r = UnmarshalJson(token, v);
  EXPECT_FALSE(r.has_value()) << token;
  if (!r) {
    EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding) << token;
  }
  EXPECT_EQ(v, start) << "output changed for " << token;
}

TEST(GoJson, EnumUnmarshalRejectsBadValues) {
  for (std::string_view bad : {"\"Limits\"", "\"limit\"", "limits", "null", "0", "\"\"", "{}"}) {
    ExpectRejected(bad, RetentionPolicy::kInterest);
  }
  RetentionPolicy rp = RetentionPolicy::kLimits;
  auto r = UnmarshalJson("\"forever\"", rp);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "can not unmarshal \"\\\"forever\\\"\"");
  for (std::string_view bad : {"\"older\"", "old", "null", "1"}) {
    ExpectRejected(bad, DiscardPolicy::kNew);
  }
  // Discard is matched case-insensitively in Go.
  DiscardPolicy d = DiscardPolicy::kOld;
  ASSERT_TRUE(UnmarshalJson("\"NEW\"", d).has_value());
  EXPECT_EQ(d, DiscardPolicy::kNew);
  ASSERT_TRUE(UnmarshalJson("\"Old\"", d).has_value());
  EXPECT_EQ(d, DiscardPolicy::kOld);
  for (std::string_view bad : {"\"File\"", "\"disk\"", "22", "null"}) {
    ExpectRejected(bad, StorageType::kMemory);
  }
  for (std::string_view bad : {"\"Async\"", "\"sync\"", "1", "null"}) {
    ExpectRejected(bad, PersistMode::kAsync);
  }
  PersistMode pm = PersistMode::kAsync;
  ASSERT_TRUE(UnmarshalJson("\"\"", pm).has_value());
  EXPECT_EQ(pm, PersistMode::kDefault);
  for (std::string_view bad : {"\"None\"", "\"ack\"", "2", "null"}) {
    ExpectRejected(bad, AckPolicy::kAll);
  }
  for (std::string_view bad : {"\"Instant\"", "\"replay\"", "null"}) {
    ExpectRejected(bad, ReplayPolicy::kOriginal);
  }
  for (std::string_view bad : {"\"ALL\"", "\"by_start\"", "\"\"", "null"}) {
    ExpectRejected(bad, DeliverPolicy::kNew);
  }
  for (std::string_view bad : {"\"pinned\"", "\"\"", "null", "1"}) {
    ExpectRejected(bad, PriorityPolicy::kOverflow);
  }
  PriorityPolicy p = PriorityPolicy::kNone;
  auto pr = UnmarshalJson("\"pinned\"", p);
  ASSERT_FALSE(pr.has_value());
  EXPECT_EQ(pr.error().message(), "unknown priority policy: \"pinned\"");
  for (std::string_view bad : {"\"S2\"", "\"gzip\"", "null", "1", "\"\""}) {
    ExpectRejected(bad, StreamCompression::kS2);
  }
  // The compression token is decoded as a JSON string first, so escapes count.
  StreamCompression c = StreamCompression::kNone;
  ASSERT_TRUE(UnmarshalJson("\"\\u0073\\u0032\"", c).has_value());
  EXPECT_EQ(c, StreamCompression::kS2);
}

// ----------------------------------------------------------------- time

TEST(GoJson, TimeFormatting) {
  EXPECT_EQ(MustFormat(GoTime{}), "0001-01-01T00:00:00Z");
  EXPECT_TRUE(GoTime{}.IsZero());
  EXPECT_EQ(MustFormat(GoTime::FromUnixNanos(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(MustFormat(GoTime::FromUnixNanos(-1)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(MustFormat(GoTime::FromUnixNanos(1795688882020913590)),
            "2026-11-26T10:28:02.02091359Z");
  EXPECT_EQ(GoTime::FromUnixNanos(1795688882020913590).UnixNanos(), 1795688882020913590);
  // Trailing zeros of the fraction are dropped, and the dot with them.
  GoTime t = GoTime::FromUnixNanos(1583020799LL * 1'000'000'000);
  EXPECT_EQ(MustFormat(t), "2020-02-29T23:59:59Z");
  t.nsec = 100'000'000;
  EXPECT_EQ(MustFormat(t), "2020-02-29T23:59:59.1Z");
  t.nsec = 1;
  EXPECT_EQ(MustFormat(t), "2020-02-29T23:59:59.000000001Z");
  t.nsec = 123'456'789;
  EXPECT_EQ(MustFormat(t), "2020-02-29T23:59:59.123456789Z");
  t.nsec = 120'000'000;
  EXPECT_EQ(MustFormat(t), "2020-02-29T23:59:59.12Z");

  // Offsets: the wall clock moves, the suffix shows hh:mm.
  GoTime o = GoTime::FromUnixNanos(1704161045LL * 1'000'000'000);  // 2024-01-02T02:04:05Z
  o.offset_sec = 3600;
  EXPECT_EQ(MustFormat(o), "2024-01-02T03:04:05+01:00");
  o.offset_sec = 5 * 3600 + 30 * 60;
  EXPECT_EQ(MustFormat(o), "2024-01-02T07:34:05+05:30");
  o.offset_sec = -8 * 3600;
  EXPECT_EQ(MustFormat(o), "2024-01-01T18:04:05-08:00");
  o.offset_sec = 23 * 3600 + 59 * 60;
  EXPECT_EQ(MustFormat(o), "2024-01-03T02:03:05+23:59");
  // Seconds of an offset are truncated toward zero.
  o.offset_sec = 30;
  EXPECT_EQ(MustFormat(o), "2024-01-02T02:04:35+00:00");
  o.offset_sec = -30;
  EXPECT_EQ(MustFormat(o), "2024-01-02T02:03:35+00:00");
  o.offset_sec = -90;
  EXPECT_EQ(MustFormat(o), "2024-01-02T02:02:35-00:01");
  o.offset_sec = 24 * 3600;
  auto bad_zone = FormatRfc3339Nano(o);
  ASSERT_FALSE(bad_zone.has_value());
  EXPECT_EQ(bad_zone.error().code(), ErrorCode::kInvalidArgument);

  // Year range [0, 9999], judged on the wall clock shown.
  GoTime max;
  max.unix_sec = 253402300799;
  max.nsec = 999'999'999;
  max.offset_sec = 0;
  EXPECT_EQ(MustFormat(max), "9999-12-31T23:59:59.999999999Z");
  GoTime over = max;
  over.unix_sec += 1;
  over.nsec = 0;
  EXPECT_FALSE(FormatRfc3339Nano(over).has_value());
  GoTime shifted = max;
  shifted.offset_sec = 60;
  EXPECT_FALSE(FormatRfc3339Nano(shifted).has_value());
  GoTime year0;
  year0.unix_sec = -62167219200;
  EXPECT_EQ(MustFormat(year0), "0000-01-01T00:00:00Z");
  year0.unix_sec -= 1;
  EXPECT_FALSE(FormatRfc3339Nano(year0).has_value());
}

TEST(GoJson, TimeParsing) {
  GoTime t = MustParse("2026-11-26T10:28:02.02091359Z");
  EXPECT_EQ(t.UnixNanos(), 1795688882020913590);
  EXPECT_EQ(t.offset_sec, 0);
  EXPECT_TRUE(MustParse("0001-01-01T00:00:00Z").IsZero());
  EXPECT_EQ(MustParse("0000-02-29T00:00:00Z").unix_sec, -62167219200 + 59 * 86400);

  GoTime o = MustParse("2024-01-02T03:04:05.5+01:00");
  EXPECT_EQ(o.unix_sec, 1704161045);
  EXPECT_EQ(o.nsec, 500'000'000);
  EXPECT_EQ(o.offset_sec, 3600);
  EXPECT_EQ(MustFormat(o), "2024-01-02T03:04:05.5+01:00");
  GoTime neg = MustParse("2024-01-01T18:04:05-08:00");
  EXPECT_EQ(neg.unix_sec, 1704161045);
  EXPECT_EQ(neg.offset_sec, -8 * 3600);
  GoTime whole = o;
  whole.nsec = 0;
  EXPECT_TRUE(neg.SameInstant(whole));
  EXPECT_FALSE(neg == whole);  // same instant, different zone offset
  // A zero offset written as +00:00 reads as UTC and re-encodes as "Z".
  GoTime z = MustParse("2024-01-02T02:04:05+00:00");
  EXPECT_EQ(z.offset_sec, 0);
  EXPECT_EQ(MustFormat(z), "2024-01-02T02:04:05Z");
  // Digits past the ninth are ignored, not rounded.
  EXPECT_EQ(MustParse("2000-01-01T00:00:00.1234567899Z").nsec, 123'456'789);
  EXPECT_EQ(MustParse("2000-01-01T00:00:00.000Z").nsec, 0);
  EXPECT_EQ(MustParse("2020-02-29T23:59:59.000000001Z").unix_sec, 1583020799);

  for (std::string_view bad : {
           "",
           "2000-01-01",
           "2000-01-01T00:00:00",
           "2000-02-30T00:00:00Z",
           "2001-02-29T00:00:00Z",
           "2000-13-01T00:00:00Z",
           "2000-00-01T00:00:00Z",
           "2000-01-00T00:00:00Z",
           "2000-01-01T24:00:00Z",
           "2000-01-01T00:60:00Z",
           "2000-01-01T00:00:60Z",
           "2000-01-01t00:00:00Z",
           "2000-01-01 00:00:00Z",
           "2000-01-01T00:00:00z",
           "2000-01-01T00:00:00.Z",
           "2000-01-01T00:00:00,5Z",
           "2000-01-01T00:00:00+0100",
           "2000-01-01T00:00:00+24:00",
           "2000-01-01T00:00:00+01:60",
           "2000-01-01T00:00:00 01:00",
           "2000-1-01T00:00:00Z",
           "2000-01-01T0:00:00Z",
           "02000-01-01T00:00:00Z",
           "-200-01-01T00:00:00Z",
           "2000-01-01T00:00:00ZZ",
           "2000-01-01T00:00:00.5",
       }) {
    auto r = ParseRfc3339(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding);
    }
  }
}

// ------------------------------------------------------------- escaping

TEST(GoJson, StringEscaping) {
  EXPECT_EQ(GoString("orders.>"), "\"orders.\\u003e\"");
  EXPECT_EQ(GoString("a<b>&c"), "\"a\\u003cb\\u003e\\u0026c\"");
  EXPECT_EQ(GoString("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
  EXPECT_EQ(GoString("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(GoString(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(GoString("\x7f"), "\"\x7f\"");
  EXPECT_EQ(GoString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(GoString("a\xe2\x80\xa8z\xe2\x80\xa9"), "\"a\\u2028z\\u2029\"");
  // Invalid UTF-8: every undecodable byte becomes one \ufffd.
  EXPECT_EQ(GoString("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(GoString("a\xc3"), "\"a\\ufffd\"");
  EXPECT_EQ(GoString("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(GoString("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(GoString("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(GoString("\xe2\x82"), "\"\\ufffd\\ufffd\"");
  // A real U+FFFD is valid and passes through.
  EXPECT_EQ(GoString("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");
  EXPECT_EQ(GoString(""), "\"\"");

  // Keys and metadata go through the same escaping.
  StreamConfig c;
  c.storage = StorageType::kFile;
  c.name = "<S>";
  c.metadata["a&b"] = "x\ny";
  auto enc = EncodeStreamConfig(c);
  ASSERT_TRUE(enc.has_value());
  EXPECT_NE(enc->find("\"name\":\"\\u003cS\\u003e\""), std::string::npos) << *enc;
  EXPECT_NE(enc->find("\"metadata\":{\"a\\u0026b\":\"x\\ny\"}"), std::string::npos) << *enc;
  auto dec = DecodeStreamConfig(*enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(*dec, c);
}

TEST(GoJson, KeyFolding) {
  EXPECT_EQ(config::FoldName("max_Msgs"), "MAX_MSGS");
  EXPECT_EQ(config::FoldName("\xc5\xbftorage"), "STORAGE");
  EXPECT_EQ(config::FoldName("\xe2\x84\xaa"), "K");
  const std::string_view names[] = {"Name", "name", "durable_name"};
  EXPECT_EQ(config::MatchField(names, "name"), 1);
  EXPECT_EQ(config::MatchField(names, "Name"), 0);
  EXPECT_EQ(config::MatchField(names, "NAME"), 0);
  EXPECT_EQ(config::MatchField(names, "Durable_Name"), 2);
  EXPECT_EQ(config::MatchField(names, "durable"), -1);
}

// ----------------------------------------------------------- decoding

TEST(GoJson, DecodeMatchesKeysCaseInsensitively) {
  auto s = DecodeStreamConfig(
      "{\"NAME\":\"x\",\"Subjects\":[\"a\"],\"\xc5\xbftorage\":\"file\",\"MAX_MSGS\":5}");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->name, "x");
  EXPECT_EQ(s->subjects, std::vector<std::string>{"a"});
  EXPECT_EQ(s->storage, StorageType::kFile);
  EXPECT_EQ(s->max_msgs, 5);

  auto c = DecodeConsumerConfig("{\"ac\xe2\x84\xaa_wait\":7}");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->ack_wait, 7ns);

  // In the consumer meta, "Name" and the config's "name" are different
  // fields; a key matching neither exactly goes to the first, "Name".
  auto m = DecodeFileConsumerInfo("{\"Name\":\"outer\",\"name\":\"inner\"}");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "outer");
  EXPECT_EQ(m->config.name, "inner");
  auto m2 = DecodeFileConsumerInfo("{\"NAME\":\"which\"}");
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(m2->name, "which");
  EXPECT_EQ(m2->config.name, "");
}

TEST(GoJson, DecodeStrictAndLenientUnknownFields) {
  const std::string doc = "{\"name\":\"x\",\"bogus\":{\"a\":[1,2]},\"storage\":\"file\"}";
  auto strict = DecodeStreamConfig(doc, JsonMode::kStrict);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code(), ErrorCode::kBadEncoding);
  EXPECT_NE(strict.error().message().find("unknown field \"bogus\""), std::string::npos)
      << strict.error().message();
  auto lenient = DecodeStreamConfig(doc, JsonMode::kLenient);
  ASSERT_TRUE(lenient.has_value());
  EXPECT_EQ(lenient->name, "x");
  EXPECT_EQ(lenient->storage, StorageType::kFile);

  // Nested structs are strict too; the error names the path.
  const std::string nested = "{\"mirror\":{\"name\":\"m\",\"external\":{\"api\":\"a\",\"zone\":1}}}";
  auto ns = DecodeStreamConfig(nested, JsonMode::kStrict);
  ASSERT_FALSE(ns.has_value());
  EXPECT_NE(ns.error().message().find("mirror.external"), std::string::npos)
      << ns.error().message();
  EXPECT_NE(ns.error().message().find("\"zone\""), std::string::npos);
  auto nl = DecodeStreamConfig(nested, JsonMode::kLenient);
  ASSERT_TRUE(nl.has_value());
  ASSERT_TRUE(nl->mirror.has_value());
  ASSERT_TRUE(nl->mirror->external.has_value());
  EXPECT_EQ(nl->mirror->external->api_prefix, "a");

  // Map keys are data, not fields.
  auto meta = DecodeConsumerConfig("{\"metadata\":{\"anything\":\"goes\"}}", JsonMode::kStrict);
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->metadata.at("anything"), "goes");
}

TEST(GoJson, DecodeNullSemantics) {
  auto s = DecodeStreamConfig(
      "{\"name\":null,\"max_msgs\":null,\"subjects\":null,\"placement\":null,"
      "\"consumer_limits\":null,\"metadata\":null,\"sealed\":null,\"max_age\":null}");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(*s, StreamConfig{});
  auto fs = DecodeFileStreamInfo("{\"Created\":null}");
  ASSERT_TRUE(fs.has_value());
  EXPECT_TRUE(fs->created.IsZero());
  auto c = DecodeConsumerConfig("{\"opt_start_time\":null,\"pause_until\":null,\"backoff\":null}");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->opt_start_time.has_value());
  // Elements: null strings and durations read as zero values.
  auto e = DecodeConsumerConfig("{\"filter_subjects\":[\"a\",null],\"backoff\":[null,5]}");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->filter_subjects, (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(e->backoff, (std::vector<nanoseconds>{0ns, 5ns}));
  // Enums see the literal null and reject it, as Go's UnmarshalJSON does.
  for (std::string_view f : {"retention", "discard", "storage", "compression", "persist_mode"}) {
    const std::string doc = "{\"" + std::string(f) + "\":null}";
    auto r = DecodeStreamConfig(doc);
    EXPECT_FALSE(r.has_value()) << f;
    if (!r) {
      EXPECT_NE(r.error().message().find(f), std::string::npos) << r.error().message();
    }
  }
  for (std::string_view f : {"deliver_policy", "ack_policy", "replay_policy", "priority_policy"}) {
    EXPECT_FALSE(DecodeConsumerConfig("{\"" + std::string(f) + "\":null}").has_value()) << f;
  }
  // A top-level null decodes to the zero config.
  auto top = DecodeStreamConfig("null");
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(*top, StreamConfig{});
  // A null source cannot be represented and is rejected.
  EXPECT_FALSE(DecodeStreamConfig("{\"sources\":[null]}").has_value());
}

TEST(GoJson, DecodeTypeAndRangeErrors) {
  struct Case {
    const char* doc;
    const char* field;
  };
  for (const Case& c : {
           Case{"{\"max_msgs\":\"1\"}", "max_msgs"},
           Case{"{\"max_msgs\":1.5}", "max_msgs"},
           Case{"{\"max_msgs\":1e3}", "max_msgs"},
           Case{"{\"max_msgs\":1.0}", "max_msgs"},
           Case{"{\"max_msgs\":9223372036854775808}", "max_msgs"},
           Case{"{\"max_msg_size\":2147483648}", "max_msg_size"},
           Case{"{\"max_msg_size\":-2147483649}", "max_msg_size"},
           Case{"{\"first_seq\":-1}", "first_seq"},
           Case{"{\"first_seq\":18446744073709551616}", "first_seq"},
           Case{"{\"no_ack\":1}", "no_ack"},
           Case{"{\"name\":5}", "name"},
           Case{"{\"subjects\":\"a\"}", "subjects"},
           Case{"{\"subjects\":[1]}", "subjects[0]"},
           Case{"{\"metadata\":{\"a\":1}}", "metadata.a"},
           Case{"{\"metadata\":[]}", "metadata"},
           Case{"{\"placement\":[]}", "placement"},
           Case{"{\"placement\":{\"tags\":[true]}}", "placement.tags[0]"},
           Case{"{\"sources\":[{\"name\":\"a\"},{\"opt_start_time\":\"yesterday\"}]}",
                "sources[1].opt_start_time"},
           Case{"{\"mirror\":{\"opt_start_time\":5}}", "mirror.opt_start_time"},
           Case{"{\"consumer_limits\":{\"max_ack_pending\":\"x\"}}", "consumer_limits.max_ack_pending"},
           Case{"{\"retention\":\"forever\"}", "retention"},
           Case{"{\"storage\":\"File\"}", "storage"},
           Case{"{\"compression\":\"zstd\"}", "compression"},
       }) {
    auto r = DecodeStreamConfig(c.doc);
    ASSERT_FALSE(r.has_value()) << c.doc;
    EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding) << c.doc;
    EXPECT_NE(r.error().message().find(std::string("\"") + c.field + "\""), std::string::npos)
        << c.doc << " -> " << r.error().message();
  }
  // Boundaries that are accepted.
  auto ok = DecodeStreamConfig(
      "{\"max_msgs\":-9223372036854775808,\"max_bytes\":9223372036854775807,"
      "\"max_msg_size\":2147483647,\"first_seq\":18446744073709551615,\"max_consumers\":-0,"
      "\"discard\":\"NEW\"}");
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->max_msgs, INT64_MIN);
  EXPECT_EQ(ok->max_bytes, INT64_MAX);
  EXPECT_EQ(ok->max_msg_size, INT32_MAX);
  EXPECT_EQ(ok->first_seq, UINT64_MAX);
  EXPECT_EQ(ok->max_consumers, 0);
  EXPECT_EQ(ok->discard, DiscardPolicy::kNew);
  // Consumer side.
  EXPECT_FALSE(DecodeConsumerConfig("{\"rate_limit_bps\":-5}").has_value());
  EXPECT_FALSE(DecodeConsumerConfig("{\"backoff\":[1,\"2\"]}").has_value());
  EXPECT_FALSE(DecodeConsumerConfig("{\"ack_policy\":\"ALL\"}").has_value());
  EXPECT_FALSE(DecodeFileConsumerInfo("{\"Created\":\"2000-01-01\"}").has_value());
  EXPECT_FALSE(DecodeFileConsumerInfo("{\"Name\":[]}").has_value());
}

TEST(GoJson, DecodeMalformedInput) {
  for (std::string_view bad : {
           std::string_view(""),
           std::string_view("{"),
           std::string_view("{\"name\":\"x\"} {}"),
           std::string_view("{\"name\":\"x\",}"),
           std::string_view("{\"name\":\"\xff\"}"),
           std::string_view("[1,2]"),
           std::string_view("\"str\""),
           std::string_view("{\"name\":\"x\"\0}", 14),
           std::string_view("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[["),
       }) {
    auto s = DecodeStreamConfig(bad, JsonMode::kLenient);
    EXPECT_FALSE(s.has_value()) << bad;
    if (!s) {
      EXPECT_EQ(s.error().code(), ErrorCode::kBadEncoding);
    }
    EXPECT_FALSE(DecodeFileConsumerInfo(bad, JsonMode::kLenient).has_value()) << bad;
  }
  // Duplicate keys: the last one wins.
  auto dup = DecodeStreamConfig("{\"name\":\"a\",\"name\":\"b\"}");
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->name, "b");
  // Deeply nested unknown values are fine in lenient mode.
  std::string deep = "{\"x\":";
  for (int i = 0; i < 2000; ++i) deep += "[";
  for (int i = 0; i < 2000; ++i) deep += "]";
  deep += ",\"name\":\"n\"}";
  auto d = DecodeStreamConfig(deep, JsonMode::kLenient);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "n");
}

// ------------------------------------------------------ full round trips

StreamConfig FullStreamConfig() {
  StreamConfig c;
  c.name = "ALL";
  c.description = "d<&>";
  c.subjects = {"a.>", "b.*"};
  c.retention = RetentionPolicy::kWorkQueue;
  c.max_consumers = 10;
  c.max_msgs = 100;
  c.max_bytes = 1024;
  c.max_age = 1h;
  c.max_msgs_per = 5;
  c.max_msg_size = 2048;
  c.discard = DiscardPolicy::kNew;
  c.storage = StorageType::kMemory;
  c.replicas = 3;
  c.no_ack = true;
  c.duplicates = 60s;
  c.placement = Placement{"c1", {"t1", "t2"}, "p"};
  StreamSource m;
  m.name = "M";
  m.opt_start_seq = 7;
  m.opt_start_time = MustParse("2024-01-02T03:04:05.5+01:00");
  m.filter_subject = "x";
  m.subject_transforms = {{"x", "y"}};
  m.external = ExternalStream{"$JS.hub.API", "dlv"};
  m.consumer = StreamConsumerSource{"cons", "ds"};
  c.mirror = m;
  StreamSource s1;
  s1.name = "S1";
  StreamSource s2;
  s2.name = "S2";
  s2.external = ExternalStream{"a", ""};
  c.sources = {s1, s2};
  c.compression = StreamCompression::kS2;
  c.first_seq = 42;
  c.subject_transform = SubjectTransformConfig{"in.>", "out.>"};
  c.republish = RePublish{"", "rp.>", true};
  c.allow_direct = true;
  c.discard_new_per = true;
  c.deny_delete = true;
  c.deny_purge = true;
  c.allow_rollup = true;
  c.consumer_limits = StreamConsumerLimits{5s, 99};
  c.allow_msg_ttl = true;
  c.subject_delete_marker_ttl = 15min;
  c.allow_msg_counter = true;
  c.allow_atomic_publish = true;
  c.allow_msg_schedules = true;
  c.persist_mode = PersistMode::kAsync;
  c.allow_batch_publish = true;
  c.metadata = {{"b", "2"}, {"a", "1"}};
  return c;
}

TEST(StreamConfig, EncodeAllFieldsInGoOrder) {
  const std::string expected =
      "{\"name\":\"ALL\",\"description\":\"d\\u003c\\u0026\\u003e\",\"subjects\":[\"a.\\u003e\","
      "\"b.*\"],\"retention\":\"workqueue\",\"max_consumers\":10,\"max_msgs\":100,\"max_bytes\":"
      "1024,\"max_age\":3600000000000,\"max_msgs_per_subject\":5,\"max_msg_size\":2048,"
      "\"discard\":\"new\",\"storage\":\"memory\",\"num_replicas\":3,\"no_ack\":true,"
      "\"duplicate_window\":60000000000,\"placement\":{\"cluster\":\"c1\",\"tags\":[\"t1\",\"t2\"],"
      "\"preferred\":\"p\"},\"mirror\":{\"name\":\"M\",\"opt_start_seq\":7,\"opt_start_time\":"
      "\"2024-01-02T03:04:05.5+01:00\",\"filter_subject\":\"x\",\"subject_transforms\":[{\"src\":"
      "\"x\",\"dest\":\"y\"}],\"external\":{\"api\":\"$JS.hub.API\",\"deliver\":\"dlv\"},"
      "\"consumer\":{\"name\":\"cons\",\"deliver_subject\":\"ds\"}},\"sources\":[{\"name\":\"S1\"},"
      "{\"name\":\"S2\",\"external\":{\"api\":\"a\",\"deliver\":\"\"}}],\"compression\":\"s2\","
      "\"first_seq\":42,\"subject_transform\":{\"src\":\"in.\\u003e\",\"dest\":\"out.\\u003e\"},"
      "\"republish\":{\"dest\":\"rp.\\u003e\",\"headers_only\":true},\"allow_direct\":true,"
      "\"mirror_direct\":false,\"discard_new_per_subject\":true,\"sealed\":false,\"deny_delete\":"
      "true,\"deny_purge\":true,\"allow_rollup_hdrs\":true,\"consumer_limits\":{"
      "\"inactive_threshold\":5000000000,\"max_ack_pending\":99},\"allow_msg_ttl\":true,"
      "\"subject_delete_marker_ttl\":900000000000,\"allow_msg_counter\":true,\"allow_atomic\":"
      "true,\"allow_msg_schedules\":true,\"persist_mode\":\"async\",\"allow_batched\":true,"
      "\"metadata\":{\"a\":\"1\",\"b\":\"2\"}}";
  const StreamConfig c = FullStreamConfig();
  auto enc = EncodeStreamConfig(c);
  ASSERT_TRUE(enc.has_value()) << enc.error().message();
  EXPECT_EQ(*enc, expected);
  auto dec = DecodeStreamConfig(*enc, JsonMode::kStrict);
  ASSERT_TRUE(dec.has_value()) << dec.error().message();
  EXPECT_EQ(*dec, c);

  FileStreamInfo info{MustParse("2026-11-26T10:27:26.345537881Z"), c};
  auto fenc = EncodeFileStreamInfo(info);
  ASSERT_TRUE(fenc.has_value());
  EXPECT_EQ(*fenc, "{\"Created\":\"2026-11-26T10:27:26.345537881Z\"," + expected.substr(1));
  auto fdec = DecodeFileStreamInfo(*fenc);
  ASSERT_TRUE(fdec.has_value());
  EXPECT_EQ(*fdec, info);
}

TEST(StreamConfig, EncodeOmitsEmptyFields) {
  StreamConfig c;
  c.storage = StorageType::kFile;
  // Present-but-empty pointers are kept, as Go keeps non-nil pointers.
  c.placement = Placement{};
  auto enc = EncodeStreamConfig(c);
  ASSERT_TRUE(enc.has_value());
  EXPECT_EQ(*enc,
            "{\"name\":\"\",\"retention\":\"limits\",\"max_consumers\":0,\"max_msgs\":0,"
            "\"max_bytes\":0,\"max_age\":0,\"max_msgs_per_subject\":0,\"discard\":\"old\","
            "\"storage\":\"file\",\"num_replicas\":0,\"placement\":{},\"compression\":\"none\","
            "\"allow_direct\":false,\"mirror_direct\":false,\"sealed\":false,\"deny_delete\":false,"
            "\"deny_purge\":false,\"allow_rollup_hdrs\":false,\"consumer_limits\":{},"
            "\"allow_msg_ttl\":false}");
  auto dec = DecodeStreamConfig(*enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(*dec, c);
}

TEST(StreamConfig, EncodeFailsWhereGoFails) {
  // Go's zero StreamConfig has storage 0, which has no JSON form.
  auto zero = EncodeStreamConfig(StreamConfig{});
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(zero.error().message().find("storage"), std::string::npos);
  StreamConfig c = FullStreamConfig();
  c.retention = static_cast<RetentionPolicy>(5);
  EXPECT_FALSE(EncodeStreamConfig(c).has_value());
  c = FullStreamConfig();
  c.persist_mode = static_cast<PersistMode>(3);
  EXPECT_FALSE(EncodeStreamConfig(c).has_value());
  c = FullStreamConfig();
  c.sources[1].opt_start_time = GoTime{253402300800, 0, 0};  // year 10000
  auto bad_time = EncodeStreamConfig(c);
  ASSERT_FALSE(bad_time.has_value());
  EXPECT_NE(bad_time.error().message().find("sources[1].opt_start_time"), std::string::npos)
      << bad_time.error().message();
  FileStreamInfo info{GoTime{-62167219201, 0, 0}, FullStreamConfig()};
  auto bad_created = EncodeFileStreamInfo(info);
  ASSERT_FALSE(bad_created.has_value());
  EXPECT_NE(bad_created.error().message().find("Created"), std::string::npos);
}

ConsumerConfig FullConsumerConfig() {
  ConsumerConfig c;
  c.durable = "D";
  c.name = "N";
  c.description = "desc";
  c.deliver_policy = DeliverPolicy::kByStartTime;
  c.opt_start_seq = 5;
  c.opt_start_time = MustParse("2020-02-29T23:59:59.000000001Z");
  c.ack_policy = AckPolicy::kAll;
  c.ack_wait = 30s;
  c.max_deliver = 5;
  c.backoff = {1s, 2s};
  c.filter_subject = "f.>";
  c.filter_subjects = {"a", "b"};
  c.replay_policy = ReplayPolicy::kOriginal;
  c.rate_limit = 1000;
  c.sample_frequency = "50%";
  c.max_waiting = 10;
  c.max_ack_pending = 20;
  c.flow_control = true;
  c.headers_only = true;
  c.max_request_batch = 7;
  c.max_request_expires = 1ms;
  c.max_request_max_bytes = 4096;
  c.deliver_subject = "ds";
  c.deliver_group = "dg";
  c.heartbeat = 5s;
  c.inactive_threshold = 1min;
  c.replicas = 1;
  c.memory_storage = true;
  c.direct = true;
  c.sourcing = true;
  c.metadata = {{"k", "v"}};
  c.pause_until = MustParse("2030-01-01T00:00:00Z");
  c.priority_groups = {"g1"};
  c.priority_policy = PriorityPolicy::kPinnedClient;
  c.pinned_ttl = 2min;
  return c;
}

TEST(ConsumerConfig, EncodeAllFieldsInGoOrder) {
  const std::string expected =
      "{\"durable_name\":\"D\",\"name\":\"N\",\"description\":\"desc\",\"deliver_policy\":"
      "\"by_start_time\",\"opt_start_seq\":5,\"opt_start_time\":\"2020-02-29T23:59:59.000000001Z\","
      "\"ack_policy\":\"all\",\"ack_wait\":30000000000,\"max_deliver\":5,\"backoff\":[1000000000,"
      "2000000000],\"filter_subject\":\"f.\\u003e\",\"filter_subjects\":[\"a\",\"b\"],"
      "\"replay_policy\":\"original\",\"rate_limit_bps\":1000,\"sample_freq\":\"50%\","
      "\"max_waiting\":10,\"max_ack_pending\":20,\"flow_control\":true,\"headers_only\":true,"
      "\"max_batch\":7,\"max_expires\":1000000,\"max_bytes\":4096,\"deliver_subject\":\"ds\","
      "\"deliver_group\":\"dg\",\"idle_heartbeat\":5000000000,\"inactive_threshold\":60000000000,"
      "\"num_replicas\":1,\"mem_storage\":true,\"direct\":true,\"sourcing\":true,\"metadata\":{"
      "\"k\":\"v\"},\"pause_until\":\"2030-01-01T00:00:00Z\",\"priority_groups\":[\"g1\"],"
      "\"priority_policy\":\"pinned_client\",\"priority_timeout\":120000000000}";
  const ConsumerConfig c = FullConsumerConfig();
  auto enc = EncodeConsumerConfig(c);
  ASSERT_TRUE(enc.has_value()) << enc.error().message();
  EXPECT_EQ(*enc, expected);
  auto dec = DecodeConsumerConfig(*enc, JsonMode::kStrict);
  ASSERT_TRUE(dec.has_value()) << dec.error().message();
  EXPECT_EQ(*dec, c);

  FileConsumerInfo info{MustParse("2026-11-26T10:27:26.426178566Z"), "dur", c};
  auto fenc = EncodeFileConsumerInfo(info);
  ASSERT_TRUE(fenc.has_value());
  EXPECT_EQ(*fenc, "{\"Created\":\"2026-11-26T10:27:26.426178566Z\",\"Name\":\"dur\"," +
                       expected.substr(1));
  auto fdec = DecodeFileConsumerInfo(*fenc);
  ASSERT_TRUE(fdec.has_value());
  EXPECT_EQ(*fdec, info);
}

TEST(ConsumerConfig, EncodeZeroValues) {
  // What a config update writes: zero Created and empty Name.
  FileConsumerInfo info;
  auto enc = EncodeFileConsumerInfo(info);
  ASSERT_TRUE(enc.has_value());
  EXPECT_EQ(*enc,
            "{\"Created\":\"0001-01-01T00:00:00Z\",\"Name\":\"\",\"deliver_policy\":\"all\","
            "\"ack_policy\":\"none\",\"replay_policy\":\"instant\",\"num_replicas\":0}");
  auto dec = DecodeFileConsumerInfo(*enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(*dec, info);
  // Unknown enum values: deliver policy writes "undefined", the others fail.
  ConsumerConfig c;
  c.deliver_policy = static_cast<DeliverPolicy>(9);
  auto u = EncodeConsumerConfig(c);
  ASSERT_TRUE(u.has_value());
  EXPECT_NE(u->find("\"deliver_policy\":\"undefined\""), std::string::npos);
  c.ack_policy = static_cast<AckPolicy>(9);
  auto a = EncodeConsumerConfig(c);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message().find("ack_policy"), std::string::npos);
  c.ack_policy = AckPolicy::kNone;
  c.priority_policy = static_cast<PriorityPolicy>(9);
  EXPECT_FALSE(EncodeConsumerConfig(c).has_value());
}

// ------------------------------------------------------- golden stores

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct GoldenSet {
  std::string version;
  std::string scenario;
  fs::path stream_dir;
  json expect;
};

// Extracts the unencrypted golden stores once for the whole program.
class Golden {
 public:
  static Golden& Get() {
    static Golden g;
    return g;
  }
  const std::string& skip_reason() const { return skip_; }
  const std::vector<GoldenSet>& sets() const { return sets_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  Golden() {
#ifndef NATSCPP_SHARED_DIR
    skip_ = "../shared is missing (NATSCPP_SHARED_DIR not defined)";
#else
    const fs::path golden = fs::path(NATSCPP_SHARED_DIR) / "golden";
    if (!fs::is_directory(golden)) {
      skip_ = "../shared is missing (" + golden.string() + ")";
      return;
    }
    if (tmp_.path().empty()) {
      skip_ = "cannot create a temporary directory";
      return;
    }
    // Every set there is, whatever its scenario; encrypted ones have sealed
    // meta.inf files (the crypto tests read those).
    for (const std::string& name : natscpp::store::testing::GoldenSets()) {
      {
        const fs::path set = golden / name;
        const std::string version = name.substr(0, name.find('/'));
        const std::string scenario = name.substr(name.find('/') + 1);
        const fs::path out = tmp_.path() / version / scenario;
        fs::create_directories(out);
        if (!natscpp::store::testing::ExtractTarZst(set / "store.tar.zst", out, "*meta.inf")) {
          failures_.push_back("extracting " + set.string() + " failed");
          continue;
        }
        GoldenSet g;
        g.version = version;
        g.scenario = scenario;
        // Only the config parts are needed; skipping the (large) message
        // and state sections keeps the parse cheap.
        const json::parser_callback_t keep_configs = [](int depth, json::parse_event_t event,
                                                        json& parsed) {
          return !(depth == 1 && event == json::parse_event_t::key &&
                   (parsed == "messages" || parsed == "state"));
        };
        g.expect = json::parse(ReadFile(set / "expect.json"), keep_configs, false);
        if (g.expect.is_discarded()) {
          failures_.push_back("unreadable " + (set / "expect.json").string());
          continue;
        }
        if (!g.expect["encryption"].is_null()) continue;
        g.stream_dir = out / g.expect.at("stream_dir").get<std::string>();
        sets_.push_back(std::move(g));
      }
    }
    if (sets_.empty()) skip_ = "no golden sets found under " + golden.string();
#endif
  }

  std::vector<std::string> failures_;
  std::string skip_;
  natscpp::store::testing::TempDir tmp_{"config-golden"};
  std::vector<GoldenSet> sets_;
};

// Compares the members both objects have; nested objects (metadata,
// consumer_limits) recursively. `ours` must only have keys `theirs` has,
// except those listed in `ours_only`.
void ExpectCommonFieldsEqual(const json& ours, const json& theirs, const std::string& where) {
  ASSERT_TRUE(ours.is_object()) << where;
  ASSERT_TRUE(theirs.is_object()) << where;
  for (const auto& [k, v] : ours.items()) {
    auto it = theirs.find(k);
    if (it == theirs.end()) {
      ADD_FAILURE() << where << ": field \"" << k << "\" not in expect.json";
      continue;
    }
    if (k == "metadata") {
      // The server adds _nats.level/_nats.ver when reporting; compare the
      // keys both sides carry.
      for (const auto& [mk, mv] : v.items()) {
        if (it->contains(mk)) {
          EXPECT_EQ(mv, it->at(mk)) << where << " metadata." << mk;
        }
      }
      continue;
    }
    EXPECT_EQ(v, *it) << where << ": field \"" << k << "\"";
  }
  for (const auto& [k, v] : theirs.items()) {
    if (k == "metadata") continue;
    EXPECT_TRUE(ours.contains(k)) << where << ": expect.json field \"" << k << "\" missing";
  }
}

// v2.14.5's StreamConfig has three non-omitempty fields 2.9.10 lacked:
// "compression" (after duplicate_window), "consumer_limits" and
// "allow_msg_ttl" (after allow_rollup_hdrs). Re-encoding a 2.9.10 meta.inf
// therefore adds exactly these.
std::string Upgrade2910StreamMeta(std::string original) {
  const std::string anchor = ",\"allow_direct\":";
  const size_t pos = original.find(anchor);
  if (pos == std::string::npos || original.empty() || original.back() != '}') return original;
  original.insert(pos, ",\"compression\":\"none\"");
  original.insert(original.size() - 1, ",\"consumer_limits\":{},\"allow_msg_ttl\":false");
  return original;
}

TEST(StreamConfig, GoldenMetaInf) {
  Golden& g = Golden::Get();
  if (!g.skip_reason().empty()) GTEST_SKIP() << g.skip_reason();
  for (const auto& f : g.failures()) ADD_FAILURE() << f;
  int checked = 0;
  for (const GoldenSet& set : g.sets()) {
    const std::string where = set.version + "/" + set.scenario + " stream meta.inf";
    const std::string bytes = ReadFile(set.stream_dir / "meta.inf");
    ASSERT_FALSE(bytes.empty()) << where;
    auto info = DecodeFileStreamInfo(bytes, JsonMode::kStrict);
    ASSERT_TRUE(info.has_value()) << where << ": " << info.error().message();
    EXPECT_EQ(info->config.name, set.expect.at("stream").get<std::string>()) << where;
    EXPECT_FALSE(info->created.IsZero()) << where;

    auto enc = EncodeFileStreamInfo(*info);
    ASSERT_TRUE(enc.has_value()) << where << ": " << enc.error().message();
    if (set.version == "2.14.5") {
      EXPECT_EQ(*enc, bytes) << where;
    } else {
      EXPECT_NE(*enc, bytes) << where;
      EXPECT_EQ(*enc, Upgrade2910StreamMeta(bytes)) << where;
    }
    // Lenient decoding gives the same value.
    auto lenient = DecodeFileStreamInfo(bytes, JsonMode::kLenient);
    ASSERT_TRUE(lenient.has_value());
    EXPECT_EQ(*lenient, *info) << where;

    auto cfg_json = EncodeStreamConfig(info->config);
    ASSERT_TRUE(cfg_json.has_value());
    ExpectCommonFieldsEqual(json::parse(*cfg_json), set.expect.at("config"), where);
    ++checked;
  }
  // Every unencrypted set's stream was checked.
  EXPECT_EQ(checked, static_cast<int>(g.sets().size()));
  EXPECT_GT(checked, 0);
}

TEST(ConsumerConfig, GoldenMetaInf) {
  Golden& g = Golden::Get();
  if (!g.skip_reason().empty()) GTEST_SKIP() << g.skip_reason();
  int checked = 0, expected_total = 0;
  for (const GoldenSet& set : g.sets()) {
    const fs::path obs = set.stream_dir / "obs";
    const json& consumers = set.expect.at("consumers");
    size_t dirs = 0;
    if (fs::is_directory(obs)) {
      for (const auto& entry : fs::directory_iterator(obs)) {
        if (!entry.is_directory()) continue;
        ++dirs;
        const std::string name = entry.path().filename().string();
        const std::string where = set.version + "/" + set.scenario + " consumer " + name;
        const std::string bytes = ReadFile(entry.path() / "meta.inf");
        ASSERT_FALSE(bytes.empty()) << where;
        auto info = DecodeFileConsumerInfo(bytes, JsonMode::kStrict);
        ASSERT_TRUE(info.has_value()) << where << ": " << info.error().message();
        EXPECT_EQ(info->name, name) << where;
        EXPECT_FALSE(info->created.IsZero()) << where;
        // Both versions write the same consumer fields for these configs.
        auto enc = EncodeFileConsumerInfo(*info);
        ASSERT_TRUE(enc.has_value()) << where << ": " << enc.error().message();
        EXPECT_EQ(*enc, bytes) << where;

        const json* expected = nullptr;
        for (const auto& c : consumers) {
          if (c.at("name") == name) expected = &c;
        }
        ASSERT_NE(expected, nullptr) << where << " not in expect.json";
        auto cfg_json = EncodeConsumerConfig(info->config);
        ASSERT_TRUE(cfg_json.has_value());
        ExpectCommonFieldsEqual(json::parse(*cfg_json), expected->at("config"), where);
        ++checked;
      }
    }
    EXPECT_EQ(dirs, consumers.size()) << set.version << "/" << set.scenario;
    expected_total += static_cast<int>(consumers.size());
  }
  EXPECT_EQ(checked, expected_total);
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace natscpp::store
