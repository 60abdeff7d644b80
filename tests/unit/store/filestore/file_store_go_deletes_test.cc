// Ports of the v2.14.5 tests of the stream's delete blocks (deleteBlocks,
// pruneDeleteBlock), the replicated stream state and SyncDeleted /
// removeMsgsInRange in server/filestore_test.go, with our own checks of
// the encoding against the decoder.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include "api/seqset_delete_block.h"
#include "crypto/highwayhash.h"
#include "filestore/delete_blocks.h"
#include "filestore/file_store_impl.h"
#include "natscpp/store/state_codec.h"
#include "util/varint.h"
#include "delete_blocks_fixture.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

TEST(FileStore, TestFileStoreDeleteBlocks) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(20);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));
  // 5 blocks of 4: [1,4] [5,8] [9,12] [13,16] [17,20].
  ASSERT_EQ(fs.ImplForTesting().NumMsgBlocks(), 5);

  // Removing 9 opens a gap between blocks 2 and 3.
  (void)fs.RemoveMsg(9);
  CheckDeleteBlocks(fs, Blocks(Range(9, 1)));
  // Removing 10 widens it.
  (void)fs.RemoveMsg(10);
  CheckDeleteBlocks(fs, Blocks(Range(9, 2)));
  // Removing 8 is an interior delete of block 2.
  (void)fs.RemoveMsg(8);
  CheckDeleteBlocks(fs, Blocks(Set({8}), Range(9, 2)));
  // 17 and 18 make a second gap.
  (void)fs.RemoveMsg(18);
  (void)fs.RemoveMsg(17);
  CheckDeleteBlocks(fs, Blocks(Set({8}), Range(9, 2), Range(17, 2)));
  // 5, 6 and 7 empty block 2, which goes: one gap from 5 to 10.
  (void)fs.RemoveMsg(6);
  (void)fs.RemoveMsg(5);
  (void)fs.RemoveMsg(7);
  CheckDeleteBlocks(fs, Blocks(Range(5, 6), Range(17, 2)));
  // The last message is an interior delete of the last block.
  (void)fs.RemoveMsg(20);
  CheckDeleteBlocks(fs, Blocks(Range(5, 6), Range(17, 2), Set({20})));
  // Emptying the last block: the second gap runs to 20.
  (void)fs.RemoveMsg(19);
  CheckDeleteBlocks(fs, Blocks(Range(5, 6), Range(17, 4)));
  // A block in the middle goes: the first gap runs to 12.
  (void)fs.RemoveMsg(11);
  (void)fs.RemoveMsg(12);
  CheckDeleteBlocks(fs, Blocks(Range(5, 8), Range(17, 4)));
  // The first block goes: only the gap after [13,16] is left.
  for (uint64_t seq = 1; seq <= 4; ++seq) (void)fs.RemoveMsg(seq);
  CheckDeleteBlocks(fs, Blocks(Range(17, 4)));
}

TEST(FileStore, TestFileStoreDeleteRangeTwoGaps) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(256);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));
  // One message fills a block.
  ASSERT_EQ(fs.ImplForTesting().NumMsgBlocks(), 20);
  // Two gaps with blocks holding messages between them stay two ranges.
  (void)fs.RemoveMsg(10);
  (void)fs.RemoveMsg(15);
  CheckDeleteBlocks(fs, Blocks(Range(10, 1), Range(15, 1)));
}

