// Tests of the file store's compression glue (FORMAT.md §4).
#include "s2/compression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "s2/s2.h"

namespace natscpp::store::s2 {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes RecordLike(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b;
  while (b.size() < n) {
    const std::string rec =
        "orders.eu." + std::to_string(rng() % 20) + " payload " + std::to_string(rng() % 1000) + ";";
    b.insert(b.end(), rec.begin(), rec.end());
  }
  b.resize(n);
  return b;
}

TEST(StoreCompression, StringAndJson) {
  EXPECT_EQ(String(StoreCompression::kNone), "None");
  EXPECT_EQ(String(StoreCompression::kS2), "S2");
  EXPECT_EQ(String(static_cast<StoreCompression>(2)), "Unknown StoreCompression");

  auto j = MarshalJSON(StoreCompression::kS2);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(*j, "\"s2\"");
  j = MarshalJSON(StoreCompression::kNone);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(*j, "\"none\"");
  j = MarshalJSON(static_cast<StoreCompression>(9));
  ASSERT_FALSE(j.has_value());
  EXPECT_EQ(j.error().message(), "unknown compression algorithm");

  auto a = UnmarshalJSON("\"s2\"");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, StoreCompression::kS2);
  a = UnmarshalJSON("\"none\"");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, StoreCompression::kNone);
  // Any JSON spelling of the same string is the same value.
  a = UnmarshalJSON(" \t\"\\u0073\\u0032\"\n");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, StoreCompression::kS2);
  a = UnmarshalJSON("\"n\\u006Fne\"");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, StoreCompression::kNone);
  // Names are case-sensitive; other strings, null and non-strings fail.
  for (const char* bad : {"\"S2\"", "\"None\"", "\"\"", "\"s2 \"", "null", "1", "s2", "\"s2", "\"s2\\\"",
                          "\"s\\x32\"", "\"s2\" x", "\"\\u00\"", "[\"s2\"]", ""}) {
    EXPECT_FALSE(UnmarshalJSON(bad).has_value()) << bad;
  }
  EXPECT_EQ(UnmarshalJSON("\"lz4\"").error().message(), "unknown compression algorithm");
  // Round trip through both directions.
  for (auto alg : {StoreCompression::kNone, StoreCompression::kS2}) {
    auto back = UnmarshalJSON(*MarshalJSON(alg));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, alg);
  }
}

TEST(StoreCompression, MetadataEncoding) {
  CompressionInfo ci{StoreCompression::kS2, 0};
  EXPECT_EQ(ci.MarshalMetadata(), (Bytes{'c', 'm', 'p', 1, 0}));
  ci.original_size = 300;
  EXPECT_EQ(ci.MarshalMetadata(), (Bytes{'c', 'm', 'p', 1, 0xac, 0x02}));
  ci = {StoreCompression::kNone, std::numeric_limits<uint64_t>::max()};
  const Bytes maxmeta = ci.MarshalMetadata();
  ASSERT_EQ(maxmeta.size(), 14u);
  EXPECT_EQ(maxmeta[3], 0);
  EXPECT_EQ(maxmeta[13], 0x01);

  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{8} << 20,
                        std::numeric_limits<uint64_t>::max()}) {
    for (auto alg : {StoreCompression::kNone, StoreCompression::kS2}) {
      CompressionInfo in{alg, size};
      Bytes b = in.MarshalMetadata();
      const size_t meta_len = b.size();
      b.insert(b.end(), {9, 9, 9});  // the compressed body follows
      CompressionInfo out{StoreCompression::kS2, 12345};
      auto n = out.UnmarshalMetadata(b);
      ASSERT_TRUE(n.has_value());
      EXPECT_EQ(*n, meta_len);
      EXPECT_EQ(out.algorithm, alg);
      EXPECT_EQ(out.original_size, size);
    }
  }

  // Not a compressed block: too short, or no magic. Both reset the info.
  CompressionInfo out{StoreCompression::kS2, 5};
  auto n = out.UnmarshalMetadata(Bytes{'c', 'm', 'p', 1});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(out.algorithm, StoreCompression::kNone);
  EXPECT_EQ(out.original_size, 0u);
  out = {StoreCompression::kS2, 5};
  n = out.UnmarshalMetadata(Bytes{'c', 'm', 'x', 1, 5, 0});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(out.algorithm, StoreCompression::kNone);
  n = out.UnmarshalMetadata(Bytes{});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0u);

  // An unknown algorithm byte is carried through for the caller to reject.
  n = out.UnmarshalMetadata(Bytes{'c', 'm', 'p', 7, 3});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(static_cast<uint8_t>(out.algorithm), 7);
  EXPECT_EQ(out.original_size, 3u);

  // A cut or overlong size varint is an error.
  n = out.UnmarshalMetadata(Bytes{'c', 'm', 'p', 1, 0x80});
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().message(), "metadata incomplete");
  Bytes overlong{'c', 'm', 'p', 1};
  overlong.insert(overlong.end(), 10, 0xff);
  overlong.push_back(0x01);
  EXPECT_FALSE(out.UnmarshalMetadata(overlong).has_value());
  Bytes tenth_too_big{'c', 'm', 'p', 1};
  tenth_too_big.insert(tenth_too_big.end(), 9, 0xff);
  tenth_too_big.push_back(0x02);
  EXPECT_FALSE(out.UnmarshalMetadata(tenth_too_big).has_value());
}

