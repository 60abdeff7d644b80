// Ports of assorted v2.14.5 tests in server/filestore_test.go: skips and
// the gaps they leave, block selection, recovery from blocks alone, erase,
// cache indexing against a block's state, write errors. The ones Go runs
// through testFileStoreAllPermutations run under FileStorePermutations
// (instantiated in file_store_write_test.cc); the rest use one default
// store. Where Go reads a block from inside (fs.blks, mb.dmap, mb.cache)
// these read the same fields through FileStore::ImplForTesting.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/record.h"
#include "util/msg_size.h"
#include "file_capabilities.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;
using filestore::RebuildResult;
using std::chrono::milliseconds;

constexpr const char* kIndexDb = "index.db";

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

// Go: fs.dmapEntries.
int DmapEntries(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  int total = 0;
  for (const auto& mb : I(fs).blks) total += static_cast<int>(mb->dmap.Size());
  return total;
}

// Go: fs.getFirstBlock.
MsgBlock* FirstBlock(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.empty() ? nullptr : I(fs).blks.front().get();
}

size_t NumBlocks(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.size();
}

// A name and file storage, no subjects (Go's StreamConfig{Name: "zzz"}).
StreamConfig Zzz() {
  StreamConfig c;
  c.name = "zzz";
  c.storage = StorageType::kFile;
  return c;
}

StreamConfig Named(std::string name, std::vector<std::string> subjects) {
  StreamConfig c = Zzz();
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  return c;
}

std::vector<char> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::filesystem::path& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

bool IsDeletedMsg(const Error& e) {
  return e.code() == ErrorCode::kStoreMsgNotFound && e.message() == "deleted message";
}
// Go's ErrStoreMsgNotFound itself, not errDeletedMsg.
bool IsMsgNotFound(const Error& e) {
  return e.code() == ErrorCode::kStoreMsgNotFound && !IsDeletedMsg(e);
}

// Go: isReadErr, for the errors this store raises: bad bytes read back,
// a missing or deleted message.
bool IsReadErr(const Error& e) {
  return e.code() == ErrorCode::kCorrupt || e.code() == ErrorCode::kCorruptStreamState ||
         e.code() == ErrorCode::kBadEncoding || IsDeletedMsg(e);
}

// Go: fs.stop(false, false): no index.db written.
void StopWithoutState(FileStore& fs) {
  std::unique_lock lock(I(fs).mu);
  auto r = I(fs).StopLocked(false, false, lock);
  ASSERT_TRUE(r) << r.error().message();
}

// The server's rebuildState with no lost-data report.
void RebuildState(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  I(fs).RebuildStateLocked(std::nullopt);
}

// A store of its own, for the tests Go runs once with newFileStore.
class FileStoreGoMisc : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }
  std::unique_ptr<FileStore> Open(const StreamConfig& cfg, FileStoreConfig fcfg = {}) {
    auto fs = FileStore::Create(StreamDir(), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  TempDir dir_{"fsmisc"};
};

}  // namespace

TEST_P(FileStorePermutations, TestFileStoreCollapseDmap) {
  const std::string msg = "Hello World!";
  const uint64_t stored = FileStoreMsgSize("foo", 0, msg.size());
  auto fs = Create(Fcfg(4 * stored), Zzz());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(msg), 0));
  ASSERT_EQ(fs->State().msgs, 10u);

  const auto check_dmap = [&](int total) { EXPECT_EQ(DmapEntries(*fs), total); };
  const auto check_first = [&](uint64_t seq) { EXPECT_EQ(fs->State().first_seq, seq); };

  // Out of order removals leave gaps in the delete maps.
  ASSERT_TRUE(fs->RemoveMsg(2));
  check_first(1);
  ASSERT_TRUE(fs->RemoveMsg(4));
  check_first(1);
  ASSERT_TRUE(fs->RemoveMsg(8));
  check_first(1);
  EXPECT_EQ(fs->State().msgs, 7u);
  check_dmap(3);

  // Closing the gaps collapses them.
  ASSERT_TRUE(fs->RemoveMsg(1));
  check_dmap(2);
  check_first(3);
  ASSERT_TRUE(fs->RemoveMsg(3));
  check_dmap(1);
  check_first(5);
  ASSERT_TRUE(fs->RemoveMsg(5));
  check_dmap(1);
  check_first(6);
  ASSERT_TRUE(fs->RemoveMsg(7));
  check_dmap(2);
  ASSERT_TRUE(fs->RemoveMsg(6));
  check_dmap(0);
}

TEST_P(FileStorePermutations, TestFileStoreDetectDeleteGapWithLastSkipMsg) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  // A skip past the next sequence leaves a gap, seen later as deletes.
  ASSERT_TRUE(fs->SkipMsgs(2, 3));

  // Three deletes: the skipped sequences 2..4 behind message 1.
  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 1u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 4u);
  EXPECT_EQ(before.num_deleted, 3);

  // Recovered from the blocks alone.
  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);

  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  std::lock_guard lock(I(*fs).mu);
  EXPECT_EQ(mb->first.seq, 1u);
  EXPECT_EQ(mb->last.seq, 4u);
  EXPECT_EQ(mb->dmap.Size(), 3u);
}

TEST_P(FileStorePermutations, TestFileStoreDetectDeleteGapWithOnlySkipMsg) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->SkipMsg(1));
  ASSERT_TRUE(fs->SkipMsgs(2, 3));

  // No deletes: with no messages the skips only move the sequence on.
  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 0u);
  EXPECT_EQ(before.first_seq, 5u);
  EXPECT_EQ(before.last_seq, 4u);
  EXPECT_EQ(before.num_deleted, 0);

  ASSERT_TRUE(fs->Stop());
  std::filesystem::remove(StreamDir() / "msgs" / kIndexDb);
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);

  // The block does not count the sequences between the skips as deletes.
  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  std::lock_guard lock(I(*fs).mu);
  EXPECT_EQ(mb->first.seq, 5u);
  EXPECT_EQ(mb->last.seq, 4u);
  EXPECT_EQ(mb->dmap.Size(), 0u);
}

