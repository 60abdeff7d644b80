// Ports of the v2.14.5 per-message TTL and subject delete marker tests in
// server/filestore_test.go (none of them runs under the permutations in
// Go), and a check of our thw.db against the golden "ttl" set's.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../golden_store.h"
#include "filestore/file_store_impl.h"
#include "headers/headers.h"
#include "thw/thw.h"
#include "util/file_io.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> B(std::string_view s) { return Bytes(s); }

StreamConfig TtlCfg() {
  StreamConfig c;
  c.name = "zzz";
  c.subjects = {"test"};
  c.storage = StorageType::kFile;
  c.allow_msg_ttl = true;
  return c;
}

std::unique_ptr<FileStore> Make(const std::filesystem::path& dir, const StreamConfig& cfg,
                                 FileStoreConfig fcfg = {}) {
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

StreamState Fast(FileStore& fs) {
  StreamState ss;
  fs.FastState(&ss);
  return ss;
}

// The wheel's entries, sorted by sequence.
std::vector<std::pair<uint64_t, int64_t>> Entries(const thw::HashWheel& w) {
  std::vector<std::pair<uint64_t, int64_t>> out;
  for (size_t i = 0; i < static_cast<size_t>(thw::kWheelSize); ++i) {
    if (const auto* s = w.SlotAt(i)) out.insert(out.end(), s->entries.begin(), s->entries.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(FileStoreGoTtl, TestFileStoreMessageTTL) {
  TempDir tmp("ttl");
  auto fs = Make(tmp.path() / "zzz", TtlCfg());
  ASSERT_TRUE(fs);
  const int64_t ttl = 1;
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(fs->StoreMsg("test", {}, {}, ttl));
  auto ss = Fast(*fs);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 10u);
  EXPECT_EQ(ss.msgs, 10u);
  std::this_thread::sleep_for(2s);
  ss = Fast(*fs);
  EXPECT_EQ(ss.first_seq, 11u);
  EXPECT_EQ(ss.last_seq, 10u);
  EXPECT_EQ(ss.msgs, 0u);
  (void)fs->Stop();
}

TEST(FileStoreGoTtl, TestFileStoreMessageTTLRestart) {
  TempDir tmp("ttl");
  const auto dir = tmp.path() / "zzz";
  {  // BeforeRestart
    auto fs = Make(dir, TtlCfg());
    ASSERT_TRUE(fs);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 1));
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 10u);
    ASSERT_TRUE(fs->Stop());
  }
  {  // AfterRestart
    auto fs = Make(dir, TtlCfg());
    ASSERT_TRUE(fs);
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 10u);
    std::this_thread::sleep_for(2s);
    ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 11u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 0u);
    (void)fs->Stop();
  }
}

TEST(FileStoreGoTtl, TestFileStoreMessageTTLRecovered) {
  TempDir tmp("ttl");
  const auto dir = tmp.path() / "zzz";
  {  // BeforeRestart
    auto fs = Make(dir, TtlCfg());
    ASSERT_TRUE(fs);
    // The first message without a TTL.
    ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 0));
    const std::string hdr = "NATS/1.0\r\nNats-TTL: 1\r\n";
    for (int i = 0; i < 9; ++i) ASSERT_TRUE(fs->StoreMsg("test", B(hdr), {}, 1));
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 10u);
    ASSERT_TRUE(fs->Stop());
  }
  {  // AfterRestart: without thw.db the TTLs come from the headers.
    std::filesystem::remove_all(dir / "msgs" / "thw.db");
    auto fs = Make(dir, TtlCfg());
    ASSERT_TRUE(fs);
    EXPECT_EQ(NumMsgBlocks(dir), 1);
    uint64_t ttls = 0;
    {
      auto& impl = fs->ImplForTesting();
      std::lock_guard lock(impl.mu);
      ASSERT_FALSE(impl.blks.empty());
      ttls = impl.blks[0]->ttls;
    }
    EXPECT_EQ(ttls, 9u);
    auto ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 10u);
    std::this_thread::sleep_for(2s);
    ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 10u);
    EXPECT_EQ(ss.msgs, 1u);
    (void)fs->Stop();
  }
}

