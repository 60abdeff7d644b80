// HighwayHash-64 against minio/highwayhash output (../shared/vectors) and the
// worked record example of FORMAT.md §14.
#include "crypto/highwayhash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "test_util.h"

namespace natscpp::store::crypto {
namespace {

using testing::FromHex;
using testing::ReadFile;
using testing::SharedDir;
using testing::ToHex;

struct Vector {
  std::string key_source;
  std::vector<uint8_t> key;
  std::vector<uint8_t> input;
  std::vector<uint8_t> sum;
};

std::vector<Vector> LoadVectors() {
  std::vector<Vector> out;
  const auto dir = SharedDir();
  if (dir.empty()) return out;
  auto raw = ReadFile(dir / "vectors" / "highwayhash64.json");
  if (!raw) return out;
  const auto j = nlohmann::json::parse(raw->begin(), raw->end());
  for (const auto& v : j.at("vectors")) {
    out.push_back({v.at("key_source").get<std::string>(),
                   FromHex(v.at("key_hex").get<std::string>()),
                   FromHex(v.at("input_hex").get<std::string>()),
                   FromHex(v.at("sum64_hex").get<std::string>())});
  }
  return out;
}

HashKey ToKey(const std::vector<uint8_t>& k) {
  HashKey key{};
  std::copy(k.begin(), k.end(), key.begin());
  return key;
}

TEST(HighwayHash, MinioVectorsWhole) {
  const auto vectors = LoadVectors();
  if (vectors.empty()) GTEST_SKIP() << "../shared is missing (vectors/highwayhash64.json)";
  ASSERT_EQ(vectors.size(), 48u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.key_source + " len=" + std::to_string(v.input.size()));
    ASSERT_EQ(v.key.size(), 32u);
    ASSERT_EQ(v.sum.size(), 8u);
    // The key is the SHA-256 of its source string.
    EXPECT_EQ(ToHex(HashKeyFromString(v.key_source)), ToHex(v.key));

    auto h = HighwayHash64::New(v.key);
    ASSERT_TRUE(h.has_value());
    h->Update(v.input);
    Hash64Bytes sum{};
    h->Sum(sum);
    EXPECT_EQ(ToHex(sum), ToHex(v.sum));
    EXPECT_EQ(ToHex(h->Sum()), ToHex(v.sum));
    EXPECT_EQ(h->Sum64(), GetHash64(std::span<const uint8_t, 8>(v.sum.data(), 8)));

    const uint64_t one_shot = HighwayHash64Sum(ToKey(v.key), v.input);
    EXPECT_EQ(one_shot, h->Sum64());
  }
}

TEST(HighwayHash, MinioVectorsRandomSplits) {
  const auto vectors = LoadVectors();
  if (vectors.empty()) GTEST_SKIP() << "../shared is missing (vectors/highwayhash64.json)";
  std::mt19937_64 rng(20260126);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.key_source + " len=" + std::to_string(v.input.size()));
    const uint64_t want = GetHash64(std::span<const uint8_t, 8>(v.sum.data(), 8));
    const auto key = ToKey(v.key);
    for (int round = 0; round < 8; ++round) {
      // 1..5 pieces at random split points (some of them empty).
      std::uniform_int_distribution<size_t> at(0, v.input.size());
      std::vector<size_t> cuts{0, v.input.size()};
      const int pieces = 1 + static_cast<int>(rng() % 5);
      for (int i = 1; i < pieces; ++i) cuts.push_back(at(rng));
      std::sort(cuts.begin(), cuts.end());

      HighwayHash64 h(key);
      std::vector<std::span<const uint8_t>> frags;
      for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        auto piece = std::span<const uint8_t>(v.input).subspan(cuts[i], cuts[i + 1] - cuts[i]);
        h.Update(piece);
        frags.push_back(piece);
      }
      EXPECT_EQ(h.Sum64(), want);

      // The fragment one-shot takes up to five pieces here.
      std::span<const uint8_t> f[5] = {};
      for (size_t i = 0; i < frags.size(); ++i) f[i] = frags[i];
      uint64_t got = 0;
      switch (frags.size()) {
        case 1: got = HighwayHash64Sum(key, {f[0]}); break;
        case 2: got = HighwayHash64Sum(key, {f[0], f[1]}); break;
        case 3: got = HighwayHash64Sum(key, {f[0], f[1], f[2]}); break;
        case 4: got = HighwayHash64Sum(key, {f[0], f[1], f[2], f[3]}); break;
        default: got = HighwayHash64Sum(key, {f[0], f[1], f[2], f[3], f[4]}); break;
      }
      EXPECT_EQ(got, want);
    }
  }
}

