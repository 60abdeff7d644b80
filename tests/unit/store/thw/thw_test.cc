// Ports of server/thw/thw_test.go.
#include "thw/thw.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

namespace natscpp::store::thw {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ExpectError(const Result<void>& r, ErrorCode code, const char* msg) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), code);
  EXPECT_EQ(r.error().message(), msg);
}

TEST(HashWheel, TestHashWheelBasics) {
  HashWheel hw;
  const int64_t now = NowNanos();

  const uint64_t seq = 1;
  const int64_t expires = now + 5 * kSecond;
  hw.Add(seq, expires);
  EXPECT_EQ(hw.Count(), 1u);

  ExpectError(hw.Remove(999, expires), ErrorCode::kNotFound, kErrTaskNotFound);
  EXPECT_EQ(hw.Count(), 1u);

  EXPECT_TRUE(hw.Remove(seq, expires).has_value());
  EXPECT_EQ(hw.Count(), 0u);

  ExpectError(hw.Remove(seq, expires), ErrorCode::kNotFound, kErrTaskNotFound);
  EXPECT_EQ(hw.Count(), 0u);
}

TEST(HashWheel, TestHashWheelUpdate) {
  HashWheel hw;
  const int64_t now = NowNanos();
  const int64_t old_expires = now + 5 * kSecond;
  const int64_t new_expires = now + 10 * kSecond;

  hw.Add(1, old_expires);
  EXPECT_EQ(hw.Count(), 1u);

  EXPECT_TRUE(hw.Update(1, old_expires, new_expires).has_value());
  EXPECT_EQ(hw.Count(), 1u);

  ExpectError(hw.Remove(1, old_expires), ErrorCode::kNotFound, kErrTaskNotFound);
  EXPECT_EQ(hw.Count(), 1u);

  EXPECT_TRUE(hw.Remove(1, new_expires).has_value());
  EXPECT_EQ(hw.Count(), 0u);
}

TEST(HashWheel, TestHashWheelExpiration) {
  HashWheel hw;
  const int64_t now = NowNanos();
  const std::map<uint64_t, int64_t> seqs = {
      {1, now - 1 * kSecond},   // already expired
      {2, now + 1 * kSecond},   // soon
      {3, now + 10 * kSecond},  // later
      {4, now + 60 * kSecond},  // much later
  };
  for (const auto& [seq, expires] : seqs) hw.Add(seq, expires);
  EXPECT_EQ(hw.Count(), seqs.size());

  std::map<uint64_t, bool> expired;
  hw.ExpireTasks([&](uint64_t seq, int64_t) {
    expired[seq] = true;
    return true;
  });

  EXPECT_EQ(expired.size(), 1u);
  EXPECT_TRUE(expired[1]);
  EXPECT_EQ(hw.Count(), 3u);
}

TEST(HashWheel, TestHashWheelManualExpiration) {
  HashWheel hw;
  const int64_t now = NowNanos();
  for (uint64_t seq = 1; seq <= 4; ++seq) hw.Add(seq, now);
  EXPECT_EQ(hw.Count(), 4u);

  // Offered repeatedly while the callback declines to expire them.
  std::map<uint64_t, uint64_t> expired;
  for (uint64_t i = 0; i <= 1; ++i) {
    hw.ExpireTasks([&](uint64_t seq, int64_t) {
      expired[seq]++;
      return false;
    });
    EXPECT_EQ(expired.size(), 4u);
    EXPECT_EQ(expired[1], 1 + i);
    EXPECT_EQ(expired[2], 1 + i);
    EXPECT_EQ(expired[3], 1 + i);
    EXPECT_EQ(expired[4], 1 + i);
    EXPECT_EQ(hw.Count(), 4u);
  }

  // Only even sequences expire.
  for (uint64_t i = 0; i <= 1; ++i) {
    hw.ExpireTasks([&](uint64_t seq, int64_t) {
      expired[seq]++;
      return seq % 2 == 0;
    });
    EXPECT_EQ(expired[1], 3 + i);
    EXPECT_EQ(expired[2], 3u);
    EXPECT_EQ(expired[3], 3 + i);
    EXPECT_EQ(expired[4], 3u);
    EXPECT_EQ(hw.Count(), 2u);
  }

  EXPECT_TRUE(hw.Remove(1, now).has_value());
  EXPECT_TRUE(hw.Remove(3, now).has_value());
  EXPECT_EQ(hw.Count(), 0u);
}

