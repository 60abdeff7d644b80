// Ports of the v2.14.5 message scheduling tests in server/filestore_test.go,
// the TTL-wheel UpdateConfig tests (filestore_test.go and store_test.go's
// file-store half; Go runs that one on a plain file store only), and a few
// checks of the scheduling wiring (configuration changes, purged blocks,
// ResetState). Go's tests read fs.scheduling, fs.ttls and the blocks'
// counters directly; these read them through ImplForTesting under mu.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../golden_store.h"
#include "filestore/file_store_impl.h"
#include "headers/headers.h"
#include "sched/go_time.h"
#include "sched/scheduler.h"
#include "util/filestore_constants.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kSecondNs = 1'000'000'000;

StreamConfig SchedCfg(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  c.allow_msg_schedules = true;
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

// time.Now().Add(d) formatted as RFC 3339 with nanoseconds.
std::string InRfc3339Nano(int64_t d) {
  return sched::Time::Unix(0, sched::NowUnixNano() + d).UTC().FormatRFC3339Nano();
}

// time.Now().Add(d) formatted as RFC 3339 (whole seconds).
std::string InRfc3339(int64_t d) {
  const int64_t at = sched::NowUnixNano() + d;
  return sched::Time::Unix(at / kSecondNs, 0).UTC().FormatRFC3339Nano();
}

std::string HeaderValue(std::string_view key, const std::vector<uint8_t>& hdr) {
  auto v = headers::GetHeader(key, hdr);
  return v ? std::string(headers::AsString(*v)) : std::string();
}

// A schedule message's headers: "@at <when>" aimed at target.
headers::Bytes AtSchedule(const std::string& when, std::string_view target) {
  headers::Bytes hdr = headers::GenHeader({}, headers::kJSSchedulePattern, "@at " + when);
  return headers::GenHeader(hdr, headers::kJSScheduleTarget, target);
}

// Go's buffered channel of *inMsg the tests read with a timeout.
class InMsgQueue {
 public:
  ProcessJetStreamMsgHandler Handler() {
    return [this](InMsg m) {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(m));
      cv_.notify_all();
    };
  }
  std::optional<InMsg> Read(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !q_.empty(); })) return std::nullopt;
    InMsg m = std::move(q_.front());
    q_.pop_front();
    return m;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<InMsg> q_;
};

struct BlockCounters {
  uint64_t ttls = 0;
  uint64_t schedules = 0;
};

BlockCounters FirstBlockCounters(FileStore& fs) {
  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  if (impl.blks.empty()) return {};
  return {impl.blks.front()->ttls, impl.blks.front()->schedules};
}

size_t NumBlocksInMemory(FileStore& fs) {
  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  return impl.blks.size();
}

}  // namespace

TEST(FileStore, TestFileStoreMessageSchedule) {
  TempDir tmp("sched");
  auto fs = Make(tmp.path() / "TEST", SchedCfg("TEST", {"foo.*"}));
  ASSERT_TRUE(fs);

  // Capture the scheduled messages handed to the stream layer.
  InMsgQueue ch;
  fs->RegisterProcessJetStreamMsg(ch.Handler());

  // One schedule, a second from now.
  const headers::Bytes hdr = AtSchedule(InRfc3339Nano(kSecondNs), "foo.target");
  ASSERT_TRUE(fs->StoreMsg("foo.schedule", hdr, {}, 0));

  // It fired: the message to publish went to the handler.
  auto im = ch.Read(5s);
  ASSERT_TRUE(im) << "no scheduled message within 5s";
  EXPECT_EQ(im->subject, "foo.target");
  EXPECT_EQ(HeaderValue(headers::kJSScheduler, im->hdr), "foo.schedule");
  EXPECT_EQ(HeaderValue(headers::kJSScheduleNext, im->hdr), headers::kJSScheduleNextPurge);
  ASSERT_TRUE(fs->Stop());
}

