// VerifyStreamDir over every golden store (undamaged sets: no damage; torn
// sets: exactly the cut block) and over copies damaged on purpose: a flipped
// byte inside a record (plain, S2-compressed, encrypted), a block cut in the
// middle of a record, a lost block key, a garbage o.dat, a garbage meta.inf
// with a matching meta.sum, a wrong key, and directories that are not
// streams. Every case checks that the verifier left the tree as it was.
#include "natscpp/store/verify.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/record.h"
#include "s2/compression.h"

namespace natscpp::store {
namespace {

namespace fs = std::filesystem;
using testing::GoldenSets;
using testing::GoldenStore;
using testing::HaveShared;
using testing::ReadAll;
using testing::TempDir;

#define REQUIRE_SHARED()                                             \
  if (!HaveShared()) GTEST_SKIP() << "../shared/golden is absent"

// Every file under dir: relative path → (size, content hash), plus every
// directory, so a verifier that creates, removes or edits anything shows.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const auto rel = fs::relative(e.path(), dir).generic_string();
    if (e.is_directory()) {
      out[rel] = "dir";
    } else {
      const std::string data = ReadAll(e.path());
      out[rel] = std::to_string(data.size()) + ":" + std::to_string(std::hash<std::string>{}(data)) +
                 ":" + std::to_string(fs::last_write_time(e.path()).time_since_epoch().count());
    }
  }
  return out;
}

std::optional<StoreEncryption> EncryptionOf(const nlohmann::json& expect) {
  const auto& enc = expect.at("encryption");
  if (enc.is_null()) return std::nullopt;
  StoreEncryption e;
  e.key = enc.at("key").get<std::string>();
  e.cipher = enc.at("cipher").get<std::string>() == "aes" ? StoreCipher::kAes : StoreCipher::kChaCha;
  return e;  // account from the path (.../$G/streams/NAME)
}

std::string Format(const VerifyReport& r) {
  std::string s = r.readable ? "" : "  (unreadable)\n";
  for (const auto& f : r.findings) {
    s += f.kind == FindingKind::kDamage ? "  DAMAGE " : "  note   ";
    s += f.file.empty() ? std::string(".") : f.file;
    if (f.offset) s += " @" + std::to_string(*f.offset);
    s += ": " + f.message + "\n";
  }
  return s;
}

std::vector<Finding> Damage(const VerifyReport& r) {
  std::vector<Finding> out;
  for (const auto& f : r.findings) {
    if (f.kind == FindingKind::kDamage) out.push_back(f);
  }
  return out;
}

// Runs the verifier, checks the tree did not change, prints the findings.
VerifyReport Verify(const std::string& label, const fs::path& dir, const std::optional<StoreEncryption>& enc) {
  const fs::path tree = fs::is_directory(dir) ? dir : dir.parent_path();
  const auto before = Snapshot(tree);
  VerifyOptions opts;
  opts.encryption = enc;
  VerifyReport r = VerifyStreamDir(dir, opts);
  EXPECT_EQ(Snapshot(tree), before) << label << ": the verifier changed the tree";
  std::cout << "[verify " << label << "]\n" << Format(r);
  return r;
}

void WriteFile(const fs::path& p, std::string_view data) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string StreamName(const GoldenStore& g) { return g.stream_dir().filename().string(); }

