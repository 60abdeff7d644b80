// Ports of the v2.14.5 erase and tombstone tests in server/filestore_test.go:
// erasing next to tombstones, tombstones in blocks of their own, recovery
// from the blocks alone (no index.db) and cache indexing over tombstones.
// The ones Go runs through testFileStoreAllPermutations run under
// FileStorePermutations (instantiated in file_store_write_test.cc); the rest
// use one default store. Where Go reads a block from inside (fs.blks,
// mb.rbytes, mb.dmap, mb.cache) these read the same fields through
// FileStore::ImplForTesting, holding the store's lock as Go holds mb.mu.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "filestore/record.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;

constexpr const char* kIndexDb = "index.db";

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

size_t NumBlocks(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.size();
}

// Go: fs.getFirstBlock.
MsgBlock* FirstBlock(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.empty() ? nullptr : I(fs).blks.front().get();
}

bool IsDeletedMsg(const Error& e) {
  return e.code() == ErrorCode::kStoreMsgNotFound && e.message() == "deleted message";
}
// Go's ErrStoreMsgNotFound itself, not errDeletedMsg.
bool IsMsgNotFound(const Error& e) {
  return e.code() == ErrorCode::kStoreMsgNotFound && !IsDeletedMsg(e);
}

void ExpectLoadDeleted(FileStore& fs, uint64_t seq) {
  StoreMsg sm;
  auto r = fs.LoadMsg(seq, &sm);
  ASSERT_FALSE(r) << "seq " << seq << " loaded";
  EXPECT_TRUE(IsDeletedMsg(r.error())) << seq << ": " << r.error().message();
}

void ExpectLoadNotFound(FileStore& fs, uint64_t seq) {
  StoreMsg sm;
  auto r = fs.LoadMsg(seq, &sm);
  ASSERT_FALSE(r) << "seq " << seq << " loaded";
  EXPECT_TRUE(IsMsgNotFound(r.error())) << seq << ": " << r.error().message();
}

bool Contains(std::span<const uint8_t> hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

StreamConfig Stream(std::vector<std::string> subjects, int64_t max_msgs_per = 0) {
  StreamConfig c;
  c.name = "zzz";
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  c.max_msgs_per = max_msgs_per;
  return c;
}

// A store of its own, for the tests Go runs once with newFileStore.
std::unique_ptr<FileStore> OpenDefault(const TempDir& dir, const StreamConfig& cfg,
                                       uint64_t block_size = 0) {
  FileStoreConfig f;
  f.block_size = block_size;
  auto fs = FileStore::Create(dir.path() / "$G" / "streams" / "zzz", f, cfg,
                              GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

}  // namespace

TEST(FileStore, TestFileStoreEraseMsg) {
  TempDir dir{"fstomb"};
  auto fs = OpenDefault(dir, Stream({}));
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));  // keeps the block
  StoreMsg smv;
  auto sm = fs->LoadMsg(1, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ(Str((*sm)->msg()), msg);
  auto removed = fs->EraseMsg(1);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed) << "Expected erase msg to return success";
  {
    std::lock_guard lock(I(*fs).mu);
    EXPECT_FALSE(I(*fs).MsgForSeq(1, nullptr)) << "Expected msg to be erased";
    ASSERT_TRUE(I(*fs).CheckAndFlushLastBlock());
  }

  // Now the record on disk.
  const uint64_t rl = FileStoreMsgSize(subj, 0, msg.size());
  std::ifstream in(dir.path() / "$G" / "streams" / "zzz" / "msgs" / "1.blk", std::ios::binary);
  ASSERT_TRUE(in) << "Error opening msg block file";
  std::vector<uint8_t> buf{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GE(buf.size(), rl);
  buf.resize(rl);
  auto rec = filestore::ParseRecord(buf, filestore::BlockHashKey("zzz", 1), false);
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_NE(Str(rec->subject), subj) << "Expected the subjects to be different";
  EXPECT_TRUE(rec->seq == 0 || rec->erased) << "Expected seq to be 0, marking as deleted, got " << rec->seq;
  EXPECT_EQ(rec->ts, 0) << "Expected timestamp to be 0";
  EXPECT_NE(Str(rec->msg), msg) << "Expected message body to be randomized";
}


TEST_P(FileStorePermutations, TestFileStoreEraseMsgDoesNotLoseTombstones) {
  const FileStoreConfig fcfg = Fcfg();
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  // The first message stays; the second is removed (a tombstone); the
  // third is secret and gets erased.
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("secret!"), 0));
  ASSERT_TRUE(fs->RemoveMsg(2));
  // A fourth message after the tombstone.
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  // Erasing the third must keep the tombstone after it.
  auto erased = fs->EraseMsg(3);
  ASSERT_TRUE(erased) << erased.error().message();

  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 2u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 4u);
  EXPECT_EQ(before.deleted, (std::vector<uint64_t>{2, 3}));
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadDeleted(*fs, 3);

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadDeleted(*fs, 3);
}

