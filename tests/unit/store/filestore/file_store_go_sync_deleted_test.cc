// Ports of the v2.14.5 tests of the delete blocks built over single-message
// and emptied blocks, removeMsgsInRange and SyncDeleted in
// server/filestore_test.go, and the file-store half of
// TestNoRaceStoreStreamEncoderDecoder in server/norace_2_test.go.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "api/seqset_delete_block.h"
#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "natscpp/store/state_codec.h"
#include "delete_blocks_fixture.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;
using filestore::MsgId;

// removeMsgsInRange, which must not fail; impl.mu held.
void Remove(FileStore::Impl& impl, uint64_t first, uint64_t last, bool via_limits) {
  auto r = impl.RemoveMsgsInRange(first, last, via_limits);
  ASSERT_TRUE(r) << r.error().message();
}

TEST(FileStore, TestFileStoreDeleteBlocksWithSingleMessageBlocks) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(256);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));
  // One message fills a block: [1,20] in 20 blocks.
  {
    auto& impl = fs.ImplForTesting();
    std::lock_guard lock(impl.mu);
    ASSERT_EQ(impl.blks.size(), 20u);
  }

  // A gap: [1,9] [11,20].
  (void)fs.RemoveMsg(10);
  CheckDeleteBlocks(fs, Blocks(Range(10, 1)));
  // Wider: [1,9] [12,20].
  (void)fs.RemoveMsg(11);
  CheckDeleteBlocks(fs, Blocks(Range(10, 2)));
  // A second gap: [1,4] [6,9] [12,20].
  (void)fs.RemoveMsg(5);
  CheckDeleteBlocks(fs, Blocks(Range(5, 1), Range(10, 2)));
  // The blocks between the gaps go: [1,4] [12,20].
  for (uint64_t seq : {6, 7, 8, 9}) (void)fs.RemoveMsg(seq);
  CheckDeleteBlocks(fs, Blocks(Range(5, 7)));
  // More gaps: [1,2] [4,4] [12,15] [19,20].
  for (uint64_t seq : {3, 16, 17, 18}) (void)fs.RemoveMsg(seq);
  CheckDeleteBlocks(fs, Blocks(Range(3, 1), Range(5, 7), Range(16, 3)));
  // The first sequence going opens no gap: [2,2] [4,4] [12,15] [19,20].
  (void)fs.RemoveMsg(1);
  CheckDeleteBlocks(fs, Blocks(Range(3, 1), Range(5, 7), Range(16, 3)));
  // The last one does (an empty block from 21 stays):
  // [2,2] [4,4] [12,15] [19,19].
  (void)fs.RemoveMsg(20);
  CheckDeleteBlocks(fs, Blocks(Range(3, 1), Range(5, 7), Range(16, 3), Range(20, 1)));
  // Removing 19 joins the last two gaps: [2,2] [4,4] [12,15].
  (void)fs.RemoveMsg(19);
  CheckDeleteBlocks(fs, Blocks(Range(3, 1), Range(5, 7), Range(16, 5)));
}

TEST(FileStore, TestFileStoreDeleteBlocksWithManyEmptyBlocks) {
  // Six empty-payload records of 33 bytes fill a block.
  PlainStore s(33 * 6);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  auto& impl = fs.ImplForTesting();

  // Block 1: six messages.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, {}, 0));
  // Each following block holds a tombstone for block 1 and, but for the
  // first, two for the block before it, and, but for the last, two new
  // messages for the next block to remove.
  for (int i = 0; i < 5; ++i) {
    {
      std::lock_guard lock(impl.mu);
      auto nb = impl.NewMsgBlockForWrite();
      ASSERT_TRUE(nb) << nb.error().message();
    }
    auto r = fs.RemoveMsg(static_cast<uint64_t>(i + 2));
    ASSERT_TRUE(r) << r.error().message();
    if (i > 0) {
      for (int j = 0; j < 2; ++j) {
        auto rj = fs.RemoveMsg(static_cast<uint64_t>(7 + (i - 1) * 2 + j));
        ASSERT_TRUE(rj) << rj.error().message();
      }
    }
    if (i < 4) {
      for (int j = 0; j < 2; ++j) ASSERT_TRUE(fs.StoreMsg("foo", {}, {}, 0));
    }
  }

  CheckDeleteBlocks(fs, Blocks(Set({2, 3, 4, 5, 6}), Range(7, 8)));

  // Compacting every block leaves one gap from 2 to 14.
  {
    std::lock_guard lock(impl.mu);
    for (auto& mb : impl.blks) (void)mb->CompactWithFloor(0, nullptr);
  }
  CheckDeleteBlocks(fs, Blocks(Range(2, 13)));
}

