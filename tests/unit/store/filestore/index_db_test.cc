// Decoding msgs/index.db (FORMAT.md §6): synthetic files for each rule of the
// server's parser (versions, subject entries, dropped blocks, relative
// times, every failure), hostile inputs, and every index.db in the golden
// stores, plaintext and encrypted.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "avl/seqset.h"
#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/index_db.h"
#include "filestore/record.h"
#include "natscpp/store/go_time.h"
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

// Appends the HH64 trailer the server puts after the (sealed) body.
std::vector<uint8_t> Sign(std::vector<uint8_t> body, std::string_view stream) {
  uint8_t h[8];
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(stream), body), h);
  body.insert(body.end(), h, h + 8);
  return body;
}

struct TestBlock {
  uint32_t index;
  uint64_t bytes, first, last;
  int64_t fts, lts;
  std::vector<uint64_t> deleted;
  uint64_t ttls = 0, schedules = 0;
};
struct TestSubject {
  std::string subj;
  uint64_t total;
  uint32_t fblk, lblk;
};

// A body laid out as the server's writer lays it out for `version`.
std::vector<uint8_t> Body(uint8_t version, uint64_t msgs, uint64_t bytes, uint64_t fseq, int64_t fts,
                          uint64_t lseq, int64_t lts, const std::vector<TestSubject>& subjects,
                          const std::vector<TestBlock>& blocks, uint32_t lbi, uint64_t lchk) {
  std::vector<uint8_t> b = {kFullStateMagic, version};
  AppendUvarint(b, msgs);
  AppendUvarint(b, bytes);
  AppendUvarint(b, fseq);
  AppendVarint(b, fts);
  AppendUvarint(b, lseq);
  AppendVarint(b, lts);
  AppendUvarint(b, subjects.size());
  for (const auto& s : subjects) {
    AppendUvarint(b, s.subj.size());
    b.insert(b.end(), s.subj.begin(), s.subj.end());
    AppendUvarint(b, s.total);
    AppendUvarint(b, s.fblk);
    if (version >= 4 || s.total > 1) AppendUvarint(b, s.lblk);
  }
  AppendUvarint(b, blocks.size());
  for (const auto& blk : blocks) {
    AppendUvarint(b, blk.index);
    AppendUvarint(b, blk.bytes);
    AppendUvarint(b, blk.first);
    AppendVarint(b, blk.fts - fts);
    AppendUvarint(b, blk.last);
    AppendVarint(b, blk.lts - fts);
    AppendUvarint(b, blk.deleted.size());
    if (version >= 2) AppendUvarint(b, blk.ttls);
    if (version >= 3) AppendUvarint(b, blk.schedules);
    if (!blk.deleted.empty()) {
      avl::SequenceSet ss;
      for (uint64_t d : blk.deleted) ss.Insert(d);
      const auto enc = ss.Encode();
      b.insert(b.end(), enc.begin(), enc.end());
    }
  }
  AppendUvarint(b, lbi);
  uint8_t c[8];
  crypto::PutHash64(lchk, c);
  b.insert(b.end(), c, c + 8);
  return b;
}

constexpr int64_t kBase = 1'700'000'000'000'000'000;

std::vector<uint8_t> Sample(uint8_t version) {
  return Body(version, 7, 700, 1, kBase, 10, kBase + 900,
              {{"a.b", 5, 1, 2}, {"c", 1, 2, 2}, {"d.>", 1, 2, 2}},
              {{1, 300, 1, 5, kBase, kBase + 400, {2, 3}, 1, 0},
               {2, 400, 6, 10, kBase + 500, kBase + 900, {7}, 0, 2}},
              2, 0x1122334455667788);
}

