// Decoding legacy <N>.idx files (FORMAT.md §12.1): both delete-map
// versions, the server's accounting check and quirks, hostile inputs, and
// every .idx in the 2.9.10 golden stores (plaintext and encrypted).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "avl/seqset.h"
#include "crypto/cipher.h"
#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/legacy_index.h"
#include "filestore/record.h"
#include "util/filestore_constants.h"
#include "util/varint.h"

namespace natscpp::store::filestore {
namespace {

namespace fs = std::filesystem;
using util::AppendUvarint;
using util::AppendVarint;

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An index laid out as 2.9.x wrote it (v1) or with an avl dmap (v2).
std::vector<uint8_t> Idx(uint8_t version, uint64_t msgs, uint64_t bytes, uint64_t first, int64_t fts,
                         uint64_t last, int64_t lts, const std::vector<uint64_t>& deleted,
                         uint64_t lchk = 0xa1b2c3d4e5f60718) {
  std::vector<uint8_t> b = {kLegacyIndexMagic, version};
  AppendUvarint(b, msgs);
  AppendUvarint(b, bytes);
  AppendUvarint(b, first);
  AppendVarint(b, fts);
  AppendUvarint(b, last);
  AppendVarint(b, lts);
  AppendUvarint(b, deleted.size());
  uint8_t c[8];
  crypto::PutHash64(lchk, c);
  b.insert(b.end(), c, c + 8);
  if (version == kLegacyIndexNewVersion && !deleted.empty()) {
    avl::SequenceSet ss;
    for (uint64_t d : deleted) ss.Insert(d);
    const auto enc = ss.Encode();
    b.insert(b.end(), enc.begin(), enc.end());
  } else {
    for (uint64_t d : deleted) AppendUvarint(b, d - first);
  }
  return b;
}

TEST(LegacyIndex, DecodesVersionOneAndTwo) {
  for (uint8_t v : {kLegacyIndexVersion, kLegacyIndexNewVersion}) {
    SCOPED_TRACE(int(v));
    auto idx = DecodeLegacyIndex(Idx(v, 7, 777, 10, 1000, 19, 1900, {15, 12, 18}), nullptr, {});
    ASSERT_TRUE(idx.has_value()) << idx.error().message();
    EXPECT_EQ(idx->version, v);
    EXPECT_EQ(idx->msgs, 7u);
    EXPECT_EQ(idx->bytes, 777u);
    EXPECT_EQ(idx->first_seq, 10u);
    EXPECT_EQ(idx->first_ts, 1000);
    EXPECT_EQ(idx->last_seq, 19u);
    EXPECT_EQ(idx->last_ts, 1900);
    EXPECT_EQ(idx->dmap_len, 3u);
    EXPECT_EQ(idx->deleted, (std::vector<uint64_t>{12, 15, 18}));
    EXPECT_EQ(crypto::GetHash64(idx->last_checksum), 0xa1b2c3d4e5f60718u);
  }
}

TEST(LegacyIndex, EmptyBlockAndNegativeTimes) {
  auto idx = DecodeLegacyIndex(Idx(1, 0, 0, 5, -3, 4, -1, {}), nullptr, {});
  ASSERT_TRUE(idx.has_value()) << idx.error().message();
  EXPECT_EQ(idx->msgs, 0u);
  EXPECT_EQ(idx->first_ts, -3);
  EXPECT_TRUE(idx->deleted.empty());
}

TEST(LegacyIndex, ServerQuirksAreKept) {
  // ebit is cleared from every unsigned field, counts included.
  {
    auto b = Idx(1, 3, 30, 1, 0, 3, 0, {});
    std::vector<uint8_t> e = {kLegacyIndexMagic, 1};
    AppendUvarint(e, 3 | kEraseBit);
    AppendUvarint(e, 30 | kEraseBit);
    AppendUvarint(e, 1 | kEraseBit);
    AppendVarint(e, 0);
    AppendUvarint(e, 3);
    AppendVarint(e, 0);
    AppendUvarint(e, 0 | kEraseBit);
    e.insert(e.end(), b.end() - 8, b.end());
    auto idx = DecodeLegacyIndex(e, nullptr, {});
    ASSERT_TRUE(idx.has_value()) << idx.error().message();
    EXPECT_EQ(idx->msgs, 3u);
    EXPECT_EQ(idx->bytes, 30u);
    EXPECT_EQ(idx->first_seq, 1u);
  }
  // Version 1: an offset of 0 or the end of the file stops the list early,
  // without an error.
  {
    auto b = Idx(1, 2, 20, 1, 0, 4, 0, {2, 3});
    b.pop_back();  // drop the second offset
    auto idx = DecodeLegacyIndex(b, nullptr, {});
    ASSERT_TRUE(idx.has_value());
    EXPECT_EQ(idx->deleted, std::vector<uint64_t>{2});
    auto z = Idx(1, 2, 20, 1, 0, 4, 0, {2, 3});
    z[z.size() - 2] = 0;
    idx = DecodeLegacyIndex(z, nullptr, {});
    ASSERT_TRUE(idx.has_value());
    EXPECT_TRUE(idx->deleted.empty());
  }
  // Accounting is checked with wrap-around arithmetic, like the server.
  {
    auto idx = DecodeLegacyIndex(Idx(1, ~0ull >> 1, 0, 5, 0, 3, 0, {}), nullptr, {});
    EXPECT_FALSE(idx.has_value());  // 3-5+1 wraps to 2^64-1; ebit-cleared msgs differs
  }
}

TEST(LegacyIndex, FailedReadsLeaveWhatTheServerAssigned) {
  // Accounting fails: every field is read, the checksum is not taken.
  {
    LegacyIndex out;
    EXPECT_FALSE(ReadLegacyIndexInto(Idx(1, 9, 90, 10, 100, 12, 120, {}), nullptr, {}, out).has_value());
    EXPECT_EQ(out.msgs, 9u);
    EXPECT_EQ(out.first_seq, 10u);
    EXPECT_EQ(out.last_seq, 12u);
    EXPECT_EQ(out.last_ts, 120);
    EXPECT_EQ(out.last_checksum, (std::array<uint8_t, 8>{}));
  }
  // Cut inside the first timestamp: that one reads as -1, later ones 0.
  {
    auto b = Idx(1, 3, 30, 10, -1'000'000, 12, 120, {});
    b.resize(6);  // magic, version, msgs, bytes, first, one byte of a 3-byte varint
    LegacyIndex out;
    EXPECT_FALSE(ReadLegacyIndexInto(b, nullptr, {}, out).has_value());
    EXPECT_EQ(out.msgs, 3u);
    EXPECT_EQ(out.bytes, 30u);
    EXPECT_EQ(out.first_seq, 10u);
    EXPECT_EQ(out.first_ts, -1);
    EXPECT_EQ(out.last_seq, 0u);
    EXPECT_EQ(out.last_ts, 0);
  }
  // A bad avl map: the checksum was taken, the map is left empty.
  {
    auto b = Idx(2, 1, 1, 1, 0, 2, 0, {2});
    b.resize(b.size() - 10);
    LegacyIndex out;
    EXPECT_FALSE(ReadLegacyIndexInto(b, nullptr, {}, out).has_value());
    EXPECT_EQ(crypto::GetHash64(out.last_checksum), 0xa1b2c3d4e5f60718u);
    EXPECT_TRUE(out.deleted.empty());
  }
  // A bad header assigns nothing.
  {
    LegacyIndex out;
    EXPECT_FALSE(ReadLegacyIndexInto(std::vector<uint8_t>{22, 7, 1, 1}, nullptr, {}, out).has_value());
    EXPECT_EQ(out.msgs, 0u);
    EXPECT_EQ(out.version, 0u);
  }
}

TEST(LegacyIndex, Rejections) {
  auto code = [](const std::vector<uint8_t>& b) {
    auto r = DecodeLegacyIndex(b, nullptr, {});
    return r ? ErrorCode::kOk : r.error().code();
  };
  EXPECT_EQ(code({}), ErrorCode::kCorrupt);
  EXPECT_EQ(code({22}), ErrorCode::kCorrupt);
  auto b = Idx(1, 1, 1, 1, 0, 1, 0, {});
  b[0] = 11;
  EXPECT_EQ(code(b), ErrorCode::kCorrupt);
  b[0] = 22;
  b[1] = 3;
  EXPECT_EQ(code(b), ErrorCode::kCorrupt);
  EXPECT_EQ(code(Idx(1, 2, 1, 1, 0, 1, 0, {})), ErrorCode::kCorrupt);  // accounting
  auto shortlchk = Idx(1, 1, 1, 1, 0, 1, 0, {});
  shortlchk.resize(shortlchk.size() - 1);
  EXPECT_EQ(code(shortlchk), ErrorCode::kCorrupt);
  auto badavl = Idx(2, 1, 1, 1, 0, 2, 0, {2});
  badavl.resize(badavl.size() - 10);
  EXPECT_EQ(code(badavl), ErrorCode::kBadEncoding);
}

TEST(LegacyIndex, EncryptedWithBlockNonce) {
  const std::vector<uint8_t> seed(32, 3);
  for (auto c : {crypto::StoreCipher::kChaCha, crypto::StoreCipher::kAes}) {
    auto aek = crypto::GenEncryptionKey(c, seed);
    ASSERT_TRUE(aek.has_value());
    std::vector<uint8_t> nonce((*aek)->NonceSize(), 9);
    const auto plain = Idx(1, 2, 20, 1, 5, 3, 6, {2});
    auto sealed = (*aek)->Seal(nonce, plain);
    ASSERT_TRUE(sealed.has_value());
    auto idx = DecodeLegacyIndex(*sealed, aek->get(), nonce);
    ASSERT_TRUE(idx.has_value()) << idx.error().message();
    EXPECT_EQ(idx->deleted, std::vector<uint64_t>{2});
    auto wrong = nonce;
    wrong[0] ^= 1;
    EXPECT_EQ(DecodeLegacyIndex(*sealed, aek->get(), wrong).error().code(), ErrorCode::kCrypto);
    EXPECT_EQ(DecodeLegacyIndex(*sealed, aek->get(), std::span<const uint8_t>(nonce).first(4)).error().code(),
              ErrorCode::kCrypto);
    for (size_t i = 0; i < sealed->size(); ++i) {
      auto f = *sealed;
      f[i] ^= 0x40;
      EXPECT_EQ(DecodeLegacyIndex(f, aek->get(), nonce).error().code(), ErrorCode::kCrypto) << i;
    }
    for (size_t n = 0; n < sealed->size(); ++n) {
      EXPECT_FALSE(DecodeLegacyIndex(std::span<const uint8_t>(*sealed).first(n), aek->get(), nonce).has_value());
    }
  }
}

TEST(LegacyIndex, HostileInputsNeverCrash) {
  for (uint8_t v : {kLegacyIndexVersion, kLegacyIndexNewVersion}) {
    const auto good = Idx(v, 5, 500, 100, 1, 109, 2, {101, 103, 105, 107, 108});
    for (size_t n = 0; n <= good.size(); ++n) {
      auto r = DecodeLegacyIndex(std::span<const uint8_t>(good).first(n), nullptr, {});
      if (r) {
        EXPECT_LE(r->deleted.size(), r->dmap_len);
      } else {
        EXPECT_FALSE(r.error().message().empty());
      }
    }
    for (size_t i = 0; i < good.size(); ++i) {
      for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        auto f = good;
        f[i] ^= x;
        auto r = DecodeLegacyIndex(f, nullptr, {});
        if (r) {
          EXPECT_EQ(r->msgs, (r->last_seq - r->first_seq + 1) - r->dmap_len);
        } else {
          EXPECT_FALSE(r.error().message().empty());
        }
      }
    }
  }
}

TEST(LegacyIndex, GoldenStores) {
  using natscpp::store::testing::GoldenSets;
  using natscpp::store::testing::GoldenStore;
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  size_t seen = 0, encrypted = 0, matched = 0;
  for (const auto& set : GoldenSets()) {
    if (!set.starts_with("2.9.10/")) continue;
    SCOPED_TRACE(set);
    GoldenStore gs(set);
    ASSERT_TRUE(gs.ok());
    const auto& j = gs.expect();
    const std::string stream = j.at("stream").get<std::string>();
    const std::string scenario = j.at("scenario").get<std::string>();
    const bool clean = scenario != "crash" && scenario != "torn";
    crypto::KeyGenFn prf;
    crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
    if (!j.at("encryption").is_null()) {
      prf = crypto::KeyGen(j.at("encryption").at("key").get<std::string>(), j.at("account").get<std::string>());
      cipher = j.at("encryption").at("cipher") == "aes" ? crypto::StoreCipher::kAes : crypto::StoreCipher::kChaCha;
    }
    std::set<uint64_t> reported;
    for (const auto& d : j.at("state").value("deleted", nlohmann::json::array())) reported.insert(d.get<uint64_t>());
    const auto msgs = gs.stream_dir() / "msgs";
    uint64_t total = 0;
    size_t in_set = 0;
    for (const auto& e : fs::directory_iterator(msgs)) {
      if (e.path().extension() != ".idx") continue;
      const uint64_t n = std::stoull(e.path().stem());
      SCOPED_TRACE(e.path().filename().string());
      ++seen;
      ++in_set;
      std::optional<crypto::BlockKeys> keys;
      std::optional<BlockCipherParams> params;
      const auto file = ReadBytes(e.path());
      if (prf) {
        auto k = crypto::RecoverBlockKeys(prf, cipher, stream, n, ReadBytes(msgs / (std::to_string(n) + ".key")));
        ASSERT_TRUE(k.has_value()) << k.error().message();
        keys = std::move(*k);
        params = BlockCipherParams{cipher, keys->seed, keys->nonce};
        ++encrypted;
        EXPECT_FALSE(DecodeLegacyIndex(file, nullptr, {}).has_value());
      }
      auto idx = DecodeLegacyIndex(file, keys ? keys->aek.get() : nullptr,
                                   keys ? std::span<const uint8_t>(keys->nonce) : std::span<const uint8_t>());
      ASSERT_TRUE(idx.has_value()) << idx.error().message();
      EXPECT_EQ(idx->version, kLegacyIndexVersion);  // 2.9.x writes version 1
      EXPECT_EQ(idx->deleted.size(), idx->dmap_len);
      for (uint64_t d : idx->deleted) {
        EXPECT_GT(d, idx->first_seq);
        EXPECT_LE(d, idx->last_seq);
      }
      // The block it describes: when the checksums agree (the case where the
      // server trusts the index) the sequences agree with a scan.
      auto plain = LoadBlockPlaintext(msgs / (std::to_string(n) + ".blk"), params);
      ASSERT_TRUE(plain.has_value());
      const auto scan = ScanBlock(*plain, BlockHashKey(stream, n));
      if (scan.last_checksum == idx->last_checksum) {
        ++matched;
        EXPECT_EQ(idx->last_seq, scan.last_seq);
        EXPECT_LE(idx->msgs, scan.msgs);
        for (uint64_t d : idx->deleted) EXPECT_TRUE(reported.contains(d)) << d;
        total += idx->msgs;
      } else {
        EXPECT_FALSE(clean) << "a cleanly stopped 2.9.10 left a stale index";
      }
    }
    EXPECT_GT(in_set, 0u);
    if (clean) {
      EXPECT_EQ(total, j.at("state").at("messages").get<uint64_t>());
    }
  }
  EXPECT_GT(seen, 0u);
  EXPECT_GT(encrypted, 0u);
  EXPECT_GT(matched, 0u);
}

}  // namespace
}  // namespace natscpp::store::filestore