TEST(FileStore, TestFileStoreMessageScheduleRecovered) {
  TempDir tmp("sched");
  const auto dir = tmp.path() / "TEST";
  const StreamConfig cfg = SchedCfg("TEST", {"foo.*"});
  {
    SCOPED_TRACE("BeforeRestart");
    auto fs = Make(dir, cfg);
    ASSERT_TRUE(fs);
    const headers::Bytes hdr = AtSchedule(InRfc3339Nano(kSecondNs), "foo.target");
    ASSERT_TRUE(fs->StoreMsg("foo.schedule", hdr, {}, 0));
    const StreamState ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_EQ(ss.msgs, 1u);
    ASSERT_TRUE(fs->Stop());
  }
  {
    SCOPED_TRACE("AfterRestart");
    // Without sched.db the schedules come from a scan of the blocks
    // holding them.
    const auto fn = dir / std::string(kMsgDir) / std::string(kMsgSchedulingStateFile);
    std::error_code ec;
    ASSERT_TRUE(std::filesystem::remove(fn, ec)) << fn << ": " << ec.message();

    auto fs = Make(dir, cfg);
    ASSERT_TRUE(fs);
    EXPECT_EQ(NumBlocksInMemory(*fs), 1u);
    EXPECT_EQ(FirstBlockCounters(*fs).schedules, 1u);
    {
      // Not in Go's test: the scan found the schedule.
      auto& impl = fs->ImplForTesting();
      std::lock_guard lock(impl.mu);
      ASSERT_TRUE(impl.scheduling);
      EXPECT_TRUE(impl.scheduling->schedules().contains("foo.schedule"));
    }
    const StreamState ss = Fast(*fs);
    EXPECT_EQ(ss.first_seq, 1u);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_EQ(ss.msgs, 1u);
    ASSERT_TRUE(fs->Stop());
  }
}

TEST_P(FileStorePermutations, TestFileStoreRecoverTTLAndScheduleStateAndCounters) {
  StreamConfig cfg = Cfg("zzz", {">"});
  cfg.allow_msg_ttl = true;
  cfg.allow_msg_schedules = true;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);

  const int64_t ttl = 5;
  headers::Bytes hdr = headers::GenHeader({}, headers::kJSMessageTTL, std::to_string(ttl));
  hdr = headers::GenHeader(hdr, headers::kJSSchedulePattern, "@at " + InRfc3339(5 * kSecondNs));
  ASSERT_TRUE(fs->StoreMsg("foo", hdr, {}, ttl));

  BlockCounters c = FirstBlockCounters(*fs);
  EXPECT_EQ(c.ttls, 1u);
  EXPECT_EQ(c.schedules, 1u);

  ASSERT_TRUE(fs->Stop());
  std::error_code ec;
  ASSERT_TRUE(std::filesystem::remove(StreamDir() / std::string(kMsgDir) / std::string(kStreamStateFile), ec))
      << ec.message();

  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  c = FirstBlockCounters(*fs);
  EXPECT_EQ(c.ttls, 1u);
  EXPECT_EQ(c.schedules, 1u);
  ASSERT_TRUE(fs->Stop());
}

