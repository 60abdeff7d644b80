// Ports of v2.14.5 tests on updating a stream's configuration and on the
// store-level behaviours server/store_test.go checks for every store. Go
// runs the store_test.go ones over the memory and the file store
// (testAllStoreAllPermutations); these are their file-store half, as
// TEST_P on FileStorePermutations. Where Go reads SubjectsState for one
// literal subject these read SubjectsTotals (the count) and, for first and
// last, LoadNextMsg and LoadLastMsg.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Go's access-time service ticks every 100 ms; its tests sleep two ticks
// to see the clock move.
constexpr auto kTwoTicks = std::chrono::milliseconds(200);

StreamConfig Named(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

std::unique_ptr<FileStore> CreateAt(const std::filesystem::path& dir, const FileStoreConfig& fcfg,
                                    const StreamConfig& cfg) {
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

TEST_P(FileStorePermutations, TestStoreDiscardNew) {
  int n = 0;
  auto test = [&](const char* name, const std::function<void(StreamConfig&)>& update,
                  std::optional<ErrorCode> expected_err) {
    SCOPED_TRACE(name);
    StreamConfig cfg = Named("zzz", {"foo"});
    cfg.discard = DiscardPolicy::kNew;
    update(cfg);
    auto fs = CreateAt(dir_.path() / "$G" / "streams" / ("s" + std::to_string(++n)), Fcfg(), cfg);
    ASSERT_TRUE(fs);
    const int64_t ts = NowNanos();
    uint64_t expected_seq = 1;
    auto require_state = [&] {
      const StreamState state = fs->State();
      EXPECT_EQ(state.msgs, 1u);
      EXPECT_EQ(state.first_seq, expected_seq);
      EXPECT_EQ(state.last_seq, expected_seq);
    };

    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

    auto r = fs->StoreRawMsg("foo", {}, {}, 0, ts, 0, true);
    if (!expected_err) {
      ASSERT_TRUE(r) << r.error().message();
      ++expected_seq;
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code(), *expected_err) << r.error().message();
    }
    require_state();

    // A follower takes whatever the leader sent, limits or not.
    r = fs->StoreRawMsg("foo", {}, {}, 0, ts, 0, false);
    ASSERT_TRUE(r) << r.error().message();
    ++expected_seq;

    // Discard new only adds; the per-subject limit still replaces.
    if (cfg.max_msgs_per > 0) {
      require_state();
    } else {
      const StreamState state = fs->State();
      EXPECT_EQ(state.msgs, 2u);
      EXPECT_EQ(state.first_seq, expected_seq - 1);
      EXPECT_EQ(state.last_seq, expected_seq);
    }
    ASSERT_TRUE(fs->Stop());
  };

  test("MaxMsgs", [](StreamConfig& c) { c.max_msgs = 1; }, ErrorCode::kMaxMsgs);
  test("MaxBytes", [](StreamConfig& c) { c.max_bytes = 33; }, ErrorCode::kMaxBytes);
  test("MaxMsgsPer", [](StreamConfig& c) { c.max_msgs_per = 1; }, std::nullopt);
  test("MaxMsgsPer_DiscardNewPer",
       [](StreamConfig& c) {
         c.discard_new_per = true;
         c.max_msgs_per = 1;
       },
       ErrorCode::kMaxMsgsPerSubject);
  test("MaxMsgsPer_MaxMsgs",
       [](StreamConfig& c) {
         c.max_msgs = 1;
         c.max_msgs_per = 1;
       },
       std::nullopt);
  test("MaxMsgsPer_MaxBytes",
       [](StreamConfig& c) {
         c.max_bytes = 33;
         c.max_msgs_per = 1;
       },
       std::nullopt);
  test("MaxMsgsPer_MaxMsgs_DiscardNewPer",
       [](StreamConfig& c) {
         c.discard_new_per = true;
         c.max_msgs = 1;
         c.max_msgs_per = 1;
       },
       ErrorCode::kMaxMsgsPerSubject);
  test("MaxMsgsPer_MaxBytes_DiscardNewPer",
       [](StreamConfig& c) {
         c.discard_new_per = true;
         c.max_bytes = 33;
         c.max_msgs_per = 1;
       },
       ErrorCode::kMaxMsgsPerSubject);
}

TEST_P(FileStorePermutations, TestStoreMaxMsgsPerUpdateBug) {
  StreamConfig cfg = Named("TEST", {"foo"});
  cfg.max_msgs_per = 0;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  StreamState ss = fs->State();
  EXPECT_EQ(ss.msgs, 5u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 5u);

  // From unlimited to 1: the stored messages follow the new limit.
  cfg.max_msgs_per = 1;
  auto r = fs->UpdateConfig(cfg);
  ASSERT_TRUE(r) << r.error().message();

  ss = fs->State();
  EXPECT_EQ(ss.msgs, 1u);
  EXPECT_EQ(ss.first_seq, 5u);
  EXPECT_EQ(ss.last_seq, 5u);

  // Below -1 is taken as -1 (Go rewrites the caller's config; here the
  // store's own copy shows it).
  cfg.max_msgs_per = -2;
  r = fs->UpdateConfig(cfg);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(fs->Info().config.max_msgs_per, -1);
}

TEST_P(FileStorePermutations, TestStoreMaxMsgsPerUpdateToOneRemoveNewest) {
  StreamConfig cfg = Named("TEST", {"foo.*"});
  cfg.max_msgs_per = -1;
  const FileStoreConfig fcfg = Fcfg();
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo.0", {}, {}, 0));

  // Filler large enough that each round starts another block.
  const std::vector<uint8_t> msg(1024 * 1024);
  auto fill_block = [&](int expected_blocks) {
    for (int i = 1; i <= 9; ++i) {
      auto r = fs->StoreMsg("foo." + std::to_string(i), {}, msg, 0);
      ASSERT_TRUE(r) << r.error().message();
    }
    EXPECT_GE(NumMsgBlocks(StreamDir()), expected_blocks);
  };
  fill_block(2);

  auto nseq = fs->StoreMsg("foo.0", {}, {}, 0);
  ASSERT_TRUE(nseq);

  fill_block(3);
  auto lseq = fs->StoreMsg("foo.0", {}, {}, 0);
  ASSERT_TRUE(lseq);
  auto removed = fs->RemoveMsg(lseq->seq);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(*removed);

  cfg.max_msgs_per = 1;
  auto u = fs->UpdateConfig(cfg);
  ASSERT_TRUE(u) << u.error().message();

  // Go reads SubjectsState("foo.0"): one message, first = last = nseq.
  // FilteredState would not do (its last, like Go's, comes from the
  // subject index's lazy last block, which still names the block of the
  // removed third copy); the count and the two loads below say the same.
  EXPECT_EQ(fs->SubjectsTotals("foo.0")["foo.0"], 1u);

  store::StoreMsg smv;
  auto sm = fs->LoadLastMsg("foo.0", &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->seq, nseq->seq);

  auto next = fs->LoadNextMsg("foo.0", false, 0, &smv);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->msg->seq, nseq->seq);

  // And the same after a restart.
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  sm = fs->LoadLastMsg("foo.0", &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->seq, nseq->seq);
}

