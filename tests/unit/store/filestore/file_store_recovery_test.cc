// Recovery and lookup edge cases on stores built record by record: the
// answers v2.14.5 gives (read from filestore.go), and hostile input that
// must neither crash nor hang the open.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include "../golden_store.h"
#include "crypto/highwayhash.h"
#include "filestore/record.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/stream_config.h"
#include "util/varint.h"

namespace natscpp::store {
namespace {

using filestore::AppendRecord;
using filestore::AppendTombstoneRecord;
using filestore::BlockHashKey;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::string_view kStream = "ORDERS";

void WriteFile(const std::filesystem::path& p, std::span<const uint8_t> b) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string HexSum(std::span<const uint8_t> data, std::string_view key) {
  crypto::Hash64Bytes b{};
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(key), data), b);
  std::string out;
  for (uint8_t c : b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// A stream directory with meta files and an empty msgs/.
class CraftedStore {
 public:
  CraftedStore() : dir_("crafted") {
    std::filesystem::create_directories(path() / "msgs");
    FileStreamInfo info;
    info.created = GoTime::FromUnixNanos(kT0);
    info.config.name = std::string(kStream);
    info.config.subjects = {"orders.>"};
    info.config.storage = StorageType::kFile;
    auto json = EncodeFileStreamInfo(info);
    EXPECT_TRUE(json);
    const std::span<const uint8_t> meta(reinterpret_cast<const uint8_t*>(json->data()), json->size());
    WriteFile(path() / "meta.inf", meta);
    const std::string sum = HexSum(meta, kStream);
    WriteFile(path() / "meta.sum", std::span<const uint8_t>(
                                       reinterpret_cast<const uint8_t*>(sum.data()), sum.size()));
  }
  std::filesystem::path path() const { return dir_.path() / std::string(kStream); }

  static void Msg(std::vector<uint8_t>& b, uint32_t blk, uint64_t seq, std::string_view subj) {
    const std::string payload = "payload-" + std::to_string(seq);
    AppendRecord(b, BlockHashKey(kStream, blk), seq, kT0 + static_cast<int64_t>(seq), subj, {},
                 std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()),
                                          payload.size()));
  }
  static void Tomb(std::vector<uint8_t>& b, uint32_t blk, uint64_t seq) {
    AppendTombstoneRecord(b, BlockHashKey(kStream, blk), seq, kT0 + static_cast<int64_t>(seq));
  }
  void Block(uint32_t index, std::span<const uint8_t> b) const {
    WriteFile(path() / "msgs" / (std::to_string(index) + ".blk"), b);
  }

  struct IdxBlock {
    uint32_t index;
    uint64_t bytes, first, last;
  };
  // A version-1 index.db (no delete maps).
  void IndexDb(uint64_t msgs, uint64_t bytes, uint64_t first, uint64_t last,
               const std::vector<IdxBlock>& blocks, uint32_t last_index,
               std::array<uint8_t, 8> lchk) const {
    std::vector<uint8_t> b{11, 1};
    util::AppendUvarint(b, msgs);
    util::AppendUvarint(b, bytes);
    util::AppendUvarint(b, first);
    util::AppendVarint(b, kT0);
    util::AppendUvarint(b, last);
    util::AppendVarint(b, kT0 + static_cast<int64_t>(last));
    util::AppendUvarint(b, 0);  // subjects
    util::AppendUvarint(b, blocks.size());
    for (const auto& k : blocks) {
      util::AppendUvarint(b, k.index);
      util::AppendUvarint(b, k.bytes);
      util::AppendUvarint(b, k.first);
      util::AppendVarint(b, static_cast<int64_t>(k.first));
      util::AppendUvarint(b, k.last);
      util::AppendVarint(b, static_cast<int64_t>(k.last));
      util::AppendUvarint(b, 0);
    }
    util::AppendUvarint(b, last_index);
    b.insert(b.end(), lchk.begin(), lchk.end());
    crypto::Hash64Bytes h{};
    crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(kStream), b), h);
    b.insert(b.end(), h.begin(), h.end());
    WriteFile(path() / "msgs" / "index.db", b);
  }

  std::unique_ptr<FileStore> Open() const {
    auto r = FileStore::Open(path(), {});
    EXPECT_TRUE(r) << r.error().message();
    return r ? std::move(*r) : nullptr;
  }

 private:
  testing::TempDir dir_;
};

