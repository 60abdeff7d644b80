// Ports of the v2.14.5 write-path tests in server/filestore_test.go: the
// ones Go runs under testFileStoreAllPermutations are TEST_P on
// FileStorePermutations (instantiated in file_store_write_test.cc), the
// others are TEST(FileStore, ...) on a plain stream directory. Where Go
// counts blocks (numMsgBlocks) these count the N.blk files in msgs/.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}



std::string Numbered(uint64_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%08llu] Hello World!", static_cast<unsigned long long>(i));
  return buf;
}

// Go's stores in these tests have a name and file storage, no subjects.
StreamConfig Zzz() {
  StreamConfig c;
  c.name = "zzz";
  c.storage = StorageType::kFile;
  return c;
}

// A plain (no cipher, no compression) store for the tests Go runs once.
class FileStoreGo : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir(std::string_view name = "zzz") const {
    return dir_.path() / "$G" / "streams" / std::string(name);
  }
  std::unique_ptr<FileStore> Create(const FileStoreConfig& fcfg, const StreamConfig& cfg,
                                    std::string_view dir_name = "zzz") {
    auto fs = FileStore::Create(StreamDir(dir_name), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  static FileStoreConfig Fcfg(uint64_t block_size = 0) {
    FileStoreConfig f;
    f.block_size = block_size;
    return f;
  }
  static StreamConfig Cfg(std::vector<std::string> subjects, int64_t max_msgs_per = 0) {
    StreamConfig c = Zzz();
    c.subjects = std::move(subjects);
    c.max_msgs_per = max_msgs_per;
    return c;
  }
  TempDir dir_{"fsgowrite"};
};

TEST_P(FileStorePermutations, TestFileStoreBasics) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  for (uint64_t i = 1; i <= 5; ++i) {
    const int64_t now = NowNanos();
    auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq, i);
    EXPECT_GE(r->ts, now);
    EXPECT_LE(r->ts, now + 1'000'000) << "timestamp not current";
  }
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 5u);
  EXPECT_EQ(state.bytes, 5 * FileStoreMsgSize(subj, 0, msg.size()));

  store::StoreMsg smv;
  auto sm = fs->LoadMsg(2, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->subject, subj);
  EXPECT_EQ(Str((*sm)->msg()), msg);
  store::StoreMsg other;
  ASSERT_TRUE(fs->LoadMsg(3, &other));

  auto remove = [&](uint64_t seq, uint64_t expected_msgs) {
    auto removed = fs->RemoveMsg(seq);
    ASSERT_TRUE(removed) << "remove of " << seq << ": " << removed.error().message();
    EXPECT_TRUE(*removed) << seq;
    EXPECT_EQ(fs->State().msgs, expected_msgs);
  };
  remove(1, 4);  // first
  remove(5, 3);  // last
  remove(3, 2);  // a middle one
}

TEST_P(FileStorePermutations, TestFileStoreMsgHeaders) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  const std::string subj = "foo", hdr = "name:derek", msg = "Hello World";
  const uint64_t elen = 22 + subj.size() + 4 + hdr.size() + msg.size() + 8;
  EXPECT_EQ(FileStoreMsgSize(subj, hdr.size(), msg.size()), elen);
  ASSERT_TRUE(fs->StoreMsg(subj, Bytes(hdr), Bytes(msg), 0));
  store::StoreMsg smv;
  auto sm = fs->LoadMsg(1, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ(Str((*sm)->msg()), msg);
  EXPECT_EQ(Str((*sm)->hdr()), hdr);
  auto removed = fs->EraseMsg(1);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed);
}

