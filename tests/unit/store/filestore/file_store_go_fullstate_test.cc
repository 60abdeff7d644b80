// Ports of the v2.14.5 full-state (index.db) tests in
// server/filestore_test.go: writing the stream state on stop, recovering
// from it, and walking the blocks written after it was taken. The ones Go
// runs through testFileStoreAllPermutations run under FileStorePermutations
// (instantiated in file_store_write_test.cc). Where Go reads the store's
// internals (fs.psim, fs.blks) these read the same fields through
// FileStore::ImplForTesting.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

StreamConfig Named(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
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

// Go: fs.psim.Find(subj), copied under the lock.
std::optional<SubjectBlocks> Psim(FileStore& fs, std::string_view subj) {
  std::lock_guard lock(I(fs).mu);
  auto [info, found] = I(fs).psim.Find(subj);
  if (!found || info == nullptr) return std::nullopt;
  return *info;
}

std::filesystem::path IndexDb(const std::filesystem::path& stream_dir) { return stream_dir / "msgs" / "index.db"; }

size_t NumBlocks(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.size();
}

// A store of its own in `dir`, for the tests Go runs once with newFileStore.
std::unique_ptr<FileStore> Open(const std::filesystem::path& dir, const StreamConfig& cfg, FileStoreConfig fcfg = {}) {
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

StreamState Fast(FileStore& fs) {
  StreamState ss;
  fs.FastState(&ss);
  return ss;
}

StreamConfig TtlCfg() {
  StreamConfig c = Named("zzz", {"test"});
  c.allow_msg_ttl = true;
  return c;
}

}  // namespace

TEST_P(FileStorePermutations, TestFileStoreFullStateBasics) {
  const auto fcfg = Fcfg(100);
  const auto cfg = Named("zzz", {"*"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  // An internal record length of 50 bytes: 2 msgs per block.
  const std::string subj = "A";
  const uint64_t rec_len = 50;
  const std::string msg_a(19, 'A');
  const std::string msg_z(19, 'Z');

  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg_a), 0));
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg_z), 0));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 1);

  // A stop leaves a full state file.
  ASSERT_TRUE(fs->Stop());
  const auto sfile = IndexDb(StreamDir());
  ASSERT_TRUE(std::filesystem::exists(sfile)) << "expected stream state file";
  auto buf = ReadFile(sfile);
  ASSERT_GT(buf.size(), 0u);

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  // No legacy idx or fss files.
  for (const auto& e : std::filesystem::directory_iterator(StreamDir() / "msgs")) {
    const auto ext = e.path().extension().string();
    EXPECT_NE(ext, ".fss") << e.path();
    EXPECT_NE(ext, ".idx") << e.path();
  }
  auto state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 2u);

  StoreMsg smv;
  auto sm = fs->LoadMsg(1, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ(Str((*sm)->msg()), msg_a);
  sm = fs->LoadMsg(2, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ(Str((*sm)->msg()), msg_z);

  // One more splits the last block.
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg_z), 0));
  ASSERT_TRUE(fs->Stop());
  buf = ReadFile(sfile);

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg_z), 0));
  ASSERT_TRUE(fs->Stop());
  // The old stream state back, with only 3.
  WriteFile(sfile, buf);

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 4u);
  EXPECT_EQ(state.bytes, 4 * rec_len);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 4u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 2);
  auto psi = Psim(*fs, subj);
  ASSERT_TRUE(psi);
  EXPECT_EQ(psi->total, 4u);
  EXPECT_EQ(psi->fblk, 1u);
  EXPECT_EQ(psi->lblk, 2u);

  ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg_a), 0));
  ASSERT_TRUE(fs->Stop());
  WriteFile(sfile, buf);

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 5u);
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 5u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 3);
  psi = Psim(*fs, subj);
  ASSERT_TRUE(psi);
  EXPECT_EQ(psi->total, 5u);
  EXPECT_EQ(psi->fblk, 1u);
  EXPECT_EQ(psi->lblk, 3u);
}