std::array<uint8_t, 8> LastChecksum(const std::vector<uint8_t>& b) {
  std::array<uint8_t, 8> out{};
  std::copy(b.end() - 8, b.end(), out.begin());
  return out;
}

// go: FilteredState's three answers: past the end, from the first sequence
// (stream totals), and from inside (per-block state).
TEST(FileStoreRecovery, FilteredStateFollowsTheServer) {
  CraftedStore s;
  std::vector<uint8_t> b;
  for (uint64_t seq = 1; seq <= 10; ++seq) CraftedStore::Msg(b, 1, seq, "orders.a");
  CraftedStore::Tomb(b, 1, 10);
  s.Block(1, b);
  auto fs = s.Open();
  ASSERT_TRUE(fs);
  auto past = fs->FilteredState(11, ">");
  ASSERT_TRUE(past);
  EXPECT_EQ(past->msgs, 0u);
  EXPECT_EQ(past->first, 1u);
  EXPECT_EQ(past->last, 10u);
  auto all = fs->FilteredState(1, ">");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->msgs, 9u);
  EXPECT_EQ(all->first, 1u);
  EXPECT_EQ(all->last, 10u);  // the stream's last sequence, though deleted
  auto from3 = fs->FilteredState(3, "orders.a");
  ASSERT_TRUE(from3);
  EXPECT_EQ(from3->msgs, 7u);
  EXPECT_EQ(from3->first, 3u);
  EXPECT_EQ(from3->last, 9u);
}

// An index.db that no longer matches, remembering a later last sequence:
// the server keeps that sequence with a new (empty) write block, and the
// gap reads as deleted, however the blocks are loaded later.
TEST(FileStoreRecovery, RememberedLastSequenceSurvivesReads) {
  CraftedStore s;
  for (uint32_t blk = 1; blk <= 6; ++blk) {
    std::vector<uint8_t> b;
    for (uint64_t seq = (blk - 1) * 10 + 1; seq <= blk * 10; ++seq) {
      CraftedStore::Msg(b, blk, seq, "orders.a");
    }
    s.Block(blk, b);
  }
  s.IndexDb(100, 1, 1, 100, {}, 0, {});
  auto fs = s.Open();
  ASSERT_TRUE(fs);
  auto check = [&] {
    const auto st = fs->State();
    EXPECT_EQ(st.msgs, 60u);
    EXPECT_EQ(st.last_seq, 100u);
    EXPECT_EQ(st.num_deleted, 40);
    ASSERT_EQ(st.deleted.size(), 40u);
    EXPECT_EQ(st.deleted.front(), 61u);
    EXPECT_EQ(st.deleted.back(), 100u);
  };
  check();
  StoreMsg sm;
  for (uint64_t seq : {5, 15, 25, 35, 45, 55}) ASSERT_TRUE(fs->LoadMsg(seq, &sm)) << seq;
  check();
  auto gap = fs->LoadMsg(80, &sm);
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code(), ErrorCode::kStoreMsgNotFound);
  EXPECT_EQ(fs->LoadMsg(101, &sm).error().code(), ErrorCode::kStoreEOF);
}

// A damaged payload fails only its own message: scans pass over it, the
// last-message lookup answers "not found".
TEST(FileStoreRecovery, DamagedMessageFailsAlone) {
  CraftedStore s;
  std::vector<uint8_t> b;
  std::vector<size_t> offsets;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    offsets.push_back(b.size());
    CraftedStore::Msg(b, 1, seq, "orders.a");
  }
  const auto lchk = LastChecksum(b);
  const uint64_t size = b.size();
  b[offsets[4] + 22 + 8 + 2] ^= 0xff;  // inside seq 5's payload
  b[b.size() - 9] ^= 0xff;            // inside seq 10's payload
  s.Block(1, b);
  s.IndexDb(10, size, 1, 10, {{1, size, 1, 10}}, 1, lchk);
  auto fs = s.Open();
  ASSERT_TRUE(fs);
  StoreMsg sm;
  auto bad = fs->LoadMsg(5, &sm);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorrupt);
  auto next = fs->LoadNextMsg(">", true, 5, &sm);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(sm.seq, 6u);
  auto last = fs->LoadLastMsg(">", &sm);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code(), ErrorCode::kStoreMsgNotFound);
  EXPECT_EQ(fs->State().msgs, 10u);
}

