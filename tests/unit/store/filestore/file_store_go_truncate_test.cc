// Ports of the v2.14.5 Truncate tests in server/filestore_test.go, run
// under the six permutations (FileStorePermutations, instantiated in
// file_store_write_test.cc). Where Go looks at a block from inside
// (numMsgBlocks, pending writes, the block checksum) these look at the
// block files in msgs/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {


std::vector<char> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}


// Go's stores in these tests have a name and file storage, no subjects.
StreamConfig Zzz() {
  StreamConfig c;
  c.name = "zzz";
  c.storage = StorageType::kFile;
  return c;
}

}  // namespace

TEST_P(FileStorePermutations, TestFileStoreStreamTruncate) {
  const FileStoreConfig fcfg = Fcfg(350);
  const StreamConfig cfg = Cfg("zzz", {"*"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  uint64_t tseq = 50;
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 1; i < tseq; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ok"), 0));
  for (uint64_t i = tseq; i <= kToStore; ++i) ASSERT_TRUE(fs->StoreMsg("bar", {}, Bytes("ok"), 0));
  ASSERT_EQ(fs->State().msgs, kToStore);

  auto r = fs->Truncate(tseq);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(fs->State().msgs, tseq);

  // Deleted interior messages are reported properly.
  ASSERT_TRUE(fs->RemoveMsg(10));
  ASSERT_TRUE(fs->RemoveMsg(20));
  ASSERT_TRUE(fs->RemoveMsg(30));
  ASSERT_TRUE(fs->RemoveMsg(40));

  tseq = 25;
  r = fs->Truncate(tseq);
  ASSERT_TRUE(r) << r.error().message();
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, tseq - 2);
  EXPECT_EQ(state.deleted, (std::vector<uint64_t>{10, 20}));
  const StreamState before = state;

  // The same state is recovered.
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
  // The first block loads (Go: getFirstBlock().loadMsgs()).
  StoreMsg sm;
  auto first = fs->LoadMsg(before.first_seq, &sm);
  EXPECT_TRUE(first) << first.error().message();

  // And without index.db: the tombstones of removed blocks were kept.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / "index.db");
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreStreamTruncateResetMultiBlock) {
  auto fs = Create(Fcfg(128), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 500);

  // Reset everything.
  auto r = fs->Truncate(0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 0);

  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.bytes, 0u);
  EXPECT_EQ(state.first_seq, 0u);
  EXPECT_EQ(state.last_seq, 0u);
  EXPECT_EQ(state.num_subjects, 0);
  EXPECT_EQ(state.num_deleted, 0);

  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  state = fs->State();
  EXPECT_EQ(state.msgs, 1000u);
  EXPECT_EQ(state.bytes, 44000u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 1000u);
  EXPECT_EQ(state.num_subjects, 1);
  EXPECT_EQ(state.num_deleted, 0);
}

TEST_P(FileStorePermutations, TestFileStoreAsyncTruncate) {
  FileStoreConfig fcfg = Fcfg(8192);
  fcfg.async_flush = true;
  auto fs = Create(fcfg, Zzz());
  ASSERT_TRUE(fs);

  const std::string msg(100, '\0');
  for (uint64_t i = 1; i <= 2; ++i) {
    auto s = fs->StoreMsg("foo", {}, Bytes(msg), 0);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, i);
  }
  // Truncate flushes what was not yet written.
  auto r = fs->Truncate(1);
  ASSERT_TRUE(r) << r.error().message();

  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 1u);

  // No pending writes: the block file holds the one record kept.
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  EXPECT_EQ(std::filesystem::file_size(StreamDir() / "msgs" / "1.blk"),
            FileStoreMsgSize("foo", 0, msg.size()));
}

TEST_P(FileStorePermutations, TestFileStoreTruncateRemovedBlock) {
  // Go starts a new block before each message; a block size of one
  // record does the same.
  const uint64_t rl = FileStoreMsgSize("foo", 0, 0);
  auto fs = Create(Fcfg(rl), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 3);

  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 3u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 3u);
  EXPECT_EQ(state.num_deleted, 0);

  auto removed = fs->RemoveMsg(2);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 2);

  state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 3u);
  EXPECT_EQ(state.num_deleted, 1);

  auto r = fs->Truncate(2);
  ASSERT_TRUE(r) << r.error().message();
  state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 2u);
  EXPECT_EQ(state.num_deleted, 1);
}

TEST_P(FileStorePermutations, TestFileStoreCorrectChecksumAfterTruncate) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  const auto blk = StreamDir() / "msgs" / "1.blk";
  std::vector<char> at3;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    if (i == 2) at3 = ReadFile(blk);
  }
  ASSERT_FALSE(at3.empty());

  // After truncating, the block is back to what it was with three
  // messages, so its last checksum is the one it had then.
  auto r = fs->Truncate(3);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(ReadFile(blk), at3);

  // The checksum the store keeps for the block (written to index.db)
  // matches the file: the index is used as is on the next open.
  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  for (const auto& n : fs->RecoveryNotes()) ADD_FAILURE() << n.file << ": " << n.message;
  EXPECT_EQ(fs->State().last_seq, 3u);
  EXPECT_EQ(fs->State().msgs, 3u);
}

}  // namespace natscpp::store::testing