TEST(FileStore, TestFileStoreRemoveMsgsInRange) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(256);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));

  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  const auto first_seq = [&](size_t i) { return impl.blks[i]->first.seq; };

  ASSERT_EQ(impl.blks.size(), 20u);

  // [1,1] goes with its block.
  Remove(impl, 1, 1, true);
  ASSERT_EQ(impl.blks.size(), 19u);
  EXPECT_EQ(first_seq(0), 2u);

  // Again: nothing to do, blocks [2,20] left.
  Remove(impl, 1, 1, true);
  ASSERT_EQ(impl.blks.size(), 19u);
  EXPECT_EQ(first_seq(0), 2u);

  // [1,2] takes the block of 2: [3,20] left.
  Remove(impl, 1, 2, true);
  ASSERT_EQ(impl.blks.size(), 18u);
  EXPECT_EQ(first_seq(0), 3u);

  // The first two blocks [3,4]: [5,20] left.
  Remove(impl, 3, 4, true);
  ASSERT_EQ(impl.blks.size(), 16u);
  EXPECT_EQ(first_seq(0), 5u);

  // [9,13]: [5,8] [14,20] left.
  Remove(impl, 9, 13, true);
  ASSERT_EQ(impl.blks.size(), 11u);
  CheckDeleteBlocks(fs, Blocks(Range(9, 5)));

  // [8,8] widens the gap: [5,7] [14,20].
  Remove(impl, 8, 8, true);
  ASSERT_EQ(impl.blks.size(), 10u);
  CheckDeleteBlocks(fs, Blocks(Range(8, 6)));

  // [17,17] makes another: [5,7] [14,16] [18,20].
  Remove(impl, 17, 17, true);
  ASSERT_EQ(impl.blks.size(), 9u);
  CheckDeleteBlocks(fs, Blocks(Range(8, 6), Range(17, 1)));

  // The last block: [5,7] [14,16] [18,19] and an empty block from 21.
  Remove(impl, 20, 20, true);
  CheckDeleteBlocks(fs, Blocks(Range(8, 6), Range(17, 1), Range(20, 1)));

  // [7,18]: [5,6] [19] left.
  Remove(impl, 7, 18, true);
  ASSERT_EQ(impl.blks.size(), 4u);
  CheckDeleteBlocks(fs, Blocks(Range(7, 12), Range(20, 1)));

  // Everything: one empty block left.
  Remove(impl, 1, 20, true);
  ASSERT_EQ(impl.blks.size(), 1u);
  EXPECT_EQ(impl.blks[0]->msgs, 0u);
}