TEST(FileStore, TestFileStoreSchedulingRecoveryAliasCorruption) {
  TempDir tmp("sched");
  const auto dir = tmp.path() / "SCHED";
  // Small blocks and padded messages: the recovery scan crosses several
  // blocks, evicting caches as it goes.
  constexpr uint64_t kBlockSize = 4 * 1024;
  const StreamConfig cfg = SchedCfg("SCHED", {"sched.>"});
  FileStoreConfig fcfg;
  fcfg.block_size = kBlockSize;

  constexpr int kN = 40;
  std::vector<std::string> subjects;
  for (int i = 0; i < kN; ++i) {
    char num[8];
    std::snprintf(num, sizeof(num), "%05d", i);
    subjects.push_back("sched.AAAA-" + std::string(num) + "-" + std::string(40, 'A'));
  }

  auto fs = Make(dir, cfg, fcfg);
  ASSERT_TRUE(fs);
  const std::string future = InRfc3339Nano(24 * 3600 * kSecondNs);
  for (int i = 0; i < kN; ++i) {
    headers::Bytes hdr = AtSchedule(future, "target." + std::to_string(i));
    hdr = headers::GenHeader(hdr, "Pad", std::string(200, 'X'));
    ASSERT_TRUE(fs->StoreMsg(subjects[i], hdr, {}, 0));
  }
  ASSERT_TRUE(fs->Stop());

  // Without sched.db the recovery scans the blocks.
  std::error_code ec;
  ASSERT_TRUE(std::filesystem::remove(dir / std::string(kMsgDir) / std::string(kMsgSchedulingStateFile), ec))
      << ec.message();

  fs = Make(dir, cfg, fcfg);
  ASSERT_TRUE(fs);
  EXPECT_GE(NumBlocksInMemory(*fs), 2u);

  const std::set<std::string> expected(subjects.begin(), subjects.end());
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.scheduling);
    const auto& schedules = impl.scheduling->schedules();
    EXPECT_EQ(schedules.size(), static_cast<size_t>(kN));
    for (const auto& [subj, sched] : schedules) {
      // Each key finds itself, is one of the subjects stored, and its
      // sequence maps back to it.
      EXPECT_TRUE(schedules.contains(subj));
      EXPECT_TRUE(expected.contains(subj)) << subj;
      const auto& rev = impl.scheduling->seq_to_subj();
      auto it = rev.find(sched.seq);
      ASSERT_NE(it, rev.end()) << subj;
      EXPECT_EQ(it->second, subj);
    }
  }
  ASSERT_TRUE(fs->Stop());
}

TEST(FileStore, TestFileStoreUpdateConfigTTLState) {
  TempDir tmp("sched");
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.subjects = {">"};
  cfg.storage = StorageType::kFile;
  auto fs = Make(tmp.path() / "zzz", cfg);
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  auto has_ttls = [&] {
    std::lock_guard lock(impl.mu);
    return impl.ttls != nullptr;
  };
  EXPECT_FALSE(has_ttls());

  cfg.allow_msg_ttl = true;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_TRUE(has_ttls());

  cfg.allow_msg_ttl = false;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_FALSE(has_ttls());
  ASSERT_TRUE(fs->Stop());
}

TEST(FileStore, TestStoreUpdateConfigTTLState) {
  TempDir tmp("sched");
  StreamConfig cfg;
  cfg.name = "TEST";
  cfg.subjects = {"foo"};
  cfg.storage = StorageType::kFile;
  auto fs = Make(tmp.path() / "TEST", cfg);
  ASSERT_TRUE(fs);
  store::StoreMsg sm;

  // TTLs are off: the message stays.
  auto stored = fs->StoreMsg("foo", {}, {}, 1);
  ASSERT_TRUE(stored);
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(fs->LoadMsg(stored->seq, &sm));

  // TTLs on: this one goes.
  cfg.allow_msg_ttl = true;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  stored = fs->StoreMsg("foo", {}, {}, 1);
  ASSERT_TRUE(stored);
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(fs->LoadMsg(stored->seq, &sm));

  // TTLs off again: this one stays.
  cfg.allow_msg_ttl = false;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  stored = fs->StoreMsg("foo", {}, {}, 1);
  ASSERT_TRUE(stored);
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(fs->LoadMsg(stored->seq, &sm));
  ASSERT_TRUE(fs->Stop());
}

