// Ports of the v2.14.5 block cache and flush tests in
// server/filestore_test.go: the async flush loop, cache and per-subject
// state expiry, and the sync timer's effect on blocks. The block internals
// Go's tests read (mb.cache, mb.fss, mb.flusher, mb.needSync ...) come from
// FileStore::BlocksForTest and its sibling hooks. Where Go polls
// (checkFor) these poll with the same deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using namespace std::chrono_literals;

// Polls fn until it returns an empty string or the deadline passes; the
// last complaint otherwise.
std::string CheckFor(std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
                     const std::function<std::string()>& fn) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string err;
  for (;;) {
    err = fn();
    if (err.empty()) return err;
    if (std::chrono::steady_clock::now() >= deadline) return err;
    std::this_thread::sleep_for(interval);
  }
}

std::optional<FileStore::BlockForTest> Block(FileStore& fs, uint32_t index) {
  for (const auto& b : fs.BlocksForTest()) {
    if (b.index == index) return b;
  }
  return std::nullopt;
}

std::optional<FileStore::BlockForTest> WriteBlock(FileStore& fs) {
  for (const auto& b : fs.BlocksForTest()) {
    if (b.write_block) return b;
  }
  return std::nullopt;
}

// fs.cacheSize(): the bytes every block's cache holds.
uint64_t CacheSize(FileStore& fs) {
  uint64_t sz = 0;
  for (const auto& b : fs.BlocksForTest()) sz += b.cache_bytes;
  return sz;
}

// fs.cacheLoads(): how many times the blocks' caches were loaded.
uint64_t CacheLoads(FileStore& fs) {
  uint64_t n = 0;
  for (const auto& b : fs.BlocksForTest()) n += b.cache_loads;
  return n;
}

std::unique_ptr<FileStore> CreateIn(const std::filesystem::path& root, const FileStoreConfig& fcfg,
                                    std::vector<std::string> subjects, int64_t max_msgs_per = 0) {
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.subjects = std::move(subjects);
  cfg.storage = StorageType::kFile;
  cfg.max_msgs_per = max_msgs_per;
  auto fs = FileStore::Create(root / "$G" / "streams" / "zzz", fcfg, cfg,
                              GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

}  // namespace

TEST_P(FileStorePermutations, TestFileStoreAsyncFlushOnSkipMsgs) {
  for (const bool no_flush_loop : {false, true}) {
    SCOPED_TRACE(no_flush_loop ? "NoFlushLoop=true" : "NoFlushLoop=false");
    std::error_code ec;
    std::filesystem::remove_all(StreamDir(), ec);
    auto fcfg = Fcfg(8192);
    fcfg.async_flush = true;
    auto fs = Create(fcfg, Cfg("zzz", {}));
    ASSERT_TRUE(fs);

    const auto fmb = WriteBlock(*fs);
    ASSERT_TRUE(fmb);
    const uint32_t fidx = fmb->index;

    if (no_flush_loop) {
      // Wait for the flusher to be ready.
      auto err = CheckFor(2s, 200ms, [&]() -> std::string {
        return Block(*fs, fidx)->flusher ? "" : "flusher not active";
      });
      ASSERT_TRUE(err.empty()) << err;
      // Now shut the flusher down and wait for it to be off.
      fs->StopFlusherForTest(fidx);
      err = CheckFor(2s, 200ms, [&]() -> std::string {
        return Block(*fs, fidx)->flusher ? "flusher still active" : "";
      });
      ASSERT_TRUE(err.empty()) << err;
    }

    // No pending writes.
    ASSERT_EQ(Block(*fs, fidx)->pending, 0u);

    auto r = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(r) << r.error().message();

    if (no_flush_loop) {
      // The write above is pending.
      ASSERT_EQ(Block(*fs, fidx)->pending, 33u);
    }

    auto sk = fs->SkipMsgs(2, 100'000);
    ASSERT_TRUE(sk) << sk.error().message();
    const auto blocks = fs->BlocksForTest();
    ASSERT_EQ(blocks.size(), 2u) << "Expected 2 blocks";
    const uint32_t lidx = blocks[1].index;

    // The previous block was flushed at once.
    ASSERT_EQ(Block(*fs, fidx)->pending, 0u);

    // The last block gets flushed eventually.
    auto err = CheckFor(2s, 100ms, [&]() -> std::string {
      if (auto p = Block(*fs, lidx)->pending; p > 0) {
        return "expected no pending writes, got " + std::to_string(p);
      }
      return {};
    });
    ASSERT_TRUE(err.empty()) << err;
    ASSERT_TRUE(fs->Stop());
  }
}

TEST_P(FileStorePermutations, TestFileStorePartialCacheExpiration) {
  const auto cexp = 10ms;
  auto fcfg = Fcfg();
  fcfg.cache_expire = cexp;
  auto fs = Create(fcfg, Cfg("zzz", {}));
  ASSERT_TRUE(fs);

  (void)fs->StoreMsg("foo", {}, Bytes("msg1"), 0);
  // Should expire and be removed.
  std::this_thread::sleep_for(2 * cexp);
  (void)fs->StoreMsg("bar", {}, Bytes("msg2"), 0);

  // Again wait for the cache to expire.
  std::this_thread::sleep_for(2 * cexp);
  StoreMsg sm;
  auto m = fs->LoadMsg(1, &sm);
  ASSERT_TRUE(m) << "Error loading message 1: " << m.error().message();
  EXPECT_EQ(sm.subject, "foo");
  EXPECT_EQ(Str(sm.msg()), "msg1");
}

TEST(FileStore, TestFileStoreExpireCacheOnLinearWalk) {
  TempDir sd("fscache");
  const auto expire = 250ms;
  FileStoreConfig fcfg;
  fcfg.cache_expire = expire;
  auto fs = CreateIn(sd.path(), fcfg, {"*"});
  ASSERT_TRUE(fs);

  // An internal record length of 50 bytes.
  const std::string subj = "Z";
  const std::string msg(19, 'Z');
  for (int i = 0; i < 10; ++i) (void)fs->StoreMsg(subj, {}, Bytes(msg), 0);
  // Let them all expire, so the walk loads as it goes and the last write
  // times do not hold the forced expiry back (ats.TickInterval is 100 ms).
  std::this_thread::sleep_for(expire + 2 * 100ms);

  auto check_no_cache = [&] {
    bool still_has_cache = false;
    for (const auto& b : fs->BlocksForTest()) still_has_cache = still_has_cache || b.cache_loaded;
    EXPECT_FALSE(still_has_cache);
  };

  // Walk forward.
  StoreMsg smv;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    auto m = fs->LoadMsg(seq, &smv);
    ASSERT_TRUE(m) << m.error().message();
  }
  check_no_cache();

  // Walk backwards (searching for a starting point of a sourced stream).
  for (uint64_t seq = 10; seq >= 1; --seq) {
    auto m = fs->LoadMsg(seq, &smv);
    ASSERT_TRUE(m) << m.error().message();
  }
  check_no_cache();

  // Linear scans still expire with deleted messages in the way.
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(9));

  for (uint64_t seq = 1; seq <= 10; ++seq) {
    auto m = fs->LoadMsg(seq, &smv);
    if (seq == 2 || seq == 9) {
      ASSERT_FALSE(m);
      EXPECT_EQ(m.error().code(), ErrorCode::kStoreMsgNotFound);
      EXPECT_EQ(m.error().message(), "deleted message");
    } else {
      ASSERT_TRUE(m) << m.error().message();
    }
  }
  check_no_cache();
}

