// Ports of the v2.14.5 block-compaction tests in server/filestore_test.go
// (msgBlock.compact, shouldCompactInline/Sync and the sync pass). Go reaches
// into fs.blks and a block's counters; these do the same through
// FileStore::ImplForTesting, holding the store's lock as Go holds mb.mu.
#include <gtest/gtest.h>

#include <mutex>
#include <string>

#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;

class FileStoreGoCompaction : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }
  std::unique_ptr<FileStore> Create(uint64_t block_size, const StreamConfig& cfg) {
    FileStoreConfig f;
    f.block_size = block_size;
    auto fs = FileStore::Create(StreamDir(), f, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  static StreamConfig Cfg(std::vector<std::string> subjects, int64_t max_msgs_per = 0,
                          std::string name = "zzz") {
    StreamConfig c;
    c.name = std::move(name);
    c.subjects = std::move(subjects);
    c.storage = StorageType::kFile;
    c.max_msgs_per = max_msgs_per;
    return c;
  }
  // Go's fs.Utilization(): the blocks' bytes on disk and the bytes of the
  // messages they hold.
  static std::pair<uint64_t, uint64_t> Utilization(FileStore& fs) {
    auto& impl = fs.ImplForTesting();
    std::lock_guard lock(impl.mu);
    uint64_t total = 0, used = 0;
    for (const auto& mb : impl.blks) {
      total += mb->rbytes;
      used += mb->bytes;
    }
    return {total, used};
  }
  TempDir dir_{"fsgocompaction"};
};

TEST_F(FileStoreGoCompaction, TestFileStoreMsgBlockCompactionAndHoles) {
  auto fs = Create(0, Cfg({"*"}, 1));
  ASSERT_TRUE(fs);
  const std::string msg(1024, 'Z');
  for (const char* subj : {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"}) {
    ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  }
  // Leave the first one, delete the rest.
  for (uint64_t seq = 2; seq < 10; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  auto& impl = fs->ImplForTesting();
  const auto [tb, ub] = Utilization(*fs);
  {
    std::lock_guard lock(impl.mu);
    ASSERT_FALSE(impl.blks.empty());
    auto r = impl.blks.front()->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }
  const auto [ta, ua] = Utilization(*fs);
  (void)tb;
  EXPECT_EQ(ub, ua);
  EXPECT_EQ(ta, ua);
}

TEST_F(FileStoreGoCompaction, TestFileStoreMsgBlockShouldCompact) {
  auto fs = Create(0, Cfg({"foo.*"}));
  ASSERT_TRUE(fs);
  // 127 fit into a block.
  const std::string msg(64 * 1024, 'Z');
  for (int i = 0; i < 190; ++i) ASSERT_TRUE(fs->StoreMsg("foo.22", {}, Bytes(msg), 0));
  EXPECT_GT(NumMsgBlocks(StreamDir()), 1);
  // Deleting the second half of the first block puts tombstones in the
  // second one.
  for (uint64_t seq = 64; seq <= 127; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  auto& impl = fs->ImplForTesting();
  std::lock_guard lock(impl.mu);
  ASSERT_GE(impl.blks.size(), 2u);
  MsgBlock* fblk = impl.blks[0].get();
  MsgBlock* sblk = impl.blks[1].get();
  // The removals compacted the first block already.
  EXPECT_EQ(fblk->bytes, fblk->rbytes);
  EXPECT_FALSE(fblk->ShouldCompactInline());
  EXPECT_FALSE(sblk->ShouldCompactInline());
}

TEST_F(FileStoreGoCompaction, TestFileStoreDmapBlockRecoverAfterCompact) {
  auto fs = Create(256, Cfg({"foo.*"}, 1));
  ASSERT_TRUE(fs);
  const std::string msg = "hello";
  // Six messages fill the first block.
  for (int i = 1; i <= 6; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes(msg), 0));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  // Holes in the first block through max msgs per subject of 1.
  for (int i = 2; i < 6; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes(msg), 0));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 2);

  auto& impl = fs->ImplForTesting();
  std::lock_guard lock(impl.mu);
  MsgBlock* mb = impl.blks.front().get();
  auto c = mb->CompactWithFloor(0, nullptr);
  ASSERT_TRUE(c) << c.error().message();
  // Forget the delete map and rebuild it from the compacted records alone.
  mb->dmap.Empty();
  auto r = mb->RebuildState();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->lost.has_value());
  EXPECT_EQ(r->tombstones.size(), 0u);
  EXPECT_EQ(mb->dmap.Size(), 4u);
}

