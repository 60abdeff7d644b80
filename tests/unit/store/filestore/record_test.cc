// Records of message blocks (FORMAT.md §3.2, §3.3): exact layout, round
// trips, and clean rejection of every corruption and truncation.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/highwayhash.h"
#include "filestore/record.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store::filestore {
namespace {

std::span<const uint8_t> B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string S(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

uint64_t Le(const std::vector<uint8_t>& b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[off + i]) << (8 * i);
  return v;
}

const crypto::HashKey& Key() {
  static const crypto::HashKey k = BlockHashKey("ORDERS", 7);
  return k;
}

TEST(Record, BlockHashKeyIsSha256OfStreamDashIndex) {
  EXPECT_EQ(BlockHashKey("ORDERS", 7), crypto::HashKeyFromString("ORDERS-7"));
  EXPECT_EQ(BlockHashKey("KV_cfg", 123456), crypto::HashKeyFromString("KV_cfg-123456"));
  EXPECT_NE(BlockHashKey("ORDERS", 7), BlockHashKey("ORDERS", 8));
}

TEST(Record, LayoutWithoutHeaders) {
  std::vector<uint8_t> out;
  AppendRecord(out, Key(), 42, 1700000000123456789, "orders.eu", {}, B("hello"));
  const size_t rl = 22 + 9 + 5 + 8;
  ASSERT_EQ(out.size(), rl);
  EXPECT_EQ(rl, FileStoreMsgSize("orders.eu", 0, 5));
  EXPECT_EQ(Le(out, 0, 4), rl);  // no hbit
  EXPECT_EQ(Le(out, 4, 8), 42u);
  EXPECT_EQ(Le(out, 12, 8), 1700000000123456789u);
  EXPECT_EQ(Le(out, 20, 2), 9u);
  EXPECT_EQ(std::string(out.begin() + 22, out.begin() + 31), "orders.eu");
  EXPECT_EQ(std::string(out.begin() + 31, out.begin() + 36), "hello");
  const auto seq_ts = std::span<const uint8_t>(out).subspan(4, 16);
  const uint64_t want = crypto::HighwayHash64Sum(Key(), {seq_ts, B("orders.eu"), B("hello")});
  EXPECT_EQ(Le(out, rl - 8, 8), want);
}

TEST(Record, LayoutWithHeaders) {
  std::vector<uint8_t> out = {0xAA};  // appends after existing bytes
  const std::string hdr = "NATS/1.0\r\nA: b\r\n\r\n";
  AppendRecord(out, Key(), 3, 99, "s", B(hdr), B("xy"));
  const size_t rl = 22 + 1 + 4 + hdr.size() + 2 + 8;
  ASSERT_EQ(out.size(), 1 + rl);
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_EQ(Le(out, 1, 4), rl | kHeaderBit);
  EXPECT_EQ(rl, FileStoreMsgSize("s", hdr.size(), 2));
  EXPECT_EQ(Le(out, 1 + 23, 4), hdr.size());
  // The checksum skips rl, slen and hlen.
  const auto seq_ts = std::span<const uint8_t>(out).subspan(5, 16);
  EXPECT_EQ(Le(out, 1 + rl - 8, 8),
            crypto::HighwayHash64Sum(Key(), {seq_ts, B("s"), B(hdr), B("xy")}));
}

TEST(Record, RoundTripWithAndWithoutHeaders) {
  struct Case {
    std::string subject, hdr, msg;
  };
  const std::vector<Case> cases = {
      {"a", "", ""},
      {"orders.eu.3", "", "{\"order\":3}"},
      {"x.y", "NATS/1.0\r\nNats-TTL: 1h\r\n\r\n", "payload"},
      {"k", "NATS/1.0\r\n\r\n", ""},
      {"", "", "no subject"},
      {std::string(300, 's'), std::string(1000, 'h'), std::string(70000, 'm')},
  };
  uint64_t seq = 1;
  for (const auto& c : cases) {
    std::vector<uint8_t> out;
    AppendRecord(out, Key(), seq, static_cast<int64_t>(seq * 1000), c.subject, B(c.hdr), B(c.msg));
    auto r = ParseRecord(out, Key(), true);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r->seq, seq);
    EXPECT_EQ(r->ts, static_cast<int64_t>(seq * 1000));
    EXPECT_FALSE(r->erased);
    EXPECT_FALSE(r->tombstone);
    EXPECT_EQ(r->has_headers, !c.hdr.empty());
    EXPECT_EQ(S(r->subject), c.subject);
    EXPECT_EQ(S(r->hdr), c.hdr);
    EXPECT_EQ(S(r->msg), c.msg);
    EXPECT_EQ(r->length, out.size());
    EXPECT_EQ(r->length, FileStoreMsgSize(c.subject, c.hdr.size(), c.msg.size()));
    ++seq;
  }
}