TEST_P(FileStorePermutations, TestStoreCompactFullyDeletedRange) {
  StreamConfig cfg = Named("TEST", {"foo"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));

  // Everything in the range to compact goes; the first message stays.
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(3));

  StreamState state = fs->State();
  EXPECT_EQ(state.first_seq, 1u);
  EXPECT_EQ(state.last_seq, 3u);

  // Compacting to a deleted sequence leaves the stream empty.
  auto c = fs->Compact(2);
  ASSERT_TRUE(c) << c.error().message();
  state = fs->State();
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.last_seq, 3u);
  EXPECT_EQ(state.first_seq, state.last_seq + 1);
  EXPECT_EQ(state.first_time, 0);
}

// https://github.com/nats-io/nats-server/issues/6709
TEST_P(FileStorePermutations, TestStorePurgeExZero) {
  auto fs = Create(Fcfg(), Named("TEST", {"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Purge());
  StreamState ss = fs->State();
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 0u);

  // PurgeEx with sequence 0 is the same.
  auto r = fs->PurgeEx("", 0, 0);
  ASSERT_TRUE(r) << r.error().message();
  ss = fs->State();
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 0u);
}

TEST_P(FileStorePermutations, TestStorePurgeExSequenceOne) {
  auto fs = Create(Fcfg(), Named("TEST", {"foo", "bar"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
    ASSERT_TRUE(fs->StoreMsg("bar", {}, {}, 0));
  }
  const StreamState before = fs->State();
  auto check = [&](const char* name, std::string_view subject, uint64_t keep) {
    SCOPED_TRACE(name);
    auto n = fs->PurgeEx(subject, 1, keep);
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 0u);
    const StreamState after = fs->State();
    EXPECT_EQ(after.msgs, before.msgs);
    EXPECT_EQ(after.first_seq, before.first_seq);
    EXPECT_EQ(after.last_seq, before.last_seq);
  };
  check("empty-subject", "", 0);
  check("wildcard-subject", ">", 0);
  check("specific-subject", "foo", 0);
  check("empty-subject-with-keep", "", 3);
  check("specific-subject-with-keep", "foo", 3);
}

TEST_P(FileStorePermutations, TestStorePurgeExKeepWithInteriorDeletes) {
  auto fs = Create(Fcfg(), Named("TEST", {"foo"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  // Every other message goes, leaving interior gaps.
  for (uint64_t seq = 2; seq <= 50; seq += 2) ASSERT_TRUE(fs->RemoveMsg(seq));
  StreamState ss = fs->State();
  EXPECT_EQ(ss.msgs, 25u);
  EXPECT_EQ(ss.first_seq, 1u);
  EXPECT_EQ(ss.last_seq, 50u);

  // Keep the newest 5: 41, 43, 45, 47, 49.
  auto n = fs->PurgeEx("", 0, 5);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 20u);

  ss = fs->State();
  EXPECT_EQ(ss.msgs, 5u);
  EXPECT_EQ(ss.first_seq, 41u);
  EXPECT_EQ(ss.last_seq, 50u);
}

TEST_P(FileStorePermutations, TestStoreSkipMsgsCarryForwardLastTimeFromEmpty) {
  {
    SCOPED_TRACE("SkipMsg");
    auto fs = CreateAt(dir_.path() / "$G" / "streams" / "skip1", Fcfg(), Named("zzz", {"foo"}));
    ASSERT_TRUE(fs);
    StreamState ss;
    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 0u);
    EXPECT_EQ(ss.last_time, 0);

    // An empty store takes the current time.
    const int64_t before = NowNanos();
    auto seq = fs->SkipMsg(0);
    ASSERT_TRUE(seq) << seq.error().message();
    EXPECT_EQ(*seq, 1u);

    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 1u);
    EXPECT_NE(ss.last_time, 0);
    EXPECT_GE(ss.last_time, before);
    EXPECT_LE(ss.last_time, NowNanos());
    const int64_t first = ss.last_time;

    // With the clock moved on, the next skip keeps that time.
    std::this_thread::sleep_for(kTwoTicks);
    seq = fs->SkipMsg(0);
    ASSERT_TRUE(seq) << seq.error().message();
    EXPECT_EQ(*seq, 2u);

    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 2u);
    EXPECT_EQ(ss.last_time, first);
    ASSERT_TRUE(fs->Stop());
  }
  {
    SCOPED_TRACE("SkipMsgs");
    auto fs = CreateAt(dir_.path() / "$G" / "streams" / "skip2", Fcfg(), Named("zzz", {"foo"}));
    ASSERT_TRUE(fs);
    StreamState ss;
    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 0u);
    EXPECT_EQ(ss.last_time, 0);

    const int64_t before = NowNanos();
    auto r = fs->SkipMsgs(1, 5);
    ASSERT_TRUE(r) << r.error().message();

    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 5u);
    EXPECT_NE(ss.last_time, 0);
    EXPECT_GE(ss.last_time, before);
    EXPECT_LE(ss.last_time, NowNanos());
    const int64_t first = ss.last_time;

    std::this_thread::sleep_for(kTwoTicks);
    auto seq = fs->SkipMsg(0);
    ASSERT_TRUE(seq) << seq.error().message();
    EXPECT_EQ(*seq, 6u);

    fs->FastState(&ss);
    EXPECT_EQ(ss.last_seq, 6u);
    EXPECT_EQ(ss.last_time, first);
    ASSERT_TRUE(fs->Stop());
  }
}

