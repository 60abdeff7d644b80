// Ports of v2.14.5 tests in server/filestore_test.go on damaged blocks and
// failing writes: a block whose last sequence went wrong, a block written
// with holes by hand, block files lost under a running store, and a store
// on a file system that fills up. Where Go reaches into fs.blks, fs.lmb and
// a block's fields these go through FileStore::ImplForTesting, holding the
// store's lock as Go holds fs.mu and mb.mu.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/msg_block.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;
using filestore::RebuildResult;

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StreamConfig Stream(std::vector<std::string> subjects, int64_t max_msgs_per = 0) {
  StreamConfig c;
  c.name = "zzz";
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  c.max_msgs_per = max_msgs_per;
  return c;
}

std::unique_ptr<FileStore> CreateAt(const std::filesystem::path& dir, const FileStoreConfig& fcfg,
                                    const StreamConfig& cfg) {
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

TEST(FileStore, TestFileStoreMsgBlockFirstAndLastSeqCorrupt) {
  TempDir dir("fscorrupt");
  auto fs = CreateAt(dir.path() / "zzz", FileStoreConfig{}, Stream({"foo.*"}));
  ASSERT_TRUE(fs);

  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("abc"), 0));
  }
  ASSERT_TRUE(fs->Purge());

  std::lock_guard lock(I(*fs).mu);
  ASSERT_FALSE(I(*fs).blks.empty());
  MsgBlock* mb = I(*fs).blks.front().get();

  mb->TryForceExpireCache();
  mb->last.seq = 9;

  // The load finds the state off and rebuilds it without an error.
  std::optional<RebuildResult> rebuilt;
  auto r = mb->LoadCache(&rebuilt);
  ASSERT_TRUE(r) << r.error().message();
  I(*fs).AfterBlockRebuild(mb, rebuilt);
  EXPECT_EQ(mb->first.seq, 11u);
  EXPECT_EQ(mb->last.seq, 10u);
}

TEST(FileStore, TestFileStoreMsgBlockHolesAndIndexing) {
  TempDir dir("fscorrupt");
  auto fs = CreateAt(dir.path() / "zzz", FileStoreConfig{}, Stream({"*"}, 1));
  ASSERT_TRUE(fs);

  std::lock_guard lock(I(*fs).mu);
  ASSERT_FALSE(I(*fs).blks.empty());
  MsgBlock* mb = I(*fs).blks.front().get();

  // Records written straight into the block, skipping sequences.
  const auto write_msg = [&](std::string_view subj, uint64_t seq) {
    const uint64_t rl = FileStoreMsgSize(subj, 0, subj.size());
    auto w = mb->WriteRecord(rl, seq, subj, {}, Bytes(subj), NowNanos(), true);
    ASSERT_TRUE(w) << w.error().message();
    I(*fs).RebuildStateLocked(std::nullopt);
  };
  // Rebuilt from the file each time, so the holes are worked out again.
  const auto read_msg = [&](uint64_t seq, std::string_view expected) {
    auto rb = mb->RebuildState();
    ASSERT_TRUE(rb) << rb.error().message();
    EXPECT_FALSE(rb->lost.has_value());
    EXPECT_EQ(rb->tombstones.size(), 0u);
    I(*fs).RebuildStateLocked(std::nullopt);
    StoreMsg sm;
    std::optional<RebuildResult> rebuilt;
    auto m = mb->Fetch(seq, &sm, &rebuilt);
    I(*fs).AfterBlockRebuild(mb, rebuilt);
    ASSERT_TRUE(m) << seq << ": " << m.error().message();
    EXPECT_EQ(sm.subject, expected);
    ASSERT_GE(sm.buf.size(), expected.size());
    EXPECT_EQ(Str(std::span<const uint8_t>(sm.buf).first(expected.size())), expected);
  };

  write_msg("A", 2);
  EXPECT_EQ(mb->first.seq, 2u);
  EXPECT_EQ(mb->last.seq, 2u);

  write_msg("B", 4);
  EXPECT_EQ(mb->first.seq, 2u);
  EXPECT_EQ(mb->last.seq, 4u);

  write_msg("C", 12);

  read_msg(4, "B");
  EXPECT_TRUE(mb->dmap.Exists(3));

  read_msg(12, "C");
  read_msg(2, "A");

  // The sequences never written read as gone, and those inside the block
  // are in its delete map.
  const auto check_deleted = [&](uint64_t seq) {
    StoreMsg sm;
    std::optional<RebuildResult> rebuilt;
    auto m = mb->Fetch(seq, &sm, &rebuilt);
    I(*fs).AfterBlockRebuild(mb, rebuilt);
    ASSERT_FALSE(m) << "seq " << seq << " loaded";
    EXPECT_EQ(m.error().code(), ErrorCode::kStoreMsgNotFound) << seq << ": " << m.error().message();
    if (seq >= mb->first.seq) {
      EXPECT_TRUE(mb->dmap.Exists(seq)) << seq;
    }
  };
  check_deleted(1);
  check_deleted(3);
  for (uint64_t seq = 5; seq < 12; ++seq) check_deleted(seq);
}