TEST_P(FileStorePermutations, TestFileStoreIdxAccountingForSkipMsgs) {
  for (bool skip_many : {false, true}) {
    SCOPED_TRACE(skip_many ? "SkipMsgs" : "SkipMsg");
    auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
    ASSERT_TRUE(fs);
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    if (skip_many) {
      ASSERT_TRUE(fs->SkipMsgs(2, 10));
    } else {
      for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(fs->SkipMsg(i + 2));
    }
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

    {
      MsgBlock* fmb = FirstBlock(*fs);
      ASSERT_NE(fmb, nullptr);
      std::lock_guard lock(I(*fs).mu);
      StoreMsg sm;
      for (uint64_t seq = 1; seq <= 12; ++seq) {
        auto r = fmb->CacheLookup(seq, &sm);
        if (seq >= 2 && seq <= 11) {
          ASSERT_FALSE(r) << seq;
          EXPECT_TRUE(IsDeletedMsg(r.error())) << seq << ": " << r.error().message();
        } else {
          EXPECT_TRUE(r) << seq << ": " << r.error().message();
        }
      }
      auto* idx = fmb->CacheIdxForTest();
      ASSERT_NE(idx, nullptr);
      EXPECT_EQ(idx->size(), 12u);
    }
    ASSERT_TRUE(fs->Delete());
  }
}

TEST_F(FileStoreGoMisc, TestFileStoreLeftoverSkipMsgInDmap) {
  TempDir td("fsmisc");
  const auto dir = td.path() / "zzz";
  StreamConfig cfg = Named("zzz", {"test.*"});
  cfg.max_msgs_per = 1;
  auto open = [&] {
    auto fs = FileStore::Create(dir, {}, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  };
  auto check = [](FileStore& fs) {
    const StreamState state = fs.State();
    EXPECT_EQ(state.first_seq, 2u);
    EXPECT_EQ(state.last_seq, 1u);
    EXPECT_EQ(state.num_deleted, 0);
    std::lock_guard lock(I(fs).mu);
    MsgBlock* lmb = I(fs).lmb;
    ASSERT_NE(lmb, nullptr);
    EXPECT_EQ(lmb->first.seq, 2u);
    EXPECT_EQ(lmb->last.seq, 1u);
    EXPECT_EQ(lmb->dmap.Size(), 0u);
  };

  auto fs = open();
  ASSERT_TRUE(fs);
  // Only a skip.
  ASSERT_TRUE(fs->SkipMsg(0));
  check(*fs);

  // Recovered from the block file alone: the skip is no delete.
  StopWithoutState(*fs);
  fs = open();
  ASSERT_TRUE(fs);
  check(*fs);
}

TEST_F(FileStoreGoMisc, TestFileStoreRemoveMsgBlockFirst) {
  StreamConfig cfg = Named("zzz", {"test"});
  auto fs = Open(cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 0));
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 1u);
  ASSERT_TRUE(fs->Stop());

  for (const char* f : {kIndexDb, "1.blk"}) {
    std::error_code ec;
    std::filesystem::remove_all(StreamDir() / "msgs" / f, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  // With the block removed first nothing is left to recover: empty.
  cfg.allow_msg_ttl = true;
  fs = Open(cfg);
  ASSERT_TRUE(fs);
  ss = {};
  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 0u);
  EXPECT_EQ(ss.first_seq, 0u);
  EXPECT_EQ(ss.last_seq, 0u);
}

TEST_F(FileStoreGoMisc, TestFileStoreRemoveMsgBlockLast) {
  StreamConfig cfg = Named("zzz", {"test"});
  auto fs = Open(cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 0));
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 1u);

  // Keep the first block aside to put it back later.
  const auto ofn = StreamDir() / "msgs" / "1.blk";
  const auto nfn = StreamDir() / "msgs" / "1.blk.cp";
  std::filesystem::rename(ofn, nfn);

  // Removing the last message creates 2.blk and removes 1.blk.
  auto removed = fs->RemoveMsg(1);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(std::filesystem::exists(StreamDir() / "msgs" / "2.blk"));
  EXPECT_FALSE(std::filesystem::exists(ofn));
  ASSERT_TRUE(fs->Stop());

  // No index.db, and 1.blk back: as if killed after creating 2.blk and
  // before removing 1.blk.
  std::filesystem::remove_all(StreamDir() / "msgs" / kIndexDb);
  std::filesystem::rename(nfn, ofn);
  ASSERT_TRUE(std::filesystem::exists(ofn));

  cfg.allow_msg_ttl = true;
  fs = Open(cfg);
  ASSERT_TRUE(fs);
  // The right state, and 1.blk removed.
  ss = {};
  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 0u);
  EXPECT_EQ(ss.first_seq, 2u);
  EXPECT_EQ(ss.last_seq, 1u);
  EXPECT_FALSE(std::filesystem::exists(ofn));
}

TEST_P(FileStorePermutations, TestFileStoreRecoverWithEmptyMessageBlock) {
  // Four messages on "foo" with no payload per block.
  const FileStoreConfig fcfg = Fcfg(33 * 4);
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  EXPECT_EQ(NumBlocks(*fs), 1u);

  // The second block holds only two tombstones.
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    auto removed = fs->RemoveMsg(seq);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed);
  }
  EXPECT_EQ(NumBlocks(*fs), 2u);

  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 2u);
  EXPECT_EQ(before.first_seq, 3u);
  EXPECT_EQ(before.last_seq, 4u);

  // A restart gives the same state.
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);

  // So does recovering from the blocks.
  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(std::filesystem::remove(StreamDir() / "msgs" / kIndexDb));
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);

  // And rebuilding the state.
  RebuildState(*fs);
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreRecoverOnlyBlkFiles) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 1u);
  EXPECT_EQ(before.first_seq, 1u);
  EXPECT_EQ(before.last_seq, 1u);

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
  const auto msgs = StreamDir() / "msgs";
  EXPECT_TRUE(std::filesystem::exists(msgs / kIndexDb));

  // Files with ".blk" in their names that are no blocks are ignored.
  ASSERT_TRUE(fs->Stop());
  WriteFile(msgs / "10.blk.random", {});
  WriteFile(msgs / "10.blk.tmp", {});
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  // They used to make the store drop index.db.
  EXPECT_TRUE(std::filesystem::exists(msgs / kIndexDb));
  ExpectSameState(fs->State(), before);

  // Recovering from the blocks ignores them too.
  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(std::filesystem::remove(msgs / kIndexDb));
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreStateWithBlkFirstDeleted) {
  auto fs = Create(Fcfg(4096), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));

  // Delete ten messages from the start of an interior block.
  uint64_t fseq = 0;
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_GT(I(*fs).blks.size(), 2u);
    fseq = I(*fs).blks[1]->first.seq;
  }
  for (uint64_t seq = fseq; seq < fseq + 10; ++seq) {
    auto removed = fs->RemoveMsg(seq);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed);
  }

  StreamState fstate;
  fs->FastState(&fstate);
  EXPECT_EQ(fstate.num_deleted, 10);
  EXPECT_EQ(fs->State().num_deleted, 10);
}