TEST(FileStore, TestFileStoreRemoveMsgsInRangePartialBlocks) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  const std::vector<uint8_t> msg(16);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));

  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  const auto first_seq = [&](size_t i) { return impl.blks[i]->first.seq; };
  const auto last_seq = [&](size_t i) { return impl.blks[i]->last.seq; };
  const auto compact = [&](size_t i) {
    auto r = impl.blks[i]->CompactWithFloor(0, nullptr);
    EXPECT_TRUE(r) << r.error().message();
  };

  // [1,5] [6,10] [11,15] [16,20].
  ASSERT_EQ(impl.blks.size(), 4u);

  // [5,6]: [1,4] [7,10] [11,15] [16,20].
  Remove(impl, 5, 6, true);
  compact(0);
  ASSERT_EQ(impl.blks.size(), 4u);
  EXPECT_EQ(first_seq(0), 1u);
  EXPECT_EQ(last_seq(0), 4u);
  EXPECT_EQ(first_seq(1), 7u);
  EXPECT_EQ(last_seq(1), 10u);

  // [4,11]: [1,3] [12,15] [16,20].
  Remove(impl, 4, 11, true);
  compact(0);
  ASSERT_EQ(impl.blks.size(), 3u);
  EXPECT_EQ(first_seq(0), 1u);
  EXPECT_EQ(last_seq(0), 3u);
  EXPECT_EQ(first_seq(1), 12u);
  EXPECT_EQ(last_seq(1), 15u);

  // [13,14]: [1,3] {12,15} [16,20].
  Remove(impl, 13, 14, true);
  compact(1);
  ASSERT_EQ(impl.blks.size(), 3u);
  EXPECT_EQ(first_seq(0), 1u);
  EXPECT_EQ(last_seq(0), 3u);
  EXPECT_EQ(impl.blks[1]->msgs, 2u);
  EXPECT_EQ(first_seq(1), 12u);
  EXPECT_EQ(last_seq(1), 15u);

  // [13,20]: [1,3] {12} and an empty block from 21.
  Remove(impl, 13, 20, true);
  compact(1);
  ASSERT_EQ(impl.blks.size(), 3u);
  EXPECT_EQ(first_seq(0), 1u);
  EXPECT_EQ(last_seq(0), 3u);
  EXPECT_EQ(impl.blks[1]->msgs, 1u);
  EXPECT_EQ(first_seq(1), 12u);
  EXPECT_EQ(last_seq(1), 12u);

  // [10,20]: [1,3] and the empty block.
  Remove(impl, 10, 20, true);
  ASSERT_EQ(impl.blks.size(), 2u);

  // Everything: the empty block from 21 alone.
  Remove(impl, 1, 30, true);
  ASSERT_EQ(impl.blks.size(), 1u);
  EXPECT_EQ(first_seq(0), 21u);
  EXPECT_EQ(last_seq(0), 20u);
}

TEST(FileStore, TestFileStoreRemoveMsgsInRangeWithTombstones) {
  PlainStore s(256);
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  auto& impl = fs.ImplForTesting();
  const auto new_block = [&] {
    std::lock_guard lock(impl.mu);
    auto nb = impl.NewMsgBlockForWrite();
    ASSERT_TRUE(nb) << nb.error().message();
  };
  const auto store4 = [&] {
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, {}, 0));
  };

  // Block 1: [1,4].
  store4();
  // Block 2: [5,8].
  new_block();
  store4();
  // Block 3: [9,12], tombstones {4,3,2,10}.
  new_block();
  store4();
  (void)fs.RemoveMsg(4);
  (void)fs.RemoveMsg(3);
  (void)fs.RemoveMsg(2);
  (void)fs.RemoveMsg(10);
  // Block 4: [13,16], tombstones {14,15}.
  new_block();
  store4();
  (void)fs.RemoveMsg(14);
  (void)fs.RemoveMsg(15);
  // Block 5: [17,20].
  new_block();
  store4();

  std::lock_guard lock(impl.mu);
  const auto check_block = [&](size_t i, uint64_t fseq, uint64_t lseq, std::vector<uint64_t> tombs) {
    SCOPED_TRACE("block " + std::to_string(i));
    ASSERT_LT(i, impl.blks.size());
    MsgBlock& mb = *impl.blks[i];
    EXPECT_EQ(mb.first.seq, fseq);
    EXPECT_EQ(mb.last.seq, lseq);
    std::vector<uint64_t> got;
    for (const MsgId& id : mb.Tombstones()) got.push_back(id.seq);
    EXPECT_EQ(got, tombs);
  };

  ASSERT_EQ(impl.blks.size(), 5u);
  check_block(0, 1, 4, {});
  check_block(1, 5, 8, {});
  check_block(2, 9, 12, {4, 3, 2, 10});
  check_block(3, 13, 16, {14, 15});
  check_block(4, 17, 20, {});

  // [4,17]: block 1 loses only its tail, already deleted; block 2 has no
  // tombstones for earlier blocks and goes; block 3 has some and stays,
  // emptied; block 4's tombstones are its own, so it goes; block 5 starts
  // after 17.
  Remove(impl, 4, 17, false);
  check_block(0, 1, 4, {});
  check_block(1, 13, 12, {4, 3, 2, 10});
  check_block(2, 18, 20, {9, 11, 17});

  // Past the last sequence: everything, one empty block with a tombstone.
  Remove(impl, 1, 100, false);
  ASSERT_EQ(impl.blks.size(), 1u);
  check_block(0, 21, 20, {20});

  // The empty block stays.
  Remove(impl, 1, 100, false);
  ASSERT_EQ(impl.blks.size(), 1u);
  check_block(0, 21, 20, {20});
}