TEST(FileStoreGoTtl, TestFileStoreMessageTTLRecoveredOffByOne) {
  TempDir tmp("ttl");
  const auto dir = tmp.path() / "zzz";
  auto fs = Make(dir, TtlCfg());
  ASSERT_TRUE(fs);
  const int64_t ts = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const int64_t ttl = 120;
  const int64_t expires = ts + ttl * 1'000'000'000;
  const std::string hdr = "NATS/1.0\r\nNats-TTL: 120\r\n";
  ASSERT_TRUE(fs->StoreRawMsg("test", B(hdr), {}, 1, ts, ttl, false));
  auto ss = Fast(*fs);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 1u);
  uint64_t ttlc = 0;
  Result<void> removed;
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    ttlc = impl.ttls->Count();
    // Take it out, to see that the restart does not add it back.
    removed = impl.ttls->Remove(1, expires);
  }
  EXPECT_EQ(ttlc, 1u);
  ASSERT_TRUE(removed) << removed.error().message();
  ASSERT_TRUE(fs->Stop());

  fs = Make(dir, TtlCfg());
  ASSERT_TRUE(fs);
  ss = Fast(*fs);
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 1u);
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    ttlc = impl.ttls->Count();
  }
  EXPECT_EQ(ttlc, 0u);
  (void)fs->Stop();
}

TEST(FileStoreGoTtl, TestFileStoreStoreRawMsgTTLsRace) {
  TempDir tmp("ttl");
  FileStoreConfig fcfg;
  fcfg.block_size = 8 * 1024 * 1024;  // every message in the write block
  fcfg.cache_expire = 1ms;
  auto fs = Make(tmp.path() / "zzz", TtlCfg(), fcfg);
  ASSERT_TRUE(fs);
  const int64_t ttl = 3600;
  const std::string hdr = "NATS/1.0\r\nNats-TTL: 3600\r\n\r\n";
  ASSERT_TRUE(fs->StoreMsg("test", B(hdr), B("hello"), ttl));

  std::atomic<bool> stop{false};
  std::atomic<bool> store_failed{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        if (!fs->StoreMsg("test", B(hdr), B("hello"), ttl)) {
          store_failed = true;
          return;
        }
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      store::StoreMsg sm;
      while (!stop.load()) {
        uint64_t fseq = 0;
        {
          // Flush, then drop the write block's cache so the load below
          // re-reads and reindexes it (recounting its TTLs).
          auto& impl = fs->ImplForTesting();
          std::lock_guard lock(impl.mu);
          fseq = impl.lmb->first.seq;
          (void)impl.lmb->FlushPending();
          impl.lmb->DropCache();
        }
        (void)fs->LoadMsg(fseq, &sm);
      }
    });
  }
  std::this_thread::sleep_for(2s);
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_FALSE(store_failed);
  // Every stored message carries a TTL: the write block counts them all.
  {
    auto& impl = fs->ImplForTesting();
    std::lock_guard lock(impl.mu);
    EXPECT_EQ(impl.lmb->ttls, impl.state.msgs);
  }
  (void)fs->Stop();
}

TEST(FileStoreGoTtl, TestFileStoreSubjectDeleteMarkers) {
  TempDir tmp("ttl");
  auto cfg = TtlCfg();
  cfg.max_age = 1s;
  cfg.subject_delete_marker_ttl = 1s;
  auto fs = Make(tmp.path() / "zzz", cfg);
  ASSERT_TRUE(fs);

  // Capture the marker proposals.
  std::mutex m;
  std::condition_variable cv;
  std::vector<InMsg> proposed;
  std::atomic<int> remove_errors{0};
  FileStore* raw = fs.get();
  fs->RegisterStorageRemoveMsg([raw, &remove_errors](uint64_t seq) {
    if (!raw->RemoveMsg(seq)) ++remove_errors;
  });
  fs->RegisterProcessJetStreamMsg([&](InMsg im) {
    std::lock_guard l(m);
    proposed.push_back(std::move(im));
    cv.notify_all();
  });

  // Three messages that expire by max age.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("test", {}, {}, 0));
  std::this_thread::sleep_for(1500ms);

  std::optional<InMsg> im;
  {
    std::unique_lock l(m);
    cv.wait_for(l, 5s, [&] { return !proposed.empty(); });
    if (!proposed.empty()) im = proposed.front();
  }
  ASSERT_TRUE(im) << "no subject delete marker proposed";
  EXPECT_EQ(remove_errors.load(), 0);
  auto reason = headers::GetHeader(headers::kJSMarkerReason, im->hdr);
  ASSERT_TRUE(reason);
  EXPECT_EQ(std::string(reason->begin(), reason->end()), "MaxAge");
  auto ttl = headers::GetHeader(headers::kJSMessageTTL, im->hdr);
  ASSERT_TRUE(ttl);
  EXPECT_EQ(std::string(ttl->begin(), ttl->end()), "1s");
  (void)fs->Stop();
}