TEST_P(FileStorePermutations, TestFileStoreSelectBlockWithFirstSeqRemovals) {
  StreamConfig cfg = Cfg("zzz", {"*"});
  cfg.max_msgs_per = 1;
  auto fs = Create(Fcfg(100), cfg);
  ASSERT_TRUE(fs);

  // Records of 50 bytes: two per block.
  const std::string msg(19, 'A');
  const std::string subjects = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+@$^";
  // Over 32 blocks for the binary search: 65 messages, 33 blocks.
  for (int i = 0; i < 32 * 2 + 1; ++i) {
    ASSERT_TRUE(fs->StoreMsg(std::string(1, subjects[static_cast<size_t>(i)]), {}, Bytes(msg), 0));
  }
  ASSERT_EQ(NumBlocks(*fs), 33u);

  // The limit removes the first message of each block, moving its first.
  for (size_t i = 0; i < subjects.size(); i += 2) {
    ASSERT_TRUE(fs->StoreMsg(std::string(1, subjects[i]), {}, Bytes(msg), 0));
  }

  StreamState ss;
  fs->FastState(&ss);
  // Selection always finds a block, at the index the sequence implies.
  std::lock_guard lock(I(*fs).mu);
  for (uint64_t seq = ss.first_seq; seq <= ss.last_seq; ++seq) {
    size_t index = SIZE_MAX;
    MsgBlock* mb = I(*fs).SelectMsgBlock(seq, &index);
    ASSERT_NE(mb, nullptr) << seq;
    EXPECT_EQ(index, (seq - 1) / 2) << seq;
  }
}

TEST_P(FileStorePermutations, TestFileStoreSelectMsgBlockBinarySearch) {
  const StreamConfig cfg = Cfg("zzz", {">"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  const auto new_block = [&] {
    std::lock_guard lock(I(*fs).mu);
    auto r = I(*fs).NewMsgBlockForWrite();
    ASSERT_TRUE(r) << r.error().message();
  };
  for (int i = 0; i < 33; ++i) {
    if (i > 0) new_block();
    for (int j = 0; j < 2; ++j) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    if (i == 15) {
      for (uint64_t seq : {2, 5}) {
        new_block();
        ASSERT_TRUE(fs->RemoveMsg(seq));
      }
    }
  }

  const auto test = [&] {
    std::lock_guard lock(I(*fs).mu);
    const auto check = [&](uint64_t seq, size_t want_i, uint32_t want_index) {
      size_t i = SIZE_MAX;
      MsgBlock* mb = I(*fs).SelectMsgBlock(seq, &i);
      ASSERT_NE(mb, nullptr) << seq;
      EXPECT_EQ(i, want_i) << seq;
      EXPECT_EQ(mb->index(), want_index) << seq;
    };
    // The blocks of the two deleted messages.
    check(2, 0, 1);
    check(5, 2, 3);
    // The first block and message.
    check(1, 0, 1);
    // A block before the tombstone blocks, after the deleted sequences.
    check(10, 4, 5);
    // A block after the tombstone blocks and the deleted sequences.
    check(64, 33, 34);
  };
  test();

  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(std::filesystem::remove(StreamDir() / "msgs" / kIndexDb));
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  test();
}

TEST_P(FileStorePermutations, TestFileStoreRebuildStateProperlyWithMaxMsgsPerSubject) {
  StreamConfig cfg = Cfg("zzz", {"foo", "bar", "baz"});
  cfg.max_msgs_per = 1;
  auto fs = Create(Fcfg(4096), cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("baz", {}, {}, 0));
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    ASSERT_TRUE(fs->StoreMsg("bar", {}, {}, 0));
  }
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.num_subjects, 3);
  EXPECT_EQ(ss.msgs, 3u);
}

TEST_F(FileStoreGoMisc, TestFileStoreRecaluclateFirstForSubjBug) {
  auto fs = Open(Named("zzz", {"*"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));  // 1
  ASSERT_TRUE(fs->StoreMsg("bar", {}, {}, 0));  // 2
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));  // 3
  ASSERT_TRUE(fs->RemoveMsg(1));
  ASSERT_TRUE(fs->RemoveMsg(2));

  std::lock_guard lock(I(*fs).mu);
  ASSERT_FALSE(I(*fs).blks.empty());
  MsgBlock* mb = I(*fs).blks[0].get();
  // The first is updated lazily: as if not yet.
  SimpleState ss{.msgs = 1, .first = 1, .last = 3, .first_needs_update = true};
  mb->ClearCacheAndOffset();
  // From the old first sequence, 1.
  ASSERT_TRUE(mb->RecalculateForSubject("foo", &ss));
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first, 3u);
  EXPECT_EQ(ss.last, 3u);
  EXPECT_FALSE(ss.first_needs_update);
  EXPECT_FALSE(ss.last_needs_update);
}

