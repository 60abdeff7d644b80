// Encrypted stores written by real nats-server processes (v2.14.5 and
// v2.9.10, ../shared/golden): every key file unwraps with the configured
// JetStream key, meta.inf and consumer files decrypt, and the decrypted
// blocks carry records whose HighwayHash checksums validate — an end-to-end
// check of prf, key wrapping, AEADs, block keystreams and HH64 together.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "test_util.h"

namespace natscpp::store::crypto {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::SharedDir;
using testing::TempDir;
using testing::ToHex;

struct GoldenSet {
  std::string name;  // e.g. "2.14.5/chacha"
  std::string js_key;
  StoreCipher cipher = StoreCipher::kChaCha;
  std::string account;
  std::string stream;
  fs::path stream_dir;  // extracted
};

const char* kSetNames[] = {"2.14.5/chacha", "2.14.5/aes",   "2.14.5/s2aes",
                           "2.14.5/s2chacha", "2.9.10/chacha", "2.9.10/aes"};

// Extracts every set once for the whole program; removed at exit.
class Golden {
 public:
  static Golden& Get() {
    static Golden g;
    return g;
  }
  bool available() const { return !sets_.empty(); }
  const std::string& problem() const { return problem_; }
  const std::vector<GoldenSet>& sets() const { return sets_; }

 private:
  Golden() : tmp_("crypto-golden") {
    const auto shared = SharedDir();
    if (shared.empty()) {
      problem_ = "../shared is missing";
      return;
    }
    if (tmp_.path().empty()) {
      problem_ = "cannot create a temporary directory";
      return;
    }
    std::vector<GoldenSet> sets;
    for (const char* name : kSetNames) {
      const fs::path dir = shared / "golden" / name;
      auto raw = ReadFile(dir / "expect.json");
      if (!raw) {
        problem_ = std::string("missing ") + (dir / "expect.json").string();
        return;
      }
      const auto j = nlohmann::json::parse(raw->begin(), raw->end());
      GoldenSet s;
      s.name = name;
      s.js_key = j.at("encryption").at("key").get<std::string>();
      const auto c = j.at("encryption").at("cipher").get<std::string>();
      s.cipher = c == "aes" ? StoreCipher::kAes : StoreCipher::kChaCha;
      s.account = j.at("account").get<std::string>();
      s.stream = j.at("stream").get<std::string>();
      std::string flat = name;
      std::replace(flat.begin(), flat.end(), '/', '_');
      const fs::path out = tmp_.path() / flat;
      fs::create_directories(out);
      if (!testing::ExtractTarZst(dir / "store.tar.zst", out)) {
        problem_ = "cannot extract " + (dir / "store.tar.zst").string();
        return;
      }
      s.stream_dir = out / j.at("stream_dir").get<std::string>();
      sets.push_back(std::move(s));
    }
    sets_ = std::move(sets);
  }

