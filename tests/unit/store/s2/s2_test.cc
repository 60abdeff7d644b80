// Tests of the S2 codec: Go-made vectors, round trips, hand-built element
// streams and hostile inputs.
#include "s2/s2.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "s2/crc32c.h"

namespace natscpp::store::s2 {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

fs::path VectorDir() { return fs::path(NATSCPP_SHARED_DIR) / "vectors"; }

Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

Bytes FromString(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Record-like text: repeated field names with varying numbers, the kind of
// data a message block holds.
Bytes Compressible(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b;
  b.reserve(n + 64);
  while (b.size() < n) {
    std::string rec = "{\"subject\":\"orders." + std::to_string(rng() % 50) +
                      "\",\"seq\":" + std::to_string(rng() % 100000) + ",\"payload\":\"hello world\"}\n";
    b.insert(b.end(), rec.begin(), rec.end());
  }
  b.resize(n);
  return b;
}

#define SKIP_IF_NO_SHARED()                                            \
  if (!fs::exists(VectorDir())) {                                      \
    GTEST_SKIP() << "../shared is missing (no " << VectorDir() << ")"; \
  }

void ExpectBlockRoundTrip(const Bytes& src) {
  const Bytes enc = EncodeBlock(src);
  EXPECT_LE(enc.size(), MaxEncodedLen(src.size())) << "size " << src.size();
  auto dec = DecodeBlock(enc);
  ASSERT_TRUE(dec.has_value()) << "size " << src.size() << ": " << dec.error().message();
  EXPECT_TRUE(*dec == src) << "size " << src.size();
}

void ExpectStreamRoundTrip(const Bytes& src) {
  const Bytes enc = EncodeStream(src);
  auto dec = DecodeStream(enc);
  ASSERT_TRUE(dec.has_value()) << "size " << src.size() << ": " << dec.error().message();
  EXPECT_TRUE(*dec == src) << "size " << src.size();
}

// Offsets of the chunk headers of a well-formed stream.
std::vector<size_t> ChunkOffsets(const Bytes& stream) {
  std::vector<size_t> offs;
  size_t pos = 0;
  while (pos + 4 <= stream.size()) {
    offs.push_back(pos);
    pos += 4 + (size_t{stream[pos + 1]} | size_t{stream[pos + 2]} << 8 | size_t{stream[pos + 3]} << 16);
  }
  return offs;
}

TEST(S2, Crc32cKnownValues) {
  EXPECT_EQ(Crc32c(FromString("123456789")), 0xe3069283u);
  EXPECT_EQ(Crc32cPortable(FromString("123456789")), 0xe3069283u);
  EXPECT_EQ(Crc32c({}), 0u);
  // 32 zero bytes (RFC 3720 B.4).
  EXPECT_EQ(Crc32c(Bytes(32, 0)), 0x8a9136aau);
  EXPECT_EQ(Crc32c(Bytes(32, 0xff)), 0x62a8ab43u);
  for (size_t n : {1u, 7u, 8u, 9u, 63u, 1000u, 4099u}) {
    const Bytes b = RandomBytes(n, n);
    EXPECT_EQ(Crc32c(b), Crc32cPortable(b)) << n;
    // Incremental sums equal one pass.
    const size_t half = n / 2;
    EXPECT_EQ(Crc32c(std::span(b).subspan(half), Crc32c(std::span(b).first(half))), Crc32c(b)) << n;
  }
}

TEST(S2, GoVectorFiles) {
  SKIP_IF_NO_SHARED();
  const fs::path dir = VectorDir() / "s2";
  ASSERT_TRUE(fs::exists(dir));
  int pairs = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".raw") continue;
    const std::string name = e.path().stem().string();
    SCOPED_TRACE(name);
    const Bytes raw = ReadFile(e.path());
    const Bytes block = ReadFile(dir / (name + ".s2block"));
    const Bytes stream = ReadFile(dir / (name + ".s2stream"));

    auto db = DecodeBlock(block);
    ASSERT_TRUE(db.has_value()) << db.error().message();
    EXPECT_TRUE(*db == raw);
    Bytes into(raw.size() + 16, 0xAB);
    auto n = DecodeBlockInto(block, into);
    ASSERT_TRUE(n.has_value()) << n.error().message();
    EXPECT_EQ(*n, raw.size());
    EXPECT_TRUE(std::equal(raw.begin(), raw.end(), into.begin()));
    EXPECT_TRUE(std::all_of(into.begin() + static_cast<std::ptrdiff_t>(raw.size()), into.end(),
                            [](uint8_t b) { return b == 0xAB; }));

    auto ds = DecodeStream(stream);
    ASSERT_TRUE(ds.has_value()) << ds.error().message();
    EXPECT_TRUE(*ds == raw);

    // Our encodings of the same data decode back too.
    ExpectBlockRoundTrip(raw);
    ExpectStreamRoundTrip(raw);
    ++pairs;
  }
  EXPECT_GE(pairs, 7);
}