TEST_P(FileStorePermutations, TestFileStoreFullStateMidBlockPastWAL) {
  const auto fcfg = Fcfg();
  auto cfg = Named("zzz", {"*"});
  cfg.max_msgs_per = 1;
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::string msg(19, 'Z');
  for (const char* s : {"A", "B", "C", "D", "E"}) ASSERT_TRUE(fs->StoreMsg(s, {}, Bytes(msg), 0));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 1);
  ASSERT_TRUE(fs->Stop());

  const auto sfile = IndexDb(StreamDir());
  const auto buf = ReadFile(sfile);
  ASSERT_FALSE(buf.empty());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (const char* s : {"F", "G", "H", "I", "J"}) ASSERT_TRUE(fs->StoreMsg(s, {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 1);
  const auto state = fs->State();
  ASSERT_TRUE(fs->Stop());

  // The old state back: recovery walks past where it was taken.
  WriteFile(sfile, buf);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());
  // index.db is still there (a raw recovery from a corrupt state deletes it).
  EXPECT_TRUE(std::filesystem::exists(sfile));
}

TEST_P(FileStorePermutations, TestFileStoreFullStateMultiBlockPastWAL) {
  const auto fcfg = Fcfg(100);
  const auto cfg = Named("zzz", {"*"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::string msg_a(19, 'A');
  const std::string msg_z(19, 'Z');
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg_a), 0));
  ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes(msg_z), 0));
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 1);
  ASSERT_TRUE(fs->Stop());

  const auto sfile = IndexDb(StreamDir());
  const auto buf = ReadFile(sfile);
  ASSERT_FALSE(buf.empty());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  int i = 0;
  for (const char* s : {"C", "D", "E", "F", "G", "H"}) {
    ASSERT_TRUE(fs->StoreMsg(s, {}, Bytes(i++ % 2 == 0 ? msg_a : msg_z), 0));
  }
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 4);
  const auto state = fs->State();
  ASSERT_TRUE(fs->Stop());

  WriteFile(sfile, buf);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());
  EXPECT_NE(state.first_time, 0);
}

TEST_P(FileStorePermutations, TestFileStoreFullStateTestUserRemoveWAL) {
  const auto fcfg = Fcfg(132);  // room for tombstones
  const auto cfg = Named("zzz", {"*"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::string msg_a(19, 'A');
  const std::string msg_z(19, 'Z');

  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg_a), 0));
  ASSERT_TRUE(fs->StoreMsg("Z", {}, Bytes(msg_z), 0));
  ASSERT_TRUE(fs->RemoveMsg(1));

  // The block now holds a tombstone for 1; 2 still loads.
  StoreMsg smv;
  auto sm = fs->LoadMsg(2, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ(Str((*sm)->msg()), msg_z);
  ASSERT_EQ(NumMsgBlocks(StreamDir()), 1);
  auto state = fs->State();
  ASSERT_TRUE(fs->Stop());

  const auto sfile = IndexDb(StreamDir());
  const auto buf = ReadFile(sfile);
  ASSERT_FALSE(buf.empty());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  EXPECT_TRUE(fs->LoadMsg(2, &smv));
  auto gone = fs->LoadMsg(1, &smv);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::kStoreMsgNotFound);
  ExpectSameState(state, fs->State());
  EXPECT_NE(state.first_time, 0);

  // Two more, then remove 2 and 4.
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg_a), 0));
  ASSERT_TRUE(fs->StoreMsg("Z", {}, Bytes(msg_z), 0));
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(4));
  state = fs->State();
  EXPECT_EQ(state.deleted.size(), static_cast<size_t>(state.num_deleted));
  ASSERT_TRUE(fs->Stop());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());
  EXPECT_NE(state.first_time, 0);

  // The old state back: the user deletes are remembered by the tombstones
  // in the last block.
  ASSERT_TRUE(fs->Stop());
  WriteFile(sfile, buf);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  auto new_state = fs->State();
  // Sequence 2 is detected as lost.
  ASSERT_TRUE(new_state.lost.has_value());
  ASSERT_EQ(new_state.lost->msgs.size(), 1u);
  EXPECT_EQ(new_state.lost->msgs[0], 2u);
  new_state.lost.reset();
  ExpectSameState(state, new_state);
  EXPECT_NE(state.first_time, 0);
}