// The cipher parameters and plaintext of block `index` of a golden store.
struct Block {
  std::vector<uint8_t> plain;
  size_t stored_size = 0;
  filestore::BlockSummary summary;
};
Block LoadBlock(const GoldenStore& g, uint64_t index) {
  const auto enc = EncryptionOf(g.expect());
  const auto mdir = g.stream_dir() / "msgs";
  std::optional<crypto::BlockKeys> keys;
  std::optional<filestore::BlockCipherParams> params;
  if (enc) {
    const auto key = ReadAll(mdir / (std::to_string(index) + ".key"));
    auto k = crypto::RecoverBlockKeys(crypto::KeyGen(enc->key, g.expect().at("account").get<std::string>()),
                                      enc->cipher, StreamName(g), index,
                                      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    EXPECT_TRUE(k.has_value());
    keys = std::move(*k);
    params = filestore::BlockCipherParams{enc->cipher, keys->seed, keys->nonce};
  }
  Block b;
  auto p = filestore::LoadBlockPlaintext(mdir / (std::to_string(index) + ".blk"), params);
  EXPECT_TRUE(p.has_value());
  b.plain = std::move(*p);
  b.stored_size = fs::file_size(mdir / (std::to_string(index) + ".blk"));
  b.summary = filestore::ScanBlock(b.plain, filestore::BlockHashKey(StreamName(g), index));
  EXPECT_FALSE(b.summary.bad_offset.has_value());
  return b;
}

// A record in the middle of the block with a body to flip.
filestore::ScannedRecord MiddleRecord(const Block& b) {
  const auto& recs = b.summary.records;
  for (size_t i = recs.size() / 2; i < recs.size(); ++i) {
    if (!recs[i].tombstone && recs[i].length > 40) return recs[i];
  }
  ADD_FAILURE() << "no record to damage";
  return {};
}

uint64_t LastBlockIndex(const fs::path& stream_dir) {
  uint64_t last = 0;
  for (const auto& e : fs::directory_iterator(stream_dir / "msgs")) {
    const auto name = e.path().filename().string();
    if (name.ends_with(".blk")) last = std::max<uint64_t>(last, std::stoull(name));
  }
  return last;
}

TEST(Verify, UndamagedGoldenSetsHaveNoDamage) {
  REQUIRE_SHARED();
  int checked = 0;
  for (const auto& set : GoldenSets()) {
    if (set.ends_with("/torn")) continue;
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    const auto r = Verify(set, g.stream_dir(), EncryptionOf(g.expect()));
    EXPECT_TRUE(r.readable);
    EXPECT_FALSE(r.Damaged()) << Format(r);
    // A trailing separator names the same directory.
    const auto again = VerifyStreamDir(g.stream_dir().string() + "/", VerifyOptions{EncryptionOf(g.expect())});
    EXPECT_EQ(Format(again), Format(r));
    ++checked;
  }
  EXPECT_GE(checked, 16);
}

TEST(Verify, TornSetsReportExactlyTheCutBlock) {
  REQUIRE_SHARED();
  int checked = 0;
  for (const auto& set : GoldenSets()) {
    if (!set.ends_with("/torn")) continue;
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    const auto r = Verify(set, g.stream_dir(), EncryptionOf(g.expect()));
    EXPECT_TRUE(r.readable);
    const auto d = Damage(r);
    ASSERT_EQ(d.size(), 1u) << Format(r);
    const uint64_t last = LastBlockIndex(g.stream_dir());
    EXPECT_EQ(d[0].file, "msgs/" + std::to_string(last) + ".blk");
    ASSERT_TRUE(d[0].offset.has_value());
    const auto size = fs::file_size(g.stream_dir() / d[0].file);
    EXPECT_LT(*d[0].offset, size);
    EXPECT_NE(d[0].message.find("block ends inside a record at offset " + std::to_string(*d[0].offset)),
              std::string::npos)
        << d[0].message;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

// Flips one byte of the body of a record in the middle of the block (a
// payload byte, covered by the checksum) and expects damage at its offset.
void FlipMiddleRecord(const std::string& set, uint64_t index) {
  SCOPED_TRACE(set);
  GoldenStore g(set);
  ASSERT_TRUE(g.ok());
  const Block b = LoadBlock(g, index);
  ASSERT_EQ(b.stored_size, b.plain.size()) << "expected an uncompressed block";
  const auto rec = MiddleRecord(b);
  const auto path = g.stream_dir() / "msgs" / (std::to_string(index) + ".blk");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(rec.offset + rec.length - 9);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x20);
    f.seekp(at);
    f.write(&c, 1);
  }
  const auto r = Verify(set + " flipped byte in msgs/" + std::to_string(index) + ".blk", g.stream_dir(),
                        EncryptionOf(g.expect()));
  EXPECT_TRUE(r.readable);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "msgs/" + std::to_string(index) + ".blk");
  EXPECT_EQ(d[0].offset, rec.offset);
  EXPECT_NE(d[0].message.find("checksum mismatch at offset " + std::to_string(rec.offset)), std::string::npos)
      << d[0].message;
}

TEST(Verify, FlippedByteInPlainBlock) {
  REQUIRE_SHARED();
  FlipMiddleRecord("2.14.5/basic", 1);
  FlipMiddleRecord("2.9.10/multiblock", 2);
}

TEST(Verify, FlippedByteInEncryptedBlock) {
  REQUIRE_SHARED();
  FlipMiddleRecord("2.14.5/aes", 3);
  FlipMiddleRecord("2.14.5/chacha", 1);
  FlipMiddleRecord("2.9.10/chacha", 1);
}