TEST(StoreCompression, CompressDecompressRoundTrip) {
  for (size_t n : {8u, 9u, 40u, 100u, 4096u, 65536u + 8, 300000u, (1u << 20) + 8, (3u << 20) + 5}) {
    SCOPED_TRACE(n);
    const Bytes block = RecordLike(n, n);
    auto c = Compress(StoreCompression::kS2, block);
    ASSERT_TRUE(c.has_value()) << c.error().message();
    // The last 8 bytes (the last record's checksum) stay raw at the end.
    ASSERT_GE(c->size(), 8u);
    EXPECT_TRUE(std::equal(block.end() - 8, block.end(), c->end() - 8));
    if (n == 8) {
      EXPECT_EQ(*c, block);  // empty body: no stream at all, as Go writes it
    } else {
      const Bytes magic{0xff, 0x06, 0x00, 0x00, 'S', '2', 's', 'T', 'w', 'O'};
      EXPECT_TRUE(std::equal(magic.begin(), magic.end(), c->begin()));
      // The body alone is a complete stream of everything but the checksum.
      auto body = DecodeStream(std::span(*c).first(c->size() - 8));
      ASSERT_TRUE(body.has_value());
      EXPECT_TRUE(std::equal(body->begin(), body->end(), block.begin()));
      EXPECT_EQ(body->size(), n - 8);
    }
    if (n >= 4096) {
      EXPECT_LT(c->size(), n / 2);
    }
    auto d = Decompress(StoreCompression::kS2, *c);
    ASSERT_TRUE(d.has_value()) << d.error().message();
    EXPECT_EQ(*d, block);

    // kNone hands the block back unchanged both ways.
    auto cn = Compress(StoreCompression::kNone, block);
    ASSERT_TRUE(cn.has_value());
    EXPECT_EQ(*cn, block);
    auto dn = Decompress(StoreCompression::kNone, block);
    ASSERT_TRUE(dn.has_value());
    EXPECT_EQ(*dn, block);
  }
}

TEST(StoreCompression, CompressErrors) {
  const Bytes seven(7, 1);
  for (auto alg : {StoreCompression::kNone, StoreCompression::kS2, static_cast<StoreCompression>(5)}) {
    auto c = Compress(alg, seven);
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().message(), "uncompressed buffer is too short");
    auto d = Decompress(alg, seven);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message(), "compressed buffer is too short");
  }
  const Bytes block = RecordLike(1000, 1);
  auto c = Compress(static_cast<StoreCompression>(5), block);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message(), "compression algorithm not known");
  auto d = Decompress(static_cast<StoreCompression>(5), block);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message(), "compression algorithm not known");

  // A damaged compressed body is reported, never returned.
  auto good = Compress(StoreCompression::kS2, block);
  ASSERT_TRUE(good.has_value());
  Bytes bad = *good;
  bad[bad.size() / 2] ^= 0x20;
  d = Decompress(StoreCompression::kS2, bad);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(d.error().message().rfind("error reading compression reader: ", 0), 0u);
  // Uncompressed bytes are not an S2 stream.
  d = Decompress(StoreCompression::kS2, block);
  EXPECT_FALSE(d.has_value());
}

TEST(StoreCompression, GoWrittenBlockBodies) {
  const fs::path dir = fs::path(NATSCPP_SHARED_DIR) / "vectors" / "s2";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared is missing (no " << dir << ")";
  // A compressed block as atomicOverwriteFile writes it: cmp header, the Go
  // s2.NewWriter stream of the body, the raw 8-byte checksum.
  for (const char* name : {"records-200k", "lowentropy-64k", "random-4k", "tiny", "empty"}) {
    SCOPED_TRACE(name);
    const Bytes raw = ReadFile(dir / (std::string(name) + ".raw"));
    const Bytes stream = ReadFile(dir / (std::string(name) + ".s2stream"));
    const Bytes checksum{1, 2, 3, 4, 5, 6, 7, 8};
    Bytes file = CompressionInfo{StoreCompression::kS2, raw.size() + 8}.MarshalMetadata();
    file.insert(file.end(), stream.begin(), stream.end());
    file.insert(file.end(), checksum.begin(), checksum.end());

    CompressionInfo ci;
    auto n = ci.UnmarshalMetadata(file);
    ASSERT_TRUE(n.has_value());
    ASSERT_GT(*n, 0u);
    EXPECT_EQ(ci.algorithm, StoreCompression::kS2);
    EXPECT_EQ(ci.original_size, raw.size() + 8);
    auto d = Decompress(ci.algorithm, std::span(file).subspan(*n));
    ASSERT_TRUE(d.has_value()) << d.error().message();
    Bytes want = raw;
    want.insert(want.end(), checksum.begin(), checksum.end());
    EXPECT_EQ(*d, want);
  }
}

}  // namespace
}  // namespace natscpp::store::s2