TEST(IndexDb, DecodesEveryVersion) {
  for (uint8_t v = 1; v <= 4; ++v) {
    SCOPED_TRACE(int(v));
    auto st = DecodeFullState(Sign(Sample(v), "S"), "S", nullptr);
    ASSERT_TRUE(st.has_value()) << st.error().message();
    EXPECT_EQ(st->version, v);
    EXPECT_EQ(st->msgs, 7u);
    EXPECT_EQ(st->bytes, 700u);
    EXPECT_EQ(st->first_seq, 1u);
    EXPECT_EQ(st->first_ts, kBase);
    EXPECT_EQ(st->last_seq, 10u);
    EXPECT_EQ(st->last_ts, kBase + 900);
    ASSERT_EQ(st->subjects.size(), 3u);
    EXPECT_EQ(st->subjects[0].subject, "a.b");
    EXPECT_EQ(st->subjects[0].total, 5u);
    EXPECT_EQ(st->subjects[0].first_block, 1u);
    EXPECT_EQ(st->subjects[0].last_block, 2u);
    // A single-message subject has no last block before version 4.
    EXPECT_EQ(st->subjects[1].first_block, 2u);
    EXPECT_EQ(st->subjects[1].last_block, 2u);
    ASSERT_EQ(st->blocks.size(), 2u);
    const auto& b1 = st->blocks[0];
    EXPECT_EQ(b1.index, 1u);
    EXPECT_EQ(b1.bytes, 300u);
    EXPECT_EQ(b1.first_seq, 1u);
    EXPECT_EQ(b1.last_seq, 5u);
    EXPECT_EQ(b1.first_ts, kBase);
    EXPECT_EQ(b1.last_ts, kBase + 400);
    EXPECT_EQ(b1.num_deleted, 2u);
    EXPECT_EQ(b1.msgs, 3u);
    EXPECT_TRUE(b1.deleted.Exists(2));
    EXPECT_TRUE(b1.deleted.Exists(3));
    EXPECT_EQ(b1.ttls, v >= 2 ? 1u : 0u);
    EXPECT_EQ(st->blocks[1].schedules, v >= 3 ? 2u : 0u);
    EXPECT_EQ(st->blocks[1].msgs, 4u);
    EXPECT_EQ(st->blocks[1].first_ts, kBase + 500);
    EXPECT_EQ(st->last_block_index, 2u);
    EXPECT_EQ(crypto::GetHash64(st->last_checksum), 0x1122334455667788u);
    EXPECT_EQ(st->dropped_blocks, 0u);
    const auto t = TrackingStateFromBlocks(st->blocks);
    EXPECT_EQ(t.msgs, 7u);
    EXPECT_EQ(t.bytes, 700u);
    EXPECT_EQ(t.first_seq, 1u);
    EXPECT_EQ(t.last_seq, 10u);
    EXPECT_TRUE(TrackingStatesEqual(*st, t));
  }
}

TEST(IndexDb, SubjectLastBlockRuleDependsOnVersion) {
  // Written as version 4 (last block always present) but labelled 3: the
  // reader then takes the single-message subject's last block as the next
  // subject's length, and the file no longer parses the same way.
  auto body = Body(4, 1, 1, 1, kBase, 1, kBase, {{"x", 1, 3, 3}}, {{3, 1, 1, 1, kBase, kBase, {}}}, 3, 0);
  auto ok = DecodeFullState(Sign(body, "S"), "S", nullptr);
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->subjects[0].last_block, 3u);
  body[1] = 3;
  auto v3 = DecodeFullState(Sign(body, "S"), "S", nullptr);
  if (v3) {
    ASSERT_FALSE(v3->blocks.empty());
    EXPECT_NE(v3->blocks[0].index, 3u);
  }
}

TEST(IndexDb, ZeroBaseTimeKeepsBlockTimesAbsolute) {
  auto st = DecodeFullState(
      Sign(Body(4, 0, 0, 0, 0, 0, 0, {}, {{4, 0, 11, 10, 0, kBase + 5, {}}}, 4, 0), "S"), "S", nullptr);
  ASSERT_TRUE(st.has_value()) << st.error().message();
  EXPECT_EQ(st->first_ts, 0);
  ASSERT_EQ(st->blocks.size(), 1u);
  EXPECT_EQ(st->blocks[0].last_ts, kBase + 5);
  EXPECT_EQ(st->blocks[0].msgs, 0u);  // first = last + 1: an empty block
}

