// Opening consumer directories read-only (FORMAT.md §9): every consumer of
// every golden store against what the server reported, and each way a
// consumer directory can be unusable.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/consumer_file_store.h"
#include "natscpp/store/state_codec.h"

namespace natscpp::store::filestore {
namespace {

namespace fs = std::filesystem;
using natscpp::store::testing::GoldenSets;
using natscpp::store::testing::GoldenStore;
using natscpp::store::testing::TempDir;

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const fs::path& p, std::span<const uint8_t> b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void WriteString(const fs::path& p, std::string_view s) { WriteBytes(p, crypto::AsBytes(s)); }

std::string Sum(std::string_view stream, std::string_view name, std::span<const uint8_t> meta) {
  crypto::HighwayHash64 hh(crypto::HashKeyFromString(std::string(stream) + "/" + std::string(name)));
  hh.Update(meta);
  std::string out;
  for (uint8_t c : hh.Sum()) {
    static constexpr char d[] = "0123456789abcdef";
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

struct GoldenEnc {
  crypto::KeyGenFn prf;
  crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
};
GoldenEnc Encryption(const nlohmann::json& j) {
  GoldenEnc e;
  if (!j.at("encryption").is_null()) {
    e.prf = crypto::KeyGen(j.at("encryption").at("key").get<std::string>(), j.at("account").get<std::string>());
    e.cipher = j.at("encryption").at("cipher") == "aes" ? crypto::StoreCipher::kAes : crypto::StoreCipher::kChaCha;
  }
  return e;
}

TEST(ConsumerFileStore, GoldenConsumersMatchServerReport) {
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  size_t consumers = 0, encrypted = 0;
  for (const auto& set : GoldenSets()) {
    SCOPED_TRACE(set);
    GoldenStore gs(set);
    ASSERT_TRUE(gs.ok());
    const auto& j = gs.expect();
    const std::string stream = j.at("stream").get<std::string>();
    const auto enc = Encryption(j);
    const auto obs = gs.stream_dir() / "obs";
    size_t on_disk = 0;
    if (fs::exists(obs)) {
      for ([[maybe_unused]] const auto& e : fs::directory_iterator(obs)) ++on_disk;
    }
    EXPECT_EQ(on_disk, j.at("consumers").size());
    for (const auto& c : j.at("consumers")) {
      const std::string name = c.at("name").get<std::string>();
      SCOPED_TRACE(name);
      ++consumers;
      auto o = ConsumerFileStore::OpenReadOnly(obs / name, stream, enc.prf, enc.cipher);
      ASSERT_TRUE(o.has_value()) << o.error().message();
      const auto& info = (*o)->Info();
      EXPECT_EQ((*o)->Name(), name);
      EXPECT_EQ(info.name, name);
      EXPECT_EQ(info.config.durable, c.at("config").value("durable_name", std::string()));
      EXPECT_EQ(info.config.name, c.at("config").value("name", std::string()));
      EXPECT_FALSE(info.created.IsZero());
      EXPECT_TRUE((*o)->MetaSumMatches());
      EXPECT_EQ((*o)->Encrypted(), static_cast<bool>(enc.prf));
      if (enc.prf) {
        ++encrypted;
        EXPECT_EQ((*o)->Cipher(), enc.cipher);
      }
      EXPECT_TRUE((*o)->HasState());
      auto st = (*o)->State();
      ASSERT_TRUE(st.has_value()) << st.error().message();
      EXPECT_EQ(st->delivered.consumer, c.at("delivered").at("consumer_seq").get<uint64_t>());
      EXPECT_EQ(st->delivered.stream, c.at("delivered").at("stream_seq").get<uint64_t>());
      EXPECT_EQ(st->ack_floor.consumer, c.at("ack_floor").at("consumer_seq").get<uint64_t>());
      EXPECT_EQ(st->ack_floor.stream, c.at("ack_floor").at("stream_seq").get<uint64_t>());
      EXPECT_EQ(st->pending.size(), c.at("num_ack_pending").get<size_t>());
      EXPECT_EQ(st->redelivered.size(), c.at("num_redelivered").get<size_t>());
      for (const auto& [seq, p] : st->pending) {
        EXPECT_GT(seq, st->ack_floor.stream);
        EXPECT_LE(seq, st->delivered.stream);
        EXPECT_GT(p.sequence, st->ack_floor.consumer);
        EXPECT_LE(p.sequence, st->delivered.consumer);
      }
    }
  }
  EXPECT_GT(consumers, 0u);
  EXPECT_GT(encrypted, 0u);
}

// A plaintext consumer directory copied out of the basic golden set.
class ConsumerDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
    gs_ = std::make_unique<GoldenStore>("2.14.5/basic");
    ASSERT_TRUE(gs_->ok());
    dir_ = gs_->stream_dir() / "obs" / "billing";
    ASSERT_TRUE(fs::exists(dir_ / "o.dat"));
  }
  Result<std::unique_ptr<ConsumerFileStore>> Open(const crypto::KeyGenFn& prf = {},
                                                  crypto::StoreCipher c = crypto::StoreCipher::kChaCha) {
    return ConsumerFileStore::OpenReadOnly(dir_, "ORDERS", prf, c);
  }
  std::unique_ptr<GoldenStore> gs_;
  fs::path dir_;
};

TEST_F(ConsumerDirTest, MissingFilesAreNamed) {
  fs::remove(dir_ / "meta.sum");
  auto r = Open();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("meta.sum"), std::string::npos);
  fs::remove(dir_ / "meta.inf");
  r = Open();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("meta.inf"), std::string::npos);
}