// S2: the offset is in the decompressed records. The damaged plaintext is
// recompressed so the S2 stream itself is valid and only a record fails.
TEST(Verify, FlippedByteInCompressedBlock) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/s2");
  ASSERT_TRUE(g.ok());
  Block b = LoadBlock(g, 1);
  ASSERT_LT(b.stored_size, b.plain.size()) << "expected a compressed block";
  const auto rec = MiddleRecord(b);
  b.plain[rec.offset + rec.length - 9] ^= 0x20;
  auto body = s2::Compress(s2::StoreCompression::kS2, b.plain);
  ASSERT_TRUE(body.has_value());
  std::vector<uint8_t> out =
      s2::CompressionInfo{s2::StoreCompression::kS2, b.plain.size()}.MarshalMetadata();
  out.insert(out.end(), body->begin(), body->end());
  WriteFile(g.stream_dir() / "msgs/1.blk", std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));

  const auto r = Verify("2.14.5/s2 flipped byte in msgs/1.blk plaintext", g.stream_dir(), std::nullopt);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "msgs/1.blk");
  EXPECT_EQ(d[0].offset, rec.offset);
  EXPECT_NE(d[0].message.find("checksum mismatch at offset " + std::to_string(rec.offset)), std::string::npos);
}

// A byte flipped in the compressed bytes themselves: the S2 stream fails.
TEST(Verify, FlippedByteInCompressedStream) {
  REQUIRE_SHARED();
  for (const std::string set : {"2.14.5/s2", "2.14.5/s2chacha"}) {
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    const auto path = g.stream_dir() / "msgs/2.blk";
    std::string data = ReadAll(path);
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x01);
    WriteFile(path, data);
    const auto r = Verify(set + " flipped byte in compressed msgs/2.blk", g.stream_dir(), EncryptionOf(g.expect()));
    const auto d = Damage(r);
    ASSERT_EQ(d.size(), 1u) << Format(r);
    EXPECT_EQ(d[0].file, "msgs/2.blk");
    EXPECT_NE(d[0].message.find("cannot be decompressed"), std::string::npos) << d[0].message;
  }
}

TEST(Verify, BlockCutInsideARecord) {
  REQUIRE_SHARED();
  for (const std::string set : {"2.14.5/multiblock", "2.14.5/aes"}) {
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    const Block b = LoadBlock(g, 2);
    const auto rec = MiddleRecord(b);
    fs::resize_file(g.stream_dir() / "msgs/2.blk", rec.offset + 10);
    const auto r = Verify(set + " msgs/2.blk cut inside a record", g.stream_dir(), EncryptionOf(g.expect()));
    EXPECT_TRUE(r.readable);
    const auto d = Damage(r);
    ASSERT_EQ(d.size(), 1u) << Format(r);
    EXPECT_EQ(d[0].file, "msgs/2.blk");
    EXPECT_EQ(d[0].offset, rec.offset);
    EXPECT_NE(d[0].message.find("block ends inside a record at offset " + std::to_string(rec.offset)),
              std::string::npos)
        << d[0].message;
  }
}

TEST(Verify, DeletedBlockKey) {
  REQUIRE_SHARED();
  for (const std::string set : {"2.14.5/chacha", "2.14.5/s2aes"}) {
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    fs::remove(g.stream_dir() / "msgs/1.key");
    const auto r = Verify(set + " msgs/1.key deleted", g.stream_dir(), EncryptionOf(g.expect()));
    EXPECT_TRUE(r.readable);
    const auto d = Damage(r);
    ASSERT_EQ(d.size(), 1u) << Format(r);
    EXPECT_EQ(d[0].file, "msgs/1.key");
    EXPECT_NE(d[0].message.find("missing"), std::string::npos);
  }
}

TEST(Verify, ShortBlockKey) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/aes");
  ASSERT_TRUE(g.ok());
  fs::resize_file(g.stream_dir() / "msgs/2.key", 40);
  const auto r = Verify("2.14.5/aes msgs/2.key cut to 40 bytes", g.stream_dir(), EncryptionOf(g.expect()));
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "msgs/2.key");
  EXPECT_NE(d[0].message.find("too short"), std::string::npos);
}

