// Ports of more v2.14.5 Compact, sparse-compaction and purgeMsgBlock tests
// in server/filestore_test.go. Go reaches into fs.blks, fs.lmb and a
// block's counters; these do the same through FileStore::ImplForTesting,
// holding the store's lock as Go holds fs.mu and mb.mu.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <random>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "headers/headers.h"
#include "sched/go_time.h"
#include "sched/scheduler.h"
#include "s2/compression.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;

constexpr uint64_t kCompactMinimum = 2 * 1024 * 1024;

StreamConfig NoSubjects() {
  StreamConfig c;
  c.name = "zzz";
  c.storage = StorageType::kFile;
  return c;
}

// Go's checkMbState helpers: the first block's first/last sequence and
// time, messages and deletes. lseq 0 means the block is empty, its last
// sequence one below its first and its last time zero.
void CheckFirstBlock(FileStore& fs, const std::vector<int64_t>& tss, uint64_t fseq, uint64_t lseq,
                     uint64_t msgs) {
  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  ASSERT_FALSE(impl.blks.empty());
  const MsgBlock& mb = *impl.blks.front();
  EXPECT_EQ(mb.first.seq, fseq);
  EXPECT_EQ(mb.first.ts, tss[fseq - 1]);
  if (lseq == 0) {
    EXPECT_EQ(mb.last.seq, fseq - 1);
    EXPECT_EQ(mb.last.ts, 0);
  } else {
    EXPECT_EQ(mb.last.seq, lseq);
    EXPECT_EQ(mb.last.ts, tss[lseq - 1]);
  }
  EXPECT_EQ(mb.msgs, msgs);
  EXPECT_EQ(mb.dmap.Size(), lseq - fseq + 1 - msgs);
}

TEST_P(FileStorePermutations, TestFileStoreCompactLastPlusOne) {
  auto fcfg = Fcfg(8192);
  fcfg.async_flush = true;
  auto fs = Create(fcfg, NoSubjects());
  ASSERT_TRUE(fs);
  const std::string msg(10'000, '\0');
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(msg), 0));
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.CheckAndFlushLastBlock());
  }
  ASSERT_EQ(fs->State().msgs, 10'000u);
  auto n = fs->Compact(10'001);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(fs->State().msgs, 0u);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, 1u);
}

TEST_P(FileStorePermutations, TestFileStoreCompactRestoresLastSeq) {
  auto fs = Create(Fcfg(), NoSubjects());
  ASSERT_TRUE(fs);
  std::vector<int64_t> tss;
  for (int i = 0; i < 4; ++i) {
    auto r = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(r);
    tss.push_back(r->ts);
  }
  CheckFirstBlock(*fs, tss, 1, 4, 4);
  ASSERT_TRUE(fs->RemoveMsg(1));
  CheckFirstBlock(*fs, tss, 2, 4, 3);
  ASSERT_TRUE(fs->RemoveMsg(4));
  CheckFirstBlock(*fs, tss, 2, 4, 2);
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    auto r = impl.blks.front()->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }
  CheckFirstBlock(*fs, tss, 2, 3, 2);
}

TEST_P(FileStorePermutations, TestFileStoreCompactFullyResetsFirstAndLastSeq) {
  auto fs = Create(Fcfg(), NoSubjects());
  ASSERT_TRUE(fs);
  std::vector<int64_t> tss;
  for (int i = 0; i < 2; ++i) {
    auto r = fs->StoreMsg("foo", {}, {}, 0);
    ASSERT_TRUE(r);
    tss.push_back(r->ts);
  }
  CheckFirstBlock(*fs, tss, 1, 2, 2);
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    MsgBlock& mb = *impl.blks.front();
    // The cache is loaded first so the compaction has to reload it.
    auto lc = mb.LoadCache(nullptr);
    ASSERT_TRUE(lc) << lc.error().message();
    // Delete the whole block by hand, beyond what a rebuild could repair;
    // the compaction has to reset first and last itself.
    mb.dmap.Insert(1);
    mb.dmap.Insert(2);
    mb.msgs = 0;
    auto r = mb.CompactWithFloor(0, nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }
  CheckFirstBlock(*fs, tss, 1, 0, 0);
}