TEST_P(FileStorePermutations, TestFileStoreEraseMsgDoesNotLoseTombstonesInEmptyBlock) {
  const FileStoreConfig fcfg = Fcfg();
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  MsgBlock* mb = nullptr;
  {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).NewMsgBlockForWrite();
    ASSERT_TRUE(r) << r.error().message();
    mb = *r;
  }
  const std::string secret = "secret!";
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(secret), 0));
  // The tombstone for 2 goes into the new block after the secret.
  ASSERT_TRUE(fs->RemoveMsg(2));
  // The erase happens even though the block is left without messages, as
  // it still holds a tombstone.
  auto erased = fs->EraseMsg(3);
  ASSERT_TRUE(erased) << erased.error().message();

  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 1u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 3u);
  EXPECT_EQ(before.deleted, (std::vector<uint64_t>{2, 3}));
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadNotFound(*fs, 3);

  // The secret is gone from the block's bytes on disk (an encrypted store
  // does not rewrite: its ciphertext already hides the message).
  {
    std::lock_guard lock(I(*fs).mu);
    auto raw = mb->ReadOnDisk();
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_FALSE(Contains(*raw, secret));
  }

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadNotFound(*fs, 3);
}

TEST(FileStore, TestFileStoreEraseMsgWithAllTrailingDbitSlots) {
  TempDir dir{"fstomb"};
  auto fs = OpenDefault(dir, Stream({"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("abc"), 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("abcdefg"), 0));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->SkipMsg(0));
  // Compacting away the skips leaves deleted slots at the end of the index.
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_FALSE(I(*fs).blks.empty());
    auto c = I(*fs).blks.front()->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(c) << c.error().message();
  }
  auto removed = fs->EraseMsg(2);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed);
}

TEST(FileStore, TestFileStoreTombstoneRbytes) {
  TempDir dir{"fstomb"};
  auto fs = OpenDefault(dir, Stream({"foo.*"}), 1024);
  ASSERT_TRUE(fs);
  // 24 messages fill a block: one full block and part of a second.
  for (int i = 0; i < 34; ++i) ASSERT_TRUE(fs->StoreMsg("foo.22", {}, Bytes("hello"), 0));
  ASSERT_GT(NumBlocks(*fs), 1u);
  // Removing the second half of the first block puts tombstones in the second.
  for (uint64_t seq = 11; seq <= 24; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  std::lock_guard lock(I(*fs).mu);
  ASSERT_GT(I(*fs).blks.size(), 1u);
  const MsgBlock* blk = I(*fs).blks[1].get();
  EXPECT_GT(blk->rbytes, blk->bytes);
}

TEST_P(FileStorePermutations, TestFileStoreTombstonesNoFirstSeqRollback) {
  const FileStoreConfig fcfg = Fcfg(10 * 33);  // 10 messages per block
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 20u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 20u);
  EXPECT_EQ(NumBlocks(*fs), 2u);

  // Tombstones for every message, across blocks.
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
  }
  before = fs->State();
  EXPECT_EQ(before.msgs, 0u);
  EXPECT_EQ(before.first_seq, 21u);
  EXPECT_EQ(before.last_seq, 20u);
  // One block left, holding only tombstones.
  EXPECT_EQ(NumBlocks(*fs), 1u);

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreTombstonesSelectNextFirstCleanup) {
  const FileStoreConfig fcfg = Fcfg(10 * 33);  // 10 messages per block
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq = 2; seq <= 49; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).NewMsgBlockForWrite();
    ASSERT_TRUE(r) << r.error().message();
  }
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq = 50; seq <= 100; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));

  StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 1u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 100u);

  ASSERT_TRUE(fs->RemoveMsg(1));
  before = fs->State();
  EXPECT_EQ(before.msgs, 0u);
  EXPECT_EQ(before.first_seq, 101u);
  EXPECT_EQ(before.last_seq, 100u);

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreTombstonesSelectNextFirstCleanupOnRecovery) {
  const FileStoreConfig fcfg = Fcfg(10 * 33);  // 10 messages per block
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq = 2; seq <= 49; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).NewMsgBlockForWrite();
    ASSERT_TRUE(r) << r.error().message();
  }
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq = 50; seq <= 100; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));

  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 100u);

  // Only the tombstone, as a hard kill right after writing it would leave.
  {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).WriteTombstone(1, 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  StreamState before;
  before.first_seq = 101;
  before.last_seq = 100;
  before.last_time = state.last_time;

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

TEST(FileStore, TestFileStoreRemoveLastNoDoubleTombstones) {
  TempDir dir{"fstomb"};
  auto fs = OpenDefault(dir, Stream({"*"}, 1));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes("hello"), 0));
  {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).RemoveMsg(1, false, true);  // Go: removeMsgViaLimits
    ASSERT_TRUE(r) << r.error().message();
  }
  EXPECT_EQ(NumBlocks(*fs), 1u);
  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  {
    std::lock_guard lock(I(*fs).mu);
    std::optional<filestore::RebuildResult> rebuilt;
    (void)mb->LoadCache(&rebuilt);  // Go ignores loadMsgs' error
  }
  auto u = fs->GetUtilization();
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->total, kEmptyRecordLen);
}