TEST_F(FileStoreGoCompaction, TestFileStoreDontSpamCompactWhenMostlyTombstones) {
  // Go's defaultMediumBlockSize.
  auto fs = Create(4 * 1024 * 1024, Cfg({"foo"}, 0, "TEST"));
  ASSERT_TRUE(fs);
  const std::string msg(100, 'X');
  const int total_blks_after_store = 6;
  const uint64_t expected_lseq = 31'536ull * (total_blks_after_store - 1) + 2;
  for (uint64_t seq = 1; seq <= expected_lseq; ++seq) {
    auto r = fs->StoreMsg("foo", {}, Bytes(msg), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  auto& impl = fs->ImplForTesting();
  uint64_t fseq = 0;
  {
    std::lock_guard lock(impl.mu);
    ASSERT_EQ(impl.blks.size(), static_cast<size_t>(total_blks_after_store));
    // The last block holds the last two messages.
    fseq = impl.lmb->first.seq;
    EXPECT_EQ(fseq, expected_lseq - 1);
    EXPECT_EQ(impl.lmb->last.seq, expected_lseq);
  }
  // Removing everything before the last block fills it with tombstones.
  for (uint64_t seq = 1; seq < fseq; ++seq) {
    auto removed = fs->RemoveMsg(seq);
    ASSERT_TRUE(removed) << removed.error().message();
    ASSERT_TRUE(*removed);
  }
  std::lock_guard lock(impl.mu);
  // So many tombstones that a new block holds the rest.
  ASSERT_EQ(impl.blks.size(), 2u);
  MsgBlock* fmb = impl.blks[0].get();
  // Marked deleted by hand, as Go's test does, so that RemoveMsg's own
  // compaction stays out of it.
  fmb->dmap.Insert(expected_lseq);
  fmb->bytes /= 2;
  // About 4 MB of block, nearly all tombstones, around one 100-byte
  // message: worth trying.
  EXPECT_EQ(fmb->bytes, 133u);
  EXPECT_EQ(fmb->cbytes, 0u);
  EXPECT_TRUE(fmb->ShouldCompactInline());
  // It succeeds but frees little: tombstones are not cleaned inline.
  auto c = fmb->CompactWithFloor(0, nullptr);
  ASSERT_TRUE(c) << c.error().message();
  // So it must not be tried again until enough is removed.
  EXPECT_FALSE(fmb->ShouldCompactInline());
  EXPECT_EQ(fmb->bytes, 133u);
  EXPECT_EQ(fmb->cbytes, fmb->bytes);
  fmb->bytes /= 2;
  EXPECT_TRUE(fmb->ShouldCompactInline());
}

TEST_F(FileStoreGoCompaction, TestFileStoreEraseMsgWithDbitSlots) {
  auto fs = Create(0, Cfg({"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("abd"), 0));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->SkipMsg(0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("abd"), 0));
  // Compacting away the skips leaves deleted slots in the cache index.
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    auto c = impl.blks.front()->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(c) << c.error().message();
  }
  auto removed = fs->EraseMsg(1);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed);
}

TEST_F(FileStoreGoCompaction, TestFileStoreRecoverWithRemovesAndNoIndexDB) {
  auto fs = Create(250, Cfg({"foo.*"}));
  ASSERT_TRUE(fs);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("abc"), 0));
  ASSERT_TRUE(fs->RemoveMsg(1));
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(8));
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.first_seq, 3u);
  EXPECT_EQ(ss.last_seq, 10u);
  EXPECT_EQ(ss.msgs, 7u);
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    auto c = impl.lmb->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(c) << c.error().message();
  }
  ASSERT_TRUE(fs->Stop());
  fs.reset();
  std::filesystem::remove(StreamDir() / "msgs" / "index.db");

  FileStoreOpenOptions o;
  o.read_only = false;
  auto re = FileStore::Open(StreamDir(), o);
  ASSERT_TRUE(re) << re.error().message();
  StreamState after;
  (*re)->FastState(&after);
  EXPECT_EQ(after.first_seq, 3u);
  EXPECT_EQ(after.last_seq, 10u);
  EXPECT_EQ(after.msgs, 7u);
}