  TempDir tmp_;
  std::string problem_;
  std::vector<GoldenSet> sets_;
};

#define REQUIRE_GOLDEN()                                               \
  do {                                                                 \
    if (!Golden::Get().available()) GTEST_SKIP() << Golden::Get().problem(); \
  } while (0)

std::vector<uint8_t> MustRead(const fs::path& p) {
  auto r = ReadFile(p);
  EXPECT_TRUE(r.has_value()) << p;
  return r ? *r : std::vector<uint8_t>{};
}

// Block indexes N with a msgs/N.blk, ascending.
std::vector<uint64_t> BlockIndexes(const fs::path& stream_dir) {
  std::vector<uint64_t> out;
  for (const auto& e : fs::directory_iterator(stream_dir / "msgs")) {
    const auto name = e.path().filename().string();
    if (name.size() > 4 && name.ends_with(".blk")) {
      out.push_back(std::stoull(name.substr(0, name.size() - 4)));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Consumers(const fs::path& stream_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(stream_dir / "obs", ec)) return out;
  for (const auto& e : fs::directory_iterator(stream_dir / "obs")) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Le(const std::vector<uint8_t>& b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[off + i]) << (8 * i);
  return v;
}

// Walks the records of a decrypted, uncompressed block (FORMAT.md §3.2) and
// checks every checksum. Returns the number of records.
size_t CheckRecords(const std::vector<uint8_t>& buf, const std::string& stream, uint64_t index) {
  constexpr uint32_t kHbit = 1u << 31;
  const auto key = HashKeyFromString(stream + "-" + std::to_string(index));
  size_t off = 0, records = 0;
  while (off < buf.size()) {
    if (buf.size() - off < 22 + 8) {
      ADD_FAILURE() << "trailing bytes at " << off;
      break;
    }
    const uint32_t raw_rl = static_cast<uint32_t>(Le(buf, off, 4));
    const bool has_hdr = (raw_rl & kHbit) != 0;
    const size_t rl = raw_rl & ~kHbit;
    const size_t slen = static_cast<size_t>(Le(buf, off + 20, 2));
    if (rl < 30 || rl > buf.size() - off || 22 + slen + (has_hdr ? 4 : 0) + 8 > rl) {
      ADD_FAILURE() << "bad record length " << rl << " at " << off;
      break;
    }
    std::span<const uint8_t> rec(buf.data() + off, rl);
    std::span<const uint8_t> seq_ts = rec.subspan(4, 16);
    std::span<const uint8_t> subj = rec.subspan(22, slen);
    size_t p = 22 + slen;
    std::span<const uint8_t> hdr;
    if (has_hdr) {
      const size_t hlen = static_cast<size_t>(Le(buf, off + p, 4));
      p += 4;
      if (hlen > rl - 8 - p) {
        ADD_FAILURE() << "bad header length at " << off;
        break;
      }
      hdr = rec.subspan(p, hlen);
      p += hlen;
    }
    std::span<const uint8_t> msg = rec.subspan(p, rl - 8 - p);
    const uint64_t stored = GetHash64(rec.subspan(rl - 8).first<8>());
    HighwayHash64 h(key);
    h.Update(seq_ts);
    h.Update(subj);
    h.Update(hdr);
    h.Update(msg);
    EXPECT_EQ(h.Sum64(), stored) << "record at " << off << " of block " << index;
    EXPECT_EQ(HighwayHash64Sum(key, {seq_ts, subj, hdr, msg}), stored);
    off += rl;
    ++records;
  }
  return records;
}

TEST(Crypto, GoldenMetaKeyAndMetaInf) {
  REQUIRE_GOLDEN();
  for (const auto& s : Golden::Get().sets()) {
    SCOPED_TRACE(s.name);
    const auto prf = KeyGen(s.js_key, s.account);
    const auto meta_key = MustRead(s.stream_dir / "meta.key");
    const auto meta_inf = MustRead(s.stream_dir / "meta.inf");
    EXPECT_EQ(meta_key.size(), s.cipher == StoreCipher::kChaCha ? 72u : 64u);

    auto aek = RecoverAek(prf, s.cipher, StreamKeyContext(s.stream), meta_key);
    ASSERT_TRUE(aek.has_value()) << aek.error().message();
    auto plain = OpenWithNoncePrefix(**aek, meta_inf);
    ASSERT_TRUE(plain.has_value()) << plain.error().message();
    const auto j = nlohmann::json::parse(plain->begin(), plain->end());
    EXPECT_EQ(j.at("name").get<std::string>(), s.stream);
    EXPECT_TRUE(j.contains("Created"));

    // The server's own path: configured cipher first.
    auto d = DecryptMeta(s.cipher, meta_key, meta_inf, prf, {}, s.stream);
    ASSERT_TRUE(d.has_value()) << d.error().message();
    EXPECT_EQ(d->plain, *plain);
    EXPECT_EQ(d->cipher, s.cipher);
    EXPECT_FALSE(d->converted);
    // Configured with the other cipher, it still finds the right one.
    const StoreCipher other =
        s.cipher == StoreCipher::kChaCha ? StoreCipher::kAes : StoreCipher::kChaCha;
    d = DecryptMeta(other, meta_key, meta_inf, prf, {}, s.stream);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->cipher, s.cipher);
    EXPECT_TRUE(d->converted);
    // The right key only as the old key.
    d = DecryptMeta(s.cipher, meta_key, meta_inf, KeyGen("rotated-key", s.account), prf,
                    s.stream);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(d->used_old_key);
    EXPECT_EQ(d->plain, *plain);

    // meta.sum covers the stored (encrypted) bytes.
    const auto sum = MustRead(s.stream_dir / "meta.sum");
    Hash64Bytes h{};
    PutHash64(HighwayHash64Sum(HashKeyFromString(s.stream), meta_inf), h);
    EXPECT_EQ(std::string(sum.begin(), sum.end()), ToHex(h));
  }
}

TEST(Crypto, GoldenWrongKeyFailsCleanly) {
  REQUIRE_GOLDEN();
  for (const auto& s : Golden::Get().sets()) {
    SCOPED_TRACE(s.name);
    const auto meta_key = MustRead(s.stream_dir / "meta.key");
    const auto meta_inf = MustRead(s.stream_dir / "meta.inf");
    const auto wrong = KeyGen(s.js_key + "x", s.account);
    const auto right = KeyGen(s.js_key, s.account);

    for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
      auto r = RecoverAek(wrong, c, s.stream, meta_key);
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
    // Right key, wrong cipher.
    const StoreCipher other =
        s.cipher == StoreCipher::kChaCha ? StoreCipher::kAes : StoreCipher::kChaCha;
    EXPECT_FALSE(RecoverAek(right, other, s.stream, meta_key).has_value());
    // Right key, wrong account.
    EXPECT_FALSE(RecoverAek(KeyGen(s.js_key, "ACME"), s.cipher, s.stream, meta_key).has_value());

    auto d = DecryptMeta(s.cipher, meta_key, meta_inf, wrong, {}, s.stream);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code(), ErrorCode::kCrypto);
    EXPECT_EQ(d.error().message(), "unable to recover keys");

    // Truncated and bit-flipped key files and meta.inf.
    for (size_t n = 0; n < meta_key.size(); ++n) {
      auto t = RecoverAek(right, s.cipher, s.stream, std::span<const uint8_t>(meta_key).first(n));
      ASSERT_FALSE(t.has_value()) << n;
      EXPECT_EQ(t.error().code(), ErrorCode::kCrypto);
      EXPECT_FALSE(DecryptMeta(s.cipher, std::span<const uint8_t>(meta_key).first(n), meta_inf,
                               right, {}, s.stream)
                       .has_value());
    }
    for (size_t i = 0; i < meta_key.size(); ++i) {
      auto bad = meta_key;
      bad[i] ^= 0x20;
      auto t = RecoverAek(right, s.cipher, s.stream, bad);
      ASSERT_FALSE(t.has_value()) << i;
      EXPECT_EQ(t.error().code(), ErrorCode::kCrypto);
    }
    for (size_t i = 0; i < meta_inf.size(); i += 7) {
      auto bad = meta_inf;
      bad[i] ^= 0x01;
      EXPECT_FALSE(DecryptMeta(s.cipher, meta_key, bad, right, {}, s.stream).has_value()) << i;
    }
    for (size_t n = 0; n < meta_inf.size(); n += 5) {
      EXPECT_FALSE(DecryptMeta(s.cipher, meta_key, std::span<const uint8_t>(meta_inf).first(n),
                               right, {}, s.stream)
                       .has_value());
    }
  }
}

TEST(Crypto, GoldenBlockKeysAndRecords) {
  REQUIRE_GOLDEN();
  std::mt19937_64 rng(5150);
  for (const auto& s : Golden::Get().sets()) {
    SCOPED_TRACE(s.name);
    const auto prf = KeyGen(s.js_key, s.account);
    const auto blocks = BlockIndexes(s.stream_dir);
    ASSERT_FALSE(blocks.empty());
    size_t plain_blocks = 0, compressed_blocks = 0, records = 0;
    for (uint64_t n : blocks) {
      SCOPED_TRACE("block " + std::to_string(n));
      const auto key_file = MustRead(s.stream_dir / "msgs" / (std::to_string(n) + ".key"));
      EXPECT_EQ(key_file.size(), s.cipher == StoreCipher::kChaCha ? 72u : 64u);
      auto keys = RecoverBlockKeys(prf, s.cipher, s.stream, n, key_file);
      ASSERT_TRUE(keys.has_value()) << keys.error().message();
      EXPECT_EQ(keys->nonce.size(), s.cipher == StoreCipher::kChaCha ? 24u : 16u);
      // A neighbour's context does not open it.
      EXPECT_FALSE(RecoverBlockKeys(prf, s.cipher, s.stream, n + 1, key_file).has_value());

      const auto enc = MustRead(s.stream_dir / "msgs" / (std::to_string(n) + ".blk"));
      ASSERT_FALSE(enc.empty());
      std::vector<uint8_t> plain = enc;
      ASSERT_TRUE(keys->bek->XorKeyStream(plain).has_value());

      // The same bytes come out when the file is read in pieces or from an
      // offset (appends continue the keystream at the file length).
      auto bek2 = GenBlockEncryptionKey(s.cipher, keys->seed, keys->nonce);
      ASSERT_TRUE(bek2.has_value());
      for (int round = 0; round < 3; ++round) {
        const size_t a = rng() % enc.size();
        const size_t b = a + rng() % (enc.size() - a + 1);
        std::vector<uint8_t> part(enc.begin() + static_cast<std::ptrdiff_t>(a),
                                  enc.begin() + static_cast<std::ptrdiff_t>(b));
        ASSERT_TRUE((*bek2)->Seek(a).has_value());
        const size_t mid = part.size() / 3;
        ASSERT_TRUE((*bek2)->XorKeyStream(std::span<uint8_t>(part).first(mid)).has_value());
        ASSERT_TRUE((*bek2)->XorKeyStream(std::span<uint8_t>(part).subspan(mid)).has_value());
        EXPECT_TRUE(std::equal(part.begin(), part.end(),
                               plain.begin() + static_cast<std::ptrdiff_t>(a)));
      }

      if (plain.size() >= 5 && plain[0] == 'c' && plain[1] == 'm' && plain[2] == 'p') {
        // Compressed (FORMAT.md §4): algorithm 1 = S2, uvarint length, then
        // an S2 stream that starts with its identifier chunk.
        ++compressed_blocks;
        EXPECT_EQ(plain[3], 1);
        size_t p = 4;
        while (p < plain.size() && (plain[p] & 0x80)) ++p;
        ++p;
        ASSERT_LT(p + 10, plain.size());
        EXPECT_EQ(ToHex(plain.data() + p, 10), "ff06000053327354774f");
      } else {
        ++plain_blocks;
        const size_t count = CheckRecords(plain, s.stream, n);
        EXPECT_GT(count, 0u);
        records += count;
      }

      // v2.9.10 wrote a per-block <N>.idx sealed with the block aek under
      // the key file's nonce; its lchk is the block's last 8 bytes.
      const auto idx_path = s.stream_dir / "msgs" / (std::to_string(n) + ".idx");
      if (fs::exists(idx_path)) {
        const auto sealed_idx = MustRead(idx_path);
        auto idx = keys->aek->Open(keys->nonce, sealed_idx);
        ASSERT_TRUE(idx.has_value()) << idx.error().message();
        ASSERT_GE(idx->size(), 2u);
        EXPECT_EQ((*idx)[0], 22);
        EXPECT_EQ((*idx)[1], 1);
      }
    }
    EXPECT_GT(plain_blocks, 0u);
    EXPECT_GT(records, 0u);
    if (s.name.find("s2") != std::string::npos) {
      EXPECT_GT(compressed_blocks, 0u);
    } else {
      EXPECT_EQ(compressed_blocks, 0u);
    }
  }
}

TEST(Crypto, GoldenIndexDbAndConsumers) {
  REQUIRE_GOLDEN();
  size_t consumers_seen = 0, index_seen = 0;
  for (const auto& s : Golden::Get().sets()) {
    SCOPED_TRACE(s.name);
    const auto prf = KeyGen(s.js_key, s.account);
    auto stream_aek =
        RecoverAek(prf, s.cipher, s.stream, MustRead(s.stream_dir / "meta.key"));
    ASSERT_TRUE(stream_aek.has_value());

    // index.db (FORMAT.md §6): HH64 trailer over nonce ‖ sealed body.
    const auto index_path = s.stream_dir / "msgs" / "index.db";
    if (fs::exists(index_path)) {
      ++index_seen;
      const auto idx = MustRead(index_path);
      ASSERT_GE(idx.size(), 32u);
      const auto body = std::span<const uint8_t>(idx).first(idx.size() - 8);
      EXPECT_EQ(HighwayHash64Sum(HashKeyFromString(s.stream), body),
                GetHash64(std::span<const uint8_t>(idx).last<8>()));
      auto plain = OpenWithNoncePrefix(**stream_aek, body);
      ASSERT_TRUE(plain.has_value()) << plain.error().message();
      ASSERT_GE(plain->size(), 2u);
      EXPECT_EQ((*plain)[0], 11);  // fullStateMagic
      EXPECT_EQ((*plain)[1], 4);   // fullStateVersion
    }

    for (const auto& c : Consumers(s.stream_dir)) {
      SCOPED_TRACE("consumer " + c);
      ++consumers_seen;
      const fs::path odir = s.stream_dir / "obs" / c;
      auto aek = RecoverAek(prf, s.cipher, ConsumerKeyContext(s.stream, c),
                            MustRead(odir / "meta.key"));
      ASSERT_TRUE(aek.has_value()) << aek.error().message();
      // The stream's context does not open a consumer key.
      EXPECT_FALSE(RecoverAek(prf, s.cipher, s.stream, MustRead(odir / "meta.key")).has_value());

      const auto meta_inf = MustRead(odir / "meta.inf");
      auto meta = OpenWithNoncePrefix(**aek, meta_inf);
      ASSERT_TRUE(meta.has_value()) << meta.error().message();
      const auto j = nlohmann::json::parse(meta->begin(), meta->end());
      EXPECT_EQ(j.at("Name").get<std::string>(), c);
      const auto sum = MustRead(odir / "meta.sum");
      Hash64Bytes h{};
      PutHash64(HighwayHash64Sum(HashKeyFromString(s.stream + "/" + c), meta_inf), h);
      EXPECT_EQ(std::string(sum.begin(), sum.end()), ToHex(h));

      if (fs::exists(odir / "o.dat")) {
        auto state = OpenWithNoncePrefix(**aek, MustRead(odir / "o.dat"));
        ASSERT_TRUE(state.has_value()) << state.error().message();
        ASSERT_GE(state->size(), 2u);
        EXPECT_EQ((*state)[0], 22);  // consumer state magic
        EXPECT_EQ((*state)[1], 2);
      }
    }
  }
  EXPECT_GT(index_seen, 0u);  // the 2.14.5 encrypted sets carry index.db
  EXPECT_GT(consumers_seen, 0u);
}

}  // namespace
}  // namespace natscpp::store::crypto