TEST(FileStore, TestPruneDeleteBlock) {
  using filestore::PruneDeleteBlock;
  const DeleteBlocks dbs = Blocks(Range(5, 1), Set({8}), Range(9, 2), Range(47, 92), Range(139, 22), Range(200, 21));
  const DeleteBlocks local_blocks = Blocks(Set({8}), Range(9, 2), Range(139, 22), Range(170, 6), Range(200, 11));
  std::span<const std::unique_ptr<DeleteBlock>> local(local_blocks);

  // A new earlier block is not pruned.
  EXPECT_FALSE(PruneDeleteBlock(*dbs[0], local));
  EXPECT_EQ(local.size(), 5u);
  // An exact sequence-set match is.
  EXPECT_TRUE(PruneDeleteBlock(*dbs[1], local));
  EXPECT_EQ(local.size(), 4u);
  // An exact range match is.
  EXPECT_TRUE(PruneDeleteBlock(*dbs[2], local));
  EXPECT_EQ(local.size(), 3u);
  // Overlapping is not enough.
  EXPECT_FALSE(PruneDeleteBlock(*dbs[3], local));
  EXPECT_EQ(local.size(), 3u);
  // A later exact match still prunes after a mismatch.
  EXPECT_TRUE(PruneDeleteBlock(*dbs[4], local));
  EXPECT_EQ(local.size(), 2u);
  // Earlier local blocks that cannot match are skipped.
  EXPECT_FALSE(PruneDeleteBlock(*dbs[5], local));
  EXPECT_EQ(local.size(), 1u);
  // Local blocks all behind: the scan runs out.
  EXPECT_FALSE(PruneDeleteBlock(DeleteRange(300, 1), local));
  EXPECT_EQ(local.size(), 0u);
  // Nothing left locally: no prune.
  EXPECT_FALSE(PruneDeleteBlock(DeleteRange(301, 1), local));
  EXPECT_EQ(local.size(), 0u);

  // Sparse sets with the same summary and different members: no prune.
  const DeleteBlocks sparse = Blocks(Set({1, 4, 5}));
  local = sparse;
  EXPECT_FALSE(PruneDeleteBlock(*Set({1, 3, 5}), local));
  EXPECT_EQ(local.size(), 1u);
  // The same members: pruned.
  EXPECT_TRUE(PruneDeleteBlock(*Set({1, 4, 5}), local));
  EXPECT_EQ(local.size(), 0u);
  // A range matching a dense set, and a dense set matching a range.
  const DeleteBlocks dense = Blocks(Set({7, 8, 9}));
  local = dense;
  EXPECT_TRUE(PruneDeleteBlock(DeleteRange(7, 3), local));
  EXPECT_EQ(local.size(), 0u);
  const DeleteBlocks range = Blocks(Range(7, 3));
  local = range;
  EXPECT_TRUE(PruneDeleteBlock(*Set({7, 8, 9}), local));
  EXPECT_EQ(local.size(), 0u);
}

TEST(FileStore, TestFileStoreRecoverFullStateDetectCorruptState) {
  TempDir dir("fsdeletes");
  FileStoreConfig fcfg;
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.subjects = {"foo.*"};
  cfg.storage = StorageType::kFile;
  auto r = FileStore::Create(dir.path() / "zzz", fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  ASSERT_TRUE(r) << r.error().message();
  FileStore& fs = **r;
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(fs.StoreMsg("foo." + std::to_string(i), {}, Bytes("abc"), 0));
  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  ASSERT_TRUE(impl.WriteFullState(false));

  const auto sfile = dir.path() / "zzz" / "msgs" / "index.db";
  const std::string raw = ReadAll(sfile);
  ASSERT_GT(raw.size(), 2u);
  std::vector<uint8_t> buf(raw.begin(), raw.end());
  // A wrong message count (10 is one varint byte, as 0 is), then a fresh
  // checksum appended so the file passes its checks.
  util::PutUvarint(buf.data() + 2, 0);
  std::array<uint8_t, crypto::kHighwayHash64Size> sum;
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString("zzz"), buf), sum);
  buf.insert(buf.end(), sum.begin(), sum.end());
  std::ofstream(sfile, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));

  auto rec = impl.RecoverFullState();
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code(), ErrorCode::kCorruptStreamState) << rec.error().message();
}

