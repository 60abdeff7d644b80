// Ports of the v2.14.5 delete-map tests: the interior-delete accounting of
// server/store_test.go (Compact and Truncate cleaning up the delete map,
// interior deletes surviving a restart and a rebuild), PurgeEx leaving
// block caches and tombstone writes in bounds (filestore_test.go,
// norace_2_test.go), the interior-delete view the sync pass compacts with,
// and FilteredState over deleted sequences.
// Go runs the store_test.go ones against the memory store too; there is no
// memory store in C++ yet, so only the file-store side is ported.
// Where Go reads a block from inside (fs.blks, mb.dmap, cacheAlreadyLoaded,
// loadMsgs, rebuildState, removeMsg) these go through
// FileStore::ImplForTesting, holding the store's lock as Go holds fs.mu.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/interior_deletes.h"
#include "filestore/msg_block.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::InteriorDeletes;
using filestore::MsgBlock;

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

StreamConfig Stream(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

// A store of its own, for the tests Go runs once with newFileStore.
std::unique_ptr<FileStore> OpenDefault(const TempDir& dir, const StreamConfig& cfg,
                                       uint64_t block_size = 0) {
  FileStoreConfig f;
  f.block_size = block_size;
  auto fs = FileStore::Create(dir.path() / "$G" / "streams" / cfg.name, f, cfg,
                              GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

uint64_t DmapEntries(FileStore& fs) { return I(fs).DmapEntries(); }

// Go: deleteMap over fs.blks, taken under the store's lock.
InteriorDeletes DeleteMap(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return InteriorDeletes::Of(I(fs).blks);
}

size_t NumBlocks(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.size();
}

}  // namespace

TEST(FileStore, TestStoreCompactCleansUpDmap) {
  for (uint64_t cseq = 2; cseq <= 4; ++cseq) {
    SCOPED_TRACE("Compact(" + std::to_string(cseq) + ")");
    TempDir dir{"fsdmap"};
    auto fs = OpenDefault(dir, Stream("TEST", {"foo"}));
    ASSERT_TRUE(fs);

    // Three messages: no interior deletes.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    EXPECT_EQ(DmapEntries(*fs), 0u);

    // Removing the middle one is an interior delete.
    ASSERT_TRUE(fs->RemoveMsg(2));
    EXPECT_EQ(DmapEntries(*fs), 1u);

    // Compacting always cleans it up.
    auto c = fs->Compact(cseq);
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(DmapEntries(*fs), 0u);

    const StreamState state = fs->State();
    EXPECT_EQ(state.first_seq, std::max<uint64_t>(3, cseq));
    EXPECT_EQ(state.last_seq, 3u);
    ASSERT_TRUE(fs->Stop());
  }
}

TEST(FileStore, TestStoreTruncateCleansUpDmap) {
  for (uint64_t tseq = 0; tseq <= 1; ++tseq) {
    SCOPED_TRACE("Truncate(" + std::to_string(tseq) + ")");
    TempDir dir{"fsdmap"};
    auto fs = OpenDefault(dir, Stream("TEST", {"foo"}));
    ASSERT_TRUE(fs);

    for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    EXPECT_EQ(DmapEntries(*fs), 0u);

    ASSERT_TRUE(fs->RemoveMsg(2));
    EXPECT_EQ(DmapEntries(*fs), 1u);

    // Truncating always cleans up the interior delete.
    auto t = fs->Truncate(tseq);
    ASSERT_TRUE(t) << t.error().message();
    EXPECT_EQ(DmapEntries(*fs), 0u);

    const StreamState state = fs->State();
    EXPECT_EQ(state.first_seq, std::min<uint64_t>(1, tseq));
    EXPECT_EQ(state.last_seq, tseq);
    ASSERT_TRUE(fs->Stop());
  }
}

TEST_P(FileStorePermutations, TestStoreStreamInteriorDeleteAccounting) {
  enum class Action { kTruncateWithRemove, kTruncateWithErase, kTruncateWithTombstone, kSkipMsg, kSkipMsgs };
  const std::vector<std::pair<Action, std::string>> tests = {
      {Action::kTruncateWithRemove, "TruncateWithRemove"},
      {Action::kTruncateWithErase, "TruncateWithErase"},
      {Action::kTruncateWithTombstone, "TruncateWithTombstone"},
      {Action::kSkipMsg, "SkipMsg"},
      {Action::kSkipMsgs, "SkipMsgs"},
  };
  const StreamConfig cfg = Cfg("zzz", {"foo"});
  const FileStoreConfig fcfg = Fcfg();
  for (bool empty : {false, true}) {
    for (const auto& [action, title] : tests) {
      SCOPED_TRACE(std::string("Empty=") + (empty ? "true" : "false") + "/" + title);
      std::filesystem::remove_all(StreamDir());
      auto fs = Create(fcfg, cfg);
      ASSERT_TRUE(fs);

      uint64_t lseq = 0;
      if (!empty) {
        auto r = fs->StoreMsg("foo", {}, {}, 0);
        ASSERT_TRUE(r) << r.error().message();
        lseq = r->seq;
        ASSERT_EQ(lseq, 1u);
      }
      ++lseq;

      const auto store_one = [&] {
        auto r = fs->StoreMsg("foo", {}, {}, 0);
        ASSERT_TRUE(r) << r.error().message();
        ASSERT_EQ(r->seq, lseq);
      };
      switch (action) {
        case Action::kTruncateWithRemove: {
          store_one();
          auto removed = fs->RemoveMsg(lseq);
          ASSERT_TRUE(removed) << removed.error().message();
          ASSERT_TRUE(*removed);
          auto t = fs->Truncate(lseq);
          ASSERT_TRUE(t) << t.error().message();
          break;
        }
        case Action::kTruncateWithErase: {
          store_one();
          auto removed = fs->EraseMsg(lseq);
          ASSERT_TRUE(removed) << removed.error().message();
          ASSERT_TRUE(*removed);
          auto t = fs->Truncate(lseq);
          ASSERT_TRUE(t) << t.error().message();
          break;
        }
        case Action::kTruncateWithTombstone: {
          store_one();
          {
            std::lock_guard lock(I(*fs).mu);
            auto removed = I(*fs).RemoveMsg(lseq, false, false);
            ASSERT_TRUE(removed) << removed.error().message();
            ASSERT_TRUE(*removed);
          }
          auto t = fs->Truncate(lseq);
          ASSERT_TRUE(t) << t.error().message();
          break;
        }
        case Action::kSkipMsg:
          (void)fs->SkipMsg(0);
          break;
        case Action::kSkipMsgs: {
          auto s = fs->SkipMsgs(lseq, 1);
          ASSERT_TRUE(s) << s.error().message();
          break;
        }
      }

      // The baseline.
      const StreamState before = fs->State();
      if (empty) {
        EXPECT_EQ(before.msgs, 0u);
        EXPECT_EQ(before.first_seq, 2u);
        EXPECT_EQ(before.last_seq, 1u);
      } else {
        EXPECT_EQ(before.msgs, 1u);
        EXPECT_EQ(before.first_seq, 1u);
        EXPECT_EQ(before.last_seq, 2u);
      }

      // A restart gives the same state.
      ASSERT_TRUE(fs->Stop());
      fs = Create(fcfg, cfg);
      ASSERT_TRUE(fs);
      ExpectSameState(fs->State(), before);

      // So does recovering from the blocks alone.
      ASSERT_TRUE(fs->Stop());
      ASSERT_TRUE(std::filesystem::remove(StreamDir() / kMsgDir / kStreamStateFile));
      fs = Create(fcfg, cfg);
      ASSERT_TRUE(fs);
      ExpectSameState(fs->State(), before);

      // And rebuilding the state.
      {
        std::lock_guard lock(I(*fs).mu);
        I(*fs).RebuildStateLocked(std::nullopt);
      }
      ExpectSameState(fs->State(), before);
      ASSERT_TRUE(fs->Stop());
    }
  }
}

TEST_P(FileStorePermutations, TestStoreSkipMsgsCarryForwardLastTime) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  constexpr int64_t kDay = int64_t{24} * 3600 * 1'000'000'000;
  constexpr int64_t kSec = 1'000'000'000;
  // A message thirty days old, on a whole second.
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t old = (now - 30 * kDay) / kSec * kSec;
  ASSERT_TRUE(fs->StoreRawMsg("foo", {}, {}, 1, old, 0, false));
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.last_seq, 1u);
  EXPECT_EQ(ss.last_time, old);

  // Skips do not move the last time forward.
  ASSERT_TRUE(fs->SkipMsgs(2, 10));
  fs->FastState(&ss);
  EXPECT_EQ(ss.last_seq, 11u);
  EXPECT_EQ(ss.last_time, old);
  auto seq = fs->SkipMsg(12);
  ASSERT_TRUE(seq) << seq.error().message();
  EXPECT_EQ(*seq, 12u);
  fs->FastState(&ss);
  EXPECT_EQ(ss.last_seq, 12u);
  EXPECT_EQ(ss.last_time, old);
  ASSERT_TRUE(fs->SkipMsgs(13, 5));
  fs->FastState(&ss);
  EXPECT_EQ(ss.last_seq, 17u);
  EXPECT_EQ(ss.last_time, old);

  // Time lookups see across the skipped sequences.
  const int64_t newer = old + 15 * kDay;
  ASSERT_TRUE(fs->StoreRawMsg("foo", {}, {}, 18, newer, 0, false));
  EXPECT_EQ(fs->GetSeqFromTime(old), 1u);
  EXPECT_EQ(fs->GetSeqFromTime(old + 5 * kDay), 18u);
  EXPECT_EQ(fs->GetSeqFromTime(newer), 18u);
}