TEST(IndexDb, DropsEmptyBlocksExceptTheFinalEntry) {
  auto st = DecodeFullState(
      Sign(Body(4, 1, 10, 3, kBase, 3, kBase, {},
                {{1, 0, 1, 2, kBase, kBase, {1, 2}},   // all deleted: dropped
                 {2, 10, 3, 3, kBase, kBase, {}},
                 {3, 0, 4, 3, 0, kBase, {}}},          // empty but final: kept
                3, 0),
           "S"),
      "S", nullptr);
  ASSERT_TRUE(st.has_value()) << st.error().message();
  ASSERT_EQ(st->blocks.size(), 2u);
  EXPECT_EQ(st->blocks[0].index, 2u);
  EXPECT_EQ(st->blocks[1].index, 3u);
  EXPECT_EQ(st->blocks[1].msgs, 0u);
  EXPECT_EQ(st->dropped_blocks, 1u);
  // msgs is floored at 0 when more deletes are recorded than the range holds.
  auto over = DecodeFullState(
      Sign(Body(4, 0, 0, 5, kBase, 5, kBase, {}, {{1, 0, 5, 5, kBase, kBase, {5, 6, 7}}}, 1, 0), "S"),
      "S", nullptr);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->blocks[0].msgs, 0u);
  EXPECT_EQ(over->blocks[0].num_deleted, 3u);
}

TEST(IndexDb, DuplicateSubjectKeepsLastValues) {
  auto st = DecodeFullState(
      Sign(Body(4, 3, 3, 1, kBase, 3, kBase, {{"a", 1, 1, 1}, {"b", 1, 1, 1}, {"a", 2, 1, 1}},
                {{1, 3, 1, 3, kBase, kBase, {}}}, 1, 0),
           "S"),
      "S", nullptr);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->subjects.size(), 2u);
  EXPECT_EQ(st->subjects[0].subject, "a");
  EXPECT_EQ(st->subjects[0].total, 2u);
}

TEST(IndexDb, TrackingStatesEqualFollowsServer) {
  FullState h;
  h.msgs = 5;
  h.bytes = 50;
  h.first_seq = 0;
  h.last_seq = 9;
  // Blocks starting at 1: first sequence not compared.
  EXPECT_TRUE(TrackingStatesEqual(h, TrackingState{5, 50, 1, 9}));
  EXPECT_FALSE(TrackingStatesEqual(h, TrackingState{5, 50, 2, 9}));
  h.first_seq = 2;
  EXPECT_TRUE(TrackingStatesEqual(h, TrackingState{5, 50, 2, 9}));
  EXPECT_FALSE(TrackingStatesEqual(h, TrackingState{4, 50, 2, 9}));
  EXPECT_FALSE(TrackingStatesEqual(h, TrackingState{5, 51, 2, 9}));
  // A block without a first time cannot lower the first sequence.
  std::vector<FullStateBlock> blocks(2);
  blocks[0].first_seq = 10;
  blocks[0].first_ts = 1;
  blocks[0].last_seq = 12;
  blocks[1].first_seq = 3;
  blocks[1].first_ts = 0;
  blocks[1].last_seq = 4;
  EXPECT_EQ(TrackingStateFromBlocks(blocks).first_seq, 10u);
  blocks[1].first_ts = 7;
  EXPECT_EQ(TrackingStateFromBlocks(blocks).first_seq, 3u);
  EXPECT_EQ(TrackingStateFromBlocks(blocks).last_seq, 12u);
}