TEST(HighwayHash, SumKeepsStateAndResetStartsOver) {
  const auto key = HashKeyFromString("ORDERS-1");
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);

  HighwayHash64 h(key);
  h.Update(std::span<const uint8_t>(data).first(333));
  const uint64_t partial = h.Sum64();
  EXPECT_EQ(partial, HighwayHash64Sum(key, std::span<const uint8_t>(data).first(333)));
  h.Update(std::span<const uint8_t>(data).subspan(333));
  EXPECT_EQ(h.Sum64(), HighwayHash64Sum(key, data));
  EXPECT_EQ(h.Sum64(), h.Sum64());

  h.Reset();
  EXPECT_EQ(h.Sum64(), HighwayHash64Sum(key, std::span<const uint8_t>{}));
  h.Update(std::string_view("abc"));
  EXPECT_EQ(h.Sum64(), HighwayHash64Sum(key, FromHex("616263")));
}

// Inputs past the hasher's buffer go through the incremental state; they
// must hash exactly as the one-shot function does, wherever the pieces fall
// relative to the switch-over point.
TEST(HighwayHash, LongInputsAcrossBufferLimit) {
  const auto key = HashKeyFromString("KV_bucket-17");
  std::mt19937_64 rng(42);
  const size_t limit = HighwayHash64::kBufferLimit;
  std::vector<uint8_t> data(3 * limit + 77);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t len : {limit - 1, limit, limit + 1, limit + 31, limit + 32, 2 * limit + 5,
                     data.size()}) {
    SCOPED_TRACE(len);
    const auto input = std::span<const uint8_t>(data).first(len);
    const uint64_t want = HighwayHash64Sum(HashKey(key), input);
    for (int round = 0; round < 6; ++round) {
      HighwayHash64 h(key);
      size_t pos = 0;
      while (pos < len) {
        // Mostly small pieces, sometimes a large one.
        const size_t max = rng() % 4 == 0 ? limit : 5000;
        const size_t n = std::min(len - pos, 1 + static_cast<size_t>(rng() % max));
        h.Update(input.subspan(pos, n));
        pos += n;
        // Intermediate sums match the prefix and do not disturb the state.
        if (rng() % 8 == 0) {
          EXPECT_EQ(h.Sum64(), HighwayHash64Sum(key, input.first(pos)));
        }
      }
      EXPECT_EQ(h.Sum64(), want);
      // Reset returns to the buffered mode with the same key.
      h.Reset();
      h.Update(input.first(100));
      EXPECT_EQ(h.Sum64(), HighwayHash64Sum(key, input.first(100)));
    }
  }
}

TEST(HighwayHash, NewRejectsWrongKeySize) {
  std::vector<uint8_t> short_key(31), long_key(33), empty;
  for (const auto* k : {&short_key, &long_key, &empty}) {
    auto h = HighwayHash64::New(*k);
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().code(), ErrorCode::kInvalidArgument);
  }
  std::vector<uint8_t> ok(32);
  EXPECT_TRUE(HighwayHash64::New(ok).has_value());
}

// FORMAT.md §14 worked example: the first record of a block written by
// nats-server v2.9.10 for stream ORDERS, block 1. The checksum covers
// seq ‖ ts ‖ subject ‖ headers ‖ payload, not rl, slen or hlen.
TEST(HighwayHash, RecordChecksumWorkedExample) {
  const auto seq_ts = FromHex("0100000000000000" "64248110d590eb18");
  const auto subject = FromHex("6f72646572732e6e6577");
  const auto hdr = FromHex("4e4154532f312e300d0a4b3a20760d0a0d0a");
  const auto msg = FromHex("68656c6c6f20776f726c64207061796c6f6164");
  const auto want = FromHex("b3ceef4bf027229f");

  const auto key = HashKeyFromString("ORDERS-1");
  HighwayHash64 h(key);
  h.Update(seq_ts);
  h.Update(subject);
  h.Update(hdr);
  h.Update(msg);
  EXPECT_EQ(ToHex(h.Sum()), ToHex(want));
  EXPECT_EQ(HighwayHash64Sum(key, {seq_ts, subject, hdr, msg}), h.Sum64());

  // Tombstone for seq 5 in block 3 (§14): seq carries tbit, no subject.
  const auto tomb = FromHex("0500000000000040" "15cd853dfe9c9717");
  Hash64Bytes out{};
  PutHash64(HighwayHash64Sum(HashKeyFromString("ORDERS-3"), tomb), out);
  EXPECT_EQ(ToHex(out), "83f786c1eb052733");
}

TEST(HighwayHash, PutGetLittleEndian) {
  Hash64Bytes b{};
  PutHash64(0x0102030405060708ULL, b);
  EXPECT_EQ(ToHex(b), "0807060504030201");
  EXPECT_EQ(GetHash64(b), 0x0102030405060708ULL);
}

}  // namespace
}  // namespace natscpp::store::crypto