TEST_P(FileStorePermutations, TestStoreGetSeqFromTimeWithInteriorDeletesGap) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  int64_t start = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(r) << r.error().message();
    if (i == 1) start = r->ts;
  }
  // A gap of deletes: a plain binary search over sequences would land in
  // it and answer the last sequence.
  for (uint64_t seq = 4; seq <= 7; ++seq) ASSERT_TRUE(fs->RemoveMsg(seq));
  EXPECT_EQ(fs->GetSeqFromTime(start), 2u);
}

TEST_P(FileStorePermutations, TestStoreGetSeqFromTimeWithTrailingDeletes) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  int64_t start = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(r) << r.error().message();
    if (i == 1) start = r->ts;
  }
  ASSERT_TRUE(fs->RemoveMsg(3));
  EXPECT_EQ(fs->GetSeqFromTime(start), 2u);
}

TEST(FileStore, TestFileStorePurgeExBufPool) {
  TempDir dir{"fsdmap"};
  auto fs = OpenDefault(dir, Stream("zzz", {"foo.*"}), 1024);
  ASSERT_TRUE(fs);

  const std::string msg = [] {
    std::string s;
    for (int i = 0; i < 33; ++i) s += "ABC";  // ~100 bytes
    return s;
  }();
  for (int i = 0; i < 1000; ++i) {
    (void)fs->StoreMsg("foo.foo", {}, Bytes(msg), 0);
    (void)fs->StoreMsg("foo.bar", {}, Bytes(msg), 0);
  }

  auto p = fs->PurgeEx("foo.bar", 0, 0);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, 1000u);

  // Not every block's cache is left loaded.
  int loaded = 0;
  for (const auto& b : fs->BlocksForTest()) {
    if (b.cache_loaded) ++loaded;
  }
  EXPECT_EQ(loaded, 1);
}