TEST(FileStore, TestFileStoreFSSExpire) {
  TempDir sd("fscache");
  FileStoreConfig fcfg;
  fcfg.block_size = 8192;
  fcfg.cache_expire = 1s;
  fcfg.subject_state_expire = 1s;
  auto fs = CreateIn(sd.path(), fcfg, {"foo.*"}, 1);
  ASSERT_TRUE(fs);

  const auto msg = Bytes("abc");
  for (int i = 1; i <= 1000; ++i) (void)fs->StoreMsg("foo." + std::to_string(i), {}, msg, 0);
  // Drop the per-subject state by hand.
  for (const auto& b : fs->BlocksForTest()) fs->DropSubjectStateForTest(b.index);

  (void)fs->StoreMsg("foo.11", {}, msg, 0);
  std::this_thread::sleep_for(900ms);
  // This keeps the first block's per-subject state alive, and its cache
  // through the removal.
  (void)fs->StoreMsg("foo.22", {}, msg, 0);
  std::this_thread::sleep_for(300ms);
  // The per-subject state and the cache are still loaded.
  const auto blocks = fs->BlocksForTest();
  ASSERT_FALSE(blocks.empty());
  EXPECT_TRUE(blocks[0].fss_loaded);
  EXPECT_TRUE(blocks[0].cache_present);
}

TEST_P(FileStorePermutations, TestFileStoreReadCache) {
  auto fcfg = Fcfg();
  fcfg.cache_expire = 100ms;  // ats.TickInterval

  const std::string subj = "foo.bar";
  const std::vector<uint8_t> msg(1024);
  const uint64_t stored_msg_size = FileStoreMsgSize(subj, 0, msg.size());

  auto fs = Create(fcfg, Cfg("zzz", {}));
  ASSERT_TRUE(fs);

  const uint64_t to_store = 500;
  const uint64_t total_bytes = to_store * stored_msg_size;
  for (uint64_t i = 0; i < to_store; ++i) (void)fs->StoreMsg(subj, {}, msg, 0);

  // Wait for the cache to go to zero.
  auto cache_gone = [&]() -> std::string {
    if (auto csz = CacheSize(*fs); csz != 0) return "cache size not 0, got " + std::to_string(csz);
    return {};
  };
  auto err = CheckFor(1s, 10ms, cache_gone);
  ASSERT_TRUE(err.empty()) << err;

  StoreMsg sm;
  ASSERT_TRUE(fs->LoadMsg(1, &sm));
  ASSERT_EQ(CacheSize(*fs), total_bytes) << "Expected all messages to be cached";
  // Should expire and be removed.
  err = CheckFor(1s, 10ms, cache_gone);
  ASSERT_TRUE(err.empty()) << err;
  ASSERT_EQ(CacheLoads(*fs), 1u) << "Expected only 1 cache load";

  // No reload while there is activity.
  ASSERT_TRUE(fs->LoadMsg(1, &sm));
  const auto timeout = std::chrono::steady_clock::now() + 250ms;
  while (std::chrono::steady_clock::now() < timeout) {
    ASSERT_EQ(CacheLoads(*fs), 2u) << "cache loads not 2";
    std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(fs->LoadMsg(1, &sm));  // register activity
  }
}