TEST_P(FileStorePermutations, TestFileStoreBitRot) {
  auto fs = Create(Fcfg(), Cfg("zzz", {}));
  ASSERT_TRUE(fs);
  // Some messages; how many does not matter.
  constexpr uint64_t kToStore = 100;
  for (uint64_t i = 0; i < kToStore; ++i) (void)fs->StoreMsg("foo", {}, Bytes("Hello World"), 0);
  ASSERT_EQ(fs->State().msgs, kToStore);

  auto ld = fs->CheckMsgs();
  ASSERT_TRUE(ld) << ld.error().message();
  EXPECT_TRUE(!ld->has_value() || (*ld)->msgs.empty()) << "expected no corrupt messages";

  std::mt19937_64 rng(42);
  for (int i = 0; i < 10; ++i) {
    // Reverse the bits of one byte of the write block, anywhere (a byte
    // that reads the same reversed does not count).
    size_t index = 0;
    {
      auto& impl = I(*fs);
      std::lock_guard lock(impl.mu);
      const auto path = impl.lmb->path();
      const std::string raw = ReadAll(path);
      ASSERT_FALSE(raw.empty());
      std::vector<uint8_t> contents(raw.begin(), raw.end());
      for (;;) {
        index = static_cast<size_t>(rng() % contents.size());
        const uint8_t b = contents[index];
        uint8_t r = 0;
        for (int bit = 0; bit < 8; ++bit) r |= static_cast<uint8_t>(((b >> bit) & 1) << (7 - bit));
        contents[index] = r;
        if (r != b) break;
      }
      std::ofstream(path, std::ios::binary | std::ios::trunc)
          .write(reinterpret_cast<const char*>(contents.data()), static_cast<std::streamsize>(contents.size()));
    }
    auto lost = fs->CheckMsgs();
    ASSERT_TRUE(lost) << lost.error().message();
    if (lost->has_value() && !(*lost)->msgs.empty()) break;
    // Rot that left nothing to recover ends it too.
    if (fs->State().msgs == 0) break;
    ASSERT_NE(i, 9) << "expected corrupt messages after 10 flips, last at byte " << index;
  }

  // The store opens again, and the check has repaired it: clean now,
  // unless nothing is left (then the head messages count as lost again).
  ASSERT_TRUE(fs->Stop());
  fs.reset();
  fs = Create(Fcfg(), Cfg("zzz", {}));
  ASSERT_TRUE(fs);
  auto again = fs->CheckMsgs();
  ASSERT_TRUE(again) << again.error().message();
  if (again->has_value()) {
    EXPECT_EQ(fs->State().msgs, 0u) << "expected no errors after the repair, got " << (*again)->msgs.size()
                                   << " lost";
  }
}