TEST_P(FileStorePermutations, TestFileStoreBasicWriteMsgsAndRestore) {
  StreamConfig mem = Zzz();
  mem.storage = StorageType::kMemory;
  EXPECT_FALSE(FileStore::Create(StreamDir(), Fcfg(), mem, GoTime::FromUnixNanos(0)));
  StreamConfig noname = Zzz();
  noname.name.clear();
  EXPECT_FALSE(FileStore::Create(StreamDir(), Fcfg(), noname, GoTime::FromUnixNanos(0)));

  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  const std::string subj = "foo";
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 1; i <= kToStore; ++i) {
    auto r = fs->StoreMsg(subj, {}, Bytes(Numbered(i)), 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq, i);
  }
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  const uint64_t expected_size = kToStore * FileStoreMsgSize(subj, 0, Numbered(22).size());
  EXPECT_EQ(state.bytes, expected_size);
  ASSERT_TRUE(fs->Stop());
  EXPECT_FALSE(fs->StoreMsg(subj, {}, Bytes("no work"), 0)) << "StoreMsg after Stop";

  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, expected_size);
  for (uint64_t i = kToStore + 1; i <= 2 * kToStore; ++i) {
    auto r = fs->StoreMsg(subj, {}, Bytes(Numbered(i)), 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq, i);
  }
  EXPECT_EQ(fs->State().msgs, 2 * kToStore);
  ASSERT_TRUE(fs->Stop());

  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 2 * kToStore);
  EXPECT_EQ(state.bytes, 2 * expected_size);
  ASSERT_TRUE(fs->Purge());
  ASSERT_TRUE(fs->Stop());

  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.bytes, 0u);
  auto r = fs->StoreMsg(subj, {}, Bytes("Hello"), 0);
  ASSERT_TRUE(r) << r.error().message();
  const uint64_t seq = r->seq;
  ASSERT_TRUE(fs->RemoveMsg(seq));
  ASSERT_TRUE(fs->Stop());

  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->State().first_seq, seq + 1);
}

TEST_P(FileStorePermutations, TestFileStoreSelectNextFirst) {
  auto fs = Create(Fcfg(256), Zzz());
  ASSERT_TRUE(fs);
  constexpr int kNumMsgs = 10;
  const std::string subj = "zzz", msg = "Hello World";
  for (int i = 0; i < kNumMsgs; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, static_cast<uint64_t>(kNumMsgs));

  // The 256 byte blocks hold 5 of these messages each: two blocks, and the
  // first one (plain on disk) is five records long.
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 2);
  if (GetParam().compression == StoreCompression::kNone) {
    EXPECT_EQ(std::filesystem::file_size(StreamDir() / "msgs" / "1.blk"),
              5 * FileStoreMsgSize(subj, 0, msg.size()));
  }

  // Delete 2-7, across the two blocks.
  for (uint64_t i = 2; i <= 7; ++i) ASSERT_TRUE(fs->RemoveMsg(i));
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 4u);
  EXPECT_EQ(state.first_seq, 1u);
  // Closing the gap makes the first sequence jump into the next block.
  ASSERT_TRUE(fs->RemoveMsg(1));
  state = fs->State();
  EXPECT_EQ(state.msgs, 3u);
  EXPECT_EQ(state.first_seq, 8u);
}

