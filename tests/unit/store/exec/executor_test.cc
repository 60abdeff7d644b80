// The store's executor: ordering, deadlines, timer Reset/Stop semantics,
// Stop and its contract, and concurrent use (run under ThreadSanitizer by
// scripts/tsan).
#include "exec/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace natscpp::store::exec {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `pred` until it holds or `limit` passes; generous limits keep the
// tests steady on a loaded machine or under a sanitizer.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto end = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Holds the worker in a task until Open(), so a test can queue work (and
// assign the handles that callbacks use) before anything runs. The latches
// are shared with the task: the worker may still be leaving wait() when the
// Gate goes out of scope.
class Gate {
 public:
  explicit Gate(Executor& ex) : s_(std::make_shared<State>()) {
    ex.Post([s = s_] {
      s->entered.count_down();
      s->open.wait();
    });
    s_->entered.wait();
  }
  ~Gate() { Open(); }
  void Open() {
    if (!opened_) s_->open.count_down();
    opened_ = true;
  }

 private:
  struct State {
    std::latch entered{1};
    std::latch open{1};
  };
  std::shared_ptr<State> s_;
  bool opened_ = false;
};

// Runs an empty task and waits for it: every task that was running or due
// before has returned by then.
void Drain(Executor& ex) {
  std::atomic<bool> done{false};
  ex.Post([&] { done = true; });
  ASSERT_TRUE(WaitFor([&] { return done.load(); }));
}

// A thread-safe log of labels in the order the worker ran them.
class Log {
 public:
  void Add(int v) {
    std::lock_guard lk(mu_);
    v_.push_back(v);
  }
  std::vector<int> Get() {
    std::lock_guard lk(mu_);
    return v_;
  }
  size_t Size() {
    std::lock_guard lk(mu_);
    return v_.size();
  }

 private:
  std::mutex mu_;
  std::vector<int> v_;
};

// Threads of this process. Call Baseline() first: it starts and joins a
// thread so that a sanitizer's helper thread, started with the process's
// first thread, is already counted.
long ThreadCount() {
  return static_cast<long>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                         std::filesystem::directory_iterator{}));
}

long Baseline() {
  std::thread([] {}).join();
  return ThreadCount();
}

// A joined thread may linger in /proc for a moment, hence the wait.
bool ThreadsBackTo(long n) {
  return WaitFor([&] { return ThreadCount() <= n; }, 2s);
}

TEST(Executor, PostsRunInSubmissionOrder) {
  Executor ex;
  Log log;
  for (int i = 0; i < 200; i++) ex.Post([&log, i] { log.Add(i); });
  ASSERT_TRUE(WaitFor([&] { return log.Size() == 200; }));
  const auto got = log.Get();
  for (int i = 0; i < 200; i++) EXPECT_EQ(got[i], i);
}

TEST(Executor, InWorkerOnlyOnTheWorker) {
  Executor ex;
  EXPECT_FALSE(ex.InWorker());
  std::atomic<int> in{-1};
  ex.Post([&] { in = ex.InWorker() ? 1 : 0; });
  ASSERT_TRUE(WaitFor([&] { return in.load() != -1; }));
  EXPECT_EQ(in.load(), 1);
}

TEST(Executor, TasksRunOneAtATimeOnOneThread) {
  Executor ex;
  std::atomic<int> inside{0};
  std::atomic<int> overlap{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::vector<std::thread::id> ids;
  auto task = [&] {
    if (inside.fetch_add(1) != 0) overlap++;
    std::this_thread::sleep_for(100us);
    {
      std::lock_guard lk(mu);
      ids.push_back(std::this_thread::get_id());
    }
    inside--;
    done++;
  };
  std::vector<Executor::Timer> timers;
  for (int i = 0; i < 20; i++) {
    ex.Post(task);
    timers.push_back(ex.After(std::chrono::microseconds(i * 50), task));
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == 40; }));
  EXPECT_EQ(overlap.load(), 0);
  std::lock_guard lk(mu);
  for (auto id : ids) EXPECT_EQ(id, ids.front());
  EXPECT_NE(ids.front(), std::this_thread::get_id());
}

