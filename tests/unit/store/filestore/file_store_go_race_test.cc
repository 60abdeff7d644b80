// Ports of v2.14.5 tests written after races and recovery bugs: from
// server/filestore_test.go (stores racing removals and age expiry, subject
// lookups racing cache expiry, the access-time ticker), norace_1_test.go
// (key files of emptied blocks) and norace_2_test.go (limits against an old
// index.db). Where Go reads fs.werr, fs.blks or calls fs.expireMsgs these
// go through FileStore::ImplForTesting under the store's lock, which in
// this port also guards every block (Go has a lock per block).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "filestore/file_store_impl.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using std::chrono::milliseconds;

GoTime Now() { return GoTime::FromUnixNanos(filestore::AccessNanos()); }

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

// Go: fs.werr, read under the store's lock.
std::optional<Error> WriteErr(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).werr;
}

size_t NumBlocks(FileStore& fs) {
  std::lock_guard lock(I(fs).mu);
  return I(fs).blks.size();
}

// Threads of this process: the counterpart of runtime.NumGoroutine().
long ThreadCount() {
  return static_cast<long>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                         std::filesystem::directory_iterator{}));
}

StreamConfig Named(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

void WriteAll(const std::filesystem::path& p, const std::string& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

// A bounded queue with a non-blocking push and a close, as Go's buffered
// channel with `select { case ch <- v: default: }` and `range ch`.
class SeqQueue {
 public:
  explicit SeqQueue(size_t cap) : cap_(cap) {}
  void TryPush(uint64_t v) {
    std::lock_guard lock(mu_);
    if (q_.size() >= cap_) return;
    q_.push_back(v);
    cv_.notify_one();
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // False once closed and drained.
  bool Pop(uint64_t* v) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return false;
    *v = q_.front();
    q_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<uint64_t> q_;
  size_t cap_;
  bool closed_ = false;
};

class FileStoreGoRace : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir(const std::string& name = "zzz") const {
    return dir_.path() / "$G" / "streams" / name;
  }
  std::unique_ptr<FileStore> Open(const StreamConfig& cfg, FileStoreConfig fcfg = {}) {
    auto fs = FileStore::Create(StreamDir(cfg.name), fcfg, cfg, Now());
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  TempDir dir_{"fsrace"};
};

}  // namespace

TEST_F(FileStoreGoRace, TestFileStoreStoreRawMsgVsConcurrentBlockRemovalNoWriteErr) {
  FileStoreConfig fcfg;
  fcfg.block_size = 256;
  StreamConfig cfg = Named("zzz", {"foo.>"});
  cfg.max_msgs_per = 1;
  auto fs = Open(cfg, fcfg);
  ASSERT_TRUE(fs);

  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> last_seq{0};
  const std::vector<uint8_t> msg(128);

  // Writers replace their own previous message on every store; removers
  // race them for that sequence, removing its single-message block.
  std::vector<std::unique_ptr<SeqQueue>> queues;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    queues.push_back(std::make_unique<SeqQueue>(64));
    SeqQueue* seqs = queues.back().get();
    const std::string subj = "foo." + std::to_string(w);
    threads.emplace_back([&, seqs, subj] {
      while (!stop.load()) {
        auto r = fs->StoreMsg(subj, {}, msg, 0);
        if (!r) break;
        last_seq.store(r->seq);
        seqs->TryPush(r->seq);
      }
      seqs->Close();
    });
    threads.emplace_back([&, seqs] {
      uint64_t seq = 0;
      while (seqs->Pop(&seq)) (void)fs->RemoveMsg(seq);
    });
  }
  // Readers keep the blocks busy while the removals run.
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      store::StoreMsg smv;
      while (!stop.load()) {
        if (const uint64_t seq = last_seq.load(); seq > 2) (void)fs->LoadMsg(seq - 2, &smv);
      }
    });
  }

  const auto join = [&] {
    stop.store(true);
    for (auto& t : threads) t.join();
    threads.clear();
  };
  // No write error may ever be latched.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto werr = WriteErr(*fs)) {
      join();
      FAIL() << "store was disabled by a concurrent removal: werr=" << werr->message();
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  join();

  // The store must still take writes.
  auto r = fs->StoreMsg("foo.healthy", {}, msg, 0);
  ASSERT_TRUE(r) << r.error().message();
}