TEST_P(FileStorePermutations, TestFileStoreSkipMsg) {
  auto fs = Create(Fcfg(256), Zzz());
  ASSERT_TRUE(fs);
  constexpr uint64_t kNumSkips = 10;
  for (uint64_t i = 0; i < kNumSkips; ++i) ASSERT_TRUE(fs->SkipMsg(0));
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.first_seq, kNumSkips + 1);
  EXPECT_EQ(state.last_seq, kNumSkips);

  ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes("Hello World!"), 0));
  ASSERT_TRUE(fs->SkipMsg(0));
  ASSERT_TRUE(fs->SkipMsg(0));
  ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes("Hello World!"), 0));
  ASSERT_TRUE(fs->SkipMsg(0));
  state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, kNumSkips + 1);
  EXPECT_EQ(state.last_seq, kNumSkips + 5);

  // Go ignores what Stop returns here: the empty first block (skips only,
  // first 9, last 8) makes the tracked first sequence disagree with the
  // store's (11), so index.db is not written and recovery rebuilds.
  (void)fs->Stop();
  fs = Create(Fcfg(256), Zzz());
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, kNumSkips + 1);
  EXPECT_EQ(state.last_seq, kNumSkips + 5);

  store::StoreMsg smv;
  auto sm = fs->LoadMsg(11, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->subject, "zzz");
  EXPECT_EQ(Str((*sm)->msg()), "Hello World!");

  ASSERT_TRUE(fs->SkipMsg(0));
  auto nseq = fs->StoreMsg("AAA", {}, Bytes("Skip?"), 0);
  ASSERT_TRUE(nseq) << nseq.error().message();
  EXPECT_EQ(nseq->seq, 17u);

  (void)fs->Stop();
  fs = Create(Fcfg(256), Zzz());
  ASSERT_TRUE(fs);
  sm = fs->LoadMsg(nseq->seq, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->subject, "AAA");
  EXPECT_EQ(Str((*sm)->msg()), "Skip?");
}

TEST_P(FileStorePermutations, TestFileStoreWriteExpireWrite) {
  FileStoreConfig fcfg = Fcfg();
  fcfg.cache_expire = std::chrono::milliseconds(10);
  auto fs = Create(fcfg, Zzz());
  ASSERT_TRUE(fs);
  constexpr int kToSend = 10;
  for (int i = 0; i < kToSend; ++i) ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes("Hello World!"), 0));
  // Go waits for the write cache to expire (cacheSize is internal here):
  // give the 10 ms expiry ample time.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < kToSend; ++i) ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes("Hello World! - 22"), 0));
  EXPECT_EQ(fs->State().msgs, static_cast<uint64_t>(2 * kToSend));

  ASSERT_TRUE(fs->Stop());
  fcfg.cache_expire = std::chrono::nanoseconds(0);
  fs = Create(fcfg, Zzz());
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->State().msgs, static_cast<uint64_t>(2 * kToSend));
  store::StoreMsg smv;
  for (uint64_t i = 1; i <= 2 * kToSend; ++i) {
    auto sm = fs->LoadMsg(i, &smv);
    ASSERT_TRUE(sm) << i << ": " << sm.error().message();
    EXPECT_EQ((*sm)->subject, "zzz");
    EXPECT_EQ(Str((*sm)->msg()), i > kToSend ? "Hello World! - 22" : "Hello World!") << i;
  }
}

TEST_P(FileStorePermutations, TestFileStoreMsgLimit) {
  StreamConfig cfg = Zzz();
  cfg.max_msgs = 10;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, 10u);
  auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
  ASSERT_TRUE(r) << r.error().message();
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 10u);
  EXPECT_EQ(state.last_seq, 11u);
  EXPECT_EQ(state.first_seq, 2u);
  store::StoreMsg smv;
  EXPECT_FALSE(fs->LoadMsg(1, &smv)) << "seq 1 should be gone";
}

TEST_P(FileStorePermutations, TestFileStoreMsgLimitBug) {
  StreamConfig cfg = Zzz();
  cfg.max_msgs = 1;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->Stop());

  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
  ASSERT_TRUE(r) << r.error().message();
}

TEST_P(FileStorePermutations, TestFileStoreBytesLimit) {
  const std::string subj = "foo", msg(512, '\0');
  const uint64_t stored_msg_size = FileStoreMsgSize(subj, 0, msg.size());
  constexpr uint64_t kToStore = 1024;
  StreamConfig cfg = Zzz();
  cfg.max_bytes = static_cast<int64_t>(stored_msg_size * kToStore);
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, stored_msg_size * kToStore);

  // Ten more: the bytes limit pushes the oldest out.
  for (int i = 0; i < 10; ++i) {
    auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, stored_msg_size * kToStore);
  EXPECT_EQ(state.first_seq, 11u);
  EXPECT_EQ(state.last_seq, kToStore + 10);
}