TEST_F(ConsumerDirTest, MetaSumMismatchIsReportedNotFatal) {
  WriteString(dir_ / "meta.sum", "0000000000000000");
  auto r = Open();
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_FALSE((*r)->MetaSumMatches());
}

TEST_F(ConsumerDirTest, AbsentOrEmptyStateIsEmpty) {
  WriteBytes(dir_ / "o.dat", {});
  auto r = Open();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE((*r)->HasState());  // the file is there
  EXPECT_EQ(*(*r)->State(), ConsumerState{});
  fs::remove(dir_ / "o.dat");
  r = Open();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE((*r)->HasState());
  EXPECT_EQ(*(*r)->State(), ConsumerState{});
}

TEST_F(ConsumerDirTest, BadJsonAndBadState) {
  const auto meta = ReadBytes(dir_ / "meta.inf");
  // Unknown field: only a lenient decode works, the server keeps it offline.
  std::string s(meta.begin(), meta.end());
  ASSERT_EQ(s.back(), '}');
  s.insert(s.size() - 1, ",\"bogus_field\":1");
  WriteString(dir_ / "meta.inf", s);
  auto r = Open();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message().find("meta.inf"), std::string::npos);
  WriteString(dir_ / "meta.inf", "{not json");
  r = Open();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadEncoding);
  // And o.dat, every truncation and a bad header.
  WriteBytes(dir_ / "meta.inf", meta);
  const auto odat = ReadBytes(dir_ / "o.dat");
  for (size_t n = 1; n < odat.size(); ++n) {
    WriteBytes(dir_ / "o.dat", std::span<const uint8_t>(odat).first(n));
    auto t = Open();
    if (!t) {
      EXPECT_NE(t.error().message().find("o.dat"), std::string::npos) << n;
    }
  }
  auto bad = odat;
  bad[0] = 99;
  WriteBytes(dir_ / "o.dat", bad);
  r = Open();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("o.dat"), std::string::npos);
}

TEST(ConsumerFileStoreCrypto, EncryptedConsumerErrors) {
  if (!natscpp::store::testing::HaveShared()) GTEST_SKIP() << "../shared/golden is missing";
  GoldenStore gs("2.14.5/chacha");
  ASSERT_TRUE(gs.ok());
  const auto enc = Encryption(gs.expect());
  ASSERT_TRUE(enc.prf);
  const auto dir = gs.stream_dir() / "obs" / "billing";
  // Opened with the AES setting: the key file is still opened (the server
  // would convert the consumer to AES).
  auto conv = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", enc.prf, crypto::StoreCipher::kAes);
  ASSERT_TRUE(conv.has_value()) << conv.error().message();
  EXPECT_EQ((*conv)->Cipher(), crypto::StoreCipher::kChaCha);
  EXPECT_EQ((*conv)->State()->delivered.consumer, 60u);
  // No key configured.
  auto r = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", {}, enc.cipher);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("meta.key"), std::string::npos);
  // Wrong key.
  r = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", crypto::KeyGen("wrong", "$G"), enc.cipher);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
  // Sealed state corrupted.
  auto odat = ReadBytes(dir / "o.dat");
  odat[odat.size() / 2] ^= 1;
  WriteBytes(dir / "o.dat", odat);
  r = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", enc.prf, enc.cipher);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("o.dat"), std::string::npos);
  WriteBytes(dir / "o.dat", std::span<const uint8_t>(odat).first(5));
  EXPECT_FALSE(ConsumerFileStore::OpenReadOnly(dir, "ORDERS", enc.prf, enc.cipher).has_value());
  // Short key file.
  const auto key = ReadBytes(dir / "meta.key");
  WriteBytes(dir / "meta.key", std::span<const uint8_t>(key).first(40));
  r = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", enc.prf, enc.cipher);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("meta.key"), std::string::npos);
  // Key file gone: the sealed meta.inf is not JSON, and the error says why.
  fs::remove(dir / "meta.key");
  r = ConsumerFileStore::OpenReadOnly(dir, "ORDERS", enc.prf, enc.cipher);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("meta.key"), std::string::npos);
}

TEST(ConsumerFileStoreCrypto, PlaintextConsumerInEncryptedStoreIsRead) {
  // A consumer restored from a snapshot is plaintext with no meta.key even
  // when the server is encrypted; the server reads it and then seals it.
  TempDir tmp("cfs");
  const auto dir = tmp.path() / "c1";
  fs::create_directories(dir);
  FileConsumerInfo info;
  info.name = "c1";
  info.created = GoTime::FromUnixNanos(1'700'000'000'000'000'000);
  info.config.durable = "c1";
  auto json = EncodeFileConsumerInfo(info);
  ASSERT_TRUE(json.has_value()) << json.error().message();
  WriteString(dir / "meta.inf", *json);
  WriteString(dir / "meta.sum", Sum("S", "c1", crypto::AsBytes(*json)));
  ConsumerState st;
  st.delivered = {5, 9};
  st.ack_floor = {3, 7};
  st.pending[8] = Pending{4, 1'700'000'000'000'000'000};
  st.redelivered[8] = 2;
  WriteBytes(dir / "o.dat", EncodeConsumerState(st, 1'700'000'000));
  auto o = ConsumerFileStore::OpenReadOnly(dir, "S", crypto::KeyGen("k", "$G"), crypto::StoreCipher::kChaCha);
  ASSERT_TRUE(o.has_value()) << o.error().message();
  EXPECT_FALSE((*o)->Encrypted());
  EXPECT_TRUE((*o)->MetaSumMatches());
  EXPECT_EQ((*o)->Info(), info);
  auto got = (*o)->State();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, st);
}

}  // namespace
}  // namespace natscpp::store::filestore