TEST_P(FileStorePermutations, TestFileStoreEmptyBlockContainsPriorTombstones) {
  const FileStoreConfig fcfg = Fcfg();
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  auto new_block = [&] {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).NewMsgBlockForWrite();
    ASSERT_TRUE(r) << r.error().message();
  };

  // 1.blk
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  // 2.blk
  new_block();
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(3));  // a new write block holds this tombstone

  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 1u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 3u);
  EXPECT_EQ(before.deleted, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(NumBlocks(*fs), 3u);
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadNotFound(*fs, 3);

  // Recovery without index.db.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
  EXPECT_EQ(NumBlocks(*fs), 3u);
  ExpectLoadDeleted(*fs, 2);
  ExpectLoadNotFound(*fs, 3);

  // 3.blk
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  EXPECT_EQ(NumBlocks(*fs), 3u);

  // Removing the first message moves the first sequence up and drops the
  // blocks left with neither messages nor tombstones that still count.
  ASSERT_TRUE(fs->RemoveMsg(1));
  EXPECT_EQ(NumBlocks(*fs), 1u);
}

TEST_P(FileStorePermutations, TestFileStoreIndexCacheBufTombstoneMismatch) {
  auto fs = Create(Fcfg(), Cfg("zzz", {}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->RemoveMsg(2));

  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  std::lock_guard lock(I(*fs).mu);
  // With both the cache and the delete map gone, indexing must still work.
  mb->ClearCacheAndOffset();
  mb->dmap.Empty();
  std::optional<filestore::RebuildResult> rebuilt;
  auto r = mb->LoadCache(&rebuilt);
  ASSERT_TRUE(r) << r.error().message();

  auto* idx = mb->CacheIdxForTest();
  ASSERT_NE(idx, nullptr);
  ASSERT_EQ(idx->size(), 3u);
  EXPECT_EQ((*idx)[0], 0u);
  EXPECT_EQ((*idx)[1], 33u);
  EXPECT_EQ((*idx)[2], 66u);
}

TEST_P(FileStorePermutations, TestFileStoreIndexCacheBufTombstoneMismatchAfterCompact) {
  auto fs = Create(Fcfg(), Cfg("zzz", {}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->RemoveMsg(2));

  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  std::lock_guard lock(I(*fs).mu);
  auto c = mb->CompactWithFloor(0, nullptr);
  ASSERT_TRUE(c) << c.error().message();

  // With both the cache and the delete map gone, indexing must still work.
  mb->ClearCacheAndOffset();
  mb->dmap.Empty();
  std::optional<filestore::RebuildResult> rebuilt;
  auto r = mb->LoadCache(&rebuilt);
  ASSERT_TRUE(r) << r.error().message();

  EXPECT_EQ(mb->dmap.Size(), 1u);
  EXPECT_TRUE(mb->dmap.Exists(2));
  auto* idx = mb->CacheIdxForTest();
  ASSERT_NE(idx, nullptr);
  ASSERT_EQ(idx->size(), 3u);
  EXPECT_EQ((*idx)[0], 0u);
  // Compacted away: a deleted slot, and in the delete map (checked above).
  EXPECT_EQ((*idx)[1], MsgBlock::kDeletedBit);
  // The compaction moved the third record one slot earlier in the file.
  EXPECT_EQ((*idx)[2], 33u);
}

}  // namespace natscpp::store::testing