TEST_P(FileStorePermutations, TestFileStoreFullStateTestSysRemovals) {
  const auto fcfg = Fcfg(100);
  auto cfg = Named("zzz", {"*"});
  cfg.max_msgs = 10;
  cfg.max_msgs_per = 1;
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::string msg(19, 'A');

  for (const char* s : {"A", "B", "A", "B"}) ASSERT_TRUE(fs->StoreMsg(s, {}, Bytes(msg), 0));
  auto state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 3u);
  EXPECT_EQ(state.last_seq, 4u);
  ASSERT_TRUE(fs->Stop());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());

  for (const char* s : {"C", "D", "E", "F", "G", "H", "I", "J"}) ASSERT_TRUE(fs->StoreMsg(s, {}, Bytes(msg), 0));
  state = fs->State();
  EXPECT_EQ(state.msgs, 10u);
  EXPECT_EQ(state.first_seq, 3u);
  EXPECT_EQ(state.last_seq, 12u);
  ASSERT_TRUE(fs->Stop());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());

  // Over the limit.
  ASSERT_TRUE(fs->StoreMsg("ZZZ", {}, Bytes(msg), 0));
  state = fs->State();
  EXPECT_EQ(state.msgs, 10u);
  EXPECT_EQ(state.first_seq, 4u);
  EXPECT_EQ(state.last_seq, 13u);
  ASSERT_TRUE(fs->Stop());

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(state, fs->State());
}

TEST(FileStore, TestFileStoreIndexDBExistsAfterShutdown) {
  TempDir tmp("fsfull");
  const auto dir = tmp.path() / "zzz";
  auto fs = Open(dir, Named("zzz", {">"}));
  ASSERT_TRUE(fs);
  const std::string subj = "foo.bar.baz";
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, {}, 0));

  const auto idx_file = IndexDb(dir);
  {
    std::lock_guard lock(I(*fs).mu);
    I(*fs).dirty = 1;
    std::error_code ec;
    std::filesystem::remove(idx_file, ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  ASSERT_TRUE(fs->Stop());

  // Go polls for up to a second; the file must appear.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!std::filesystem::exists(idx_file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(std::filesystem::exists(idx_file)) << idx_file << " doesn't exist";
}

TEST_P(FileStorePermutations, TestFileStoreRecoverDoesNotResetStreamState) {
  auto cfg = Named("zzz", {"ev.1"});
  cfg.max_age = std::chrono::seconds(2);
  cfg.retention = RetentionPolicy::kWorkQueue;
  const auto fcfg = Fcfg(1024);
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);

  const std::string subj = "foo", msg = "Hello World";
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  ASSERT_GT(NumBlocks(*fs), 1u);

  // As if a consumer took everything: here the messages all expire.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));

  size_t blks = 0;
  std::filesystem::path mfn;
  {
    std::lock_guard lock(I(*fs).mu);
    blks = I(*fs).blks.size();
    if (blks > 0) mfn = I(*fs).blks.front()->path();
  }
  // The stream state survives the stop.
  ASSERT_TRUE(fs->Stop());
  EXPECT_TRUE(std::filesystem::exists(IndexDb(StreamDir())));

  // One block remains; without it the sequences come from index.db alone.
  ASSERT_EQ(blks, 1u);
  ASSERT_TRUE(std::filesystem::remove(mfn));

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  std::lock_guard lock(I(*fs).mu);
  EXPECT_NE(I(*fs).state.first.seq | I(*fs).state.last.seq, 0u);
}