TEST(Verify, GarbageConsumerState) {
  REQUIRE_SHARED();
  for (const std::string set : {"2.14.5/basic", "2.14.5/chacha"}) {
    SCOPED_TRACE(set);
    GoldenStore g(set);
    ASSERT_TRUE(g.ok());
    WriteFile(g.stream_dir() / "obs/billing/o.dat", "\x16\x02garbage that is no consumer state at all");
    const auto r = Verify(set + " obs/billing/o.dat garbage", g.stream_dir(), EncryptionOf(g.expect()));
    EXPECT_TRUE(r.readable);
    const auto d = Damage(r);
    ASSERT_EQ(d.size(), 1u) << Format(r);
    EXPECT_EQ(d[0].file, "obs/billing/o.dat");
  }
}

TEST(Verify, MissingConsumerStateIsFine) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  fs::remove(g.stream_dir() / "obs/audit/o.dat");
  const auto r = Verify("2.14.5/basic obs/audit/o.dat removed", g.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.Damaged()) << Format(r);
}

TEST(Verify, GarbageMetaInfWithMatchingSum) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const std::string garbage = "{\"this is\": not a stream config";
  WriteFile(g.stream_dir() / "meta.inf", garbage);
  crypto::Hash64Bytes sum{};
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(StreamName(g)),
                                             std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(garbage.data()),
                                                                      garbage.size())),
                    sum);
  std::string hex;
  for (uint8_t b : sum) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[b >> 4];
    hex += kHex[b & 0xf];
  }
  WriteFile(g.stream_dir() / "meta.sum", hex);
  const auto r = Verify("2.14.5/basic meta.inf garbage, meta.sum matching", g.stream_dir(), std::nullopt);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "meta.inf");
  EXPECT_NE(d[0].message.find("not a stream configuration"), std::string::npos);
}

TEST(Verify, MetaSumMismatch) {
  REQUIRE_SHARED();
  GoldenStore g("2.9.10/basic");
  ASSERT_TRUE(g.ok());
  WriteFile(g.stream_dir() / "meta.sum", "0000000000000000");
  const auto r = Verify("2.9.10/basic meta.sum zeroed", g.stream_dir(), std::nullopt);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "meta.sum");
}

TEST(Verify, WrongKeyIsUnreadable) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/chacha");
  ASSERT_TRUE(g.ok());
  auto enc = EncryptionOf(g.expect());
  enc->key = "not-the-key";
  const auto r = Verify("2.14.5/chacha wrong key", g.stream_dir(), enc);
  EXPECT_FALSE(r.readable);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "meta.key");
  EXPECT_NE(d[0].message.find("meta.key"), std::string::npos);
}

// The key is given but meta.key is gone and meta.inf is sealed: the
// stream's own key is lost, the blocks (keyed per block) still check out.
TEST(Verify, MissingMetaKeyWithSealedMetaInf) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/chacha");
  ASSERT_TRUE(g.ok());
  fs::remove(g.stream_dir() / "meta.key");
  const auto r = Verify("2.14.5/chacha meta.key deleted", g.stream_dir(), EncryptionOf(g.expect()));
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "meta.key");
  EXPECT_NE(d[0].message.find("missing"), std::string::npos);
}

TEST(Verify, EncryptedWithoutKeyIsUnreadable) {
  REQUIRE_SHARED();
  GoldenStore g("2.9.10/aes");
  ASSERT_TRUE(g.ok());
  const auto r = Verify("2.9.10/aes no key given", g.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.readable);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "meta.key");
  EXPECT_NE(d[0].message.find("meta.key"), std::string::npos);
}

TEST(Verify, NotAStreamDirectoryIsUnreadable) {
  REQUIRE_SHARED();
  TempDir empty("verify");
  ASSERT_FALSE(empty.path().empty());
  auto r = Verify("empty directory", empty.path(), std::nullopt);
  EXPECT_FALSE(r.readable);
  EXPECT_TRUE(r.Damaged());

  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  r = Verify("the streams directory", g.stream_dir().parent_path(), std::nullopt);
  EXPECT_FALSE(r.readable);
  EXPECT_TRUE(r.Damaged());

  r = Verify("a file", g.stream_dir() / "meta.inf", std::nullopt);
  EXPECT_FALSE(r.readable);
  EXPECT_TRUE(r.Damaged());

  r = Verify("a path that does not exist", g.stream_dir() / "nothing-here", std::nullopt);
  EXPECT_FALSE(r.readable);
  EXPECT_TRUE(r.Damaged());
}