TEST(IndexDb, RejectsWhatTheServerRejects) {
  auto code = [](const std::vector<uint8_t>& file) {
    auto r = DecodeFullState(file, "S", nullptr);
    return r ? ErrorCode::kOk : r.error().code();
  };
  const auto good = Sign(Sample(4), "S");
  EXPECT_EQ(code(good), ErrorCode::kOk);
  // Too short, even with a valid trailer.
  EXPECT_EQ(code(Sign(std::vector<uint8_t>(23, 0), "S")), ErrorCode::kCorruptStreamState);
  // Trailer keyed with another stream name.
  EXPECT_EQ(code(Sign(Sample(4), "T")), ErrorCode::kCorruptStreamState);
  // Magic and version range.
  for (uint8_t v : {uint8_t{0}, uint8_t{5}, uint8_t{255}}) {
    auto b = Sample(4);
    b[1] = v;
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState) << int(v);
  }
  auto bad_magic = Sample(4);
  bad_magic[0] = 22;
  EXPECT_EQ(code(Sign(bad_magic, "S")), ErrorCode::kCorruptStreamState);
  // Invalid subjects (checked with runes, so bad UTF-8 too).
  for (const std::string& s : std::vector<std::string>{"a..b", "a b", std::string("a\0b", 3), "\xff\xfe", ">.a"}) {
    auto b = Body(4, 1, 1, 1, kBase, 1, kBase, {{s, 1, 1, 1}}, {{1, 1, 1, 1, kBase, kBase, {}}}, 1, 0);
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState) << s;
  }
  // Subject length past the end.
  {
    std::vector<uint8_t> b = {kFullStateMagic, 4, 0, 0, 0, 0, 0, 0, 1, 100};
    b.resize(40, 'a');
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState);
  }
  // Bad avl dmap.
  {
    auto b = Body(4, 1, 1, 1, kBase, 2, kBase, {}, {{1, 1, 1, 2, kBase, kBase, {2}}}, 1, 0);
    // Find the seqset magic and break its version byte.
    for (size_t i = 0; i + 1 < b.size(); ++i) {
      if (b[i] == avl::kMagic && b[i + 1] == avl::kVersion) {
        b[i + 1] = 9;
        break;
      }
    }
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState);
  }
  // Missing last checksum.
  {
    auto b = Sample(4);
    b.resize(b.size() - 3);
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState);
  }
  // A varint failing among the subjects with no blocks after it: the server
  // would slice at -1 here; we report it cleanly.
  {
    std::vector<uint8_t> b = {kFullStateMagic, 4, 0, 0, 0, 0, 0, 0, 1, 1, 'a'};
    b.resize(30, 0x80);
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState);
  }
  // Huge counts do not allocate or loop: the top bit makes them "none".
  {
    std::vector<uint8_t> b = {kFullStateMagic, 4, 0, 0, 0, 0, 0, 0};
    AppendUvarint(b, ~0ull);  // subjects
    AppendUvarint(b, 1ull << 62);  // blocks
    b.resize(40, 0);
    EXPECT_EQ(code(Sign(b, "S")), ErrorCode::kCorruptStreamState);
  }
}

TEST(IndexDb, HostileInputsNeverCrash) {
  const auto body = Sample(4);
  const auto good = Sign(body, "S");
  // Truncated files fail the trailer (or the length check).
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeFullState(std::span<const uint8_t>(good).first(n), "S", nullptr);
    EXPECT_FALSE(r.has_value()) << n;
  }
  // Truncated bodies with a matching trailer reach the parser.
  for (size_t n = 0; n < body.size(); ++n) {
    auto f = Sign(std::vector<uint8_t>(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)), "S");
    auto r = DecodeFullState(f, "S", nullptr);
    EXPECT_FALSE(r.has_value()) << n;
  }
  // Every byte flipped: the trailer catches it; re-signed, the parser must
  // either decode or fail cleanly.
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      auto f = good;
      f[i] ^= x;
      EXPECT_FALSE(DecodeFullState(f, "S", nullptr).has_value()) << i;
      if (i < body.size()) {
        auto g = body;
        g[i] ^= x;
        auto r = DecodeFullState(Sign(g, "S"), "S", nullptr);
        if (!r) {
          EXPECT_FALSE(r.error().message().empty());
        }
      }
    }
  }
}

TEST(IndexDb, EncryptedBody) {
  std::vector<uint8_t> seed(32, 7);
  for (auto c : {crypto::StoreCipher::kChaCha, crypto::StoreCipher::kAes}) {
    auto aek = crypto::GenEncryptionKey(c, seed);
    ASSERT_TRUE(aek.has_value());
    auto sealed = crypto::SealWithRandomNonce(**aek, Sample(4));
    ASSERT_TRUE(sealed.has_value());
    const auto f = Sign(*sealed, "S");
    auto st = DecodeFullState(f, "S", aek->get());
    ASSERT_TRUE(st.has_value()) << st.error().message();
    EXPECT_EQ(st->msgs, 7u);
    // Without the key the sealed body is not a state; with another key it
    // does not open.
    EXPECT_EQ(DecodeFullState(f, "S", nullptr).error().code(), ErrorCode::kCorruptStreamState);
    auto other = crypto::GenEncryptionKey(c, std::vector<uint8_t>(32, 8));
    EXPECT_EQ(DecodeFullState(f, "S", other->get()).error().code(), ErrorCode::kCrypto);
    // A plaintext body given a key fails to open.
    EXPECT_EQ(DecodeFullState(Sign(Sample(4), "S"), "S", aek->get()).error().code(), ErrorCode::kCrypto);
  }
}