TEST_P(FileStorePermutations, TestFileStoreBytesLimitWithDiscardNew) {
  const std::string subj = "tiny", msg(7, '\0');
  const uint64_t stored_msg_size = FileStoreMsgSize(subj, 0, msg.size());
  constexpr uint64_t kToStore = 2;
  StreamConfig cfg = Zzz();
  cfg.max_bytes = 100;
  cfg.discard = DiscardPolicy::kNew;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (uint64_t i = 0; i < 10; ++i) {
    auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
    if (i < kToStore) {
      EXPECT_TRUE(r) << r.error().message();
    } else {
      ASSERT_FALSE(r) << i;
      EXPECT_EQ(r.error().code(), ErrorCode::kMaxBytes);
    }
  }
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, stored_msg_size * kToStore);
}

TEST_P(FileStorePermutations, TestFileStoreTimeStamps) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  int64_t last = NowNanos();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  }
  store::StoreMsg smv;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    auto sm = fs->LoadMsg(seq, &smv);
    ASSERT_TRUE(sm) << seq << ": " << sm.error().message();
    EXPECT_GT((*sm)->ts, last) << seq;
    last = (*sm)->ts;
  }
}

TEST_P(FileStorePermutations, TestFileStorePurge) {
  constexpr uint64_t kBlkSize = 64 * 1024;
  auto fs = Create(Fcfg(kBlkSize), Zzz());
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg(8 * 1024, '\0');
  const uint64_t stored_msg_size = FileStoreMsgSize(subj, 0, msg.size());
  constexpr uint64_t kToStore = 1024;
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, stored_msg_size * kToStore);
  const int expected_blocks = static_cast<int>(stored_msg_size * kToStore / kBlkSize);
  EXPECT_GT(NumMsgBlocks(StreamDir()), expected_blocks);

  ASSERT_TRUE(fs->Purge());
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1) << "exactly one empty block after the purge";

  auto check_purge_state = [&](uint64_t stored) {
    const StreamState st = fs->State();
    EXPECT_EQ(st.msgs, 0u);
    EXPECT_EQ(st.bytes, 0u);
    EXPECT_EQ(st.last_seq, stored);
    EXPECT_EQ(st.first_seq, stored + 1);
  };
  check_purge_state(kToStore);

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(kBlkSize), Zzz());
  ASSERT_TRUE(fs);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  check_purge_state(kToStore);

  // Purged messages left behind must be cleaned up.
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  state = fs->State();
  EXPECT_EQ(state.msgs, kToStore);
  EXPECT_EQ(state.bytes, stored_msg_size * kToStore);

  // A crash before the purge directory was cleared: the old blocks moved
  // aside, then put back as __msgs__ after the store stopped.
  const auto mdir = StreamDir() / "msgs";
  const auto pdir = StreamDir() / "ptest";
  std::filesystem::rename(mdir, pdir);
  std::filesystem::create_directories(mdir);
  ASSERT_TRUE(fs->Purge());
  check_purge_state(kToStore * 2);
  ASSERT_TRUE(fs->Stop());

  const auto purge_dir = StreamDir() / "__msgs__";
  std::filesystem::rename(pdir, purge_dir);
  fs = Create(Fcfg(kBlkSize), Zzz());
  ASSERT_TRUE(fs);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  check_purge_state(kToStore * 2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::filesystem::exists(purge_dir) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(std::filesystem::exists(purge_dir)) << "purge directory still present";
}

TEST_P(FileStorePermutations, TestFileStoreRemovePartialRecovery) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  EXPECT_EQ(fs->State().msgs, kToStore);
  for (uint64_t i = 1; i <= kToStore / 2; ++i) ASSERT_TRUE(fs->RemoveMsg(i));
  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore / 2);

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), state);
}