TEST_P(FileStorePermutations, TestFileStoreCompactTombstonesBelowFirstSeq) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  // 1.blk
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  // 2.blk
  {
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.NewMsgBlockForWrite());
  }
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  ASSERT_TRUE(fs->RemoveMsg(3));
  ASSERT_TRUE(fs->RemoveMsg(2));

  auto state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 4u);
  EXPECT_EQ(state.deleted, (std::vector<uint64_t>{2, 3}));

  MsgBlock* lmb = nullptr;
  {
    std::lock_guard lock(impl.mu);
    ASSERT_EQ(impl.blks.size(), 2u);
    lmb = impl.lmb;
    // The write block reports the two tombstones below it.
    EXPECT_EQ(lmb->NumPriorTombstones(impl.state.first.seq), 2);
  }
  // Removing 1 moves the first sequence up past them.
  ASSERT_TRUE(fs->RemoveMsg(1));
  {
    std::lock_guard lock(impl.mu);
    EXPECT_EQ(lmb->NumPriorTombstones(impl.state.first.seq), 0);
  }
  // A new write block, so the old one can be compacted.
  uint64_t rbytes = 0;
  {
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.NewMsgBlockForWrite());
    rbytes = lmb->rbytes;
    EXPECT_TRUE(lmb->ShouldCompactSync());
  }
  impl.SyncBlocks();
  std::lock_guard lock(impl.mu);
  EXPECT_NE(lmb->rbytes, rbytes);
}