TEST(IndexDb, GoldenBodiesMutatedAndResigned) {
  // The server's trailer is not a secret (its key is the stream name), so a
  // damaged body with a fresh trailer must still be parsed safely.
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  natscpp::store::testing::GoldenStore gs("2.14.5/multiblock");
  ASSERT_TRUE(gs.ok());
  const std::string stream = gs.expect().at("stream").get<std::string>();
  const auto file = ReadBytes(gs.stream_dir() / "msgs" / "index.db");
  ASSERT_TRUE(DecodeFullState(file, stream, nullptr).has_value());
  const std::vector<uint8_t> body(file.begin(), file.end() - 8);
  size_t ok = 0, failed = 0;
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = DecodeFullState(Sign(std::vector<uint8_t>(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)), stream),
                             stream, nullptr);
    EXPECT_FALSE(r.has_value()) << n;
  }
  for (size_t i = 0; i < body.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}}) {
      auto g = body;
      g[i] ^= x;
      auto r = DecodeFullState(Sign(g, stream), stream, nullptr);
      if (r) {
        ++ok;
        // Only the final entry may be an empty block.
        for (size_t k = 0; k + 1 < r->blocks.size(); ++k) EXPECT_GT(r->blocks[k].msgs, 0u);
      } else {
        ++failed;
        EXPECT_FALSE(r.error().message().empty());
      }
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(ok, 0u);  // e.g. flipped timestamps or bitmap bits still parse
}

int64_t Nanos(const nlohmann::json& t) {
  auto g = ParseRfc3339(t.get<std::string>());
  EXPECT_TRUE(g.has_value());
  return g ? g->UnixNanos() : 0;
}