TEST(Executor, AfterWaitsForItsDeadline) {
  Executor ex;
  std::atomic<int64_t> ran_at{0};
  const auto start = Clock::now();
  auto t = ex.After(50ms, [&] { ran_at = (Clock::now() - start).count(); });
  ASSERT_TRUE(WaitFor([&] { return ran_at.load() != 0; }));
  // Never early; the worker wakes at the deadline, not on a coarse tick.
  EXPECT_GE(ran_at.load(), std::chrono::nanoseconds(50ms).count());
}

TEST(Executor, TimersRunInDeadlineOrder) {
  Executor ex;
  Log log;
  auto c = ex.After(60ms, [&] { log.Add(3); });
  auto a = ex.After(20ms, [&] { log.Add(1); });
  auto b = ex.After(40ms, [&] { log.Add(2); });
  ASSERT_TRUE(WaitFor([&] { return log.Size() == 3; }));
  EXPECT_EQ(log.Get(), (std::vector<int>{1, 2, 3}));
}

TEST(Executor, DueTimersAndPostsRunByDeadlineThenSubmission) {
  Executor ex;
  Log log;
  Gate gate(ex);
  ex.Post([&] { log.Add(1); });                  // deadline: now
  auto t2 = ex.After(0ns, [&] { log.Add(2); });  // same moment, submitted later
  auto t3 = ex.After(-5s, [&] { log.Add(3); });  // negative: as soon as possible
  auto t5 = ex.After(30ms, [&] { log.Add(5); });
  auto t4 = ex.After(1ms, [&] { log.Add(4); });
  std::this_thread::sleep_for(50ms);  // both timers are due behind the gate
  ex.Post([&] { log.Add(6); });       // submitted after they came due
  gate.Open();
  ASSERT_TRUE(WaitFor([&] { return log.Size() == 6; }));
  EXPECT_EQ(log.Get(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST(Executor, StopPreventsAPendingRun) {
  Executor ex;
  std::atomic<int> runs{0};
  auto t = ex.After(40ms, [&] { runs++; });
  EXPECT_TRUE(t);
  EXPECT_TRUE(t.Stop());
  EXPECT_FALSE(t.Stop()) << "second Stop has nothing left to prevent";
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(runs.load(), 0);
}

TEST(Executor, StopAfterTheRunReturnsFalse) {
  Executor ex;
  std::atomic<int> runs{0};
  auto t = ex.After(0ns, [&] { runs++; });
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  EXPECT_FALSE(t.Stop());
}

TEST(Executor, ResetRearmsAFiredTimer) {
  Executor ex;
  std::atomic<int> runs{0};
  auto t = ex.After(1ms, [&] { runs++; });
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  EXPECT_FALSE(t.Reset(1ms)) << "a fired timer was not pending";
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 2; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 2) << "one Reset, one more run";
}

TEST(Executor, ResetRearmsAStoppedTimer) {
  Executor ex;
  std::atomic<int> runs{0};
  auto t = ex.After(1h, [&] { runs++; });
  EXPECT_TRUE(t.Stop());
  EXPECT_FALSE(t.Reset(1ms));
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
}

TEST(Executor, ResetPostponesAPendingTimer) {
  Executor ex;
  std::atomic<int64_t> ran_at{0};
  std::atomic<int> runs{0};
  const auto start = Clock::now();
  auto t = ex.After(10ms, [&] {
    ran_at = (Clock::now() - start).count();
    runs++;
  });
  EXPECT_TRUE(t.Reset(80ms)) << "it was pending";
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  EXPECT_GE(ran_at.load(), std::chrono::nanoseconds(80ms).count());
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 1) << "the old deadline must not fire too";
}

TEST(Executor, ResetFromItsOwnCallback) {
  Executor ex;
  std::atomic<int> runs{0};
  std::atomic<int> reset_result{-1};
  Executor::Timer t;
  Gate gate(ex);
  t = ex.After(0ns, [&] {
    if (++runs < 3) reset_result = t.Reset(1ms) ? 1 : 0;
  });
  gate.Open();
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 3; }));
  EXPECT_EQ(reset_result.load(), 0) << "a running one-shot is not pending";
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 3);
}