TEST(Verify, GarbageConsumerMetaInf) {
  REQUIRE_SHARED();
  GoldenStore g("2.9.10/basic");
  ASSERT_TRUE(g.ok());
  WriteFile(g.stream_dir() / "obs/audit/meta.inf", "not json");
  const auto r = Verify("2.9.10/basic obs/audit/meta.inf garbage", g.stream_dir(), std::nullopt);
  EXPECT_TRUE(r.readable);
  const auto d = Damage(r);
  ASSERT_EQ(d.size(), 1u) << Format(r);
  EXPECT_EQ(d[0].file, "obs/audit/meta.inf");
}

// thw.db and a legacy .idx are rebuilt by the server: notes, not damage.
TEST(Verify, UndecodableTtlStateAndStaleIdxAreNotes) {
  REQUIRE_SHARED();
  GoldenStore ttl("2.14.5/ttl");
  ASSERT_TRUE(ttl.ok());
  WriteFile(ttl.stream_dir() / "msgs/thw.db", std::string("\x07 not a wheel"));
  auto r = Verify("2.14.5/ttl thw.db garbage", ttl.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.Damaged()) << Format(r);
  bool noted = false;
  for (const auto& f : r.findings) noted |= f.file == "msgs/thw.db" && f.message.starts_with("undecodable");
  EXPECT_TRUE(noted) << Format(r);

  GoldenStore crash("2.9.10/crash");
  ASSERT_TRUE(crash.ok());
  r = Verify("2.9.10/crash", crash.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.Damaged()) << Format(r);
  noted = false;
  for (const auto& f : r.findings) noted |= f.file == "msgs/1.idx" && f.message.starts_with("stale .idx");
  EXPECT_TRUE(noted) << Format(r);
}

// Notes, not damage: index.db, legacy files and leftovers are what the
// server rebuilds or cleans up on its own.
TEST(Verify, IndexAndLeftoversAreNotes) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/multiblock");
  ASSERT_TRUE(g.ok());
  const auto mdir = g.stream_dir() / "msgs";
  std::string idx = ReadAll(mdir / "index.db");
  idx[idx.size() / 2] = static_cast<char>(idx[idx.size() / 2] ^ 0x01);
  WriteFile(mdir / "index.db", idx);
  WriteFile(mdir / "9.key", std::string(72, 'k'));
  WriteFile(mdir / "3.blk.tmp", "partial");
  WriteFile(g.stream_dir() / "meta.inf.tmp", "partial");
  fs::create_directory(g.stream_dir() / "__msgs__");
  const auto r = Verify("2.14.5/multiblock corrupt index.db and leftovers", g.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.Damaged()) << Format(r);
  std::map<std::string, std::string> notes;
  for (const auto& f : r.findings) notes[f.file] = f.message;
  ASSERT_TRUE(notes.contains("msgs/index.db"));
  EXPECT_NE(notes["msgs/index.db"].find("CORRUPT"), std::string::npos);
  EXPECT_TRUE(notes.contains("msgs/9.key"));
  EXPECT_TRUE(notes.contains("msgs/3.blk.tmp"));
  EXPECT_TRUE(notes.contains("meta.inf.tmp"));
  EXPECT_TRUE(notes.contains("__msgs__"));
}

// A stale index.db (a block written after it) is a note.
TEST(Verify, StaleIndexIsANote) {
  REQUIRE_SHARED();
  GoldenStore g("2.14.5/kv");
  ASSERT_TRUE(g.ok());
  const auto path = g.stream_dir() / "msgs/1.blk";
  Block b = LoadBlock(g, 1);
  // Append a valid record past the last one: the block's last checksum no
  // longer matches the one index.db recorded.
  const uint64_t next = b.summary.last_seq + 1;
  std::vector<uint8_t> rec;
  const std::string payload = "appended";
  filestore::AppendRecord(rec, filestore::BlockHashKey(StreamName(g), 1), next, b.summary.last_ts + 1, "$KV.cfg.x",
                          {}, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  {
    std::ofstream o(path, std::ios::binary | std::ios::app);
    o.write(reinterpret_cast<const char*>(rec.data()), static_cast<std::streamsize>(rec.size()));
  }
  const auto r = Verify("2.14.5/kv record appended after index.db", g.stream_dir(), std::nullopt);
  EXPECT_FALSE(r.Damaged()) << Format(r);
  bool stale = false;
  for (const auto& f : r.findings) stale |= f.file == "msgs/index.db" && f.message.starts_with("stale");
  EXPECT_TRUE(stale) << Format(r);
}

}  // namespace
}  // namespace natscpp::store