TEST(FileStore, TestNoRaceFileStorePurgeExAsyncTombstones) {
  TempDir dir{"fsdmap"};
  auto fs = OpenDefault(dir, Stream("zzz", {"*.*"}));
  ASSERT_TRUE(fs);

  const std::string msg = "zzz";
  (void)fs->StoreMsg("foo.A", {}, Bytes(msg), 0);
  (void)fs->StoreMsg("foo.B", {}, Bytes(msg), 0);
  for (int i = 0; i < 500; ++i) (void)fs->StoreMsg("foo.C", {}, Bytes(msg), 0);
  (void)fs->StoreMsg("foo.D", {}, Bytes(msg), 0);

  // Every block loaded, so loading is no part of the timing.
  {
    std::lock_guard lock(I(*fs).mu);
    for (auto& mb : I(*fs).blks) (void)mb->LoadCache(nullptr);
  }

  // One message that is not the first: mostly the time to write and flush
  // its tombstone.
  auto start = std::chrono::steady_clock::now();
  auto n = fs->PurgeEx("foo.B", 0, 0);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);

  start = std::chrono::steady_clock::now();
  n = fs->PurgeEx("foo.C", 0, 0);
  const auto elapsed2 = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 500u);

  // Flushing per tombstone would make the second a far larger multiple of
  // the first than flushing all tombstones once.
  EXPECT_GT(elapsed * 50, elapsed2)
      << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() << "us vs "
      << std::chrono::duration_cast<std::chrono::microseconds>(elapsed2).count() << "us";
}