TEST(Executor, StopFromItsOwnCallback) {
  Executor ex;
  std::atomic<int> after_stop{-1};
  std::atomic<int> ticks{0};
  std::atomic<int> every_stop{-1};
  Executor::Timer once;
  Executor::Timer ticker;
  {
    Gate gate(ex);
    once = ex.After(0ns, [&] { after_stop = once.Stop() ? 1 : 0; });
    ticker = ex.Every(1ms, [&] {
      if (++ticks == 3) every_stop = ticker.Stop() ? 1 : 0;
    });
    gate.Open();
  }
  ASSERT_TRUE(WaitFor([&] { return after_stop.load() != -1 && every_stop.load() != -1; }));
  EXPECT_EQ(after_stop.load(), 0) << "a one-shot that is running has nothing left to prevent";
  EXPECT_EQ(every_stop.load(), 1) << "stopping a ticker from its callback prevents the next tick";
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks.load(), 3);
}

TEST(Executor, EveryTicksUntilStopped) {
  Executor ex;
  std::atomic<int> ticks{0};
  auto t = ex.Every(2ms, [&] { ticks++; });
  ASSERT_TRUE(WaitFor([&] { return ticks.load() >= 5; }));
  EXPECT_TRUE(t.Stop());
  Drain(ex);  // a tick under way when Stop ran has returned
  const int at_stop = ticks.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks.load(), at_stop);
  EXPECT_FALSE(t.Stop());
  // Reset restarts it with the new period.
  EXPECT_FALSE(t.Reset(1ms));
  ASSERT_TRUE(WaitFor([&] { return ticks.load() >= at_stop + 3; }));
  // A non-positive Reset stops a ticker; a non-positive period is inert.
  EXPECT_TRUE(t.Reset(0ns));
  Drain(ex);
  const int at_zero = ticks.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks.load(), at_zero);
  auto inert = ex.Every(0ns, [&] { ticks++; });
  EXPECT_FALSE(inert);
  EXPECT_FALSE(inert.Reset(1ms));
}

TEST(Executor, EveryDropsTicksASlowCallbackMissed) {
  Executor ex;
  std::mutex mu;
  std::vector<Clock::duration> starts;
  const auto t0 = Clock::now();
  auto t = ex.Every(20ms, [&] {
    size_t n = 0;
    {
      std::lock_guard lk(mu);
      starts.push_back(Clock::now() - t0);
      n = starts.size();
    }
    if (n == 1) std::this_thread::sleep_for(70ms);
  });
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lk(mu);
    return starts.size() >= 2;
  }));
  t.Stop();
  std::lock_guard lk(mu);
  // First tick at >= 20 ms ran until >= 90 ms; the ticks at 40, 60 and 80
  // are dropped, not run back to back, and the next stays on the grid.
  EXPECT_GE(starts[0], 20ms);
  EXPECT_GE(starts[1], 100ms);
}

TEST(Executor, DestroyedHandleCancels) {
  Executor ex;
  std::atomic<int> runs{0};
  {
    auto t = ex.After(20ms, [&] { runs++; });
    auto e = ex.Every(5ms, [&] { runs++; });
  }
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(runs.load(), 0);
  // Move assignment cancels what the target held.
  auto a = ex.After(20ms, [&] { runs++; });
  a = ex.After(1h, [] {});
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(runs.load(), 0);
}

TEST(Executor, DestroyedHandleWaitsForItsRunningCallback) {
  // What lets a message block's timer capture `this`: once the handle is
  // gone the callback is not running and never will.
  Executor ex;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  auto t = std::make_unique<Executor::Timer>(ex.After(0ns, [&] {
    started = true;
    std::this_thread::sleep_for(50ms);
    finished = true;
  }));
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  EXPECT_FALSE(t->Stop()) << "Stop does not wait and cannot prevent a run under way";
  t.reset();
  EXPECT_TRUE(finished.load());
}

TEST(Executor, HandleDestroyedInsideItsOwnCallback) {
  Executor ex;
  auto alive = std::make_shared<int>(7);
  std::weak_ptr<int> watch = alive;
  std::atomic<int> seen{0};
  std::optional<Executor::Timer> t;
  {
    Gate gate(ex);
    t = ex.After(0ns, [&t, &seen, alive = std::move(alive)] {
      t.reset();     // must not wait for itself
      seen = *alive;  // the running callback's captures are still alive
    });
    gate.Open();
  }
  ASSERT_TRUE(WaitFor([&] { return seen.load() == 7; }));
  // The worker lets go of the task after the callback returns.
  ASSERT_TRUE(WaitFor([&] { return watch.expired(); }));
}