TEST_P(FileStorePermutations, TestFileStoreCompactHeadReclaimRecompressedBlock) {
  // Large, so everything lands in one block.
  const auto fcfg = Fcfg(8 * 1024 * 1024);
  const auto cfg = Cfg("zzz", {"zzz"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  // Random payloads keep rbytes above the compaction minimum under S2.
  constexpr uint64_t kNum = 50;
  std::mt19937_64 rng(42);
  std::vector<std::string> msgs(kNum);
  for (auto& m : msgs) {
    m.resize(64 * 1024);
    for (auto& c : m) c = static_cast<char>(rng());
    ASSERT_TRUE(fs->StoreMsg("zzz", {}, Bytes(m), 0));
  }
  // Recompress the write block on disk, as after rotation; a no-op without
  // compression.
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    MsgBlock* smb = impl.lmb;
    auto r = smb->RecompressOnDisk();
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(smb->CompressedOnDisk(), GetParam().compression != StoreCompression::kNone);
    EXPECT_GT(smb->rbytes, kCompactMinimum);
  }
  // Compacting most of the block away takes the head-reclaim rewrite.
  auto n = fs->Compact(kNum - 5);
  ASSERT_TRUE(n) << n.error().message();
  StoreMsg smv;
  for (uint64_t seq = kNum - 5; seq <= kNum; ++seq) {
    auto sm = fs->LoadMsg(seq, &smv);
    ASSERT_TRUE(sm) << seq << ": " << sm.error().message();
    EXPECT_EQ(Str((*sm)->msg()), msgs[seq - 1]);
  }
  // Reloading decompresses the rewritten block from disk.
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  StreamState state;
  fs->FastState(&state);
  EXPECT_EQ(state.msgs, 6u);
  for (uint64_t seq = kNum - 5; seq <= kNum; ++seq) {
    auto sm = fs->LoadMsg(seq, &smv);
    ASSERT_TRUE(sm) << seq << ": " << sm.error().message();
    EXPECT_EQ(Str((*sm)->msg()), msgs[seq - 1]);
  }
}

TEST_P(FileStorePermutations, TestFileStoreCompressionAfterTruncate) {
  enum class Action { kRemoveMsg, kEraseMsg, kTombstone };
  const bool compressing = GetParam().compression != StoreCompression::kNone;
  for (Action action : {Action::kRemoveMsg, Action::kEraseMsg, Action::kTombstone}) {
    for (bool recompress : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "action " << static_cast<int>(action) << " recompress "
                                        << recompress);
      std::filesystem::remove_all(StreamDir());
      auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
      ASSERT_TRUE(fs);
      auto& impl = fs->ImplForTesting();
      for (int i = 0; i < 2; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

      // Whether the block's file, decrypted, starts with a compression header.
      auto check_compressed = [&](MsgBlock* mb) -> Result<bool> {
        std::lock_guard lock(impl.mu);
        auto buf = mb->LoadDecrypted();
        if (!buf) return std::unexpected(buf.error());
        s2::CompressionInfo meta;
        auto n = meta.UnmarshalMetadata(*buf);
        if (!n) return std::unexpected(n.error());
        if (*n == 0) return false;
        return meta.algorithm != s2::StoreCompression::kNone;
      };
      auto wait_compressed = [&](MsgBlock* mb) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        for (;;) {
          auto c = check_compressed(mb);
          ASSERT_TRUE(c) << c.error().message();
          if (*c) return;
          ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "block not compressed yet";
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      };

      MsgBlock* smb = nullptr;
      {
        std::lock_guard lock(impl.mu);
        ASSERT_FALSE(impl.blks.empty());
        smb = impl.blks.front().get();
      }
      auto c = check_compressed(smb);
      ASSERT_TRUE(c) << c.error().message();
      EXPECT_FALSE(*c);

      {
        std::lock_guard lock(impl.mu);
        ASSERT_TRUE(impl.NewMsgBlockForWrite());
      }
      if (compressing) {
        wait_compressed(smb);
      } else {
        c = check_compressed(smb);
        ASSERT_TRUE(c) << c.error().message();
        EXPECT_FALSE(*c);
      }

      ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
      switch (action) {
        case Action::kRemoveMsg: {
          auto r = fs->RemoveMsg(2);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_TRUE(*r);
          break;
        }
        case Action::kEraseMsg: {
          auto r = fs->EraseMsg(2);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_TRUE(*r);
          break;
        }
        case Action::kTombstone: {
          std::lock_guard lock(impl.mu);
          auto r = impl.RemoveMsg(2, false, false);
          ASSERT_TRUE(r) << r.error().message();
          EXPECT_TRUE(*r);
          break;
        }
      }

      auto state = fs->State();
      EXPECT_EQ(state.msgs, 2u);
      EXPECT_EQ(state.first_seq, 1u);
      EXPECT_EQ(state.last_seq, 3u);
      EXPECT_EQ(state.num_deleted, 1);

      auto t = fs->Truncate(2);
      ASSERT_TRUE(t) << t.error().message();
      state = fs->State();
      EXPECT_EQ(state.msgs, 1u);
      EXPECT_EQ(state.first_seq, 1u);
      EXPECT_EQ(state.last_seq, 2u);
      EXPECT_EQ(state.num_deleted, 1);

      MsgBlock* lmb = nullptr;
      {
        std::lock_guard lock(impl.mu);
        lmb = impl.lmb;
      }
      if (smb == lmb) {
        c = check_compressed(smb);
        ASSERT_TRUE(c) << c.error().message();
        EXPECT_FALSE(*c);
      } else {
        c = check_compressed(lmb);
        ASSERT_TRUE(c) << c.error().message();
        EXPECT_FALSE(*c);
        if (compressing) wait_compressed(smb);
      }

      {
        std::lock_guard lock(impl.mu);
        ASSERT_TRUE(impl.WriteFullState(true));
      }
      auto st = fs->StoreMsg("foo", {}, {}, 0);
      ASSERT_TRUE(st) << st.error().message();
      EXPECT_EQ(st->seq, 3u);
      {
        std::lock_guard lock(impl.mu);
        ASSERT_TRUE(impl.WriteFullState(true));
        smb->ClearCacheAndOffset();
        auto lc = smb->LoadCache(nullptr);
        ASSERT_TRUE(lc) << lc.error().message();
      }
      c = check_compressed(smb);
      ASSERT_TRUE(c) << c.error().message();
      if (smb == lmb) {
        EXPECT_FALSE(*c);
      } else {
        EXPECT_EQ(*c, compressing);
      }
      c = check_compressed(lmb);
      ASSERT_TRUE(c) << c.error().message();
      EXPECT_FALSE(*c);
      ASSERT_TRUE(fs->Stop());
    }
  }
}

TEST_P(FileStorePermutations, TestFileStoreMissingDeletesAfterCompact) {
  auto fs = Create(Fcfg(), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  // Six messages; remove the first and last and a gap in the middle.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  for (uint64_t seq : {1, 3, 4, 6}) ASSERT_TRUE(fs->RemoveMsg(seq));
  auto& impl = fs->ImplForTesting();
  MsgBlock* fmb = nullptr;
  {
    std::lock_guard lock(impl.mu);
    fmb = impl.blks.front().get();
    // Compacted later, so not the write block.
    ASSERT_TRUE(impl.NewMsgBlockForWrite());
  }
  {
    std::lock_guard lock(impl.mu);
    EXPECT_EQ(fmb->first.seq, 2u);
    EXPECT_EQ(fmb->last.seq, 6u);
    EXPECT_EQ(fmb->msgs, 2u);
    EXPECT_EQ(fmb->dmap.Size(), 3u);
    EXPECT_TRUE(fmb->dmap.Exists(3));
    EXPECT_TRUE(fmb->dmap.Exists(4));
    EXPECT_TRUE(fmb->dmap.Exists(6));

    // Compact and reload: the deletes stay.
    auto r = fmb->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(r) << r.error().message();
    fmb->ClearCache();
    fmb->dmap = {};
    auto lc = fmb->LoadCache(nullptr);
    ASSERT_TRUE(lc) << lc.error().message();
    EXPECT_EQ(fmb->first.seq, 2u);
    EXPECT_EQ(fmb->last.seq, 5u);
    EXPECT_EQ(fmb->msgs, 2u);
    EXPECT_EQ(fmb->dmap.Size(), 2u);
    EXPECT_TRUE(fmb->dmap.Exists(3));
    EXPECT_TRUE(fmb->dmap.Exists(4));

    // A rebuild keeps the same state.
    auto rb = fmb->RebuildState();
    ASSERT_TRUE(rb) << rb.error().message();
    EXPECT_EQ(fmb->first.seq, 2u);
    EXPECT_EQ(fmb->last.seq, 5u);
    EXPECT_EQ(fmb->msgs, 2u);
  }
  // Removing 5 lets the block compact down to one message.
  ASSERT_TRUE(fs->RemoveMsg(5));
  std::lock_guard lock(impl.mu);
  auto r = fmb->CompactWithFloor(0, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  fmb->ClearCache();
  fmb->dmap = {};
  auto lc = fmb->LoadCache(nullptr);
  ASSERT_TRUE(lc) << lc.error().message();
  EXPECT_EQ(fmb->first.seq, 2u);
  EXPECT_EQ(fmb->last.seq, 2u);
  EXPECT_EQ(fmb->msgs, 1u);
  EXPECT_EQ(fmb->dmap.Size(), 0u);

  auto rb = fmb->RebuildState();
  ASSERT_TRUE(rb) << rb.error().message();
  EXPECT_EQ(fmb->first.seq, 2u);
  EXPECT_EQ(fmb->last.seq, 2u);
  EXPECT_EQ(fmb->msgs, 1u);
  EXPECT_EQ(fmb->dmap.Size(), 0u);
}

TEST_P(FileStorePermutations, TestFileStoreSparseCompaction) {
  auto fs = Create(Fcfg(1024 * 1024), Cfg("KV", {"kv.>"}));
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  std::string msg;
  for (int i = 0; i < 33; ++i) msg += "ABC";  // ~100 bytes

  auto check_state = [&](uint64_t msgs, uint64_t first, uint64_t last) {
    auto st = fs->State();
    EXPECT_EQ(st.msgs, msgs);
    EXPECT_EQ(st.first_seq, first);
    EXPECT_EQ(st.last_seq, last);
  };
  auto compact = [&] {
    StreamState ssb, ssa;
    fs->FastState(&ssb);
    auto ub = fs->GetUtilization();
    ASSERT_TRUE(ub);
    {
      std::lock_guard lock(impl.mu);
      ASSERT_GE(impl.blks.size(), 2u) << "not enough blocks";
      auto r = impl.blks.front()->CompactWithFloor(0, nullptr);
      ASSERT_TRUE(r) << r.error().message();
    }
    fs->FastState(&ssa);
    ExpectSameState(ssb, ssa);
    auto ua = fs->GetUtilization();
    ASSERT_TRUE(ua);
    EXPECT_EQ(ub->reported, ua->reported);
    // With both encryption and compression the file need not shrink.
    if (!GetParam().encrypted || GetParam().compression == StoreCompression::kNone) {
      EXPECT_LT(ua->total, ub->total);
    }
  };

  for (int i = 1; i <= 1000; ++i) {
    ASSERT_TRUE(fs->StoreMsg("kv." + std::to_string(i % 10), {}, Bytes(msg), 0));
  }
  check_state(1000, 1, 1000);

  // A new write block, since the current one is compacted below.
  {
    std::lock_guard lock(impl.mu);
    ASSERT_EQ(impl.blks.size(), 1u);
  }
  auto state = fs->State();
  {
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.NewMsgBlockForWrite());
    ASSERT_TRUE(impl.WriteTombstone(state.last_seq, state.last_time));
  }

  auto r1 = fs->RemoveMsg(1);
  ASSERT_TRUE(r1 && *r1);
  compact();

  for (uint64_t seq : {1000, 999, 998, 997}) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r && *r) << seq;
  }
  compact();

  for (uint64_t seq : {500, 502, 504, 506, 508, 510}) {
    auto r = fs->EraseMsg(seq);
    ASSERT_TRUE(r && *r) << seq;
  }
  compact();
}