TEST(IndexDb, GoldenStores) {
  using natscpp::store::testing::GoldenSets;
  using natscpp::store::testing::GoldenStore;
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  size_t decoded = 0, encrypted = 0, clean = 0;
  for (const auto& set : GoldenSets()) {
    SCOPED_TRACE(set);
    GoldenStore gs(set);
    ASSERT_TRUE(gs.ok());
    const auto& j = gs.expect();
    const auto msgs = gs.stream_dir() / "msgs";
    const auto file = msgs / "index.db";
    if (!fs::exists(file)) {
      // 2.9.10 never writes it; a killed 2.14.5 server had not yet.
      EXPECT_TRUE(set.starts_with("2.9.10/") || j.at("scenario") == "crash" || j.at("scenario") == "torn");
      continue;
    }
    const std::string stream = j.at("stream").get<std::string>();
    std::unique_ptr<crypto::Aead> aek;
    crypto::KeyGenFn prf;
    crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
    if (!j.at("encryption").is_null()) {
      prf = crypto::KeyGen(j.at("encryption").at("key").get<std::string>(), j.at("account").get<std::string>());
      cipher = j.at("encryption").at("cipher") == "aes" ? crypto::StoreCipher::kAes : crypto::StoreCipher::kChaCha;
      auto k = crypto::RecoverAek(prf, cipher, crypto::StreamKeyContext(stream),
                                  ReadBytes(gs.stream_dir() / "meta.key"));
      ASSERT_TRUE(k.has_value()) << k.error().message();
      aek = std::move(*k);
      ++encrypted;
    }
    const auto bytes = ReadBytes(file);
    auto st = DecodeFullState(bytes, stream, aek.get());
    const std::string scenario = j.at("scenario").get<std::string>();
    if (scenario == "crash" || scenario == "torn") {
      // May be stale; it must decode or fail cleanly.
      if (!st) {
        EXPECT_FALSE(st.error().message().empty());
      }
      continue;
    }
    ASSERT_TRUE(st.has_value()) << st.error().message();
    ++decoded;
    EXPECT_EQ(st->version, kFullStateVersion);
    if (aek) {
      EXPECT_FALSE(DecodeFullState(bytes, stream, nullptr).has_value());
    }

    // A clean shutdown wrote the state the server reports.
    ++clean;
    const auto& es = j.at("state");
    EXPECT_EQ(st->msgs, es.at("messages").get<uint64_t>());
    EXPECT_EQ(st->bytes, es.at("bytes").get<uint64_t>());
    EXPECT_EQ(st->first_seq, es.at("first_seq").get<uint64_t>());
    EXPECT_EQ(st->last_seq, es.at("last_seq").get<uint64_t>());
    EXPECT_EQ(st->first_ts, Nanos(es.at("first_ts")));
    EXPECT_EQ(st->last_ts, Nanos(es.at("last_ts")));
    EXPECT_TRUE(TrackingStatesEqual(*st, TrackingStateFromBlocks(st->blocks)));

    // Subjects: one entry per subject with its count.
    std::map<std::string, uint64_t> subjects;
    for (const auto& s : st->subjects) subjects[s.subject] = s.total;
    std::map<std::string, uint64_t> want;
    if (es.contains("subjects")) {
      for (const auto& [k, v] : es.at("subjects").items()) want[k] = v.get<uint64_t>();
    }
    EXPECT_EQ(subjects, want);

    // Blocks: in index order, the recorded last block is the newest file,
    // its checksum is the block's last record checksum, and every recorded
    // delete is one the server reports.
    ASSERT_FALSE(st->blocks.empty());
    std::set<uint64_t> reported;
    for (const auto& d : es.value("deleted", nlohmann::json::array())) reported.insert(d.get<uint64_t>());
    uint64_t num_deleted = 0;
    for (size_t i = 0; i < st->blocks.size(); ++i) {
      const auto& b = st->blocks[i];
      if (i > 0) {
        EXPECT_GT(b.index, st->blocks[i - 1].index);
      }
      EXPECT_TRUE(fs::exists(msgs / (std::to_string(b.index) + ".blk"))) << b.index;
      EXPECT_EQ(b.deleted.Size(), b.num_deleted);
      b.deleted.Range([&](uint64_t seq) {
        EXPECT_TRUE(reported.contains(seq)) << seq;
        EXPECT_GE(seq, b.first_seq);
        EXPECT_LE(seq, b.last_seq);
        return true;
      });
      num_deleted += b.num_deleted;
      EXPECT_LE(b.first_ts, b.last_ts);
    }
    EXPECT_LE(num_deleted, reported.size());
    EXPECT_EQ(st->blocks.back().index, st->last_block_index);
    uint32_t newest = 0;
    for (const auto& e : fs::directory_iterator(msgs)) {
      if (e.path().extension() == ".blk") newest = std::max<uint32_t>(newest, static_cast<uint32_t>(std::stoul(e.path().stem())));
    }
    EXPECT_EQ(newest, st->last_block_index);
    std::optional<BlockCipherParams> params;
    std::optional<crypto::BlockKeys> keys;
    if (prf) {
      auto k = crypto::RecoverBlockKeys(prf, cipher, stream, newest,
                                        ReadBytes(msgs / (std::to_string(newest) + ".key")));
      ASSERT_TRUE(k.has_value());
      keys = std::move(*k);
      params = BlockCipherParams{cipher, keys->seed, keys->nonce};
    }
    auto plain = LoadBlockPlaintext(msgs / (std::to_string(newest) + ".blk"), params);
    ASSERT_TRUE(plain.has_value());
    const auto scan = ScanBlock(*plain, BlockHashKey(stream, newest));
    EXPECT_EQ(scan.last_checksum, st->last_checksum);
    EXPECT_EQ(scan.first_seq == 0 ? 0 : scan.last_seq, st->blocks.back().last_seq);
  }
  if (natscpp::store::testing::HaveShared()) {
    EXPECT_GT(decoded, 0u);
    EXPECT_GT(encrypted, 0u);
    EXPECT_GT(clean, 0u);
  }
}

}  // namespace
}  // namespace natscpp::store::filestore