TEST(FileStore, TestFileStoreDeleteMapView) {
  TempDir dir{"fsdmap"};
  const std::string msg = "hello";
  // Blocks of 10 messages each.
  auto fs = OpenDefault(dir, Stream("zzz", {"foo"}), 10 * FileStoreMsgSize("foo", 0, msg.size()));
  ASSERT_TRUE(fs);

  constexpr uint64_t kNumMsgs = 100;
  for (uint64_t i = 0; i < kNumMsgs; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(msg), 0));

  // Interior deletes in every block: each block's first and last message
  // stay, so no removal moves a block's first sequence (that would be a
  // gap, which the view leaves out).
  std::set<uint64_t> expected;
  for (uint64_t seq = 1; seq <= kNumMsgs; ++seq) {
    if (seq % 10 == 1 || seq % 10 == 0) continue;
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
    expected.insert(seq);
  }

  const auto check_view = [&](InteriorDeletes v, uint64_t total) {
    // The view's sets are private; what it copies is the live blocks'
    // delete maps, whose sizes DmapEntries sums.
    EXPECT_EQ(total, expected.size());
    // Ascending probes.
    for (uint64_t seq = 0; seq <= kNumMsgs + 1; ++seq) {
      ASSERT_EQ(v.Exists(seq), expected.contains(seq)) << seq;
    }
    // Descending probes.
    for (uint64_t seq = kNumMsgs + 1;; --seq) {
      ASSERT_EQ(v.Exists(seq), expected.contains(seq)) << seq;
      if (seq == 0) break;
    }
    // Random probes.
    std::mt19937_64 rng(0);
    std::uniform_int_distribution<uint64_t> dist(0, kNumMsgs + 1);
    for (uint64_t i = 0; i < kNumMsgs * 4; ++i) {
      const uint64_t seq = dist(rng);
      ASSERT_EQ(v.Exists(seq), expected.contains(seq)) << seq;
    }
  };
  check_view(DeleteMap(*fs), DmapEntries(*fs));

  // Emptying an interior block removes it; its deletes become a gap.
  uint64_t fseq = 0;
  uint64_t lseq = 0;
  size_t nblks = 0;
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_GT(I(*fs).blks.size(), 3u);
    const MsgBlock* mb = I(*fs).blks[3].get();
    fseq = mb->first.seq;
    lseq = mb->last.seq;
    nblks = I(*fs).blks.size();
  }
  for (uint64_t seq = fseq; seq <= lseq; ++seq) {
    if (!expected.contains(seq)) {
      auto r = fs->RemoveMsg(seq);
      ASSERT_TRUE(r) << r.error().message();
    }
    expected.erase(seq);
  }
  EXPECT_EQ(NumBlocks(*fs), nblks - 1);
  check_view(DeleteMap(*fs), DmapEntries(*fs));

  // Compact drops whole blocks. Go also builds the view from a block list
  // taken before the Compact (its removed blocks linger, closed, with their
  // delete maps); here removed blocks are freed and the view is only built
  // from the live list under the lock, so it is checked on that.
  auto c = fs->Compact(41);
  ASSERT_TRUE(c) << c.error().message();
  std::erase_if(expected, [](uint64_t seq) { return seq < 41; });
  check_view(DeleteMap(*fs), DmapEntries(*fs));
}

TEST_P(FileStorePermutations, TestFileStoreAllFilteredStateWithDeleted) {
  auto fs = Create(Fcfg(1024), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);

  const std::string subj = "foo", msg = "Hello World";
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));

  const auto remove = [&](std::initializer_list<uint64_t> seqs) {
    for (uint64_t seq : seqs) {
      auto ok = fs->RemoveMsg(seq);
      ASSERT_TRUE(ok) << ok.error().message();
      ASSERT_TRUE(*ok) << seq;
    }
  };
  const auto check_filtered_state = [&](uint64_t start, uint64_t msgs, uint64_t first, uint64_t last) {
    SCOPED_TRACE("start " + std::to_string(start));
    auto fss = fs->FilteredState(start, "");
    ASSERT_TRUE(fss) << fss.error().message();
    EXPECT_EQ(fss->msgs, msgs);
    EXPECT_EQ(fss->first, first);
    EXPECT_EQ(fss->last, last);
  };

  check_filtered_state(1, 100, 1, 100);
  remove({2});
  check_filtered_state(2, 98, 3, 100);
  remove({3, 4, 5});
  check_filtered_state(2, 95, 6, 100);
  check_filtered_state(6, 95, 6, 100);
  remove({8, 10, 12, 14, 16, 18});
  check_filtered_state(7, 88, 7, 100);

  // After a purge, first and last still come back right.
  ASSERT_TRUE(fs->Purge());
  check_filtered_state(0, 0, 101, 100);
}

}  // namespace natscpp::store::testing