TEST(HashWheel, TestHashWheelExpirationLargerThanWheel) {
  HashWheel hw;
  const std::map<uint64_t, int64_t> seqs = {{1, 0}, {2, kSecond}};
  for (const auto& [seq, expires] : seqs) hw.Add(seq, expires);
  EXPECT_EQ(hw.Count(), 2u);

  // A "now" for which expiring needs to wrap around the whole wheel.
  const int64_t now = kSecond * kWheelMask;

  std::map<uint64_t, bool> expired;
  hw.ExpireTasksAt(now, [&](uint64_t seq, int64_t) {
    expired[seq] = true;
    return true;
  });
  EXPECT_EQ(expired.size(), 2u);
  EXPECT_EQ(hw.Count(), 0u);
}

TEST(HashWheel, TestHashWheelNextExpiration) {
  HashWheel hw;
  const int64_t now = NowNanos();
  const std::map<uint64_t, int64_t> seqs = {
      {1, now + 5 * kSecond},
      {2, now + 3 * kSecond},  // earliest
      {3, now + 10 * kSecond},
  };
  for (const auto& [seq, expires] : seqs) hw.Add(seq, expires);
  EXPECT_EQ(hw.Count(), seqs.size());

  const int64_t next_external_tick = now + 6 * kSecond;
  EXPECT_EQ(hw.GetNextExpiration(next_external_tick), seqs.at(2));

  HashWheel empty;
  EXPECT_EQ(empty.GetNextExpiration(now + 1 * kSecond), std::numeric_limits<int64_t>::max());
}

TEST(HashWheel, TestHashWheelStress) {
  HashWheel hw;
  const int64_t now = NowNanos();
  constexpr int64_t kNumSequences = 100'000;

  for (int64_t seq = 0; seq < kNumSequences; ++seq) {
    hw.Add(static_cast<uint64_t>(seq), now + seq * kSecond);
  }
  // Move every other sequence further out.
  for (int64_t seq = 0; seq < kNumSequences; seq += 2) {
    const int64_t old_expires = now + seq * kSecond;
    const int64_t new_expires = now + (seq + kNumSequences) * kSecond;
    ASSERT_TRUE(hw.Update(static_cast<uint64_t>(seq), old_expires, new_expires).has_value());
  }
  // Remove the odd ones.
  for (int64_t seq = 1; seq < kNumSequences; seq += 2) {
    ASSERT_TRUE(hw.Remove(static_cast<uint64_t>(seq), now + seq * kSecond).has_value());
  }
}

TEST(HashWheel, TestHashWheelEncodeDecode) {
  HashWheel hw;
  const int64_t now = NowNanos();
  constexpr int64_t kNumSequences = 100'000;
  for (int64_t seq = 0; seq < kNumSequences; ++seq) {
    hw.Add(static_cast<uint64_t>(seq), now + seq * kSecond);
  }

  const std::vector<uint8_t> b = hw.Encode(12345);
  EXPECT_GT(b.size(), 17u);  // more than the header

  HashWheel nhw;
  const Result<uint64_t> stamp = nhw.Decode(b);
  ASSERT_TRUE(stamp.has_value()) << stamp.error().message();
  EXPECT_EQ(*stamp, 12345u);
  EXPECT_EQ(hw.GetNextExpiration(std::numeric_limits<int64_t>::max()),
            nhw.GetNextExpiration(std::numeric_limits<int64_t>::max()));

  for (size_t s = 0; s < static_cast<size_t>(kWheelSize); ++s) {
    const HashWheel::Slot* slot = hw.SlotAt(s);
    const HashWheel::Slot* nslot = nhw.SlotAt(s);
    // 100,000 one-second steps fill every slot.
    ASSERT_NE(slot, nullptr);
    ASSERT_NE(nslot, nullptr);
    EXPECT_EQ(slot->lowest, nslot->lowest);
    EXPECT_EQ(slot->entries.size(), nslot->entries.size());
    for (const auto& [v, ts] : slot->entries) {
      const auto it = nslot->entries.find(v);
      ASSERT_NE(it, nslot->entries.end());
      EXPECT_EQ(ts, it->second);
    }
  }
}