TEST_P(FileStorePermutations, TestFileStoreSparseCompactionWithInteriorDeletes) {
  auto fs = Create(Fcfg(), Cfg("KV", {"kv.>"}));
  ASSERT_TRUE(fs);
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_TRUE(fs->StoreMsg("kv." + std::to_string(i % 10), {}, Bytes("OK"), 0));
  }
  // Interior deletes.
  for (uint64_t seq : {500, 600, 700, 800}) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r && *r) << seq;
  }
  StoreMsg smv;
  ASSERT_TRUE(fs->LoadMsg(900, &smv));
  // Compact by hand; the messages past the interior deletes stay readable.
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    MsgBlock* lmb = impl.lmb;
    // Go's dirty close without removing the files.
    lmb->CloseFd();
    lmb->ClearCache();
    auto r = lmb->CompactWithFloor(0, nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }
  auto sm = fs->LoadMsg(900, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
}

TEST_P(FileStorePermutations, TestFileStoreCompactingBlocksOnSync) {
  auto fcfg = Fcfg(1000);  // 20 messages a block
  fcfg.sync_interval = std::chrono::milliseconds(100);
  auto cfg = Cfg("zzz", {"*"});
  cfg.max_msgs_per = 1;
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  auto num_blocks = [&] {
    std::lock_guard lock(impl.mu);
    return impl.blks.size();
  };
  // Records of 50 bytes, so 20 a block.
  const std::string msg(19, 'Z');
  const std::string subjects = "ABCDEFGHIJKLMNOPQRST";
  for (char c : subjects) ASSERT_TRUE(fs->StoreMsg(std::string(1, c), {}, Bytes(msg), 0));
  EXPECT_EQ(num_blocks(), 1u);
  auto u = fs->GetUtilization();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->total, u->reported);

  // Overwrite B-S, leaving 1 and 20 in the first block; too small for the
  // inline compaction.
  for (size_t i = 1; i < 19; ++i) ASSERT_TRUE(fs->StoreMsg(std::string(1, subjects[i]), {}, Bytes(msg), 0));
  EXPECT_EQ(num_blocks(), 2u);

  auto blk_util = [&] {
    std::lock_guard lock(impl.mu);
    const MsgBlock& fmb = *impl.blks.front();
    return std::pair{fmb.rbytes, fmb.bytes};
  };
  auto [total, reported] = blk_util();
  EXPECT_EQ(reported, 100u);
  // 1000 raw bytes, fewer under compression.
  if (GetParam().compression != StoreCompression::kNone) {
    EXPECT_GT(total, reported);
  } else {
    EXPECT_EQ(total, 1000u);
  }
  // The sync pass compacts it down to what it holds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    auto [t, r] = blk_util();
    if (t <= r) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "not compacted yet, raw " << t << " vs reported " << r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_P(FileStorePermutations, TestFileStorePurgeMsgBlock) {
  auto fs = Create(Fcfg(10 * 33), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    ASSERT_EQ(impl.blks.size(), 2u);
  }
  auto state = fs->State();
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 20u);
  EXPECT_EQ(state.msgs, 20u);
  EXPECT_EQ(state.bytes, 20u * 33);

  // Purging the block removes it and does the accounting.
  {
    std::lock_guard lock(impl.mu);
    auto r = impl.PurgeMsgBlock(impl.blks.front().get());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(impl.blks.size(), 1u);
  }
  state = fs->State();
  EXPECT_EQ(state.first_seq, 11u);
  EXPECT_EQ(state.last_seq, 20u);
  EXPECT_EQ(state.msgs, 10u);
  EXPECT_EQ(state.bytes, 10u * 33);
}