TEST(S2, GoVectorStreamLayout) {
  SKIP_IF_NO_SHARED();
  const fs::path dir = VectorDir() / "s2";
  // Go writes nothing at all for empty input, and so do we.
  EXPECT_TRUE(ReadFile(dir / "empty.s2stream").empty());
  EXPECT_TRUE(EncodeStream({}).empty());
  // A one-byte input: identifier, then a raw chunk; we write the same bytes.
  const Bytes tiny = ReadFile(dir / "tiny.s2stream");
  EXPECT_TRUE(EncodeStream(ReadFile(dir / "tiny.raw")) == tiny);
  // Go's 2.5 MB stream: 1 MiB chunks under the S2 identifier, as ours.
  const Bytes raw = ReadFile(dir / "records-2500k.raw");
  const Bytes go = ReadFile(dir / "records-2500k.s2stream");
  const Bytes ours = EncodeStream(raw);
  ASSERT_GE(ours.size(), 10u);
  EXPECT_TRUE(std::equal(go.begin(), go.begin() + 10, ours.begin()));
  EXPECT_EQ(ChunkOffsets(go).size(), ChunkOffsets(ours).size());
  EXPECT_EQ(ChunkOffsets(ours).size(), 4u);  // identifier + 3 data chunks
  // Compression in the same league as Go's (within 40%).
  EXPECT_LT(ours.size(), go.size() * 14 / 10);
}

TEST(S2, GoSmallBlockVectors) {
  SKIP_IF_NO_SHARED();
  const Bytes json = ReadFile(VectorDir() / "s2_block_small.json");
  const std::string text(json.begin(), json.end());
  auto field = [&](size_t& pos, std::string_view key) -> std::string {
    const std::string pat = "\"" + std::string(key) + "\": \"";
    const size_t at = text.find(pat, pos);
    if (at == std::string::npos) return "\x01";
    const size_t start = at + pat.size();
    const size_t end = text.find('"', start);
    pos = end + 1;
    return text.substr(start, end - start);
  };
  size_t pos = 0;
  int count = 0;
  for (;;) {
    const std::string in = field(pos, "input_hex");
    if (in == "\x01") break;
    const std::string fast = field(pos, "s2_block_hex");
    const std::string better = field(pos, "s2_block_better_hex");
    ASSERT_NE(fast, "\x01");
    ASSERT_NE(better, "\x01");
    SCOPED_TRACE(count);
    const Bytes input = FromHex(in);
    for (const std::string& enc : {fast, better}) {
      auto dec = DecodeBlock(FromHex(enc));
      ASSERT_TRUE(dec.has_value()) << dec.error().message();
      EXPECT_TRUE(*dec == input);
    }
    ExpectBlockRoundTrip(input);
    ExpectStreamRoundTrip(input);
    // Inputs below 32 bytes are one literal, exactly as Go writes them.
    if (input.size() < 32) {
      EXPECT_TRUE(EncodeBlock(input) == FromHex(fast));
    }
    ++count;
  }
  EXPECT_EQ(count, 5);
}