TEST_P(FileStorePermutations, TestFileStoreBadFirstAndFailedExpireAfterRestart) {
  const auto ttl = std::chrono::seconds(1);
  StreamConfig cfg = Cfg("zzz", {"foo"});
  cfg.max_age = ttl;
  const FileStoreConfig fcfg = Fcfg(256);
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  // With 256-byte blocks, sequence 8 starts the second block.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ZZ"), 0));
  // Two more after a delay.
  std::this_thread::sleep_for(milliseconds(1500));
  auto stored = fs->StoreMsg("foo", {}, Bytes("ZZ"), 0);
  ASSERT_TRUE(stored);
  const uint64_t seq = stored->seq;
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ZZ"), 0));
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_EQ(I(*fs).lmb->first.seq, 8u);
  }

  // Removing the second block's first: expiry on recovery would once set
  // the stream's first to it.
  ASSERT_TRUE(fs->RemoveMsg(seq));
  ASSERT_TRUE(fs->Stop());
  std::this_thread::sleep_for(ttl - (std::chrono::steady_clock::now() - start) + std::chrono::seconds(1));
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  // The first is 9, with its timestamp.
  StreamState state;
  fs->FastState(&state);
  const int64_t ts = state.first_time;
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 9u);
  EXPECT_NE(state.first_time, 0);

  // The expiry timer still runs.
  std::this_thread::sleep_for(2 * ttl);
  state = {};
  fs->FastState(&state);
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.first_seq, 10u);
  EXPECT_EQ(state.last_seq, 9u);
  EXPECT_EQ(state.last_time, ts);
}

TEST_P(FileStorePermutations, TestFileStoreAtomicEraseMsg) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  const bool compression = GetParam().compression != StoreCompression::kNone;
  for (bool lmb : {true, false}) {
    SCOPED_TRACE(lmb ? "lmb=true" : "lmb=false");
    auto fs = Create(Fcfg(), cfg);
    ASSERT_TRUE(fs);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

    if (!lmb) {
      MsgBlock* smb = FirstBlock(*fs);
      ASSERT_NE(smb, nullptr);
      {
        std::lock_guard lock(I(*fs).mu);
        auto mb = I(*fs).NewMsgBlockForWrite();
        ASSERT_TRUE(mb) << mb.error().message();
        EXPECT_FALSE((*mb)->CompressedOnDisk());
      }
      if (compression) {
        // The closed block gets compressed (Go waits up to 2 s).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        bool compressed = false;
        while (!compressed && std::chrono::steady_clock::now() < deadline) {
          {
            std::lock_guard lock(I(*fs).mu);
            compressed = smb->CompressedOnDisk();
          }
          if (!compressed) std::this_thread::sleep_for(milliseconds(100));
        }
        EXPECT_TRUE(compressed) << "block not compressed yet";
      }
    }

    StreamState before = fs->State();
    EXPECT_EQ(before.msgs, 3u);
    EXPECT_EQ(before.first_seq, 1u);
    EXPECT_EQ(before.last_seq, 3u);
    EXPECT_EQ(before.num_deleted, 0);

    auto removed = fs->EraseMsg(2);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed);

    before = fs->State();
    EXPECT_EQ(before.msgs, 2u);
    EXPECT_EQ(before.first_seq, 1u);
    EXPECT_EQ(before.last_seq, 3u);
    EXPECT_EQ(before.num_deleted, 1);

    auto stored = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->seq, 4u);
    before = fs->State();

    // Every block but the write block is compressed when the store
    // compresses; the write block never is.
    const auto validate_compressed = [&] {
      std::lock_guard lock(I(*fs).mu);
      for (const auto& mb : I(*fs).blks) {
        if (mb.get() == I(*fs).lmb) {
          EXPECT_FALSE(mb->CompressedOnDisk()) << mb->index();
        } else {
          EXPECT_EQ(mb->CompressedOnDisk(), compression) << mb->index();
        }
      }
    };
    validate_compressed();

    // A restart gives the same state.
    ASSERT_TRUE(fs->Stop());
    fs = Create(Fcfg(), cfg);
    ASSERT_TRUE(fs);
    ExpectSameState(fs->State(), before);
    validate_compressed();

    // So does recovering from the blocks.
    ASSERT_TRUE(fs->Stop());
    ASSERT_TRUE(std::filesystem::remove(StreamDir() / "msgs" / kIndexDb));
    fs = Create(Fcfg(), cfg);
    ASSERT_TRUE(fs);
    ExpectSameState(fs->State(), before);
    validate_compressed();

    // And rebuilding the state.
    RebuildState(*fs);
    ExpectSameState(fs->State(), before);
    validate_compressed();
    ASSERT_TRUE(fs->Delete());
  }
}

TEST_P(FileStorePermutations, TestFileStoreEraseMsgErr) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  MsgBlock* mb = FirstBlock(*fs);
  ASSERT_NE(mb, nullptr);
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_TRUE(mb->CacheLoaded()) << "Expected cache to be initialized";
  }
  // Go points the block at an empty file name so the erase's rename fails;
  // a directory where the rewrite's temporary goes fails it the same way.
  const auto tmp = StreamDir() / "msgs" / "1.blk.tmp";
  std::filesystem::create_directories(tmp / "x");
  // The erase fails without bringing the store down.
  (void)fs->EraseMsg(2);
  std::filesystem::remove_all(tmp);
}

TEST_F(FileStoreGoMisc, TestFileStoreRestoreIndexWithMatchButLeftOverBlocks) {
  StreamConfig cfg = Named("zzz", {"foo.*"});
  cfg.max_msgs_per = 1;
  FileStoreConfig fcfg;
  fcfg.block_size = 256;
  auto fs = Open(cfg, fcfg);
  ASSERT_TRUE(fs);

  // Six messages per block; fill the first two.
  for (int i = 1; i <= 12; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("hello"), 0));
  }
  ASSERT_EQ(NumBlocks(*fs), 2u);

  // index.db now matches the last record exactly; keep it.
  const auto sfile = StreamDir() / "msgs" / kIndexDb;
  ASSERT_TRUE(fs->Stop());
  const std::vector<char> buf = ReadFile(sfile);
  ASSERT_FALSE(buf.empty());

  // One more block: the limit removes the first block and leaves the
  // second, so the old index's last checksum still matches on recovery.
  fs = Open(cfg, fcfg);
  ASSERT_TRUE(fs);
  for (int i = 1; i <= 6; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("hello"), 0));
  }
  StreamState state;
  fs->FastState(&state);
  EXPECT_EQ(state.msgs, 12u);
  EXPECT_EQ(state.first_seq, 7u);
  EXPECT_EQ(state.last_seq, 18u);
  // Blocks 2 and 3.
  EXPECT_EQ(NumBlocks(*fs), 2u);

  // The old index back.
  ASSERT_TRUE(fs->Stop());
  WriteFile(sfile, buf);

  fs = Open(cfg, fcfg);
  ASSERT_TRUE(fs);
  state = {};
  fs->FastState(&state);
  EXPECT_EQ(state.msgs, 12u);
  EXPECT_EQ(state.first_seq, 7u);
  EXPECT_EQ(state.last_seq, 18u);
}