// SyncDeleted walking the blocks' delete maps while other threads reload
// the blocks (which rebuilds those maps) must not race. The store has one
// mutex and no per-block locks: the reloaders hold it where Go holds the
// block's lock.
TEST(FileStore, TestFileStoreSyncDeletedDmapAliasRace) {
  PlainStore s(1024);  // small, for many blocks
  ASSERT_TRUE(s.fs);
  FileStore& fs = *s.fs;
  auto& impl = fs.ImplForTesting();

  const std::vector<uint8_t> msg(50, 'Z');
  constexpr uint64_t kTotal = 600;
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_TRUE(fs.StoreMsg("foo", {}, msg, 0));

  // Interior deletes in many blocks.
  for (uint64_t seq = 2; seq <= kTotal - 1; seq += 3) {
    auto r = fs.RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
  }

  // Compact every block but the last, so a reload must rebuild the holes
  // into the delete map.
  {
    std::lock_guard lock(impl.mu);
    ASSERT_GT(impl.blks.size(), 1u);
    for (size_t i = 0; i + 1 < impl.blks.size(); ++i) {
      auto r = impl.blks[i]->CompactWithFloor(0, nullptr);
      ASSERT_TRUE(r) << r.error().message();
    }
  }

  // The delete blocks to feed back (owned copies, not the blocks' maps).
  DeleteBlocks dbs;
  std::vector<MsgBlock*> blks;
  {
    std::lock_guard lock(impl.mu);
    dbs = impl.DeleteBlocksLocked();
    for (auto& mb : impl.blks) blks.push_back(mb.get());
  }
  ASSERT_FALSE(dbs.empty());
  const StreamState before = fs.State();

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      while (!stop.load()) (void)fs.SyncDeleted(dbs);
    });
  }
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        for (MsgBlock* mb : blks) {
          std::lock_guard lock(impl.mu);
          mb->TryForceExpireCache();
          (void)mb->LoadCache(nullptr);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& t : threads) t.join();

  // Still usable; syncing with its own deletes changed nothing.
  const StreamState after = fs.State();
  EXPECT_EQ(after.msgs, before.msgs);
  EXPECT_EQ(after.first_seq, before.first_seq);
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.deleted, before.deleted);
}

// File-store half only: there is no memory store yet.
TEST(FileStore, TestNoRaceStoreStreamEncoderDecoder) {
  TempDir dir("fssyncdel");
  FileStoreConfig fcfg;
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.subjects = {"*"};
  cfg.max_msgs_per = 1;
  cfg.storage = StorageType::kFile;
  auto r = FileStore::Create(dir.path() / "zzz", fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  ASSERT_TRUE(r) << r.error().message();
  FileStore& fs = **r;

  std::mt19937_64 prand(2222222);
  std::uniform_int_distribution<int> key_dist(0, 256'000 - 1);
  std::string msg;
  for (int i = 0; i < 33; ++i) msg += "ABC";  // ~100 bytes
  constexpr size_t kMaxEncodeSize = 700 * 1024;

  // Go runs 10 s with a check every second; scaled down to 2 s with a
  // check every 200 ms.
  using Clock = std::chrono::steady_clock;
  const auto done = Clock::now() + std::chrono::seconds(2);
  auto next_tick = Clock::now() + std::chrono::milliseconds(200);
  int checks = 0;
  while (Clock::now() < done) {
    if (Clock::now() >= next_tick) {
      next_tick += std::chrono::milliseconds(200);
      StreamState state;
      fs.FastState(&state);
      if (state.num_deleted == 0) continue;
      auto snap = fs.EncodedStreamState(0);
      ASSERT_TRUE(snap) << snap.error().message();
      ASSERT_LE(snap->size(), kMaxEncodeSize);
      auto ss = DecodeStreamState(*snap);
      ASSERT_TRUE(ss) << ss.error().message();
      EXPECT_FALSE(ss->deleted.empty());
      ++checks;
      continue;
    }
    (void)fs.StoreMsg(std::to_string(key_dist(prand)), {}, Bytes(msg), 0);
  }
  EXPECT_GT(checks, 0);
}

}  // namespace
}  // namespace natscpp::store::testing