// Go-written encodings beyond the shared vectors (klauspost/compress
// 1.15.12): EncodeBest's block, and streams with an index chunk, with
// padding to a 512-byte multiple, and with Snappy-compatible framing.
TEST(S2, GoWriterOptionVariants) {
  const Bytes raw = FromHex(
      "7b227375626a656374223a226f72646572732e30222c22736571223a307d0a7b227375626a656374223a226f72646572"
      "732e31222c22736571223a377d0a7b227375626a656374223a226f72646572732e32222c22736571223a31347d0a7b22"
      "7375626a656374223a226f72646572732e30222c22736571223a32317d0a7b227375626a656374223a226f7264657273"
      "2e31222c22736571223a32387d0a7b227375626a656374223a226f72646572732e32222c22736571223a33357d0a7b22"
      "7375626a656374223a226f72646572732e30222c22736571223a34327d0a7b227375626a656374223a226f7264657273"
      "2e31222c22736571223a34397d0a7b227375626a656374223a226f72646572732e32222c22736571223a35367d0a7b22"
      "7375626a656374223a226f72646572732e30222c22736571223a36337d0a7b227375626a656374223a226f7264657273"
      "2e31222c22736571223a37307d0a7b227375626a656374223a226f72646572732e32222c22736571223a37377d0a");
  const Bytes best = FromHex(
      "fe02787b227375626a656374223a226f72646572732e30222c22736571223a307d0a4a1f0000311100003715000d0032"
      "1100043134523f00155e043231765f000432387660000433351500160434321500160434391500160435361500160436"
      "3315001604373015001414223a37377d0a");
  const Bytes with_index = FromHex(
      "ff06000053327354774f007c00005ebc8ab5fe02787b227375626a656374223a226f72646572732e30222c2273657122"
      "3a307d0a4a1f0000311100003715000d00321100043134522000155e043231522000155f043238522000156004333515"
      "0016043432522000156004343915001604353652200015c00436331500160037563f0115c00c37377d0a991b00007332"
      "69647800fc059402808080010200141f000000007864693273");
  const Bytes padded = FromHex(
      "ff06000053327354774f007c00005ebc8ab5fe02787b227375626a656374223a226f72646572732e30222c2273657122"
      "3a307d0a4a1f0000311100003715000d00321100043134522000155e043231522000155f043238522000156004333515"
      "0016043432522000156004343915001604353652200015c00436331500160037563f0115c00c37377d0afe720100ce4a"
      "2deb3fac347d6cd42de2ff81e617ad763afb3f5faa420bb859699898afcc85ec0b6cdbbd56f71142603fe39451225814"
      "55f113d51357a4172a0caf2eb99bdf4017ed0fbefeb72d5a0d56e31e61961f08deb05d30477850aa29e89bedef415160"
      "7c0943a40ab9c1eec86eb44fa97227b4f80045c53b9f5fae0d1802dd46b2538d68532a061f418dd2f7f0822a5b049259"
      "ea4c8af2808ca5db4b02c5668a69e03d9b245ac5f4023536135ae9351bc460f219abd1eaf97dcbfac0fd94c1835871ba"
      "1f8c14e27681584fab3981c206784da6d99651ad56184daaf5b7f4aedfde9b0004871736989132f837dd79d7bc3cf847"
      "99eb52a2ca7ff30ba4723a0a0f9d3c4a7dfdc9c25aabaff92e0103f9c5871bcae89ee392e3fa8d6fdfae985afe194cc9"
      "5d892f53cbbbe1c76e318af778760a48e13c1b75ddd3186b70fd111d26e4aee98c0a9648a9b13b6b07241a1755aca253"
      "2b7aa4a8d92537f343bc4021b61740b823858b60e00b1a0cff63cf4649a67455");
  const Bytes snappy = FromHex(
      "ff060000734e61507059007c00005ebc8ab5fe02787b227375626a656374223a226f72646572732e30222c2273657122"
      "3a307d0a4a1f000031111f0037521f000032111f043134522000155e043231522000155f043238522000156004333576"
      "6000043432522000156004343976600004353652200015c004363376c0000037563f0115c00c37377d0a");
  auto b = DecodeBlock(best);
  ASSERT_TRUE(b.has_value()) << b.error().message();
  EXPECT_TRUE(*b == raw);
  EXPECT_EQ(with_index[ChunkOffsets(with_index).back()], kChunkTypeIndex);
  EXPECT_EQ(padded[ChunkOffsets(padded).back()], kChunkTypePadding);
  EXPECT_EQ(padded.size() % 512, 0u);
  EXPECT_EQ(snappy[4], 's');
  for (const Bytes* s : {&with_index, &padded, &snappy}) {
    auto r = DecodeStream(*s);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_TRUE(*r == raw);
  }
}

