// Ports of the v2.14.5 per-subject state tests in server/filestore_test.go:
// expiry of the blocks' subject state, the global subject index (psim) and
// its subject lengths, purges and truncations that must not rebuild subject
// state they do not need, and LoadNextMsg skipping blocks without a match.
// The ones Go runs through testFileStoreAllPermutations run under
// FileStorePermutations (instantiated in file_store_write_test.cc); the rest
// use one default store. Where Go reads a block from inside (fs.blks,
// mb.fss, mb.lsts, fs.psim) these read the same fields through
// FileStore::ImplForTesting, holding the store's lock: the C++ store has
// that one lock and no per-block locks.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using namespace std::chrono_literals;
using filestore::MsgBlock;

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

// Go: fs.getFirstBlock.
MsgBlock* FirstBlock(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.empty() ? nullptr : I(fs).blks.front().get();
}

// Go: fs.newMsgBlockForWrite, under the store's lock as the writer holds it.
void NewWriteBlock(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  auto r = I(fs).NewMsgBlockForWrite();
  ASSERT_TRUE(r) << r.error().message();
}

int64_t& Lsts(MsgBlock& mb) { return mb.LstsForTest(); }

// Go's fs.tsl: the store keeps no running total of subject lengths, so this
// sums the lengths of the subjects the global index holds.
uint64_t TotalSubjectLength(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  uint64_t total = 0;
  I(fs).psim.Match(">", [&](std::string_view subj, SubjectBlocks*) { total += subj.size(); });
  return total;
}

StreamConfig Stream(std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = "zzz";
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

// A store of its own, for the tests Go runs once with newFileStore.
std::unique_ptr<FileStore> OpenDefault(const TempDir& dir, const StreamConfig& cfg,
                                       FileStoreConfig f = {}) {
  auto fs = FileStore::Create(dir.path() / "$G" / "streams" / "zzz", f, cfg,
                              GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

}  // namespace

TEST(FileStore, TestFileStoreFSSMeta) {
  TempDir dir{"fsfss"};
  FileStoreConfig fcfg;
  fcfg.block_size = 100;
  fcfg.cache_expire = 200ms;
  fcfg.subject_state_expire = 1s;
  auto fs = OpenDefault(dir, Stream({"*"}), fcfg);
  ASSERT_TRUE(fs);

  // A record of 50 bytes: two per block with a one-letter subject.
  const std::string msg(19, 'Z');

  // Blocks |A-Z| |Z-Z| |Z-Z| |Z-A|.
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg), 0));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fs->StoreMsg("Z", {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg), 0));

  // The caches expire before PurgeEx loads them back in.
  std::this_thread::sleep_for(500ms);

  auto p = fs->PurgeEx("A", 0, 0);
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(*p, 2u);

  // No block kept its cache.
  bool still_has_cache = false;
  {
    std::lock_guard lock(I(*fs).mu);
    for (const auto& mb : I(*fs).blks) still_has_cache = still_has_cache || mb->CacheAlreadyLoaded();
  }
  ASSERT_FALSE(still_has_cache);

  // The subject state expires through subject_state_expire.
  std::this_thread::sleep_for(1500ms);

  bool no_fss = false;
  {
    std::lock_guard lock(I(*fs).mu);
    for (const auto& mb : I(*fs).blks) no_fss = no_fss || mb->FssNotLoaded();
  }
  ASSERT_TRUE(no_fss);
}

TEST(FileStore, TestFileStoreTrackSubjLenForPSIM) {
  TempDir dir{"fstsl"};
  auto fs = OpenDefault(dir, Stream({">"}));
  ASSERT_TRUE(fs);

  // 1000 messages on subjects of 1-6 random hex tokens; the subject
  // lengths must be tracked exactly.
  std::random_device rd;
  std::mt19937_64 rng(rd());
  auto rand_n = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::map<std::string, size_t> smap;
  for (int i = 0; i < 1000; ++i) {
    std::string subj;
    const int num_tokens = rand_n(6) + 1;
    for (int t = 0; t < num_tokens; ++t) {
      const int tlen = rand_n(4) + 2;
      for (int k = 0; k < tlen; ++k) {
        static constexpr char kHex[] = "0123456789abcdef";
        const uint8_t b = static_cast<uint8_t>(rng());
        subj += kHex[b >> 4];
        subj += kHex[b & 0xf];
      }
      if (t != num_tokens - 1) subj += '.';
    }
    // No duplicates: removing one copy would leave the other's subject.
    if (smap.contains(subj)) continue;
    smap[subj] = subj.size();
    ASSERT_TRUE(fs->StoreMsg(subj, {}, {}, 0));
  }

  auto check = [&](FileStore& f) {
    uint64_t total = 0;
    for (const auto& [subj, slen] : smap) total += slen;
    EXPECT_EQ(TotalSubjectLength(f), total);
  };

  check(*fs);

  // Remove about half.
  StoreMsg smv;
  for (int i = 0; i < 500; ++i) {
    const uint64_t seq = static_cast<uint64_t>(rand_n(1000) + 1);
    auto sm = fs->LoadMsg(seq, &smv);
    if (!sm) continue;
    const std::string subj = (*sm)->subject;
    (void)fs->RemoveMsg(seq);
    smap.erase(subj);
  }

  check(*fs);

  // The same after a restart.
  ASSERT_TRUE(fs->Stop());
  fs.reset();
  fs = OpenDefault(dir, Stream({">"}));
  ASSERT_TRUE(fs);

  check(*fs);

  // Drain the rest through a purge.
  ASSERT_TRUE(fs->Purge());
  smap.clear();
  check(*fs);
}