TEST(HashWheel, TestHashWheelDecodeRejectsMalformed) {
  auto header = [](uint64_t count) {
    std::vector<uint8_t> b(kHeaderLen, 0);
    b[0] = 1;
    for (int i = 0; i < 8; ++i) b[1 + static_cast<size_t>(i)] = static_cast<uint8_t>(count >> (8 * i));
    return b;
  };
  struct Case {
    const char* title;
    std::vector<uint8_t> buf;
    const char* err;
  };
  std::vector<uint8_t> bad_version = header(0);
  bad_version[0] = 2;
  std::vector<uint8_t> truncated_seq = header(1);
  util::AppendVarint(truncated_seq, 12345);
  const std::vector<Case> cases = {
      {"ShortHeader", std::vector<uint8_t>(kHeaderLen - 1, 0), kErrShortBuffer},
      {"BadVersion", bad_version, kErrInvalidVersion},
      // Claims one entry but ends right after the header.
      {"TruncatedAtVarints", header(1), kErrUnexpectedEOF},
      // Has the time varint but not the sequence.
      {"TruncatedSeq", truncated_seq, kErrUnexpectedEOF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.title);
    HashWheel hw;
    const Result<uint64_t> r = hw.Decode(c.buf);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding);
    EXPECT_EQ(r.error().message(), c.err);
  }
}

}  // namespace
}  // namespace natscpp::store::thw

namespace natscpp::store::thw {
namespace {

// Beyond the Go tests: the exact bytes of FORMAT.md §7, and callbacks that
// change the wheel while it is being expired.
TEST(HashWheel, EncodeMatchesFormat) {
  HashWheel hw;
  hw.Add(5, -3);  // zig-zag varint of -3 is 5
  const std::vector<uint8_t> b = hw.Encode(0x0102030405060708ULL);
  const std::vector<uint8_t> want = {1, 1, 0, 0, 0, 0, 0, 0, 0,
                                     8, 7, 6, 5, 4, 3, 2, 1, 5, 5};
  EXPECT_EQ(b, want);

  HashWheel big;
  big.Add(300, 1'000'000'000);
  const std::vector<uint8_t> e = big.Encode(0);
  // varint(1e9) = uvarint(2e9) = 80 A8 D6 B9 07; uvarint(300) = AC 02.
  const std::vector<uint8_t> tail(e.begin() + static_cast<std::ptrdiff_t>(kHeaderLen), e.end());
  EXPECT_EQ(tail, (std::vector<uint8_t>{0x80, 0xA8, 0xD6, 0xB9, 0x07, 0xAC, 0x02}));
  HashWheel back;
  ASSERT_TRUE(back.Decode(e).has_value());
  EXPECT_EQ(back.Count(), 1u);
  EXPECT_TRUE(back.Remove(300, 1'000'000'000).has_value());

  // A varint longer than 64 bits is rejected too.
  std::vector<uint8_t> over = HashWheel().Encode(0);
  over[1] = 1;
  over.insert(over.end(), 11, 0xFF);
  const Result<uint64_t> r = HashWheel().Decode(over);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), kErrUnexpectedEOF);
}

TEST(HashWheel, ExpireCallbackMayChangeTheWheel) {
  HashWheel hw;
  for (uint64_t seq = 1; seq <= 100; ++seq) hw.Add(seq, 10);  // one slot
  hw.Add(1000, 5 * kSecond);
  int calls = 0;
  hw.ExpireTasksAt(20, [&](uint64_t seq, int64_t expires) {
    ++calls;
    EXPECT_EQ(expires, 10);
    // Remove this entry and a neighbour ourselves, and add a new one.
    (void)hw.Remove(seq, expires);
    (void)hw.Remove(seq ^ 1, expires);
    hw.Add(seq + 10'000, 7 * kSecond);
    return true;
  });
  EXPECT_GE(calls, 50);
  EXPECT_LE(calls, 100);
  EXPECT_EQ(hw.Count(), 1u + static_cast<uint64_t>(calls));
  EXPECT_EQ(hw.SlotAt(0), nullptr);
}

}  // namespace
}  // namespace natscpp::store::thw