TEST_P(FileStorePermutations, TestFileStoreRemoveOutOfOrderRecovery) {
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  EXPECT_EQ(fs->State().msgs, kToStore);
  for (uint64_t i = 2; i <= kToStore; i += 2) {
    auto removed = fs->RemoveMsg(i);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed) << i;
  }
  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, kToStore / 2);
  store::StoreMsg smv;
  EXPECT_TRUE(fs->LoadMsg(1, &smv));
  for (uint64_t i = 2; i <= kToStore; i += 2) EXPECT_FALSE(fs->LoadMsg(i, &smv)) << i;

  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), state);
  EXPECT_TRUE(fs->LoadMsg(1, &smv));
  for (uint64_t i = 2; i <= kToStore; i += 2) EXPECT_FALSE(fs->LoadMsg(i, &smv)) << i;
}

TEST_P(FileStorePermutations, TestFileStoreEraseAndNoIndexRecovery) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 0; i < kToStore; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  EXPECT_EQ(fs->State().msgs, kToStore);
  for (uint64_t i = 2; i <= kToStore; i += 2) {
    auto removed = fs->EraseMsg(i);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed) << i;
  }
  EXPECT_EQ(fs->State().msgs, kToStore / 2);

  // Stop and remove the optional index file.
  ASSERT_TRUE(fs->Stop());
  std::error_code ec;
  std::filesystem::remove(StreamDir() / "msgs" / "1.idx", ec);

  fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->State().msgs, kToStore / 2);
  store::StoreMsg smv;
  for (uint64_t i = 2; i <= kToStore; i += 2) EXPECT_FALSE(fs->LoadMsg(i, &smv)) << i;
}

TEST_P(FileStorePermutations, TestFileStoreWriteAndReadSameBlock) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  store::StoreMsg smv;
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World!"), 0));
    auto sm = fs->LoadMsg(i, &smv);
    EXPECT_TRUE(sm) << i << ": " << sm.error().message();
  }
}

TEST_P(FileStorePermutations, TestFileStoreAndRetrieveMultiBlock) {
  const std::string subj = "foo", msg = "Hello World!";
  const uint64_t block_size = 4 * FileStoreMsgSize(subj, 0, msg.size());
  auto fs = Create(Fcfg(block_size), Zzz());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, 20u);
  ASSERT_TRUE(fs->Stop());

  fs = Create(Fcfg(block_size), Zzz());
  ASSERT_TRUE(fs);
  store::StoreMsg smv;
  for (uint64_t i = 1; i <= 20; ++i) {
    auto sm = fs->LoadMsg(i, &smv);
    EXPECT_TRUE(sm) << i << ": " << sm.error().message();
  }
}

TEST_P(FileStorePermutations, TestFileStoreStreamStateDeleted) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  constexpr uint64_t kToStore = 10;
  for (uint64_t i = 1; i <= kToStore; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(Numbered(i)), 0));
  EXPECT_TRUE(fs->State().deleted.empty());

  // Remove some interior messages.
  std::vector<uint64_t> expected;
  for (uint64_t seq = 2; seq < kToStore; seq += 2) {
    ASSERT_TRUE(fs->RemoveMsg(seq));
    expected.push_back(seq);
  }
  EXPECT_EQ(fs->State().deleted, expected);
  // Fill the gap by removing 1 and 3.
  ASSERT_TRUE(fs->RemoveMsg(1));
  ASSERT_TRUE(fs->RemoveMsg(3));
  expected.erase(expected.begin(), expected.begin() + 2);
  StreamState state = fs->State();
  EXPECT_EQ(state.deleted, expected);
  EXPECT_EQ(state.first_seq, 5u);
  ASSERT_TRUE(fs->Purge());
  EXPECT_TRUE(fs->State().deleted.empty());
}