TEST(S2, RoundTripRandomSizes) {
  const size_t sizes[] = {0,
                          1,
                          2,
                          31,
                          32,
                          33,
                          63,
                          100,
                          4095,
                          4096,
                          65535,
                          65536,
                          65537,
                          size_t{1} << 20,
                          (size_t{4} << 20) + 1,
                          (size_t{4} << 20) + 12345};
  for (size_t n : sizes) {
    const Bytes src = RandomBytes(n, 1000 + n);
    ExpectBlockRoundTrip(src);
    ExpectStreamRoundTrip(src);
    // Random data does not compress: every stream chunk is stored raw.
    const Bytes st = EncodeStream(src);
    const auto offs = ChunkOffsets(st);
    for (size_t i = 1; i < offs.size(); ++i) EXPECT_EQ(st[offs[i]], kChunkTypeUncompressedData);
    if (n > 0) {
      EXPECT_EQ(offs.size(), 1 + (n + kDefaultStreamBlockSize - 1) / kDefaultStreamBlockSize);
    }
  }
}

TEST(S2, RoundTripCompressible) {
  for (size_t n : {32u, 33u, 100u, 1000u, 65535u, 65536u, 65537u, 1u << 20, (4u << 20) + 7}) {
    SCOPED_TRACE(n);
    const Bytes text = Compressible(n, n);
    ExpectBlockRoundTrip(text);
    ExpectStreamRoundTrip(text);
    const Bytes zeros(n, 0);
    ExpectBlockRoundTrip(zeros);
    ExpectStreamRoundTrip(zeros);
    if (n >= 1000) {
      EXPECT_LT(EncodeBlock(text).size(), n / 2);
      EXPECT_LT(EncodeBlock(zeros).size(), 64u);
      // Compressed chunks in the stream.
      const Bytes st = EncodeStream(text);
      EXPECT_EQ(st[ChunkOffsets(st)[1]], kChunkTypeCompressedData);
    }
  }
  // Short periods make overlapping copies; offsets 2..9 cover the
  // run-length copy paths of the decoder.
  for (size_t period = 2; period <= 9; ++period) {
    Bytes b(5000);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>('a' + i % period);
    ExpectBlockRoundTrip(b);
  }
  // A block longer than one 3-byte repeat can describe (> 16.8 MB of the
  // same offset) splits into several repeats.
  Bytes big(size_t{20} << 20, 7);
  big[0] = 1;
  ExpectBlockRoundTrip(big);
  EXPECT_LT(EncodeBlock(big).size(), 40u);
}

TEST(S2, RoundTripMixedMatches) {
  // Random mixtures of fresh bytes and copies of earlier data at every
  // distance class (copy-1, copy-2, copy-4) and match length.
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 20; ++iter) {
    Bytes b;
    const size_t target = 1000 + rng() % 300000;
    while (b.size() < target) {
      if (b.size() < 16 || rng() % 3 == 0) {
        const size_t lit = 1 + rng() % 100;
        for (size_t i = 0; i < lit; ++i) b.push_back(static_cast<uint8_t>(rng()));
      } else {
        const size_t off = 1 + rng() % std::min<size_t>(b.size(), (rng() % 2) ? 2047 : 200000);
        const size_t len = 4 + rng() % ((rng() % 4 == 0) ? 70000 : 80);
        for (size_t i = 0; i < len; ++i) b.push_back(b[b.size() - off]);
      }
    }
    ExpectBlockRoundTrip(b);
    ExpectStreamRoundTrip(b);
  }
}