TEST_F(FileStoreGoMisc, TestFileStoreSubjectForSeq) {
  TempDir td("fsmisc");
  auto created = FileStore::Create(td.path() / "foo", {}, Named("foo", {"foo.>"}),
                                   GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  ASSERT_TRUE(created) << created.error().message();
  auto& fs = *created;

  auto stored = fs->StoreMsg("foo.bar", {}, {}, 0);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->seq, 1u);

  auto subj = fs->SubjectForSeq(0);
  ASSERT_FALSE(subj);
  EXPECT_EQ(subj.error().code(), ErrorCode::kStoreMsgNotFound);

  subj = fs->SubjectForSeq(1);
  ASSERT_TRUE(subj) << subj.error().message();
  EXPECT_EQ(*subj, "foo.bar");

  subj = fs->SubjectForSeq(2);
  ASSERT_FALSE(subj);
  EXPECT_EQ(subj.error().code(), ErrorCode::kStoreMsgNotFound);
}

TEST_P(FileStorePermutations, TestFileStoreInvalidIndexesRebuilt) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ok-1"), 0));
  ASSERT_TRUE(fs->FlushAllPending());

  // Change the first message's sequence in the loaded cache, and mark its
  // slot checked so the checksum is not looked at: the seq != record seq
  // condition alone.
  std::lock_guard lock(I(*fs).mu);
  MsgBlock* mb = I(*fs).SelectMsgBlock(1);
  ASSERT_NE(mb, nullptr);
  ASSERT_TRUE(mb->LoadCache(nullptr));
  ASSERT_TRUE(mb->CacheAlreadyLoaded());
  auto* idx = mb->CacheIdxForTest();
  auto* buf = mb->CacheBufForTest();
  ASSERT_NE(idx, nullptr);
  ASSERT_NE(buf, nullptr);
  const size_t ri = (*idx)[0] & ~(MsgBlock::kCheckedBit | MsgBlock::kDeletedBit);
  ASSERT_LE(ri + 12, buf->size());
  uint64_t seq = 0;
  for (int b = 0; b < 8; ++b) seq |= uint64_t{(*buf)[ri + 4 + b]} << (8 * b);
  ASSERT_EQ(seq, 1u);
  for (int b = 0; b < 8; ++b) (*buf)[ri + 4 + b] = static_cast<uint8_t>(uint64_t{12345} >> (8 * b));
  (*idx)[0] |= MsgBlock::kCheckedBit;

  // The lookup fails and discards the cache.
  StoreMsg sm;
  EXPECT_FALSE(mb->CacheLookup(1, &sm));
  EXPECT_FALSE(mb->CacheLoaded());

  // A fetch reloads the cache from disk with the right sequence.
  std::optional<RebuildResult> rebuilt;
  auto m = mb->Fetch(1, &sm, &rebuilt);
  I(*fs).AfterBlockRebuild(mb, rebuilt);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(sm.seq, 1u);
}

TEST_P(FileStorePermutations, TestFileStoreIndexCacheBufIdxMismatch) {
  enum Kind { kTruncateFull, kTruncatePartial, kCompactHead, kCompactTail, kCompact };
  for (Kind kind : {kTruncateFull, kTruncatePartial, kCompactHead, kCompactTail, kCompact}) {
    SCOPED_TRACE(kind);
    auto fs = Create(Fcfg(), Zzz());
    ASSERT_TRUE(fs);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

    {
      MsgBlock* mb = FirstBlock(*fs);
      ASSERT_NE(mb, nullptr);
      std::lock_guard lock(I(*fs).mu);

      uint64_t deleted = 0;
      const bool compact_head = kind == kCompactHead || kind == kCompact;
      const bool compact_tail = kind == kCompactTail || kind == kCompact;
      if (compact_head || compact_tail) {
        ASSERT_EQ(mb->first.seq, 1u);
        ASSERT_EQ(mb->last.seq, 5u);
        if (compact_head) {
          mb->first.seq = 2;
          ++deleted;
        }
        if (compact_tail) {
          mb->dmap.Insert(5);
          ++deleted;
        }
        auto r = mb->CompactWithFloor(0, nullptr);
        ASSERT_TRUE(r) << r.error().message();
        // Put the state back: the reload must notice.
        mb->first.seq = 1;
        mb->last.seq = 5;
      }

      mb->ClearCacheAndOffset();
      std::optional<RebuildResult> rebuilt;
      StoreMsg sm;
      switch (kind) {
        case kTruncateFull: {
          // Empty the file: the load finds the block's state off and
          // rebuilds and reindexes it.
          std::filesystem::resize_file(mb->path(), 0);
          auto r = mb->LoadCache(&rebuilt);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_EQ(mb->msgs, 0u);
          EXPECT_EQ(mb->first.seq, 6u);
          EXPECT_EQ(mb->last.seq, 5u);
          for (uint64_t seq = 1; seq <= 5; ++seq) {
            auto m = mb->CacheLookup(seq, &sm);
            ASSERT_FALSE(m) << seq;
            EXPECT_TRUE(IsMsgNotFound(m.error())) << seq << ": " << m.error().message();
          }
          break;
        }
        case kTruncatePartial: {
          // Half of the file.
          std::filesystem::resize_file(mb->path(), std::filesystem::file_size(mb->path()) / 2);
          auto r = mb->LoadCache(&rebuilt);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_EQ(mb->msgs, 2u);
          EXPECT_EQ(mb->first.seq, 1u);
          EXPECT_EQ(mb->last.seq, 2u);
          for (uint64_t seq = 1; seq <= 5; ++seq) {
            auto m = mb->CacheLookup(seq, &sm);
            if (seq <= 2) {
              EXPECT_TRUE(m) << seq << ": " << m.error().message();
            } else {
              ASSERT_FALSE(m) << seq;
              EXPECT_TRUE(IsMsgNotFound(m.error())) << seq << ": " << m.error().message();
            }
          }
          break;
        }
        default: {
          // The state put back no longer matches the compacted file.
          auto r = mb->LoadCache(&rebuilt);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_EQ(mb->msgs, 5 - deleted);
          EXPECT_EQ(mb->first.seq, compact_head ? 2u : 1u);
          EXPECT_EQ(mb->last.seq, compact_tail ? 4u : 5u);
          for (uint64_t seq = 1; seq <= 5; ++seq) {
            auto m = mb->CacheLookup(seq, &sm);
            if ((seq == 1 && compact_head) || (seq == 5 && compact_tail)) {
              ASSERT_FALSE(m) << seq;
              EXPECT_TRUE(IsMsgNotFound(m.error())) << seq << ": " << m.error().message();
            } else {
              EXPECT_TRUE(m) << seq << ": " << m.error().message();
            }
          }
          break;
        }
      }
    }
    ASSERT_TRUE(fs->Delete());
  }
}