TEST_P(FileStorePermutations, TestFileStoreMsgBlkFailOnKernelFaultLostDataReporting) {
  const auto fcfg = Fcfg(4096);
  const auto cfg = Cfg("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  for (int i = 0; i < 500; ++i) {
    auto r = fs->StoreMsg("foo", {}, Bytes("Hello World"), 0);
    ASSERT_TRUE(r) << r.error().message();
  }

  // A block file gone while the store was down: the first, the last and
  // an interior one in turn, each reported as lost data.
  const auto block_file = [&](bool last, size_t from_end = 0) {
    std::lock_guard lock(I(*fs).mu);
    EXPECT_FALSE(I(*fs).blks.empty());
    if (last) {
      EXPECT_NE(I(*fs).lmb, nullptr);
      return I(*fs).lmb->path();
    }
    if (from_end > 0) {
      EXPECT_GT(I(*fs).blks.size(), from_end);
      return I(*fs).blks[I(*fs).blks.size() - from_end]->path();
    }
    return I(*fs).blks.front()->path();
  };
  const auto remove_and_restart = [&](const std::filesystem::path& mfn) {
    auto st = fs->Stop();
    ASSERT_TRUE(st) << st.error().message();
    fs.reset();
    ASSERT_TRUE(std::filesystem::remove(mfn)) << mfn;
    fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
  };

  // First block.
  ASSERT_NO_FATAL_FAILURE(remove_and_restart(block_file(false)));
  StoreMsg sm;
  auto lm = fs->LoadMsg(1, &sm);
  ASSERT_FALSE(lm);
  EXPECT_EQ(lm.error().code(), ErrorCode::kStoreMsgNotFound) << lm.error().message();

  // The load rebuilds the store's state; give it up to a second.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!fs->State().lost.has_value() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto state = fs->State();
  EXPECT_EQ(state.first_seq, 94u);
  ASSERT_TRUE(state.lost.has_value());
  EXPECT_EQ(state.lost->msgs.size(), 93u);

  // Last block.
  ASSERT_NO_FATAL_FAILURE(remove_and_restart(block_file(true)));
  state = fs->State();
  EXPECT_EQ(state.first_seq, 94u);
  EXPECT_EQ(state.last_seq, 500u);  // the last sequence stays
  EXPECT_EQ(state.num_deleted, 35);  // the last block's, now interior
  ASSERT_TRUE(state.lost.has_value());
  EXPECT_EQ(state.lost->msgs.size(), 35u);

  // Interior block: checkMsgs finds it and reports the lost data.
  ASSERT_NO_FATAL_FAILURE(remove_and_restart(block_file(false, 3)));
  auto ld = fs->CheckMsgs();
  ASSERT_TRUE(ld) << ld.error().message();
  EXPECT_TRUE(ld->has_value());
  state = fs->State();
  EXPECT_EQ(state.first_seq, 94u);
  EXPECT_EQ(state.last_seq, 500u);
  EXPECT_EQ(state.num_deleted, 128);
  ASSERT_TRUE(state.lost.has_value());
  EXPECT_EQ(state.lost->msgs.size(), 93u);
}

// Runs only where a small file system is provided for it, as Go's does: a
// directory of about 32 KiB (Go's test uses /jswf_test, e.g. a tmpfs
// mounted with size=32k; NATSCPP_JSWF_TEST_DIR names another). Each
// permutation gets a fresh stream directory there, removed afterwards, so
// each sees the same free space.
TEST_P(FileStorePermutations, TestFileStoreWriteFailures) {
  const char* env = std::getenv("NATSCPP_JSWF_TEST_DIR");
  const std::filesystem::path tdir = env != nullptr && *env != '\0' ? env : "/jswf_test";
  std::error_code ec;
  if (!std::filesystem::is_directory(tdir, ec)) GTEST_SKIP() << tdir << " is not a directory";

  const std::filesystem::path store_dir = tdir / "jetstream" / "$G" / "streams" / "zzz";
  std::filesystem::remove_all(store_dir, ec);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code e;
      std::filesystem::remove_all(dir, e);
    }
  } cleanup{tdir / "jetstream"};

  const auto fcfg = Fcfg();
  const auto cfg = Cfg("zzz", {"foo"});
  auto fs = CreateAt(store_dir, fcfg, cfg);
  ASSERT_TRUE(fs);

  // A record is about 54 bytes, so 1000 of them cannot fit in 32 KiB.
  const auto msg = Bytes("Hello Write Failures!");
  uint64_t lseq = 0;
  for (uint64_t i = 1; i <= 1000; ++i) {
    if (!fs->StoreMsg("foo", {}, msg, 0)) {
      lseq = i;
      break;
    }
  }
  ASSERT_NE(lseq, 0u) << "expected a write failure";

  auto state = fs->State();
  EXPECT_EQ(state.last_seq, lseq - 1);
  EXPECT_EQ(state.msgs, lseq - 1);
  StoreMsg sm;
  EXPECT_FALSE(fs->LoadMsg(lseq, &sm)) << "loaded the sequence whose write failed";
  // What was written still loads.
  auto first = fs->LoadMsg(1, &sm);
  EXPECT_TRUE(first) << first.error().message();

  // The same state after a restart, lost data aside.
  (void)fs->Stop();
  fs.reset();
  fs = CreateAt(store_dir, fcfg, cfg);
  ASSERT_TRUE(fs);
  auto state2 = fs->State();
  state.lost.reset();
  state2.lost.reset();
  ExpectSameState(state2, state);

  // Still no room.
  Result<StoredSeqTs> stored = StoredSeqTs{};
  for (int i = 1; i <= 100; ++i) {
    stored = fs->StoreMsg("foo", {}, msg, 0);
    if (!stored) break;
  }
  EXPECT_FALSE(stored) << "expected a write failure after the restart";

  // Go's test goes on to purge and expects the writes to fail again at
  // the same count. Against v2.14.5 that cannot hold: the failed write
  // leaves the store's write error set, and purge returns it before doing
  // anything (purgeLocked checks fs.werr). This store does the same,
  // checked here; the rest is left out.
  EXPECT_FALSE(fs->Purge());
}

}  // namespace
}  // namespace natscpp::store::testing