// The header length is outside the checksum; a bad one costs that message
// only, not the rest of the block.
TEST(FileStoreRecovery, BadHeaderLengthFailsOneMessage) {
  CraftedStore s;
  std::vector<uint8_t> b;
  size_t off5 = 0;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    if (seq == 5) off5 = b.size();
    const std::string hdr = "NATS/1.0\r\nA: b\r\n\r\n";
    const std::string payload = "p";
    AppendRecord(b, BlockHashKey(kStream, 1), seq, kT0 + static_cast<int64_t>(seq), "orders.h",
                 std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hdr.data()), hdr.size()),
                 std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), 1));
  }
  b[off5 + 22 + 8 + 3] = 0x7f;  // high byte of seq 5's header length
  s.Block(1, b);
  auto fs = s.Open();
  ASSERT_TRUE(fs);
  const auto st = fs->State();
  EXPECT_EQ(st.msgs, 10u);
  EXPECT_FALSE(st.lost.has_value());
  StoreMsg sm;
  EXPECT_FALSE(fs->LoadMsg(5, &sm));
  ASSERT_TRUE(fs->LoadMsg(6, &sm));
  ASSERT_TRUE(fs->LoadMsg(10, &sm));
  EXPECT_EQ(sm.hdr().size(), 18u);
}

// Hostile sequence ranges: an index claiming a block spans 2^40 sequences,
// a block whose records jump by 2^40, two blocks 2^40 apart. The open and
// every call return; nothing allocates for the range.
TEST(FileStoreRecovery, HostileRangesNeitherCrashNorHang) {
  const uint64_t big = uint64_t{1} << 40;
  {
    CraftedStore s;
    std::vector<uint8_t> b;
    CraftedStore::Msg(b, 1, 1, "orders.a");
    s.Block(1, b);
    s.IndexDb(big, b.size(), 1, big, {{1, b.size(), 1, big}}, 1, LastChecksum(b));
    auto fs = s.Open();
    ASSERT_TRUE(fs);
    StoreMsg sm;
    (void)fs->LoadMsg(1, &sm);  // answers, whatever it is
    (void)fs->State();
  }
  {
    CraftedStore s;
    std::vector<uint8_t> b;
    CraftedStore::Msg(b, 1, 1, "orders.a");
    CraftedStore::Msg(b, 1, big, "orders.a");
    s.Block(1, b);
    // The server would try to index 2^40 slots; here the open stops with
    // a message naming the block.
    auto r = FileStore::Open(s.path(), {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("1.blk"), std::string::npos) << r.error().message();
  }
  {
    CraftedStore s;
    std::vector<uint8_t> b1;
    std::vector<uint8_t> b2;
    CraftedStore::Msg(b1, 1, 1, "orders.a");
    CraftedStore::Msg(b2, 2, big, "orders.a");
    s.Block(1, b1);
    s.Block(2, b2);
    s.IndexDb(2, b1.size() + b2.size(), 1, big, {{1, b1.size(), 1, 1}, {2, b2.size(), big, big}}, 2,
              LastChecksum(b2));
    auto fs = s.Open();
    ASSERT_TRUE(fs);
    StreamState fast;
    fs->FastState(&fast);
    EXPECT_EQ(fast.num_deleted, static_cast<int64_t>(big - 2));
    const auto st = fs->State();
    EXPECT_EQ(st.num_deleted, static_cast<int64_t>(big - 2));
    EXPECT_TRUE(st.deleted.empty());  // too many to list
  }
}

}  // namespace
}  // namespace natscpp::store