TEST_F(FileStoreGoRace, TestFileStoreStoreRawMsgVsAgeExpiryNoWriteErr) {
  FileStoreConfig fcfg;
  fcfg.block_size = 256;
  StreamConfig cfg = Named("zzz", {"foo.>"});
  cfg.max_msgs_per = 1;
  cfg.max_age = milliseconds(1);
  auto fs = Open(cfg, fcfg);
  ASSERT_TRUE(fs);

  constexpr int kWriters = 16;
  constexpr int kReaders = 4;
  std::atomic<bool> stop{false};
  const std::vector<uint8_t> msg(128);
  std::vector<std::atomic<uint64_t>> prev_seqs(kWriters);

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const std::string subj = "foo." + std::to_string(w);
      while (!stop.load()) {
        auto r = fs->StoreMsg(subj, {}, msg, 0);
        if (!r) return;
        prev_seqs[w].store(r->seq);
        // Paced so the previous message is old enough to expire just as
        // this store evicts it.
        std::this_thread::sleep_for(milliseconds(1) + std::chrono::microseconds((w % 4) * 50));
      }
    });
  }
  // Readers load the messages the evictions target.
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      store::StoreMsg smv;
      for (int i = 0; !stop.load(); ++i) {
        if (const uint64_t seq = prev_seqs[(r + i) % kWriters].load(); seq > 0) {
          (void)fs->LoadMsg(seq, &smv);
        }
      }
    });
  }
  // Expiry passes back to back instead of waiting for the age timer, so
  // they collide with the stores' evictions.
  threads.emplace_back([&] {
    while (!stop.load()) I(*fs).ExpireMsgs();
  });

  const auto join = [&] {
    stop.store(true);
    for (auto& t : threads) t.join();
    threads.clear();
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto werr = WriteErr(*fs)) {
      join();
      FAIL() << "store was disabled by racing age expiry: werr=" << werr->message();
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  join();

  auto r = fs->StoreMsg("foo.healthy", {}, msg, 0);
  ASSERT_TRUE(r) << r.error().message();
}

TEST_F(FileStoreGoRace, TestFileStoreSubjectForSeqAliasRace) {
  // Small blocks and many subjects: many blocks whose caches come and go.
  FileStoreConfig fcfg;
  fcfg.block_size = 1024;
  auto fs = Open(Named("TEST", {"foo.>"}), fcfg);
  ASSERT_TRUE(fs);

  constexpr int kN = 256;
  std::vector<std::string> subjects(kN);  // by seq-1
  for (int i = 0; i < kN; ++i) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "foo.seq-%05d-", i + 1);
    subjects[i] = prefix + std::string(40, 'A');
    auto r = fs->StoreMsg(subjects[i], {}, Bytes("payload"), 0);
    ASSERT_TRUE(r) << r.error().message();
  }
  ASSERT_GE(NumBlocks(*fs), 4u);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> mismatch{0};
  std::mutex got_mu;
  std::string got_subj;
  uint64_t got_seq = 0;

  std::vector<std::thread> threads;
  // Readers: random lookups, each checked against what was stored.
  const int readers = std::max(4, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < readers; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(static_cast<uint64_t>(i) + 1);
      std::uniform_int_distribution<uint64_t> pick(1, kN);
      while (!stop.load()) {
        const uint64_t seq = pick(rng);
        auto got = fs->SubjectForSeq(seq);
        if (!got) continue;
        if (*got != subjects[seq - 1]) {
          if (mismatch.fetch_add(1) == 0) {
            std::lock_guard lock(got_mu);
            got_subj = *got;
            got_seq = seq;
          }
          return;
        }
      }
    });
  }
  // Thrasher: force every block's cache out while the readers use them.
  threads.emplace_back([&] {
    while (!stop.load()) {
      std::lock_guard lock(I(*fs).mu);
      for (const auto& mb : I(*fs).blks) mb->TryForceExpireCache();
    }
  });

  // Up to 5 s, ending early on the first mismatch.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline && mismatch.load() == 0) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  stop.store(true);
  for (auto& t : threads) t.join();

  if (const int64_t n = mismatch.load(); n > 0) {
    std::lock_guard lock(got_mu);
    FAIL() << "SubjectForSeq returned a corrupted subject " << n << " time(s); seq=" << got_seq
           << " got=" << got_subj << " want=" << subjects[got_seq - 1];
  }
}