TEST(Executor, StopWaitsForTheRunningTaskAndCancelsTheRest) {
  const long before = Baseline();
  Executor ex;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<int> others{0};
  auto captured = std::make_shared<int>(1);
  std::weak_ptr<int> watch = captured;
  ex.Post([&] {
    started = true;
    std::this_thread::sleep_for(50ms);
    finished = true;
  });
  ex.Post([&others, captured = std::move(captured)] { others += *captured; });
  auto t = ex.After(1ms, [&] { others++; });
  auto e = ex.Every(1ms, [&] { others++; });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  EXPECT_GT(ThreadCount(), before);
  ex.Stop();
  EXPECT_TRUE(finished.load()) << "Stop returns after the running task";
  EXPECT_TRUE(watch.expired()) << "dropped tasks are destroyed";
  EXPECT_TRUE(ThreadsBackTo(before)) << "the worker is joined";
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(others.load(), 0);
  EXPECT_FALSE(t.Stop()) << "nothing to prevent once the executor stopped";
  EXPECT_FALSE(e.Reset(1ms));
}

TEST(Executor, StopIsIdempotentAndThreadSafe) {
  Executor ex;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  ex.Post([&] {
    started = true;
    std::this_thread::sleep_for(30ms);
    finished = true;
  });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  std::vector<std::thread> stoppers;
  std::atomic<int> returned_early{0};
  for (int i = 0; i < 4; i++) {
    stoppers.emplace_back([&] {
      ex.Stop();
      // Every caller, not only the one that joins, returns after the task.
      if (!finished.load()) returned_early++;
    });
  }
  for (auto& s : stoppers) s.join();
  ex.Stop();
  ex.Stop();
  EXPECT_EQ(returned_early.load(), 0);
}

TEST(Executor, PostAndTimersAfterStopAreNoOps) {
  Executor ex;
  ex.Stop();
  auto captured = std::make_shared<int>(1);
  std::weak_ptr<int> watch = captured;
  std::atomic<int> runs{0};
  ex.Post([&runs, captured = std::move(captured)] { runs++; });
  EXPECT_TRUE(watch.expired()) << "a refused task is not kept";
  auto t = ex.After(0ns, [&] { runs++; });
  auto e = ex.Every(1ms, [&] { runs++; });
  EXPECT_FALSE(t);
  EXPECT_FALSE(e);
  EXPECT_FALSE(t.Reset(1ms));
  EXPECT_FALSE(t.Stop());
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(runs.load(), 0);
}

TEST(Executor, HandleOutlivesTheExecutor) {
  std::atomic<int> runs{0};
  Executor::Timer t;
  {
    Executor ex;
    t = ex.After(1h, [&] { runs++; });
  }
  EXPECT_TRUE(t);
  EXPECT_FALSE(t.Reset(0ns));
  EXPECT_FALSE(t.Stop());
  EXPECT_EQ(runs.load(), 0);
}