TEST(FileStoreGoTtl, TestFileStoreRemoveMsgViaLimitsCallbackAliasedSubj) {
  TempDir tmp("ttl");
  StreamConfig cfg;
  cfg.name = "TEST";
  cfg.storage = StorageType::kFile;
  cfg.max_msgs = 1;
  cfg.discard = DiscardPolicy::kOld;
  auto fs = Make(tmp.path() / "TEST", cfg);
  ASSERT_TRUE(fs);

  // The subject's bytes as the removal callback (md == -1) sees them.
  const char* cb_subj = nullptr;
  fs->RegisterStorageUpdates([&](int64_t md, int64_t, uint64_t, std::string_view subj) {
    if (md == -1) cb_subj = subj.data();
  });
  ASSERT_TRUE(fs->StoreMsg("foo.bar", {}, B("payload-1"), 0));
  // The second exceeds max_msgs = 1: the first goes, through the callback.
  ASSERT_TRUE(fs->StoreMsg("foo.bar", {}, B("payload-2"), 0));
  ASSERT_NE(cb_subj, nullptr);

  auto& impl = fs->ImplForTesting();
  std::lock_guard lock(impl.mu);
  ASSERT_FALSE(impl.blks.empty());
  const auto [buf, cap] = impl.blks[0]->CacheBufForTesting();
  ASSERT_NE(buf, nullptr);
  const auto* p = reinterpret_cast<const uint8_t*>(cb_subj);
  EXPECT_FALSE(p >= buf && p < buf + cap) << "subject passed to the callback aliases the block cache";
}

// The golden ttl set, reopened writable without index.db (so Stop writes
// state) and stopped: the thw.db we write holds the server's wheel, whether
// recovered from its thw.db or, with that gone, from the blocks' headers.
class FileStoreTtlGolden : public ::testing::TestWithParam<bool> {};

TEST_P(FileStoreTtlGolden, StopWritesTheServersWheel) {
  if (!HaveShared()) GTEST_SKIP() << "skipped: ../shared not present";
  const bool drop_thw = GetParam();
  GoldenStore g("2.14.5/ttl");
  ASSERT_TRUE(g.ok());
  const auto msgs_dir = g.stream_dir() / "msgs";
  auto go_bytes = ReadFileIfExists(msgs_dir / "thw.db");
  ASSERT_TRUE(go_bytes);
  thw::HashWheel go_wheel;
  auto go_stamp = go_wheel.Decode(*go_bytes);
  ASSERT_TRUE(go_stamp) << go_stamp.error().message();
  const uint64_t go_msgs = g.expect()["state"]["messages"].get<uint64_t>();

  std::filesystem::remove(msgs_dir / "index.db");
  if (drop_thw) std::filesystem::remove(msgs_dir / "thw.db");
  FileStoreOpenOptions wo;
  wo.read_only = false;
  auto w = FileStore::Open(g.stream_dir(), wo);
  ASSERT_TRUE(w) << w.error().message();
  // The golden TTLs ran out long ago: an expiry pass may start 250 ms
  // after the open. Stop at once, and only compare if none ran.
  StreamState before;
  (*w)->FastState(&before);
  ASSERT_TRUE((*w)->Stop());
  if (before.msgs != go_msgs) GTEST_SKIP() << "skipped: expiry ran before the stop";
  {
    FileStoreOpenOptions ro;
    auto r = FileStore::Open(g.stream_dir(), ro);
    ASSERT_TRUE(r) << r.error().message();
    StreamState after;
    (*r)->FastState(&after);
    if (after.msgs != go_msgs) GTEST_SKIP() << "skipped: expiry ran before the stop";
  }

  auto our_bytes = ReadFileIfExists(msgs_dir / "thw.db");
  ASSERT_TRUE(our_bytes) << "Stop wrote no thw.db";
  thw::HashWheel ours;
  auto our_stamp = ours.Decode(*our_bytes);
  ASSERT_TRUE(our_stamp) << our_stamp.error().message();
  EXPECT_EQ(*our_stamp, *go_stamp);
  EXPECT_EQ(ours.Count(), go_wheel.Count());
  EXPECT_EQ(Entries(ours), Entries(go_wheel));
}

INSTANTIATE_TEST_SUITE_P(Golden, FileStoreTtlGolden, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("RebuiltFromBlocks") : std::string("FromThwDb");
                         });

}  // namespace natscpp::store::testing