TEST(Record, ParseUsesOnlyItsOwnBytes) {
  std::vector<uint8_t> out;
  AppendRecord(out, Key(), 1, 1, "a", {}, B("one"));
  const size_t first = out.size();
  AppendRecord(out, Key(), 2, 2, "b", B("NATS/1.0\r\n\r\n"), B("two"));
  auto r1 = ParseRecord(out, Key(), true);
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->length, first);
  EXPECT_EQ(S(r1->msg), "one");
  auto r2 = ParseRecord(std::span<const uint8_t>(out).subspan(first), Key(), true);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->seq, 2u);
  EXPECT_EQ(S(r2->msg), "two");
}

TEST(Record, SkipRecord) {
  std::vector<uint8_t> out;
  AppendSkipRecord(out, Key(), 77, 555);
  ASSERT_EQ(out.size(), kEmptyRecordLen);
  EXPECT_EQ(Le(out, 0, 4), 30u);
  EXPECT_EQ(Le(out, 4, 8), 77u | kEraseBit);
  EXPECT_EQ(Le(out, 20, 2), 0u);
  EXPECT_EQ(Le(out, 22, 8),
            crypto::HighwayHash64Sum(Key(), std::span<const uint8_t>(out).subspan(4, 16)));
  auto r = ParseRecord(out, Key(), true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq, 77u);
  EXPECT_EQ(r->ts, 555);
  EXPECT_TRUE(r->erased);
  EXPECT_FALSE(r->tombstone);
  EXPECT_TRUE(r->subject.empty());
  EXPECT_TRUE(r->msg.empty());
}

TEST(Record, TombstoneRecord) {
  std::vector<uint8_t> out;
  AppendTombstoneRecord(out, Key(), 12345, -3);
  ASSERT_EQ(out.size(), kEmptyRecordLen);
  EXPECT_EQ(Le(out, 4, 8), 12345u | kTombstoneBit);
  auto r = ParseRecord(out, Key(), true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq, 12345u);
  EXPECT_EQ(r->ts, -3);
  EXPECT_TRUE(r->tombstone);
  EXPECT_FALSE(r->erased);
}

TEST(Record, EraseFlagWithFiller) {
  // An erased message keeps its length: ebit, ts 0, no subject, filler.
  std::vector<uint8_t> out;
  const std::string filler(40, '\x5a');
  AppendRecord(out, Key(), 9 | kEraseBit, 0, "", {}, B(filler));
  auto r = ParseRecord(out, Key(), true);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->erased);
  EXPECT_EQ(r->seq, 9u);
  EXPECT_EQ(r->ts, 0);
  EXPECT_EQ(S(r->msg), filler);
}

TEST(Record, WrongKeyFailsChecksum) {
  std::vector<uint8_t> out;
  AppendRecord(out, Key(), 1, 1, "a", {}, B("x"));
  auto r = ParseRecord(out, BlockHashKey("ORDERS", 8), true);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message(), "invalid checksum");
  // Without verification the record is taken as stored.
  EXPECT_TRUE(ParseRecord(out, BlockHashKey("ORDERS", 8), false).has_value());
}