TEST_F(FileStoreGoMisc, TestFileStoreIndexCacheBufEraseMsgMismatch) {
  auto fs = Open(Zzz());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->EraseMsg(2));

  // Put the store's and the block's state back to before the erase, as a
  // stale index.db would: the store must notice at run time.
  const StreamState before = fs->State();
  {
    std::lock_guard lock(I(*fs).mu);
    const uint64_t msgs = I(*fs).state.msgs;
    I(*fs).state.msgs = 3;
    EXPECT_EQ(msgs, 2u);

    MsgBlock* mb = I(*fs).blks.front().get();
    // The delete map goes too; indexing still comes out right.
    mb->ClearCacheAndOffset();
    mb->dmap.Empty();
    std::optional<RebuildResult> rebuilt;
    auto r = mb->LoadCache(&rebuilt);
    ASSERT_TRUE(r) << r.error().message();
    // What a load that rebuilt a block leads the store to do.
    I(*fs).AfterBlockRebuild(mb, rebuilt);

    auto* idx = mb->CacheIdxForTest();
    ASSERT_NE(idx, nullptr);
    ASSERT_EQ(idx->size(), 3u);
    EXPECT_EQ((*idx)[0], 0u);
    EXPECT_EQ((*idx)[1], 33u);
    EXPECT_EQ((*idx)[2], 66u);
  }

  // Go waits up to 2 s for the store's state to follow.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (fs->State().msgs != before.msgs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ExpectSameState(fs->State(), before);
}

TEST_P(FileStorePermutations, TestFileStoreCorruptedNonOrderedSequences) {
  struct Case {
    const char* title;
    std::vector<uint64_t> seqs;
    uint64_t msgs;
    uint64_t deleted;
  };
  for (const Case& c : {Case{"Unordered", {1, 3, 2, 4}, 3, 1}, Case{"Duplicated", {1, 2, 2, 3}, 3, 0}}) {
    SCOPED_TRACE(c.title);
    auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
    ASSERT_TRUE(fs);
    {
      std::lock_guard lock(I(*fs).mu);
      for (uint64_t seq : c.seqs) {
        auto r = I(*fs).WriteMsgRecord(seq, 0, "", {}, {});
        ASSERT_TRUE(r) << r.error().message();
      }
      MsgBlock* lmb = I(*fs).lmb;
      ASSERT_NE(lmb, nullptr);

      // The store does not know yet that something is off.
      EXPECT_EQ(lmb->msgs, 4u);
      EXPECT_EQ(lmb->dmap.Size(), 0u);

      // Reset, or the rebuild would keep the wrong first.
      lmb->first.seq = 0;

      // A rebuild corrects it.
      auto rb = lmb->RebuildState();
      ASSERT_TRUE(rb) << rb.error().message();
      EXPECT_EQ(lmb->msgs, c.msgs);
      EXPECT_EQ(lmb->dmap.Size(), c.deleted);

      // So does indexing.
      EXPECT_TRUE(lmb->CacheNotLoaded());
      std::optional<RebuildResult> rebuilt;
      auto r = lmb->LoadCache(&rebuilt);
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_FALSE(rebuilt.has_value());
      EXPECT_TRUE(lmb->CacheAlreadyLoaded());
    }
    ASSERT_TRUE(fs->Delete());
  }
}

TEST_P(FileStorePermutations, TestFileStoreCorruptionSetsHbitWithoutHeaders) {
  enum Kind { kMsgFromBuf, kIndexCacheBuf, kRebuildState };
  for (Kind kind : {kMsgFromBuf, kIndexCacheBuf, kRebuildState}) {
    SCOPED_TRACE(kind);
    auto fs = Create(Fcfg(), Cfg("zzz", {">"}));
    ASSERT_TRUE(fs);
    {
      std::lock_guard lock(I(*fs).mu);
      // An empty record (seq 1, no subject) whose length claims headers
      // it does not have (Go writes emptyRecordLen|hbit).
      auto w = I(*fs).WriteMsgRecord(1, 0, "", {}, {});
      ASSERT_TRUE(w) << w.error().message();
      MsgBlock* mb = I(*fs).blks.front().get();
      auto loaded = mb->LoadCache(nullptr);
      ASSERT_TRUE(loaded) << loaded.error().message();
      ASSERT_NE(mb->CacheBufForTest(), nullptr);
      std::vector<uint8_t> buf = *mb->CacheBufForTest();
      ASSERT_EQ(buf.size(), 30u);
      buf[3] |= 0x80;  // hbit, the top bit of the little-endian length

      switch (kind) {
        case kMsgFromBuf: {
          auto rec = filestore::ParseRecord(buf, filestore::BlockHashKey("zzz", mb->index()), true);
          ASSERT_FALSE(rec);
          EXPECT_EQ(rec.error().code(), ErrorCode::kCorrupt);
          EXPECT_NE(rec.error().message().find("overruns record"), std::string::npos)
              << rec.error().message();
          break;
        }
        case kIndexCacheBuf: {
          auto r = mb->IndexCacheBufForTest(buf);
          ASSERT_FALSE(r);
          EXPECT_EQ(r.error().code(), ErrorCode::kCorruptStreamState) << r.error().message();
          break;
        }
        case kRebuildState: {
          const RebuildResult res = mb->RebuildStateFromBuf(buf);
          ASSERT_TRUE(res.bad.has_value());
          EXPECT_EQ(res.bad->code(), ErrorCode::kCorrupt);
          EXPECT_NE(res.bad->message().find("overruns record"), std::string::npos) << res.bad->message();
          break;
        }
      }
    }
    ASSERT_TRUE(fs->Delete());
  }
}