TEST_P(FileStorePermutations, TestFileStoreRemoveBlockWithStaleStreamState) {
  const auto fcfg = Fcfg();
  const auto cfg = Named("zzz", {"foo"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      std::lock_guard lock(I(*fs).mu);
      auto mb = I(*fs).NewMsgBlockForWrite();
      ASSERT_TRUE(mb) << mb.error().message();
    }
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  }
  std::filesystem::path midfn;
  {
    std::lock_guard lock(I(*fs).mu);
    ASSERT_EQ(I(*fs).blks.size(), 3u);
    midfn = I(*fs).blks[1]->path();
  }
  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(std::filesystem::remove(midfn));

  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    StoreMsg smv;
    auto sm = fs->LoadMsg(seq, &smv);
    if (seq == 2) {
      ASSERT_FALSE(sm);
      EXPECT_EQ(sm.error().code(), ErrorCode::kStoreMsgNotFound) << sm.error().message();
    } else {
      EXPECT_TRUE(sm) << seq << ": " << sm.error().message();
    }
  }
}

TEST_P(FileStorePermutations, TestFileStoreSyncBlocksFlushesAndSyncsMessages) {
  auto fcfg = Fcfg();
  fcfg.async_flush = true;
  auto fs = Create(fcfg, Named("zzz", {}));
  ASSERT_TRUE(fs);
  filestore::MsgBlock* lmb = nullptr;
  {
    std::lock_guard lock(I(*fs).mu);
    lmb = I(*fs).lmb;
  }
  ASSERT_NE(lmb, nullptr);

  // The flush loop is up ...
  const auto wait_for = [&](bool want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      {
        std::lock_guard lock(I(*fs).mu);
        if (lmb->InFlusher() == want) return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  ASSERT_TRUE(wait_for(true)) << "flusher not active";
  // ... then shut down.
  {
    std::lock_guard lock(I(*fs).mu);
    lmb->ClearInFlusher();
  }
  ASSERT_TRUE(wait_for(false)) << "flusher still active";

  auto r = fs->StoreMsg("foo", {}, {}, 0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->seq, 1u);

  // Go zeroes the last write time here after checking it was set; ours
  // can only be read (a write time of 0 reads as the maximum).
  {
    std::lock_guard lock(I(*fs).mu);
    EXPECT_NE(lmb->SinceLastWriteActivity(), std::chrono::nanoseconds::max());
  }

  // Syncing writes the data out (Go then reads it back from the file; our
  // load flushes what is pending first, so the file is checked here).
  I(*fs).SyncBlocks();
  {
    std::lock_guard lock(I(*fs).mu);
    std::error_code ec;
    EXPECT_GT(std::filesystem::file_size(lmb->path(), ec), 0u) << "nothing written by SyncBlocks";
  }
  // With the cache dropped the message must come from the file.
  {
    std::lock_guard lock(I(*fs).mu);
    lmb->ClearCacheAndOffset();
  }
  StoreMsg smv;
  auto sm = fs->LoadMsg(1, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->seq, 1u);
  EXPECT_EQ((*sm)->subject, "foo");
}

TEST(FileStore, TestFileStoreMessageTTLWriteTombstone) {
  TempDir tmp("fsfull");
  const auto dir = tmp.path() / "zzz";
  auto fs = Open(dir, TtlCfg());
  ASSERT_TRUE(fs);
  const int64_t ttl = 1;
  // Without thw.db the TTL can only come back from the message's header.
  const std::string hdr = "NATS/1.0\r\nNats-TTL: " + std::to_string(ttl) + "\r\n";
  ASSERT_TRUE(fs->StoreMsg("test", Bytes(hdr), {}, ttl));
  // Another one, without a TTL.
  ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 0));

  auto ss = Fast(*fs);
  EXPECT_EQ(ss.msgs, 2u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 2u);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (fs->State().first_seq == 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(fs->State().first_seq, 1u) << "message not expired yet";

  ss = Fast(*fs);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 2u);
  EXPECT_EQ(ss.last_seq, 2u);
  ASSERT_TRUE(fs->Stop());

  // Without the stream state the rebuild must find the tombstone.
  std::filesystem::remove_all(IndexDb(dir));
  fs = Open(dir, TtlCfg());
  ASSERT_TRUE(fs);
  ss = Fast(*fs);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 2u);
  EXPECT_EQ(ss.last_seq, 2u);
}