TEST(FileStore, TestFileStoreSyncIntervals) {
  TempDir sd("fscache");
  FileStoreConfig fcfg;
  fcfg.sync_interval = 250ms;
  auto fs = CreateIn(sd.path(), fcfg, {"*"});
  ASSERT_TRUE(fs);

  auto check_sync_flag = [&](bool expected) {
    const auto lmb = WriteBlock(*fs);
    ASSERT_TRUE(lmb);
    EXPECT_EQ(lmb->need_sync, expected) << "Expected needSync to be " << expected;
  };

  check_sync_flag(false);
  (void)fs->StoreMsg("Z", {}, Bytes("hello"), 0);
  check_sync_flag(true);
  std::this_thread::sleep_for(400ms);
  check_sync_flag(false);
  ASSERT_TRUE(fs->Stop());
  fs.reset();

  // Now with sync always.
  fcfg.sync_interval = 10s;
  fcfg.sync_always = true;
  fs = CreateIn(sd.path(), fcfg, {"*"});
  ASSERT_TRUE(fs);
  check_sync_flag(false);
  (void)fs->StoreMsg("Z", {}, Bytes("hello"), 0);
  check_sync_flag(false);
}

TEST(FileStore, TestFileStoreSyncCompressOnlyIfDirty) {
  TempDir sd("fscache");
  FileStoreConfig fcfg;
  fcfg.block_size = 256;
  fcfg.sync_interval = 250ms;
  auto fs = CreateIn(sd.path(), fcfg, {"foo.*"});
  ASSERT_TRUE(fs);

  const auto msg = Bytes("hello");
  // 6 messages a block: fill 2 blocks, then a third with one message.
  for (int i = 0; i < 12; ++i) (void)fs->StoreMsg("foo.BB", {}, msg, 0);
  (void)fs->StoreMsg("foo.BB", {}, msg, 0);
  ASSERT_EQ(fs->BlocksForTest().size(), 3u);

  // Deletes whose tombstones fill up the third block.
  for (uint64_t seq : {2, 3, 4, 5, 8, 9, 10, 11}) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
  }
  // A 4th and 5th block, so the sync pass will try to compact.
  for (int i = 0; i < 6; ++i) (void)fs->StoreMsg("foo.BB", {}, msg, 0);
  const auto blocks = fs->BlocksForTest();
  ASSERT_EQ(blocks.size(), 5u);

  // The first 3 blocks want compacting.
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(blocks[i].should_compact_sync)
        << "Expected should compact to be true for " << blocks[i].index << ", got false";
  }

  // The third block, full of tombstones it cannot drop, no longer does once
  // the sync pass tried.
  auto err = CheckFor(2s, 20ms, [&]() -> std::string {
    for (const auto& b : fs->BlocksForTest()) {
      if (b.should_compact_sync) {
        return "Expected should compact to be false for " + std::to_string(b.index) + ", got true";
      }
    }
    return {};
  });
  ASSERT_TRUE(err.empty()) << err;

  // A removal from block 3 makes it a candidate again.
  auto r = fs->RemoveMsg(13);
  ASSERT_TRUE(r) << r.error().message();
  const auto b3 = Block(*fs, blocks[2].index);
  ASSERT_TRUE(b3);
  EXPECT_FALSE(b3->no_compact);
}

TEST_P(FileStorePermutations, TestFileStoreCacheLookupOnEmptyBlock) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);

  const auto lmb = WriteBlock(*fs);
  ASSERT_TRUE(lmb);
  // First the block lets go of its cache.
  fs->FinishedWithCacheForTest(lmb->index);
  ASSERT_FALSE(Block(*fs, lmb->index)->cache_present);

  // Specifically "not found", not "no cache".
  StoreMsg sm;
  auto m = fs->CacheLookupForTest(lmb->index, lmb->first_seq, &sm);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), ErrorCode::kStoreMsgNotFound);
  EXPECT_EQ(m.error().message(), "no message found");

  // The lookup did not bring the cache back: it short-circuited.
  ASSERT_FALSE(Block(*fs, lmb->index)->cache_present);
}

}  // namespace natscpp::store::testing