TEST_P(FileStorePermutations, TestFileStoreStreamDeleteCacheBug) {
  FileStoreConfig fcfg = Fcfg();
  fcfg.cache_expire = milliseconds(50);
  auto fs = Create(fcfg, Zzz());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  auto erased = fs->EraseMsg(1);
  ASSERT_TRUE(erased) << erased.error().message();
  std::this_thread::sleep_for(milliseconds(100));
  StoreMsg sm;
  auto m = fs->LoadMsg(2, &sm);
  EXPECT_TRUE(m) << m.error().message();
}

TEST_P(FileStorePermutations, TestFileStoreStreamFailToRollBug) {
  StreamConfig cfg = Zzz();
  cfg.max_bytes = 300;
  auto fs = Create(Fcfg(512), cfg);
  ASSERT_TRUE(fs);

  // The blocks roll as they should.
  std::string msg;
  for (int i = 0; i < 33; ++i) msg += "ABC";  // ~100 bytes
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes(msg), 0));

  std::lock_guard lock(I(*fs).mu);
  ASSERT_EQ(I(*fs).blks.size(), 1u);
  const MsgBlock* mb = I(*fs).blks[0].get();
  EXPECT_GE(mb->index(), 60u);
  std::error_code ec;
  const auto size = std::filesystem::file_size(mb->path(), ec);
  if (!ec) {
    EXPECT_LE(size, 512u);
  }
}

TEST_F(FileStoreGoMisc, TestFileStoreRestartWithExpireAndLockingBug) {
  StreamConfig scfg = Named("zzz", {"*"});
  auto fs = Open(scfg);
  ASSERT_TRUE(fs);
  // 20 in all.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes("HELLO WORLD"), 0));
    ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes("HELLO WORLD"), 0));
  }
  ASSERT_TRUE(fs->Stop());

  // Change the configuration underneath, so the limits run at startup.
  scfg.max_msgs = 15;
  scfg.max_msgs_per = 2;
  {
    std::lock_guard lock(I(*fs).mu);
    I(*fs).info.config = scfg;
    auto r = I(*fs).WriteStreamMeta();
    ASSERT_TRUE(r) << r.error().message();
  }

  fs = Open(scfg);
  ASSERT_TRUE(fs);
}

TEST_P(FileStorePermutations, TestFileStoreEncryptedKeepIndexNeedBekResetBug) {
  StreamConfig cfg = Zzz();
  cfg.max_age = std::chrono::seconds(1);
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ouch"), 0));

  // Down to none, leaving the marker (Go waits up to 5 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (fs->State().msgs != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(fs->State().msgs, 0u);

  // More messages.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("ouch"), 0));

  // The write block's cache cleared.
  {
    std::lock_guard lock(I(*fs).mu);
    I(*fs).lmb->ClearCacheAndOffset();
  }
  // It still reads.
  StoreMsg sm;
  auto m = fs->LoadMsg(10, &sm);
  EXPECT_TRUE(m) << m.error().message();
}

TEST_F(FileStoreGoMisc, TestFileStoreStoreRawMessageThrowsPermissionErrorIfFSModeReadOnly) {
  FileStoreConfig fcfg;
  fcfg.block_size = 1024;
  auto fs = Open(Named("zzz", {"ev.1"}), fcfg);
  ASSERT_TRUE(fs);

  // Everything under the store read-only (Go: changeDirectoryPermission).
  namespace fsys = std::filesystem;
  const auto set_mode = [&](fsys::perms mode) {
    fsys::permissions(StreamDir(), mode);
    for (const auto& e : fsys::recursive_directory_iterator(StreamDir())) fsys::permissions(e.path(), mode);
  };
  const auto original = fsys::status(StreamDir()).permissions();
  const auto ro = fsys::perms::owner_read | fsys::perms::owner_exec | fsys::perms::group_read |
                  fsys::perms::group_exec | fsys::perms::others_read | fsys::perms::others_exec;
  set_mode(ro);

  const std::string msg(1024, 'Z');
  Result<StoredSeqTs> r;
  {
    WithoutFileCapabilities as_user;
    ASSERT_TRUE(as_user.ok()) << "could not drop root's file capabilities";
    for (int i = 0; i < 10000; ++i) {
      r = fs->StoreMsg("ev.1", {}, Bytes(msg), 0);
      if (!r) break;
    }
  }
  // Restore before asserting, so the directory can be removed.
  fsys::permissions(StreamDir(), original);
  for (const auto& e : fsys::recursive_directory_iterator(StreamDir())) {
    fsys::permissions(e.path(), fsys::perms::owner_all, fsys::perm_options::add);
  }
  ASSERT_FALSE(r);
  EXPECT_TRUE(IsPermissionError(r.error())) << r.error().message();
}