TEST(FileStore, TestFileStoreMessageTTLRecoveredSingleMessageWithoutStreamState) {
  TempDir tmp("fsfull");
  const auto dir = tmp.path() / "zzz";
  {  // BeforeRestart
    auto fs = Open(dir, TtlCfg());
    ASSERT_TRUE(fs);
    const int64_t ttl = 1;  // 1 second
    const std::string hdr = "NATS/1.0\r\nNats-TTL: " + std::to_string(ttl) + "\r\n";
    ASSERT_TRUE(fs->StoreMsg("test", Bytes(hdr), {}, ttl));
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_EQ(ss.msgs, 1u);
    ASSERT_TRUE(fs->Stop());
  }
  {  // AfterRestart: no index.db and no thw.db, so a linear scan of the
     // blocks holding TTL'd messages.
    std::filesystem::remove_all(IndexDb(dir));
    std::filesystem::remove_all(dir / "msgs" / "thw.db");
    auto fs = Open(dir, TtlCfg());
    ASSERT_TRUE(fs);
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_EQ(ss.msgs, 1u);

    std::this_thread::sleep_for(std::chrono::seconds(2));
    ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 2u);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_EQ(ss.msgs, 0u);
  }
}

TEST_P(FileStorePermutations, TestFileStoreNoPanicOnRecoverTTLWithCorruptBlocks) {
  auto cfg = Named("zzz", {});
  cfg.allow_msg_ttl = true;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  const std::string hdr = "NATS/1.0\r\nNats-TTL: 1\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      std::lock_guard lock(I(*fs).mu);
      auto mb = I(*fs).NewMsgBlockForWrite();
      ASSERT_TRUE(mb) << mb.error().message();
    }
    ASSERT_TRUE(fs->StoreMsg("foo", Bytes(hdr), Bytes("A"), 1));
  }

  std::lock_guard lock(I(*fs).mu);
  ASSERT_EQ(I(*fs).blks.size(), 3u) << "expected 3 blocks";
  // Corrupt the blocks: the second goes, and the last claims the first's
  // sequence range.
  auto* fmb = I(*fs).blks[0].get();
  auto* smb = I(*fs).blks[1].get();
  auto* lmb = I(*fs).lmb;
  const uint64_t fseq = fmb->first.seq, lseq = fmb->last.seq;
  auto removed = I(*fs).RemoveMsgBlock(smb);
  ASSERT_TRUE(removed) << removed.error().message();
  lmb->first.seq = fseq;
  lmb->last.seq = lseq;

  auto r = I(*fs).RecoverTtlState();
  EXPECT_TRUE(r) << r.error().message();
}

TEST(FileStore, TestFileStoreLargeFullStatePSIM) {
  TempDir tmp("fsfull");
  auto fs = Open(tmp.path() / "zzz", Named("zzz", {">"}));
  ASSERT_TRUE(fs);
  std::mt19937_64 rng(std::random_device{}());
  const auto intn = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 100'000; ++i) {
    // 1-6 tokens, each the hex of 2-9 random bytes.
    std::string subj;
    const int num_tokens = intn(6) + 1;
    for (int t = 0; t < num_tokens; ++t) {
      const int tlen = intn(8) + 2;
      for (int k = 0; k < tlen; ++k) {
        const auto b = static_cast<uint8_t>(rng());
        subj += kHex[b >> 4];
        subj += kHex[b & 0xf];
      }
      if (t != num_tokens - 1) subj += '.';
    }
    (void)fs->StoreMsg(subj, {}, {}, 0);
  }
  (void)fs->Stop();
}

}  // namespace natscpp::store::testing