TEST_P(FileStorePermutations, TestFileStorePurgeMsgBlockUpdatesSubjects) {
  auto fs = Create(Fcfg(10 * 33), Cfg("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  EXPECT_EQ(fs->SubjectsTotals("foo")["foo"], 20u);
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    auto r = impl.PurgeMsgBlock(impl.blks.front().get());
    ASSERT_TRUE(r) << r.error().message();
  }
  auto state = fs->State();
  EXPECT_EQ(state.msgs, 10u);
  EXPECT_EQ(state.first_seq, 11u);
  EXPECT_EQ(fs->SubjectsTotals("foo")["foo"], 10u);
}

TEST_P(FileStorePermutations, TestFileStorePurgeMsgBlockRemovesSchedules) {
  const std::string schedule =
      sched::Time::Unix(0, sched::NowUnixNano() + int64_t{3600} * 1'000'000'000).UTC().FormatRFC3339Nano();
  auto at_schedule = [&](const std::string& target) {
    headers::Bytes hdr = headers::GenHeader({}, headers::kJSSchedulePattern, "@at " + schedule);
    return headers::GenHeader(hdr, headers::kJSScheduleTarget, target);
  };
  // fileStoreMsgSize of one scheduled message.
  const std::string subj0 = "foo.sched.0";
  const uint64_t msg_size = 22 + subj0.size() + 4 + at_schedule("foo.target.0").size() + 1 + 8;
  // Two blocks of five messages each.
  auto cfg = Cfg("zzz", {"foo.*"});
  cfg.allow_msg_schedules = true;
  auto fs = Create(Fcfg(msg_size * 5), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 10; ++i) {
    const auto hdr = at_schedule("foo.target." + std::to_string(i));
    auto r = fs->StoreMsg("foo.sched." + std::to_string(i), hdr, Bytes("x"), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    EXPECT_GE(impl.blks.size(), 2u);
    ASSERT_TRUE(impl.scheduling);
    EXPECT_EQ(impl.scheduling->seq_to_subj().size(), impl.state.msgs);
    auto r = impl.PurgeMsgBlock(impl.blks.front().get());
    ASSERT_TRUE(r) << r.error().message();
  }
  auto state = fs->State();
  EXPECT_EQ(state.msgs, 5u);
  std::lock_guard lock(impl.mu);
  const auto& sts = impl.scheduling->seq_to_subj();
  EXPECT_EQ(sts.size(), state.msgs);
  for (uint64_t seq = 1; seq < state.first_seq; ++seq) {
    EXPECT_FALSE(sts.contains(seq)) << "schedule for seq " << seq << " not removed";
  }
}

}  // namespace
}  // namespace natscpp::store::testing