TEST_P(FileStorePermutations, TestFileStoreMaxMsgsPerSubject) {
  FileStoreConfig fcfg = Fcfg(128);
  fcfg.cache_expire = std::chrono::seconds(1);
  StreamConfig cfg = Cfg("zzz", {"kv.>"});
  cfg.max_msgs_per = 1;
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  constexpr int kNs = 100;
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= kNs; ++i) {
      auto r = fs->StoreMsg("kv." + std::to_string(i), {}, Bytes("value"), 0);
      ASSERT_TRUE(r) << r.error().message();
    }
  }
  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 100u);
  EXPECT_EQ(state.first_seq, 101u);
  EXPECT_EQ(state.last_seq, 200u);
  EXPECT_TRUE(state.deleted.empty());
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 34);
}

TEST_P(FileStorePermutations, TestFileStoreMaxMsgsAndMaxMsgsPerSubject) {
  FileStoreConfig fcfg = Fcfg(128);
  fcfg.cache_expire = std::chrono::seconds(1);
  StreamConfig cfg = Cfg("zzz", {"kv.>"});
  cfg.discard = DiscardPolicy::kNew;
  cfg.max_msgs = 100;
  cfg.discard_new_per = true;
  cfg.max_msgs_per = 1;
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 1; i <= 101; ++i) {
    auto r = fs->StoreMsg("kv." + std::to_string(i), {}, Bytes("value"), 0);
    if (i == 101) {
      EXPECT_FALSE(r) << "the 101st message is over max_msgs with discard new";
    } else {
      EXPECT_TRUE(r) << i << ": " << r.error().message();
    }
  }
  for (int i = 1; i <= 100; ++i) {
    auto r = fs->StoreMsg("kv." + std::to_string(i), {}, Bytes("value"), 0);
    EXPECT_FALSE(r) << "kv." << i << " already has its one message";
  }
  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 100u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 100u);
  EXPECT_TRUE(state.deleted.empty());
}

TEST_P(FileStorePermutations, TestFileStoreStreamDeleteDirNotEmpty) {
  auto fs = Create(Fcfg(), Zzz());
  ASSERT_TRUE(fs);
  for (uint64_t i = 1; i <= 10; ++i) {
    auto r = fs->StoreMsg("foo", {}, Bytes(Numbered(i)), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  // Something keeps writing a file into the stream directory while it is
  // deleted.
  std::atomic<bool> ready{false};
  std::thread writer([&] {
    const auto g = StreamDir() / "g";
    ready = true;
    for (int i = 0; i < 100; ++i) {
      if (FILE* f = std::fopen(g.c_str(), "wb")) {
        std::fputs("OK", f);
        std::fclose(f);
      }
    }
  });
  while (!ready) std::this_thread::yield();
  auto r = fs->Delete();
  writer.join();
  EXPECT_TRUE(r) << r.error().message();
}

TEST_P(FileStorePermutations, TestFileStoreInitialFirstSeq) {
  StreamConfig cfg = Zzz();
  cfg.first_seq = 1000;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  auto r = fs->StoreMsg("A", {}, Bytes("OK"), 0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->seq, 1000u);
  r = fs->StoreMsg("B", {}, Bytes("OK"), 0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->seq, 1001u);
  StreamState state;
  fs->FastState(&state);
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 1000u);
  EXPECT_EQ(state.last_seq, 1001u);
}

TEST_F(FileStoreGo, TestFileStoreSkipMsgs) {
  auto fs = Create(Fcfg(1024), Cfg({"*"}));
  ASSERT_TRUE(fs);
  // On an empty store first; a wrong starting sequence fails.
  auto bad = fs->SkipMsgs(10, 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kSequenceMismatch);
  auto ok = fs->SkipMsgs(1, 100);
  ASSERT_TRUE(ok) << ok.error().message();
  StreamState state = fs->State();
  EXPECT_EQ(state.first_seq, 101u);
  EXPECT_EQ(state.last_seq, 100u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);

  ok = fs->SkipMsgs(101, 100'000);
  ASSERT_TRUE(ok) << ok.error().message();
  state = fs->State();
  EXPECT_EQ(state.first_seq, 100'101u);
  EXPECT_EQ(state.last_seq, 100'100u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);

  // A message, then skips: the dmap.
  auto fs2 = Create(Fcfg(1024), Cfg({"*"}), "zzz2");
  ASSERT_TRUE(fs2);
  ASSERT_TRUE(fs2->StoreMsg("foo", {}, {}, 0));
  ok = fs2->SkipMsgs(2, 10);
  ASSERT_TRUE(ok) << ok.error().message();
  state = fs2->State();
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 11u);
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.num_deleted, 10);
  EXPECT_EQ(state.deleted.size(), 10u);

  // FastState too.
  state.deleted.clear();
  fs2->FastState(&state);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 11u);
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.num_deleted, 10);
}