// mb.msgs must equal the span minus the delete map, after a compaction, a
// removal of the first message and a rebuild.
TEST_P(FileStorePermutations, TestFileStoreRebuildStateDmapAccountingBug) {
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.storage = StorageType::kFile;
  auto fs = Create(Fcfg(1024 * 1024), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq = 2; seq <= 40; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  auto& impl = fs->ImplForTesting();
  const auto check = [&] {
    std::lock_guard lock(impl.mu);
    const MsgBlock* mb = impl.blks.front().get();
    const uint64_t dmap_len = mb->dmap.Size();
    EXPECT_EQ(mb->msgs, (mb->last.seq - mb->first.seq + 1) - dmap_len)
        << "last " << mb->last.seq << " first " << mb->first.seq << " len(dmap) " << dmap_len;
  };
  check();
  {
    std::lock_guard lock(impl.mu);
    auto c = impl.blks.front()->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(c) << c.error().message();
  }
  ASSERT_TRUE(fs->RemoveMsg(1));
  {
    std::lock_guard lock(impl.mu);
    auto r = impl.blks.front()->RebuildState();
    ASSERT_TRUE(r) << r.error().message();
  }
  check();
}

TEST_P(FileStorePermutations, TestFileStoreRestoreDeleteTombstonesExceedingMaxBlkSize) {
  auto fs = Create(Fcfg(256), Cfg("zzz", {"foo.*"}));
  ASSERT_TRUE(fs);
  auto n = fs->PurgeEx("", 1'000'000'000, 0);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  // Six messages per 256-byte block.
  for (int i = 1; i <= 10'000; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("hello"), 0));
  // Removals write tombstones.
  for (uint64_t seq = 1'000'000'001; seq < 1'000'000'101; ++seq) {
    auto removed = fs->RemoveMsg(seq);
    ASSERT_TRUE(removed) << removed.error().message();
    ASSERT_TRUE(*removed);
  }
  auto& impl = fs->ImplForTesting();
  // No block, the tombstone blocks included, grew past the block size.
  std::vector<uint32_t> empty_blks;
  {
    std::unique_lock lock(impl.mu);
    // Finished blocks are compressed in the background (the server's
    // goroutines are done by now); finish that first, so the compactions
    // below find the blocks as the server's test does.
    impl.RunRecompressQueue(lock, false);
    for (const auto& mb : impl.blks) {
      EXPECT_LT(mb->bytes, 256u);
      EXPECT_LT(mb->rbytes, 256u);
      if (mb->bytes == 0 && mb.get() != impl.lmb) empty_blks.push_back(mb->index());
    }
    ASSERT_FALSE(empty_blks.empty());
    // Each of them asks for compaction, but compacting changes nothing
    // while their tombstones still matter.
    for (uint32_t index : empty_blks) {
      MsgBlock* mb = impl.bim.at(index);
      const uint64_t bytes = mb->bytes, rbytes = mb->rbytes;
      EXPECT_TRUE(mb->ShouldCompactSync());
      auto c = mb->CompactWithFloor(0, nullptr);
      ASSERT_TRUE(c) << c.error().message();
      EXPECT_EQ(mb->bytes, bytes);
      EXPECT_EQ(mb->rbytes, rbytes);
    }
  }
  // Removing the first message puts the tombstones below the first
  // sequence: the sync pass drops them, and the emptied blocks with them.
  auto removed = fs->RemoveMsg(1'000'000'000);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed);
  impl.SyncBlocks();
  std::lock_guard lock(impl.mu);
  for (uint32_t index : empty_blks) EXPECT_FALSE(impl.bim.contains(index)) << "block " << index;
}

}  // namespace
}  // namespace natscpp::store::testing
