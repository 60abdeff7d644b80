// Loading and scanning message blocks: synthetic blocks for the scanning
// rules (FORMAT.md §3.4), encryption and compression round trips, and every
// golden store written by real servers (v2.14.5 and v2.9.10).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "crypto/cipher.h"
#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/record.h"
#include "s2/compression.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore {
namespace {

namespace fs = std::filesystem;

std::span<const uint8_t> B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

const crypto::HashKey& Key() {
  static const crypto::HashKey k = BlockHashKey("TEST", 1);
  return k;
}

void Msg(std::vector<uint8_t>& b, uint64_t seq, std::string_view data = "data") {
  AppendRecord(b, Key(), seq, static_cast<int64_t>(seq * 10), "subj", {}, B(data));
}

std::vector<uint64_t> Deleted(const BlockSummary& s) {
  std::vector<uint64_t> out;
  for (const auto& [f, l] : s.deleted.Ranges()) {
    for (uint64_t q = f; q <= l; ++q) out.push_back(q);
  }
  return out;
}

TEST(BlockFile, ScanCountsMessagesGapsSkipsAndTombstones) {
  std::vector<uint8_t> b;
  Msg(b, 1);
  Msg(b, 2);
  Msg(b, 3);
  const size_t one = b.size() / 3;
  Msg(b, 5);  // 4 was compacted away
  AppendSkipRecord(b, Key(), 6, 60);
  AppendTombstoneRecord(b, Key(), 2, 20);
  Msg(b, 7);
  const auto s = ScanBlock(b, Key());
  EXPECT_FALSE(s.bad_offset.has_value()) << s.bad_reason;
  EXPECT_EQ(s.records.size(), 7u);
  EXPECT_EQ(s.first_seq, 1u);
  EXPECT_EQ(s.first_ts, 10);
  EXPECT_EQ(s.last_seq, 7u);
  EXPECT_EQ(s.last_ts, 70);
  EXPECT_EQ(s.msgs, 5u);
  EXPECT_EQ(s.bytes, 5 * one);
  EXPECT_EQ(s.raw_bytes, b.size());
  EXPECT_EQ(Deleted(s), (std::vector<uint64_t>{4, 6}));
  EXPECT_EQ(s.tombstones, (std::vector<uint64_t>{2}));
  EXPECT_TRUE(std::equal(s.last_checksum.begin(), s.last_checksum.end(), b.end() - 8));
  EXPECT_EQ(s.records[4].seq, 6u);
  EXPECT_TRUE(s.records[4].erased);
  EXPECT_TRUE(s.records[5].tombstone);
  EXPECT_EQ(s.records[6].offset, b.size() - one);
}

TEST(BlockFile, ScanLeadingSkipsMoveFirst) {
  std::vector<uint8_t> b;
  AppendSkipRecord(b, Key(), 10, 100);
  AppendSkipRecord(b, Key(), 11, 110);
  Msg(b, 12);
  const auto s = ScanBlock(b, Key());
  EXPECT_FALSE(s.bad_offset.has_value());
  EXPECT_EQ(s.first_seq, 12u);
  EXPECT_EQ(s.last_seq, 12u);
  EXPECT_EQ(s.msgs, 1u);
  EXPECT_TRUE(s.deleted.Empty());

  // Only skips: an empty block whose last is first-1.
  std::vector<uint8_t> only;
  AppendSkipRecord(only, Key(), 20, 200);
  const auto e = ScanBlock(only, Key());
  EXPECT_EQ(e.msgs, 0u);
  EXPECT_EQ(e.first_seq, 21u);
  EXPECT_EQ(e.last_seq, 20u);
}

TEST(BlockFile, ScanTombstonesOnly) {
  std::vector<uint8_t> b;
  AppendTombstoneRecord(b, Key(), 9, 90);
  AppendTombstoneRecord(b, Key(), 5, 50);
  const auto s = ScanBlock(b, Key());
  EXPECT_FALSE(s.bad_offset.has_value());
  EXPECT_EQ(s.msgs, 0u);
  EXPECT_EQ(s.first_seq, 10u);
  EXPECT_EQ(s.first_ts, 0);
  EXPECT_EQ(s.last_seq, 9u);
  EXPECT_EQ(s.last_ts, 90);
  EXPECT_EQ(s.tombstones, (std::vector<uint64_t>{9, 5}));
}

TEST(BlockFile, ScanSkipsRepeatedAndLowerSequences) {
  std::vector<uint8_t> b;
  Msg(b, 1);
  Msg(b, 2);
  Msg(b, 2);
  Msg(b, 1);
  Msg(b, 3);
  const auto s = ScanBlock(b, Key());
  EXPECT_EQ(s.records.size(), 5u);
  EXPECT_EQ(s.msgs, 3u);
  EXPECT_EQ(s.last_seq, 3u);
  EXPECT_TRUE(s.deleted.Empty());
}

TEST(BlockFile, ScanHugeGapIsOneRange) {
  std::vector<uint8_t> b;
  Msg(b, 1);
  Msg(b, 2);
  Msg(b, (1ull << 61));
  const auto s = ScanBlock(b, Key());
  EXPECT_EQ(s.msgs, 3u);
  EXPECT_EQ(s.deleted.Count(), (1ull << 61) - 3);
  EXPECT_TRUE(s.deleted.Contains(3));
  EXPECT_FALSE(s.deleted.Contains(2));
  EXPECT_FALSE(s.deleted.Contains(1ull << 61));
}

TEST(BlockFile, ScanStopsAtFirstBadRecord) {
  std::vector<uint8_t> b;
  Msg(b, 1);
  const size_t one = b.size();
  Msg(b, 2);
  Msg(b, 3);
  // Torn inside the last record.
  for (size_t cut = 2 * one + 1; cut < 3 * one; ++cut) {
    const auto s = ScanBlock(std::span<const uint8_t>(b).first(cut), Key());
    ASSERT_TRUE(s.bad_offset.has_value()) << cut;
    EXPECT_EQ(*s.bad_offset, 2 * one);
    EXPECT_FALSE(s.bad_reason.empty());
    EXPECT_EQ(s.records.size(), 2u);
    EXPECT_EQ(s.last_seq, 2u);
    EXPECT_EQ(s.msgs, 2u);
  }
  // A damaged middle record hides everything after it.
  auto bad = b;
  bad[one + 25] ^= 0x10;
  const auto s = ScanBlock(bad, Key());
  ASSERT_TRUE(s.bad_offset.has_value());
  EXPECT_EQ(*s.bad_offset, one);
  EXPECT_EQ(s.bad_reason, "invalid checksum");
  EXPECT_EQ(s.msgs, 1u);
  EXPECT_EQ(s.last_seq, 1u);
  // Wrong key: the first record already fails.
  const auto w = ScanBlock(b, BlockHashKey("TEST", 2));
  ASSERT_TRUE(w.bad_offset.has_value());
  EXPECT_EQ(*w.bad_offset, 0u);
  EXPECT_EQ(w.msgs, 0u);
}

TEST(BlockFile, DeletedSequencesMerge) {
  DeletedSequences d;
  d.Insert(5, 5);
  d.Insert(7, 9);
  d.Insert(6, 6);
  EXPECT_EQ(d.Ranges().size(), 1u);
  EXPECT_EQ(d.Count(), 5u);
  d.Insert(20, 10);  // empty range
  EXPECT_EQ(d.Count(), 5u);
  d.Insert(1, 3);
  d.Insert(UINT64_MAX - 1, UINT64_MAX);
  d.Insert(UINT64_MAX, UINT64_MAX);
  EXPECT_EQ(d.Ranges().size(), 3u);
  EXPECT_TRUE(d.Contains(UINT64_MAX));
  EXPECT_FALSE(d.Contains(4));
  d.Insert(2, 8);
  EXPECT_EQ(d.Ranges().size(), 2u);
  EXPECT_EQ(d.Count(), 9u + 2u);
}

TEST(BlockFile, DecodeEncryptedAndCompressed) {
  std::vector<uint8_t> plain;
  for (uint64_t q = 1; q <= 200; ++q) Msg(plain, q, std::string(100, static_cast<char>('a' + q % 26)));
  std::vector<uint8_t> seed(32, 7), nonce24(24, 3), nonce16(16, 4);

  // Uncompressed and unencrypted: unchanged.
  auto r = DecodeBlock(plain, std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, plain);

  // Compressed: cmp header, S2 body.
  s2::CompressionInfo ci{s2::StoreCompression::kS2, plain.size()};
  auto stored = ci.MarshalMetadata();
  auto body = s2::Compress(s2::StoreCompression::kS2, plain);
  ASSERT_TRUE(body.has_value());
  stored.insert(stored.end(), body->begin(), body->end());
  EXPECT_LT(stored.size(), plain.size());
  r = DecodeBlock(stored, std::nullopt);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(*r, plain);

  for (auto [cipher, nonce] : {std::pair{crypto::StoreCipher::kChaCha, nonce24},
                               std::pair{crypto::StoreCipher::kAes, nonce16}}) {
    // Compress, then encrypt the whole file with one keystream.
    auto bek = crypto::GenBlockEncryptionKey(cipher, seed, nonce);
    ASSERT_TRUE(bek.has_value());
    auto enc = stored;
    ASSERT_TRUE((*bek)->XorKeyStream(enc).has_value());
    const BlockCipherParams p{cipher, seed, nonce};
    r = DecodeBlock(enc, p);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(*r, plain);
    const auto s = ScanBlock(*r, Key());
    EXPECT_FALSE(s.bad_offset.has_value());
    EXPECT_EQ(s.msgs, 200u);
    // Without the key the bytes are noise.
    auto noise = DecodeBlock(enc, std::nullopt);
    if (noise) {
      EXPECT_TRUE(ScanBlock(*noise, Key()).bad_offset.has_value());
    }
  }

  // A cmp header with a cut-off size varint is an error, not data.
  std::vector<uint8_t> cut = {'c', 'm', 'p', 1, 0x80};
  EXPECT_FALSE(DecodeBlock(cut, std::nullopt).has_value());
  // A corrupt compressed body is an error (S2 chunk CRCs).
  auto broken = stored;
  broken[broken.size() / 2] ^= 0xFF;
  EXPECT_FALSE(DecodeBlock(broken, std::nullopt).has_value());
  // Empty block.
  r = DecodeBlock({}, BlockCipherParams{crypto::StoreCipher::kChaCha, seed, nonce24});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
}

TEST(BlockFile, LoadMissingFile) {
  auto r = LoadBlockPlaintext("/nonexistent/dir/msgs/1.blk", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

// ---- golden stores ----

std::string Base64Decode(const std::string& in) {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto pos = kAlpha.find(c);
    if (pos == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

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

TEST(BlockFile, GoldenStoresLoadScanAndMatchMessages) {
  using natscpp::store::testing::GoldenSets;
  using natscpp::store::testing::GoldenStore;
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  const auto sets = GoldenSets();
  ASSERT_FALSE(sets.empty());
  size_t torn_seen = 0, compressed_seen = 0, encrypted_seen = 0;
  for (const auto& set : sets) {
    SCOPED_TRACE(set);
    GoldenStore gs(set);
    ASSERT_TRUE(gs.ok());
    const auto& j = gs.expect();
    const std::string stream = j.at("stream").get<std::string>();
    const bool torn = j.at("scenario").get<std::string>() == "torn";
    crypto::KeyGenFn prf;
    crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
    if (!j.at("encryption").is_null()) {
      prf = crypto::KeyGen(j.at("encryption").at("key").get<std::string>(),
                           j.at("account").get<std::string>());
      cipher = j.at("encryption").at("cipher").get<std::string>() == "aes"
                   ? crypto::StoreCipher::kAes
                   : crypto::StoreCipher::kChaCha;
      ++encrypted_seen;
    }
    const auto dir = gs.stream_dir();
    const auto blocks = BlockIndexes(dir);
    ASSERT_FALSE(blocks.empty());

    struct Where {
      uint64_t block;
      uint64_t offset;
    };
    std::map<uint64_t, Where> live;
    std::set<uint64_t> tombstoned;
    std::map<uint64_t, std::vector<uint8_t>> plains;
    uint64_t max_last = 0;
    for (uint64_t n : blocks) {
      SCOPED_TRACE("block " + std::to_string(n));
      std::optional<crypto::BlockKeys> keys;
      std::optional<BlockCipherParams> params;
      if (prf) {
        auto k = crypto::RecoverBlockKeys(prf, cipher, stream, n,
                                          ReadBytes(dir / "msgs" / (std::to_string(n) + ".key")));
        ASSERT_TRUE(k.has_value()) << k.error().message();
        keys = std::move(*k);
        params = BlockCipherParams{cipher, keys->seed, keys->nonce};
      }
      const auto blk = dir / "msgs" / (std::to_string(n) + ".blk");
      const auto stored = ReadBytes(blk);
      auto plain = LoadBlockPlaintext(blk, params);
      ASSERT_TRUE(plain.has_value()) << plain.error().message();
      if (plain->size() != stored.size()) ++compressed_seen;
      const auto key = BlockHashKey(stream, n);
      const auto s = ScanBlock(*plain, key);
      EXPECT_EQ(s.raw_bytes, plain->size());
      if (torn && n == blocks.back()) {
        ++torn_seen;
        ASSERT_TRUE(s.bad_offset.has_value()) << "torn block scanned clean";
        ASSERT_FALSE(s.records.empty());
        // The cut is inside the last record: it starts right after the last
        // good record and reaches the end of the file.
        const auto& lastrec = s.records.back();
        EXPECT_EQ(*s.bad_offset, lastrec.offset + lastrec.length);
        EXPECT_LT(*s.bad_offset, plain->size());
        auto torn_rec = ParseRecord(std::span<const uint8_t>(*plain).subspan(*s.bad_offset), key,
                                    true);
        EXPECT_FALSE(torn_rec.has_value());
      } else {
        EXPECT_FALSE(s.bad_offset.has_value())
            << "bad record at " << *s.bad_offset << ": " << s.bad_reason;
      }
      EXPECT_FALSE(s.records.empty());
      max_last = std::max(max_last, s.last_seq);
      uint64_t counted = 0;
      for (const auto& r : s.records) {
        // Every record re-encodes to exactly the bytes the server wrote.
        const auto bytes = std::span<const uint8_t>(*plain).subspan(r.offset, r.length);
        auto v = ParseRecord(bytes, key, true);
        ASSERT_TRUE(v.has_value());
        std::vector<uint8_t> again;
        const uint64_t flags = (r.erased ? kEraseBit : 0) | (r.tombstone ? kTombstoneBit : 0);
        AppendRecord(again, key, r.seq | flags, r.ts,
                     std::string_view(reinterpret_cast<const char*>(v->subject.data()),
                                      v->subject.size()),
                     v->hdr, v->msg);
        if (v->has_headers && v->hdr.empty()) {
          ADD_FAILURE() << "record with an empty header section at " << r.offset;
        } else {
          EXPECT_TRUE(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()))
              << "record at " << r.offset;
        }
        if (r.tombstone) {
          tombstoned.insert(r.seq);
        } else if (!r.erased && r.seq != 0 && !s.deleted.Contains(r.seq)) {
          if (!live.contains(r.seq)) ++counted;
          live[r.seq] = Where{n, r.offset};
        }
      }
      EXPECT_GE(counted, s.msgs);
      plains.emplace(n, std::move(*plain));
    }
    for (uint64_t t : tombstoned) live.erase(t);
    EXPECT_EQ(max_last, j.at("state").at("last_seq").get<uint64_t>());

    const auto& expected = j.at("messages");
    ASSERT_FALSE(expected.empty());
    for (const auto& m : expected) {
      const uint64_t seq = m.at("seq").get<uint64_t>();
      auto it = live.find(seq);
      ASSERT_NE(it, live.end()) << "expected message " << seq << " not found";
      const auto& plain = plains.at(it->second.block);
      auto v = ParseRecord(std::span<const uint8_t>(plain).subspan(it->second.offset),
                           BlockHashKey(stream, it->second.block), true);
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(v->seq, seq);
      EXPECT_EQ(std::string(v->subject.begin(), v->subject.end()),
                m.at("subject").get<std::string>())
          << seq;
      EXPECT_EQ(std::string(v->hdr.begin(), v->hdr.end()), Base64Decode(m.at("hdrs").get<std::string>()))
          << seq;
      EXPECT_EQ(std::string(v->msg.begin(), v->msg.end()), Base64Decode(m.at("data").get<std::string>()))
          << seq;
    }
    // Stores written by 2.14.5 keep their deletes in index.db and tombstones,
    // 2.9.10 ones partly in .idx files only (FORMAT.md §12.2), so records that
    // look live may outnumber the expected messages, never the reverse.
    EXPECT_GE(live.size(), expected.size());
  }
  EXPECT_GE(torn_seen, 2u);
  EXPECT_GT(compressed_seen, 0u);
  EXPECT_GE(encrypted_seen, 6u);
}

}  // namespace
}  // namespace natscpp::store::filestore