TEST_F(FileStoreGo, TestFileStoreSkipMsgAndNumBlocks) {
  auto fs = Create(Fcfg(128), Cfg({"zzz"}));
  ASSERT_TRUE(fs);
  const std::string msg(100, 'X');
  ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes(msg), 0));
  auto ok = fs->SkipMsgs(0, 10'000);
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes(msg), 0));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 3);
}

TEST_F(FileStoreGo, TestFileStoreReloadAndLoseLastSequence) {
  auto fs = Create(Fcfg(), Cfg({"foo.*"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 22; ++i) ASSERT_TRUE(fs->SkipMsg(0));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->Stop());
    fs = Create(Fcfg(), Cfg({"foo.*"}));
    ASSERT_TRUE(fs);
    StreamState ss;
    fs->FastState(&ss);
    EXPECT_EQ(ss.first_seq, 23u) << "restart " << i;
    EXPECT_EQ(ss.last_seq, 22u) << "restart " << i;
  }
}

TEST_F(FileStoreGo, TestFileStoreReloadAndLoseLastSequenceWithSkipMsgs) {
  auto fs = Create(Fcfg(), Cfg({"foo.*"}));
  ASSERT_TRUE(fs);
  auto ok = fs->SkipMsgs(0, 22);
  ASSERT_TRUE(ok) << ok.error().message();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->Stop());
    fs = Create(Fcfg(), Cfg({"foo.*"}));
    ASSERT_TRUE(fs);
    StreamState ss;
    fs->FastState(&ss);
    EXPECT_EQ(ss.first_seq, 23u) << "restart " << i;
    EXPECT_EQ(ss.last_seq, 22u) << "restart " << i;
  }
}

TEST_F(FileStoreGo, TestFileStoreSubjectsTotals) {
  auto fs = Create(Fcfg(), Cfg({"*.*"}));
  ASSERT_TRUE(fs);
  std::map<int, int> fmap, bmap;
  std::mt19937 rng(22);
  for (int i = 0; i < 10'000; ++i) {
    const bool foo = std::uniform_int_distribution<int>(0, 1)(rng) == 0;
    const int dt = std::uniform_int_distribution<int>(0, 99)(rng);
    (foo ? fmap : bmap)[dt]++;
    const std::string subj = std::string(foo ? "foo" : "bar") + "." + std::to_string(dt);
    auto r = fs->StoreMsg(subj, {}, Bytes("Hello World"), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  for (const auto& [dt, total] : fmap) {
    const std::string subj = "foo." + std::to_string(dt);
    auto m = fs->SubjectsTotals(subj);
    EXPECT_EQ(m[subj], static_cast<uint64_t>(total)) << subj;
  }
  auto check = [&](std::string_view filter, const std::map<int, int>& want) {
    const auto st = fs->SubjectsTotals(filter);
    ASSERT_EQ(st.size(), want.size()) << filter;
    uint64_t expected = 0, received = 0;
    for (const auto& [_, n] : want) expected += n;
    for (const auto& [_, n] : st) received += n;
    EXPECT_EQ(received, expected) << filter;
  };
  check("foo.*", fmap);
  check("bar.*", bmap);
  EXPECT_EQ(fs->SubjectsTotals("*.*").size(), fmap.size() + bmap.size());
}

}  // namespace
}  // namespace natscpp::store::testing