// Go checks that a store starts the shared access-time ticker (the clock
// is then non-zero) and that nothing it started outlives Stop. This port's
// blocks stamp their activity from filestore::AccessNanos rather than the
// shared ticker, so that clock is the one checked; the thread count is the
// counterpart of Go's goroutine count.
TEST_F(FileStoreGoRace, TestFileStoreAccessTimeSpinUp) {
  // Let threads other tests left winding down finish.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long ngr = ThreadCount();

  auto fs = Open(Named("zzz", {"*.*"}));
  ASSERT_TRUE(fs);

  EXPECT_NE(filestore::AccessNanos(), 0);

  // Everything the store started is gone after Stop.
  ASSERT_TRUE(fs->Stop());
  std::this_thread::sleep_for(2 * milliseconds(100));
  EXPECT_EQ(ThreadCount(), ngr);
}

TEST_F(FileStoreGoRace, TestNoRaceJetStreamFileStoreKeyFileCleanup) {
  FileStoreConfig fcfg;
  fcfg.block_size = 1024 * 1024;
  fcfg.encryption = StoreEncryption{"dlc22", StoreCipher::kChaCha, ""};
  auto fs = Open(Named("TEST", {}), fcfg);
  ASSERT_TRUE(fs);

  constexpr int kN = 10'000;
  const std::string msg(1024, 'Z');
  for (int i = 0; i < kN; ++i) {
    auto r = fs->StoreMsg("X." + std::to_string(i), {}, Bytes(msg), 0);
    ASSERT_TRUE(r) << r.error().message();
  }

  std::vector<uint64_t> seqs;
  for (uint64_t i = 1; i <= kN; ++i) seqs.push_back(i);
  // Remove in random order; emptied blocks go with their key files.
  std::shuffle(seqs.begin(), seqs.end(), std::mt19937_64(std::random_device{}()));
  for (const uint64_t seq : seqs) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
  }

  // Only the last block's key file may be left.
  int kms = 0;
  for (const auto& e : std::filesystem::directory_iterator(StreamDir("TEST") / "msgs")) {
    if (e.path().extension() == ".key") ++kms;
  }
  EXPECT_LE(kms, 1) << "Expected to find only 1 key file, found " << kms;
}

namespace {

// {first, last, msgs} after storing `old_count` then `new_count` messages
// of `msg_len` bytes on foo.0, foo.1, ... under a byte limit: the newest
// run of records that fits, as the limit keeps it.
std::tuple<uint64_t, uint64_t, uint64_t> KeptUnderMaxBytes(uint64_t old_count, uint64_t new_count,
                                                           uint64_t msg_len, uint64_t max_bytes) {
  std::vector<uint64_t> sizes;
  const auto add = [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      sizes.push_back(FileStoreMsgSize("foo." + std::to_string(i), 0, msg_len));
    }
  };
  add(old_count);
  add(new_count);
  uint64_t total = 0;
  for (const uint64_t s : sizes) total += s;
  uint64_t first = 0;
  while (total > max_bytes) total -= sizes[first++];
  return {first + 1, sizes.size(), sizes.size() - first};
}

}  // namespace