// Builds a block from explicit elements, tracking the expected output.
class BlockBuilder {
 public:
  void Literal(const Bytes& lit) {
    const size_t n = lit.size() - 1;
    if (n < 60) {
      body_.push_back(static_cast<uint8_t>(n << 2));
    } else {
      const size_t k = n < 256 ? 1 : n < 65536 ? 2 : n < (1u << 24) ? 3 : 4;
      body_.push_back(static_cast<uint8_t>((59 + k) << 2));
      for (size_t i = 0; i < k; ++i) body_.push_back(static_cast<uint8_t>(n >> (8 * i)));
    }
    body_.insert(body_.end(), lit.begin(), lit.end());
    out_.insert(out_.end(), lit.begin(), lit.end());
  }
  void Copy1(size_t off, size_t len) {
    body_.push_back(static_cast<uint8_t>((off >> 8) << 5 | (len - 4) << 2 | 1));
    body_.push_back(static_cast<uint8_t>(off));
    Produce(off, len);
  }
  void Copy2(size_t off, size_t len) {
    body_.push_back(static_cast<uint8_t>((len - 1) << 2 | 2));
    body_.push_back(static_cast<uint8_t>(off));
    body_.push_back(static_cast<uint8_t>(off >> 8));
    Produce(off, len);
  }
  void Copy4(size_t off, size_t len) {
    body_.push_back(static_cast<uint8_t>((len - 1) << 2 | 3));
    for (int i = 0; i < 4; ++i) body_.push_back(static_cast<uint8_t>(off >> (8 * i)));
    Produce(off, len);
  }
  // Repeat of the last offset in one of its four forms.
  void Repeat(size_t len) {
    if (len <= 8) {
      body_.push_back(static_cast<uint8_t>((len - 4) << 2 | 1));
      body_.push_back(0);
    } else if (len < 8 + 256) {
      body_.insert(body_.end(), {5 << 2 | 1, 0, static_cast<uint8_t>(len - 8)});
    } else if (len < 260 + 65536) {
      const size_t v = len - 260;
      body_.insert(body_.end(), {6 << 2 | 1, 0, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
    } else {
      const size_t v = len - 65540;
      body_.insert(body_.end(), {7 << 2 | 1, 0, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                                 static_cast<uint8_t>(v >> 16)});
    }
    Produce(last_, len);
  }
  Bytes Block() const {
    Bytes b;
    size_t v = out_.size();
    while (v >= 0x80) {
      b.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    b.push_back(static_cast<uint8_t>(v));
    b.insert(b.end(), body_.begin(), body_.end());
    return b;
  }
  const Bytes& Output() const { return out_; }
  const Bytes& Body() const { return body_; }
  size_t Size() const { return out_.size(); }

 private:
  void Produce(size_t off, size_t len) {
    last_ = off;
    for (size_t i = 0; i < len; ++i) out_.push_back(out_[out_.size() - off]);
  }
  Bytes body_;
  Bytes out_;
  size_t last_ = 0;
};

TEST(S2, DecodeEveryElementForm) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    BlockBuilder bb;
    bb.Literal(RandomBytes(1 + rng() % 70, rng()));
    bool have_offset = false;
    for (int k = 0; k < 40; ++k) {
      const size_t kind = rng() % 6;
      const size_t have = bb.Size();
      if (kind == 0) {
        const size_t len = rng() % 4 == 0 ? 60 + rng() % 70000 : 1 + rng() % 60;
        bb.Literal(RandomBytes(len, rng()));
      } else if (kind == 1) {
        bb.Copy1(1 + rng() % std::min<size_t>(have, 2047), 4 + rng() % 8);
        have_offset = true;
      } else if (kind == 2) {
        bb.Copy2(1 + rng() % std::min<size_t>(have, 65535), 1 + rng() % 64);
        have_offset = true;
      } else if (kind == 3) {
        bb.Copy4(1 + rng() % have, 1 + rng() % 64);
        have_offset = true;
      } else if (have_offset) {
        const size_t r = rng() % 4;
        const size_t len = r == 0   ? 4 + rng() % 5
                           : r == 1 ? 9 + rng() % 255
                           : r == 2 ? 264 + rng() % 65536
                                    : 65540 + rng() % 200000;
        bb.Repeat(len);
      }
    }
    auto dec = DecodeBlock(bb.Block());
    ASSERT_TRUE(dec.has_value()) << iter << ": " << dec.error().message();
    ASSERT_TRUE(*dec == bb.Output()) << iter;
  }
  // The longest single repeat: 3-byte length at its maximum.
  BlockBuilder bb;
  bb.Literal(FromString("xy"));
  bb.Copy1(2, 4);
  bb.Repeat(65540 + 0xffffff);
  auto dec = DecodeBlock(bb.Block());
  ASSERT_TRUE(dec.has_value()) << dec.error().message();
  EXPECT_TRUE(*dec == bb.Output());
}

void ExpectCorrupt(const Result<std::vector<uint8_t>>& r, std::string_view what) {
  ASSERT_FALSE(r.has_value()) << what;
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << what << ": " << r.error().message();
}

TEST(S2, CorruptBlocks) {
  ExpectCorrupt(DecodeBlock({}), "empty");
  ExpectCorrupt(DecodeBlock(FromHex("80")), "cut varint");
  ExpectCorrupt(DecodeBlock(FromHex("ffffffffffffffffffff02")), "overlong varint");
  ExpectCorrupt(DecodeBlock(FromHex("8080808010")), "length above 4 GiB");
  // Declared 4 GiB with a tiny body: rejected before allocating.
  ExpectCorrupt(DecodeBlock(FromHex("ffffffff0f0061")), "huge declared length");
  ExpectCorrupt(DecodeBlock(FromHex("80808001"
                                    "0061"),
                            1000),
                "over caller limit");
  ExpectCorrupt(DecodeBlock(FromHex("020061")), "short output");
  ExpectCorrupt(DecodeBlock(FromHex("01046162")), "literal past declared length");
  ExpectCorrupt(DecodeBlock(FromHex("0a0c6162")), "literal past input");
  ExpectCorrupt(DecodeBlock(FromHex("0af0")), "literal length bytes missing");
  ExpectCorrupt(DecodeBlock(FromHex("0a0061020000")), "copy-2 offset 0");
  ExpectCorrupt(DecodeBlock(FromHex("0500610e0200")), "copy-2 offset before start");
  ExpectCorrupt(DecodeBlock(FromHex("0500610302000000")), "copy-4 offset before start");
  ExpectCorrupt(DecodeBlock(FromHex("0500610100")), "repeat before any copy");
  ExpectCorrupt(DecodeBlock(FromHex("0500612102")), "copy-1 offset before start");
  ExpectCorrupt(DecodeBlock(FromHex("0200610501")), "copy past declared length");
  ExpectCorrupt(DecodeBlock(FromHex("0a00610101")), "copies end short of the declared length");
  // Each extended repeat form, cut short.
  ExpectCorrupt(DecodeBlock(FromHex("2004616201021500")), "repeat 1-byte length missing");
  ExpectCorrupt(DecodeBlock(FromHex("200461620102190000")), "repeat 2-byte length cut");
  ExpectCorrupt(DecodeBlock(FromHex("2004616201021d000000")), "repeat 3-byte length cut");
  ExpectCorrupt(DecodeBlock(FromHex("0500610e02")), "copy-2 cut");
  ExpectCorrupt(DecodeBlock(FromHex("05006103010000")), "copy-4 cut");

  // A large declared length the elements do not add up to is refused
  // (checked before the output is allocated).
  BlockBuilder bb;
  bb.Literal(FromString("ab"));
  bb.Copy1(2, 4);
  bb.Repeat(16u << 20);
  Bytes lying = FromHex("8080803a");  // 116 MiB
  lying.insert(lying.end(), bb.Body().begin(), bb.Body().end());
  ExpectCorrupt(DecodeBlock(lying), "declared length larger than the elements");
  lying[3] = 0x01;  // 2 MiB: the same error on the direct path
  ExpectCorrupt(DecodeBlock(lying), "declared length larger than the elements");

  Bytes small(4);
  auto into = DecodeBlockInto(FromHex("05006101010001"), small);
  EXPECT_FALSE(into.has_value());

  // Every proper prefix of a valid block fails: each element yields output,
  // so a cut block always comes up short of its declared length.
  const Bytes block = EncodeBlock(Compressible(3000, 3));
  for (size_t len = 0; len < block.size(); ++len) {
    ExpectCorrupt(DecodeBlock(std::span(block).first(len)), "prefix " + std::to_string(len));
  }
}

TEST(S2, FlippedBlockBytesNeverCrash) {
  // Blocks carry no checksum, so a flip may decode to other data; it must
  // still never read or write out of bounds and always honour the length.
  const Bytes src = Compressible(5000, 9);
  const Bytes block = EncodeBlock(src);
  for (size_t i = 0; i < block.size(); ++i) {
    for (int mask : {0x01, 0x10, 0x80, 0xff}) {
      Bytes b = block;
      b[i] ^= static_cast<uint8_t>(mask);
      auto r = DecodeBlock(b);
      if (r) {
        auto hdr = DecodedLen(b);
        ASSERT_TRUE(hdr.has_value());
        EXPECT_EQ(r->size(), hdr->decoded_len);
      } else {
        EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
      }
    }
  }
}

TEST(S2, RandomInputsNeverCrash) {
  // Mutated valid encodings (several flips, cuts, splices) and plain noise.
  std::mt19937_64 rng(99);
  const Bytes src = Compressible(20000, 4);
  const Bytes block = EncodeBlock(src);
  const Bytes stream = EncodeStream(src, 4096);
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = (iter % 2) ? block : stream;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 3 == 0) b.resize(rng() % b.size());
    if (rng() % 5 == 0) b = RandomBytes(rng() % 64, rng());
    auto rb = DecodeBlock(b);
    if (rb) {
      EXPECT_EQ(rb->size(), DecodedLen(b)->decoded_len);
    }
    auto rs = DecodeStream(b);
    if (rs) {
      EXPECT_LE(rs->size(), src.size());
    }
  }
}