TEST_P(FileStorePermutations, TestStoreSkipMsgNoInterestAdvancesLastTime) {
  auto fs = Create(Fcfg(), Named("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  // A skip without interest still takes a sequence.
  auto seq = fs->SkipMsgNoInterest(0);
  ASSERT_TRUE(seq) << seq.error().message();
  EXPECT_EQ(*seq, 1u);

  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 0u);
  EXPECT_EQ(ss.last_seq, 1u);
  const int64_t first = ss.last_time;

  std::this_thread::sleep_for(kTwoTicks);

  // The next one moves both the sequence and the time.
  seq = fs->SkipMsgNoInterest(0);
  ASSERT_TRUE(seq) << seq.error().message();
  EXPECT_EQ(*seq, 2u);

  fs->FastState(&ss);
  EXPECT_EQ(ss.msgs, 0u);
  EXPECT_EQ(ss.last_seq, 2u);
  EXPECT_GT(ss.last_time, first);
}

TEST_P(FileStorePermutations, TestFileStoreUpdateMaxMsgsPerSubject) {
  StreamConfig cfg = Named("TEST", {"foo"});
  cfg.max_msgs_per = 10;
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);

  // A raised limit is honored.
  cfg.max_msgs_per = 50;
  auto r = fs->UpdateConfig(cfg);
  ASSERT_TRUE(r) << r.error().message();

  constexpr uint64_t kNumStored = 22;
  for (uint64_t i = 0; i < kNumStored; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  EXPECT_EQ(fs->SubjectsTotals("foo")["foo"], kNumStored);

  // A lowered one trims what is stored.
  cfg.max_msgs_per = 10;
  r = fs->UpdateConfig(cfg);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(fs->SubjectsTotals("foo")["foo"], 10u);
}

// Go runs this under -race: UpdateConfig switching the write block's sync
// and flush modes while another goroutine stores and flushes. Here the
// TSan build is the detector.
TEST(FileStore, TestFileStoreUpdateConfigSyncAlwaysRace) {
  TempDir dir("fsgoconfig");
  StreamConfig cfg = Named("zzz", {"foo"});
  cfg.replicas = 3;
  cfg.persist_mode = PersistMode::kAsync;
  auto fs = CreateAt(dir.path() / "$G" / "streams" / "zzz", FileStoreConfig{}, cfg);
  ASSERT_TRUE(fs);

  // A write block with a message in it.
  auto first = fs->StoreMsg("foo", {}, Bytes("hello"), 0);
  ASSERT_TRUE(first) << first.error().message();

  std::atomic<bool> stop{false};
  std::thread reader([&] {
    // Keeps making pending writes and flushing them.
    while (!stop.load()) {
      (void)fs->StoreMsg("foo", {}, Bytes("data"), 0);
      (void)fs->FlushAllPending();
    }
  });
  std::thread writer([&] {
    for (int i = 0; i < 3000; ++i) {
      StreamConfig ncfg = cfg;
      (void)fs->UpdateConfig(ncfg);
    }
    stop.store(true);
  });
  writer.join();
  reader.join();
}

}  // namespace
}  // namespace natscpp::store::testing