// Go stores 10,000 and then 1,000,001 messages (about 1 GB) per case; this
// port stores 10,000 and then 100,001, so the expected first/last/count
// follow the smaller run (the MaxBytes limit is scaled by ten, and its
// expectation is computed, checked against Go's figures at full scale).
TEST_F(FileStoreGoRace, TestNoRaceFileStoreMsgLimitsAndOldRecoverState) {
  constexpr uint64_t kOld = 10'000;
  constexpr uint64_t kNew = 100'001;
  constexpr uint64_t kMsgLen = 1024;

  // Go's expectations at full scale.
  ASSERT_EQ(KeptUnderMaxBytes(kOld, 1'000'001, kMsgLen, 1'065'353'216),
            std::make_tuple(uint64_t{8'624}, uint64_t{1'010'001}, uint64_t{1'001'378}));
  constexpr uint64_t kMaxBytes = 1'065'353'216 / 10;
  const auto [bytes_first, bytes_last, bytes_msgs] = KeptUnderMaxBytes(kOld, kNew, kMsgLen, kMaxBytes);

  struct Case {
    std::string name;
    uint64_t first, last, msgs;
    std::function<void(StreamConfig&)> transform;
  };
  const std::vector<Case> cases = {
      {"MaxMsgsPer", kOld + 1, kOld + kNew, kNew, [](StreamConfig& c) { c.max_msgs_per = 1; }},
      {"MaxMsgs", kOld + 1, kOld + kNew, kNew,
       [](StreamConfig& c) { c.max_msgs = static_cast<int64_t>(kNew); }},
      {"MaxBytes", bytes_first, bytes_last, bytes_msgs,
       [](StreamConfig& c) { c.max_bytes = static_cast<int64_t>(kMaxBytes); }},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    TempDir sd{"fsrace_limits"};
    const auto dir = sd.path() / "$G" / "streams" / "zzz";
    StreamConfig cfg = Named("zzz", {"foo.*"});
    test.transform(cfg);
    const auto open = [&]() -> std::unique_ptr<FileStore> {
      auto fs = FileStore::Create(dir, {}, cfg, Now());
      EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
      return fs ? std::move(*fs) : nullptr;
    };
    const std::vector<uint8_t> msg(kMsgLen);

    auto fs = open();
    ASSERT_TRUE(fs);
    for (uint64_t i = 0; i < kOld; ++i) {
      ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, msg, 0));
    }
    // Stop writes index.db; keep it to put back later.
    const auto sfile = dir / "msgs" / "index.db";
    ASSERT_TRUE(fs->Stop());
    ASSERT_TRUE(std::filesystem::exists(sfile));
    const std::string buf = ReadAll(sfile);
    ASSERT_GT(buf.size(), 0u);

    // Restart and store over a wider range of subjects: the limits remove
    // the earlier blocks' messages.
    fs = open();
    ASSERT_TRUE(fs);
    for (uint64_t i = 0; i < kNew; ++i) {
      ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, msg, 0));
    }
    StreamState ss;
    fs->FastState(&ss);
    EXPECT_EQ(ss.first_seq, test.first);
    EXPECT_EQ(ss.last_seq, test.last);
    EXPECT_EQ(ss.msgs, test.msgs);

    // Stop again and put the old index.db back.
    ASSERT_TRUE(fs->Stop());
    WriteAll(sfile, buf);

    fs = open();
    ASSERT_TRUE(fs);
    StreamState ss2;
    fs->FastState(&ss2);
    EXPECT_EQ(ss2.first_seq, test.first);
    EXPECT_EQ(ss2.last_seq, test.last);
    EXPECT_EQ(ss2.msgs, test.msgs);
    fs.reset();
  }
}

}  // namespace natscpp::store::testing