void ExpectCorrupt(std::span<const uint8_t> buf, const std::string& what) {
  auto r = ParseRecord(buf, Key(), true);
  ASSERT_FALSE(r.has_value()) << what;
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << what;
  EXPECT_FALSE(r.error().message().empty());
}

std::vector<std::vector<uint8_t>> SmallRecords() {
  std::vector<std::vector<uint8_t>> v(4);
  AppendRecord(v[0], Key(), 5, 1000, "orders.eu", {}, B("hello"));
  AppendRecord(v[1], Key(), 6, 1001, "h", B("NATS/1.0\r\nX: 1\r\n\r\n"), B("body"));
  AppendSkipRecord(v[2], Key(), 7, 1002);
  AppendTombstoneRecord(v[3], Key(), 4, 999);
  return v;
}

TEST(Record, EveryByteFlipIsRejected) {
  for (const auto& rec : SmallRecords()) {
    ASSERT_TRUE(ParseRecord(rec, Key(), true).has_value());
    const size_t slen = static_cast<size_t>(Le(rec, 20, 2));
    const bool hdrs = (Le(rec, 0, 4) & kHeaderBit) != 0;
    for (size_t i = 0; i < rec.size(); ++i) {
      // Inverting any byte, length fields included, must be caught.
      auto bad = rec;
      bad[i] ^= 0xFF;
      ExpectCorrupt(bad, "invert byte " + std::to_string(i));
      // Every single-bit flip of a checksummed byte (seq, ts, subject,
      // headers, payload, the checksum itself) must be caught. The length
      // fields rl/slen/hlen are not hashed, so some of their bit flips only
      // move a boundary (as on the server) and are not asserted here.
      const bool length_field =
          i < 4 || i == 20 || i == 21 || (hdrs && i >= 22 + slen && i < 22 + slen + 4);
      if (length_field) continue;
      for (int bit = 0; bit < 8; ++bit) {
        bad = rec;
        bad[i] ^= static_cast<uint8_t>(1u << bit);
        ExpectCorrupt(bad, "flip bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      }
    }
  }
}

TEST(Record, EveryTruncationIsRejected) {
  for (const auto& rec : SmallRecords()) {
    for (size_t n = 0; n < rec.size(); ++n) {
      ExpectCorrupt(std::span<const uint8_t>(rec).first(n), "truncated to " + std::to_string(n));
    }
  }
}

TEST(Record, SanityChecksNameTheProblem) {
  std::vector<uint8_t> rec;
  AppendRecord(rec, Key(), 1, 1, "abc", B("NATS/1.0\r\n\r\n"), B("m"));
  auto msg = [&](const std::vector<uint8_t>& b) {
    auto r = ParseRecord(b, Key(), true);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_NE(msg(std::vector<uint8_t>(rec.begin(), rec.begin() + 10)).find("short record header"),
            std::string::npos);

  auto bad = rec;  // rl below the minimum
  bad[0] = 25;
  bad[1] = bad[2] = 0;
  bad[3] = 0x80;
  EXPECT_NE(msg(bad).find("bad record length"), std::string::npos);

  bad = rec;  // rl above 32 MiB
  bad[3] = 0x82;
  EXPECT_NE(msg(bad).find("bad record length"), std::string::npos);

  bad = rec;  // subject longer than the record
  bad[20] = 0xF0;
  EXPECT_NE(msg(bad).find("overruns"), std::string::npos);

  bad = rec;  // header length past the record
  bad[22 + 3] = 0xFF;
  EXPECT_NE(msg(bad).find("header length"), std::string::npos);

  bad = rec;  // record longer than the buffer
  bad.pop_back();
  EXPECT_NE(msg(bad).find("past the buffer"), std::string::npos);

  bad = rec;
  bad[30] ^= 1;
  EXPECT_EQ(msg(bad), "invalid checksum");
}

}  // namespace
}  // namespace natscpp::store::filestore