TEST_F(FileStoreGoMisc, TestFileStoreSetWriteErrIgnoresReadErrors) {
  auto fs = Open(Named("zzz", {">"}));
  ASSERT_TRUE(fs);

  // The errors this store raises for what it read back, not wrote: no or
  // a partial cache, a bad record or short block (kCorrupt), a deleted
  // message, a stale state file, undecodable bytes.
  const std::vector<Error> structural = {
      Error(ErrorCode::kCorrupt, "1.blk: no message cache"),
      Error(ErrorCode::kStoreMsgNotFound, "deleted message"),
      Error(ErrorCode::kCorrupt, "1.blk: partial cache"),
      Error(ErrorCode::kCorruptStreamState, "corrupt state file"),
      Error(ErrorCode::kCorrupt, "malformed or corrupt message in block.blk: invalid checksum"),
      Error(ErrorCode::kCorrupt, "1.blk: unexpected EOF"),
      Error(ErrorCode::kBadEncoding, "message block size exceeded int capacity"),
  };
  std::lock_guard lock(I(*fs).mu);
  for (const Error& e : structural) {
    I(*fs).SetWriteErr(e);
    EXPECT_FALSE(I(*fs).werr.has_value()) << e.message();
  }

  // A real write error sticks.
  I(*fs).SetWriteErr(Error(ErrorCode::kIo, "short write"));
  ASSERT_TRUE(I(*fs).werr.has_value());
  EXPECT_EQ(I(*fs).werr->code(), ErrorCode::kIo);
  EXPECT_EQ(I(*fs).werr->message(), "short write");
}

TEST_F(FileStoreGoMisc, TestFileStoreMsgBlockWErrNotSetOnReadErrors) {
  auto fs = Open(Named("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("hello"), 0));

  MsgBlock* mb = nullptr;
  {
    std::lock_guard lock(I(*fs).mu);
    mb = I(*fs).lmb;
    ASSERT_NE(mb, nullptr);
    // A fully loaded cache ...
    auto r = mb->LoadCache(nullptr);
    ASSERT_TRUE(r) << r.error().message();
    // ... whose records are zeroed (the slots stay): rebuilding the
    // subject state from it reads a bad message.
    auto* buf = mb->CacheBufForTest();
    ASSERT_NE(buf, nullptr);
    std::fill(buf->begin(), buf->end(), uint8_t{0});
    mb->DropSubjectState();
  }

  // The write fails with that read error, which disables nothing.
  auto r = fs->StoreMsg("foo", {}, Bytes("world"), 0);
  ASSERT_FALSE(r);
  EXPECT_TRUE(IsReadErr(r.error())) << r.error().message();

  const auto check_werr = [&](const std::optional<Error>& expected) {
    std::lock_guard lock(I(*fs).mu);
    const auto& mw = mb->WriteError();
    const auto& fw = I(*fs).werr;
    EXPECT_EQ(mw.has_value(), expected.has_value());
    EXPECT_EQ(fw.has_value(), expected.has_value());
    if (expected && mw) {
      EXPECT_EQ(mw->message(), expected->message());
    }
    if (expected && fw) {
      EXPECT_EQ(fw->message(), expected->message());
    }
  };
  check_werr(std::nullopt);

  // The store still takes writes.
  r = fs->StoreMsg("foo", {}, Bytes("again"), 0);
  EXPECT_TRUE(r) << r.error().message();
  check_werr(std::nullopt);

  // A real write error goes all the way up.
  const Error short_write(ErrorCode::kIo, "short write");
  {
    std::lock_guard lock(I(*fs).mu);
    mb->SetWriteErrorForTest(short_write);
  }
  r = fs->StoreMsg("foo", {}, Bytes("again"), 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), short_write.message());
  check_werr(short_write);
}

TEST_F(FileStoreGoMisc, TestFileStoreErrPartialLoad) {
  auto fs = Open(Named("zzz", {"*"}));
  ASSERT_TRUE(fs);
  const auto put = [&](int num) {
    for (int i = 0; i < num; ++i) (void)fs->StoreMsg("Z", {}, Bytes("ZZZZZZZZZZZZZ"), 0);
  };
  put(100);

  // Drop the write block's cache.
  {
    std::lock_guard lock(I(*fs).mu);
    I(*fs).lmb->ClearCache();
  }

  std::atomic<bool> quit{false};
  std::vector<std::thread> writers;
  for (int i = 0; i < 10; ++i) {
    writers.emplace_back([&] {
      while (!quit.load()) put(5);
    });
  }
  std::this_thread::sleep_for(milliseconds(100));

  std::mt19937_64 rng(42);
  StoreMsg sm;
  for (int i = 0; i < 10'000; ++i) {
    uint64_t first = 0;
    uint64_t last = 0;
    {
      std::lock_guard lock(I(*fs).mu);
      MsgBlock* lmb = I(*fs).lmb;
      first = lmb->first.seq;
      last = lmb->last.seq;
      if (i % 100 == 0) lmb->ClearCache();
    }
    if (last > first) {
      const uint64_t seq = first + rng() % (last - first);
      auto m = fs->LoadMsg(seq, &sm);
      if (!m) {
        ADD_FAILURE() << seq << ": " << m.error().message();
        break;
      }
    }
  }
  quit = true;
  for (auto& t : writers) t.join();
}

TEST_P(FileStorePermutations, TestFileStoreNoFSSWhenNoSubjects) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg("", {}, Bytes("raft state"), 0));
  EXPECT_EQ(fs->State().msgs, 100u);

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);

  // The block was not loaded to build subject state.
  std::lock_guard lock(I(*fs).mu);
  ASSERT_FALSE(I(*fs).blks.empty());
  MsgBlock* mb = I(*fs).blks[0].get();
  EXPECT_EQ(mb->CacheLoads(), 0u);
  EXPECT_EQ(mb->fss(), nullptr);
}

TEST_P(FileStorePermutations, TestFileStoreNoFSSAfterRecover) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg("", {}, Bytes("no fss for you!"), 0));
  EXPECT_EQ(fs->State().msgs, 100u);

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);

  std::lock_guard lock(I(*fs).mu);
  ASSERT_FALSE(I(*fs).blks.empty());
  EXPECT_EQ(I(*fs).blks[0]->fss(), nullptr);
}

}  // namespace natscpp::store::testing