// Not a Go test: UpdateConfig brings the schedules back from sched.db and
// the blocks when allow_msg_schedules is turned on, and drops them when it
// is turned off.
TEST(FileStoreSched, UpdateConfigCreatesAndDropsScheduling) {
  TempDir tmp("sched");
  StreamConfig cfg = SchedCfg("TEST", {"foo.*"});
  cfg.allow_msg_schedules = false;
  auto fs = Make(tmp.path() / "TEST", cfg);
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  auto num_schedules = [&]() -> std::optional<size_t> {
    std::lock_guard lock(impl.mu);
    if (!impl.scheduling) return std::nullopt;
    return impl.scheduling->schedules().size();
  };
  EXPECT_FALSE(num_schedules());
  const std::string future = InRfc3339Nano(3600 * kSecondNs);
  // Not tracked (schedules off) and not counted in the block either.
  ASSERT_TRUE(fs->StoreMsg("foo.a", AtSchedule(future, "foo.t"), {}, 0));

  cfg.allow_msg_schedules = true;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_EQ(num_schedules(), std::optional<size_t>(0));
  ASSERT_TRUE(fs->StoreMsg("foo.b", AtSchedule(future, "foo.t"), {}, 0));
  EXPECT_EQ(num_schedules(), std::optional<size_t>(1));
  // A plain message on the subject replaces its schedule.
  ASSERT_TRUE(fs->StoreMsg("foo.b", {}, {}, 0));
  EXPECT_EQ(num_schedules(), std::optional<size_t>(0));
  ASSERT_TRUE(fs->StoreMsg("foo.c", AtSchedule(future, "foo.t"), {}, 0));

  cfg.allow_msg_schedules = false;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_FALSE(num_schedules());

  // Back on: with no sched.db the block (it counts schedules) is scanned,
  // and as in the server every schedule message found is taken, foo.a
  // (stored while off) and foo.b's (replaced since) as well as foo.c.
  cfg.allow_msg_schedules = true;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_EQ(num_schedules(), std::optional<size_t>(3));
  ASSERT_TRUE(fs->Stop());
}

// Not a Go test: sched.db is written with index.db and reloaded at open,
// and a block purged by the limits takes its schedules with it.
TEST(FileStoreSched, StateFileRoundTripAndPurge) {
  TempDir tmp("sched");
  const auto dir = tmp.path() / "TEST";
  const StreamConfig cfg = SchedCfg("TEST", {"foo.*"});
  FileStoreConfig fcfg;
  fcfg.block_size = 1024;
  const std::string future = InRfc3339Nano(3600 * kSecondNs);
  auto fs = Make(dir, cfg, fcfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 10; ++i) {
    headers::Bytes hdr = AtSchedule(future, "foo.t");
    hdr = headers::GenHeader(hdr, "Pad", std::string(200, 'X'));
    ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), hdr, {}, 0));
  }
  ASSERT_TRUE(fs->Stop());
  const auto fn = dir / std::string(kMsgDir) / std::string(kMsgSchedulingStateFile);
  ASSERT_TRUE(std::filesystem::exists(fn));

  fs = Make(dir, cfg, fcfg);
  ASSERT_TRUE(fs);
  auto& impl = fs->ImplForTesting();
  {
    std::lock_guard lock(impl.mu);
    ASSERT_TRUE(impl.scheduling);
    EXPECT_EQ(impl.scheduling->schedules().size(), 10u);
    EXPECT_TRUE(impl.scheduling->schedules().contains("foo.7"));
  }
  // Nothing was stored past sched.db's stamp: no scan.
  for (const auto& n : fs->RecoveryNotes()) EXPECT_EQ(n.message.find("outdated"), std::string::npos) << n.message;
  ASSERT_GT(NumBlocksInMemory(*fs), 2u);

  // A message limit that drops the first block whole (then one message of
  // the next): the block's schedules go with it. The single removal leaves
  // its schedule to be dropped when it comes due, as in Go.
  uint64_t b1_first = 0, b1_last = 0, b1_msgs = 0, total = 0;
  {
    std::lock_guard lock(impl.mu);
    b1_first = impl.blks.front()->first.seq;
    b1_last = impl.blks.front()->last.seq;
    b1_msgs = impl.blks.front()->msgs;
    total = impl.state.msgs;
  }
  ASSERT_EQ(total, 10u);
  ASSERT_GT(b1_msgs, 0u);
  StreamConfig limited = cfg;
  limited.max_msgs = static_cast<int64_t>(total - b1_msgs - 1);
  ASSERT_TRUE(fs->UpdateConfig(limited));
  {
    std::lock_guard lock(impl.mu);
    EXPECT_EQ(impl.state.msgs, total - b1_msgs - 1);
    EXPECT_EQ(impl.scheduling->schedules().size(), total - b1_msgs);
    for (const auto& [subj, s] : impl.scheduling->schedules()) {
      EXPECT_FALSE(s.seq >= b1_first && s.seq <= b1_last) << subj << " seq " << s.seq;
    }
  }
  fs->ResetState();
  ASSERT_TRUE(fs->Stop());
}

}  // namespace natscpp::store::testing