// Our own: the encoded stream state decodes back to the store's totals and
// its delete blocks, gaps and interior deletes alike.
TEST(FileStore, EncodedStreamStateRoundTrip) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(20);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));
  for (uint64_t seq : {8, 9, 10, 17, 18, 20}) ASSERT_TRUE(fs.RemoveMsg(seq));

  auto enc = fs.EncodedStreamState(3);
  ASSERT_TRUE(enc) << enc.error().message();
  ASSERT_TRUE(IsEncodedStreamState(*enc));
  auto dec = DecodeStreamState(*enc);
  ASSERT_TRUE(dec) << dec.error().message();
  const StreamState st = fs.State();
  EXPECT_EQ(dec->msgs, st.msgs);
  EXPECT_EQ(dec->bytes, st.bytes);
  EXPECT_EQ(dec->first_seq, st.first_seq);
  EXPECT_EQ(dec->last_seq, st.last_seq);
  EXPECT_EQ(dec->failed, 3u);
  std::vector<uint64_t> deleted;
  for (const auto& db : dec->deleted) {
    db->Range([&](uint64_t seq) {
      deleted.push_back(seq);
      return true;
    });
  }
  EXPECT_EQ(deleted, (std::vector<uint64_t>{8, 9, 10, 17, 18, 20}));
  EXPECT_EQ(NumDeleted(dec->deleted), st.num_deleted);

  // No deletes: just the header and the six counts.
  PlainStore t(256);
  ASSERT_TRUE(t.fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.fs->StoreMsg("foo", {}, msg, 0));
  auto plain = t.fs->EncodedStreamState(0);
  ASSERT_TRUE(plain);
  std::vector<uint8_t> want{kStreamStateMagic, kStreamStateVersion};
  for (uint64_t v : {uint64_t{3}, st.bytes / st.msgs * 3, uint64_t{1}, uint64_t{3}, uint64_t{0}, uint64_t{0}}) {
    util::AppendUvarint(want, v);
  }
  EXPECT_EQ(*plain, want);
}

// Our own: a follower given the leader's delete blocks ends with the same
// deletes, whole blocks dropped, interior ones removed, and a second sync
// changes nothing.
TEST(FileStore, SyncDeletedMatchesLeader) {
  PlainStore leader(256), follower(256);
  ASSERT_TRUE(leader.fs && follower.fs);
  const std::vector<uint8_t> msg(20);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(leader.fs->StoreMsg("foo", {}, msg, 0));
    ASSERT_TRUE(follower.fs->StoreMsg("foo", {}, msg, 0));
  }
  for (uint64_t seq : {2, 5, 6, 7, 8, 13, 19}) ASSERT_TRUE(leader.fs->RemoveMsg(seq));
  DeleteBlocks dbs;
  {
    auto& impl = leader.fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    dbs = impl.DeleteBlocksLocked();
  }
  ASSERT_TRUE(follower.fs->SyncDeleted(dbs));
  const StreamState a = leader.fs->State(), b = follower.fs->State();
  EXPECT_EQ(b.msgs, a.msgs);
  EXPECT_EQ(b.bytes, a.bytes);
  EXPECT_EQ(b.first_seq, a.first_seq);
  EXPECT_EQ(b.last_seq, a.last_seq);
  EXPECT_EQ(b.deleted, a.deleted);
  ASSERT_TRUE(follower.fs->SyncDeleted(dbs));
  EXPECT_EQ(follower.fs->State().msgs, a.msgs);

  // Delete blocks past our last sequence are ignored; a closed store says so.
  ASSERT_TRUE(follower.fs->SyncDeleted(Blocks(Range(100, 5))));
  EXPECT_EQ(follower.fs->State().msgs, a.msgs);
  ASSERT_TRUE(follower.fs->Stop());
  auto closed = follower.fs->SyncDeleted(dbs);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), ErrorCode::kStoreClosed);
}

}  // namespace
}  // namespace natscpp::store::testing