TEST(S2, CorruptStreams) {
  const Bytes src = Compressible(200, 11);
  const Bytes stream = EncodeStream(src);
  ASSERT_EQ(stream[10], kChunkTypeCompressedData);

  // Every prefix: empty and identifier-only are complete (empty) streams,
  // as for Go's reader; any cut inside a chunk is corrupt.
  for (size_t len = 0; len < stream.size(); ++len) {
    auto r = DecodeStream(std::span(stream).first(len));
    if (len == 0 || len == 10) {
      ASSERT_TRUE(r.has_value()) << len;
      EXPECT_TRUE(r->empty());
    } else {
      ExpectCorrupt(r, "prefix " + std::to_string(len));
    }
  }

  // Every single-byte flip is caught (CRC, header or element checks),
  // except a flip of a chunk type to a skippable type, which drops data
  // and so must at least not return the original.
  const auto offs = ChunkOffsets(stream);
  for (size_t i = 0; i < stream.size(); ++i) {
    for (int mask : {0x01, 0x04, 0x80, 0xff}) {
      Bytes b = stream;
      b[i] ^= static_cast<uint8_t>(mask);
      auto r = DecodeStream(b);
      const bool type_byte = std::find(offs.begin(), offs.end(), i) != offs.end();
      if (type_byte && r.has_value()) {
        EXPECT_FALSE(*r == src) << i;
      } else {
        EXPECT_FALSE(r.has_value()) << "flip at " << i << " mask " << mask;
      }
    }
  }

  // Bad CRC on a compressed and on a raw chunk.
  Bytes bad = stream;
  bad[14] ^= 0x01;
  auto r = DecodeStream(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("crc"), std::string::npos);
  Bytes raw_stream = EncodeStream(FromString("abc"));
  ASSERT_EQ(raw_stream[10], kChunkTypeUncompressedData);
  raw_stream[15] ^= 0x40;
  ExpectCorrupt(DecodeStream(raw_stream), "raw chunk crc");

  // No identifier first.
  ExpectCorrupt(DecodeStream(std::span(stream).subspan(10)), "missing identifier");
  // Unknown identifier body.
  Bytes ident = stream;
  ident[4] = 'X';
  ExpectCorrupt(DecodeStream(ident), "bad identifier");
  // Wrong identifier length.
  ExpectCorrupt(DecodeStream(FromHex("ff070000533273547749")), "identifier length");
  // Data chunk shorter than its checksum.
  Bytes shortchunk(stream.begin(), stream.begin() + 10);
  shortchunk.insert(shortchunk.end(), {0x00, 0x03, 0x00, 0x00, 1, 2, 3});
  ExpectCorrupt(DecodeStream(shortchunk), "short data chunk");
}