TEST(FileStore, TestFileStoreDontLoadSubjectStateIfNotPurged) {
  TempDir dir{"fsnopurge"};
  auto fs = OpenDefault(dir, Stream({">"}));
  ASSERT_TRUE(fs);

  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  MsgBlock* fmb = FirstBlock(*fs);
  ASSERT_NE(fmb, nullptr);
  {
    std::lock_guard lock(I(*fs).mu);
    fmb->DropSubjectState();
  }

  // Purging a subject no message has needs no block's subject state.
  auto purged = fs->PurgeEx("bar", 0, 0);
  ASSERT_TRUE(purged) << purged.error().message();
  ASSERT_EQ(*purged, 0u);

  std::lock_guard lock(I(*fs).mu);
  ASSERT_EQ(fmb->fss(), nullptr);
}

TEST_P(FileStorePermutations, TestFileStoreDoesntRebuildSubjectStateWithNoTrack) {
  auto fs = Create(Fcfg(), Cfg("zzz", {}));
  ASSERT_TRUE(fs);

  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  // Truncating rebuilds the global subject index; with no subjects to
  // track it must stay empty rather than get "foo" back.
  auto r = fs->Truncate(1);
  ASSERT_TRUE(r) << r.error().message();

  std::lock_guard lock(I(*fs).mu);
  ASSERT_EQ(I(*fs).psim.Size(), 0u);
}

TEST(FileStore, TestFileStoreOnlyLoadSubjectStateOnBlocksWithinInterestRange) {
  TempDir dir{"fsrange"};
  auto fs = OpenDefault(dir, Stream({">"}));
  ASSERT_TRUE(fs);

  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  NewWriteBlock(*fs);
  ASSERT_TRUE(fs->StoreMsg("bar", {}, {}, 0));

  {
    std::lock_guard lock(I(*fs).mu);
    for (const auto& mb : I(*fs).blks) mb->DropSubjectState();
  }

  // Purging a subject held by some of the blocks loads only the blocks in
  // its range.
  auto purged = fs->PurgeEx("bar", 0, 0);
  ASSERT_TRUE(purged) << purged.error().message();
  ASSERT_EQ(*purged, 1u);

  std::lock_guard lock(I(*fs).mu);
  ASSERT_EQ(I(*fs).blks.size(), 2u);
  for (size_t i = 0; i < I(*fs).blks.size(); ++i) {
    const bool loaded_fss = I(*fs).blks[i]->fss() != nullptr;
    EXPECT_EQ(loaded_fss, i == 1) << "block " << I(*fs).blks[i]->index();
  }
}

TEST_P(FileStorePermutations, TestFileStoreLoadNextMsgSkipAhead) {
  for (const bool single_subj_per_block : {true, false}) {
    for (const bool head_start : {true, false}) {
      SCOPED_TRACE(std::string(single_subj_per_block ? "Single" : "Multi") +
                   (head_start ? "/Head" : "/Interior"));
      std::error_code ec;
      std::filesystem::remove_all(StreamDir(), ec);
      auto fs = Create(Fcfg(), Cfg("zzz", {">"}));
      ASSERT_TRUE(fs);

      // Blocks 1-5 hold two messages each on "a" (or "c" and "a"); block
      // 6 holds the one "b".
      for (int i = 0; i < 10; ++i) {
        const char* subj = (!single_subj_per_block && i % 2 == 0) ? "c" : "a";
        ASSERT_TRUE(fs->StoreMsg(subj, {}, {}, 0));
        if ((i + 1) % 2 == 0) NewWriteBlock(*fs);
      }
      ASSERT_TRUE(fs->StoreMsg("b", {}, {}, 0));

      {
        std::lock_guard lock(I(*fs).mu);
        for (const auto& mb : I(*fs).blks) Lsts(*mb) = 0;
      }

      const uint64_t start = head_start ? 0 : 3;

      // Blocks without the filter subject are skipped: from the start the
      // subject index leads straight to block 6; from inside the stream
      // only the block holding start is read before the skip.
      StoreMsg smv;
      auto r = fs->LoadNextMsg("b", false, start, &smv);
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_EQ(r->msg->seq, 11u);
      EXPECT_EQ(r->skip, 11u);

      std::lock_guard lock(I(*fs).mu);
      for (const auto& mb : I(*fs).blks) {
        if (mb->index() == 6 || (mb->index() == 2 && !head_start)) {
          EXPECT_NE(Lsts(*mb), 0) << "block " << mb->index();
        } else {
          EXPECT_EQ(Lsts(*mb), 0) << "block " << mb->index();
        }
      }
    }
  }
}

}  // namespace natscpp::store::testing