TEST(Executor, DestructorStopsAndJoins) {
  const long before = Baseline();
  std::atomic<bool> finished{false};
  std::atomic<int> others{0};
  {
    Executor ex;
    ex.Post([&] {
      std::this_thread::sleep_for(30ms);
      finished = true;
    });
    ex.Post([&] { others++; });
    (void)ex.After(1ms, [&] { others++; });  // a discarded handle cancels at once
    auto keep = ex.After(1ms, [&] { others++; });
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(others.load(), 0);
  EXPECT_TRUE(ThreadsBackTo(before));
}

TEST(Executor, StopFromATask) {
  // Stop on the worker cannot join itself: it cancels what is pending and
  // returns; the task runs to its end; the next outside Stop joins.
  const long before = Baseline();
  auto ex = std::make_unique<Executor>();
  std::atomic<int> phase{0};
  std::atomic<int> others{0};
  std::atomic<bool> in_worker{false};
  std::atomic<bool> late_inert{false};
  auto t = ex->After(1h, [&] { others++; });
  ex->Post([&] {
    in_worker = ex->InWorker();
    ex->Stop();
    ex->Stop();  // idempotent here too
    ex->Post([&] { others++; });
    late_inert = !ex->After(0ns, [&] { others++; });
    phase = 1;
    std::this_thread::sleep_for(20ms);
    phase = 2;
  });
  ex->Post([&] { others++; });
  ASSERT_TRUE(WaitFor([&] { return phase.load() == 2; }));
  EXPECT_TRUE(in_worker.load());
  EXPECT_TRUE(late_inert.load());
  EXPECT_FALSE(t.Reset(0ns)) << "the pending timer was cancelled";
  ex->Stop();
  EXPECT_TRUE(ThreadsBackTo(before));
  ex.reset();
  EXPECT_EQ(others.load(), 0);
}

TEST(Executor, ManyTimers) {
  Executor ex;
  constexpr int kTimers = 5000;
  std::vector<std::atomic<int>> runs(kTimers);
  std::vector<int64_t> earliest(kTimers);
  std::vector<std::atomic<int64_t>> ran_at(kTimers);
  std::vector<Executor::Timer> timers;
  timers.reserve(kTimers);
  std::mt19937 rng(42);
  const auto t0 = Clock::now();
  for (int i = 0; i < kTimers; i++) {
    const auto delay = std::chrono::microseconds(rng() % 50000);
    earliest[i] = (Clock::now() - t0 + delay).count();
    timers.push_back(ex.After(delay, [&, i] {
      ran_at[i] = (Clock::now() - t0).count();
      runs[i]++;
    }));
  }
  // Stop every third timer; those that already ran report false.
  std::vector<bool> prevented(kTimers, false);
  for (int i = 0; i < kTimers; i += 3) prevented[i] = timers[i].Stop();
  ASSERT_TRUE(WaitFor([&] {
    for (int i = 0; i < kTimers; i++) {
      if (!prevented[i] && runs[i].load() == 0) return false;
    }
    return true;
  }));
  std::this_thread::sleep_for(60ms);  // past every deadline
  for (int i = 0; i < kTimers; i++) {
    EXPECT_EQ(runs[i].load(), prevented[i] ? 0 : 1) << i;
    if (!prevented[i]) {
      EXPECT_GE(ran_at[i].load(), earliest[i]) << i;
    }
  }
}

TEST(Executor, StressPostResetStopFromManyThreads) {
  Executor ex;
  constexpr int kThreads = 4;
  constexpr int kTimers = 16;
  std::vector<std::atomic<int>> runs(kTimers);
  std::vector<Executor::Timer> timers;
  for (int i = 0; i < kTimers; i++) {
    if (i % 4 == 0) {
      timers.push_back(ex.Every(std::chrono::microseconds(200 + i * 10), [&, i] { runs[i]++; }));
    } else {
      timers.push_back(ex.After(std::chrono::microseconds(i * 100), [&, i] { runs[i]++; }));
    }
  }
  std::atomic<int64_t> posted{0};
  std::atomic<int64_t> executed{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; th++) {
    threads.emplace_back([&, th] {
      std::mt19937 rng(static_cast<unsigned>(th));
      while (go.load()) {
        auto& t = timers[rng() % kTimers];
        switch (rng() % 4) {
          case 0:
            t.Stop();
            break;
          case 1:
          case 2:
            t.Reset(std::chrono::microseconds(rng() % 500));
            break;
          default:
            posted++;
            ex.Post([&] { executed++; });
        }
      }
    });
  }
  std::this_thread::sleep_for(400ms);
  go = false;
  for (auto& t : threads) t.join();
  // Posts run in submission order, so once a fence posted now has run,
  // every post before it has too.
  std::atomic<bool> fence{false};
  ex.Post([&] { fence = true; });
  ASSERT_TRUE(WaitFor([&] { return fence.load(); }));
  EXPECT_EQ(executed.load(), posted.load());
  EXPECT_GT(posted.load(), 0);
  int total = 0;
  for (auto& r : runs) total += r.load();
  EXPECT_GT(total, 0);
  // Once stopped (and a callback under way has returned), a timer does
  // not run again.
  for (auto& t : timers) t.Stop();
  Drain(ex);
  std::vector<int> at_stop(kTimers);
  for (int i = 0; i < kTimers; i++) at_stop[i] = runs[i].load();
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < kTimers; i++) EXPECT_EQ(runs[i].load(), at_stop[i]) << i;
}

}  // namespace
}  // namespace natscpp::store::exec