TEST(S2, StreamChunkTypes) {
  const Bytes a = FromString("hello, hello, hello, hello, hello, hello!");
  const Bytes sa = EncodeStream(a);
  const Bytes ident(sa.begin(), sa.begin() + 10);
  const Bytes chunk(sa.begin() + 10, sa.end());

  auto with = [&](std::initializer_list<Bytes> parts) {
    Bytes b = ident;
    for (const auto& p : parts) b.insert(b.end(), p.begin(), p.end());
    return b;
  };
  // Padding, the index chunk and other skippable chunks are skipped,
  // before and between data chunks.
  const Bytes padding = FromHex("fe030000000000");
  const Bytes index = FromHex(
      "99050000"
      "7331327a78");
  const Bytes skippable = FromHex("80000000");
  auto r = DecodeStream(with({padding, chunk, index, chunk, skippable}));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  Bytes twice = a;
  twice.insert(twice.end(), a.begin(), a.end());
  EXPECT_TRUE(*r == twice);
  // A repeated identifier in mid-stream is allowed.
  r = DecodeStream(with({chunk, ident, chunk}));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r == twice);
  // Reserved unskippable chunk types are refused.
  for (int t : {0x02, 0x40, 0x7f}) {
    auto u = DecodeStream(with({Bytes{static_cast<uint8_t>(t), 0, 0, 0}, chunk}));
    ASSERT_FALSE(u.has_value());
    EXPECT_EQ(u.error().code(), ErrorCode::kUnsupported);
  }
  // A skippable chunk cut short.
  ExpectCorrupt(DecodeStream(with({FromHex("fe0a0000000000")})), "cut padding");

  // The output limit.
  r = DecodeStream(with({chunk, chunk}), a.size() * 2);
  EXPECT_TRUE(r.has_value());
  ExpectCorrupt(DecodeStream(with({chunk, chunk}), a.size() * 2 - 1), "over max_output");

  // On error, AppendDecodedStream leaves out as it was.
  Bytes out = FromString("keep");
  EXPECT_FALSE(AppendDecodedStream(with({chunk, FromHex("02000000")}), out).has_value());
  EXPECT_TRUE(out == FromString("keep"));
  EXPECT_TRUE(AppendDecodedStream(sa, out).has_value());
  Bytes expect = FromString("keep");
  expect.insert(expect.end(), a.begin(), a.end());
  EXPECT_TRUE(out == expect);
}

TEST(S2, StreamChunkSizeLimits) {
  // Snappy framing: chunks up to 64 KiB decoded are accepted...
  const Bytes src = Compressible(300000, 5);
  Bytes snappy = EncodeStream(src, kMaxSnappyBlockSize);
  std::memcpy(snappy.data() + 4, "sNaPpY", 6);
  auto r = DecodeStream(snappy);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(*r == src);
  // ...larger ones are not, though the same chunks are fine under S2.
  Bytes big = EncodeStream(src, 128 << 10);
  ASSERT_TRUE(DecodeStream(big).has_value());
  std::memcpy(big.data() + 4, "sNaPpY", 6);
  ExpectCorrupt(DecodeStream(big), "snappy chunk above 64 KiB");

  // A compressed chunk declaring more than 4 MiB decoded.
  Bytes huge = EncodeStream(FromString("x"));
  huge.resize(10);
  const Bytes body = FromHex(
      "81808002"
      "00");  // uvarint 4 MiB + 1, then junk
  const size_t len = 4 + body.size();
  huge.insert(huge.end(), {0x00, static_cast<uint8_t>(len), 0, 0, 0, 0, 0, 0});
  huge.insert(huge.end(), body.begin(), body.end());
  ExpectCorrupt(DecodeStream(huge), "chunk above 4 MiB");

  // Writer block sizes: 4 MiB chunks decode, and sizes are clamped.
  const Bytes five = Compressible((5u << 20) + 3, 8);
  const Bytes s4 = EncodeStream(five, kMaxBlockSize);
  EXPECT_EQ(ChunkOffsets(s4).size(), 3u);
  r = DecodeStream(s4);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r == five);
  EXPECT_EQ(ChunkOffsets(EncodeStream(five, size_t{64} << 20)).size(), 3u);
  EXPECT_EQ(ChunkOffsets(EncodeStream(Compressible(9000, 1), 1)).size(), 4u);  // 4 KiB minimum
}

TEST(S2, MaxEncodedLen) {
  EXPECT_EQ(MaxEncodedLen(0), 1u);
  EXPECT_EQ(MaxEncodedLen(1), 3u);
  EXPECT_EQ(MaxEncodedLen(59), 61u);
  EXPECT_EQ(MaxEncodedLen(60), 63u);
  EXPECT_EQ(MaxEncodedLen(255), 259u);
  EXPECT_EQ(MaxEncodedLen(256), 261u);
  EXPECT_EQ(MaxEncodedLen(size_t{1} << 20), (size_t{1} << 20) + 4 + 4);
  EXPECT_EQ(MaxEncodedLen(kMaxDecodedLen), 0u);  // the bound itself would not fit a uint32
  EXPECT_EQ(MaxEncodedLen(kMaxDecodedLen - 10), kMaxDecodedLen);
  EXPECT_EQ(MaxEncodedLen(kMaxDecodedLen - 9), 0u);
  EXPECT_EQ(MaxEncodedLen(kMaxDecodedLen + 1), 0u);
}

}  // namespace
}  // namespace natscpp::store::s2
