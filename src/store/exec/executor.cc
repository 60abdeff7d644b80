#include "exec/executor.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <utility>

namespace natscpp::store::exec {

namespace {

using Clock = std::chrono::steady_clock;

// The longest single wait of the worker; a deadline further out is reached
// in several waits, which keeps far deadlines (Clock::time_point::max())
// clear of overflow in the condition variable's time conversion.
constexpr Clock::duration kMaxWait = std::chrono::hours(1);

// now + d, with d <= 0 meaning now and saturating instead of overflowing.
Clock::time_point DeadlineAfter(Clock::time_point now, std::chrono::nanoseconds d) {
  if (d <= d.zero()) return now;
  if (d >= Clock::time_point::max() - now) return Clock::time_point::max();
  return now + std::chrono::duration_cast<Clock::duration>(d);
}

// The first tick on the grid last + k * period that is after now: ticks a
// slow callback missed are dropped rather than run back to back.
Clock::time_point NextTick(Clock::time_point last, Clock::duration period, Clock::time_point now) {
  const int64_t steps = now > last ? (now - last) / period + 1 : 1;
  if ((Clock::time_point::max() - last) / steps <= period) return Clock::time_point::max();
  return last + steps * period;
}

}  // namespace

// One submitted piece of work: a post, a one-shot timer or a ticker. The
// fields other than fn are guarded by Core::mu; fn never changes after
// construction, so the worker calls it without the lock.
struct Executor::Task {
  explicit Task(std::function<void()> f, Clock::duration p = Clock::duration::zero())
      : fn(std::move(f)), period(p) {}

  const std::function<void()> fn;
  Clock::duration period;      // > 0 for Every timers
  bool queued = false;         // in Core::queue under `key`
  bool ticking = false;        // Every timers: re-arm after each run
  bool running = false;        // fn is executing on the worker
  std::pair<Clock::time_point, uint64_t> key;  // deadline, submission number
};

struct Executor::Core {
  using Key = std::pair<Clock::time_point, uint64_t>;

  std::mutex mu;
  std::condition_variable work_cv;  // the queue changed or the executor stopped
  std::condition_variable done_cv;  // a task returned
  // Ordered by deadline, then submission: begin() is what runs next. A map
  // rather than a heap so that Reset and Stop remove their entry at once;
  // the store resets cache timers on every access and a heap would fill
  // with stale entries.
  std::map<Key, std::shared_ptr<Task>> queue;
  uint64_t next_seq = 0;
  bool stopped = false;
  std::thread::id worker;  // written once, before any task can run

  bool InWorker() const { return std::this_thread::get_id() == worker; }

  void Enqueue(const std::shared_ptr<Task>& t, Clock::time_point when) {
    t->key = {when, next_seq++};
    t->queued = true;
    queue.emplace(t->key, t);
    work_cv.notify_one();
  }

  // Takes the task out of the queue and stops it ticking; true if a run
  // was pending.
  bool Cancel(Task& t) {
    const bool pending = t.queued || t.ticking;
    if (t.queued) queue.erase(t.key);
    t.queued = false;
    t.ticking = false;
    return pending;
  }
};

Executor::Timer::Timer(std::shared_ptr<Core> core, std::shared_ptr<Task> task)
    : core_(std::move(core)), task_(std::move(task)) {}

Executor::Timer::~Timer() { Release(); }

Executor::Timer& Executor::Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    Release();
    core_ = std::move(other.core_);
    task_ = std::move(other.task_);
  }
  return *this;
}

void Executor::Timer::Release() {
  if (task_ == nullptr) return;
  {
    std::unique_lock lk(core_->mu);
    core_->Cancel(*task_);
    // On the worker the running callback is our caller; waiting would hang.
    if (!core_->InWorker()) core_->done_cv.wait(lk, [this] { return !task_->running; });
  }
  // The task (and the callback's captures) may die here, outside the lock:
  // a capture's destructor may well use the executor.
  task_.reset();
  core_.reset();
}

bool Executor::Timer::Reset(std::chrono::nanoseconds delay) {
  if (task_ == nullptr) return false;
  std::lock_guard lk(core_->mu);
  if (core_->stopped) return false;
  const bool pending = core_->Cancel(*task_);
  if (task_->period > Clock::duration::zero()) {
    if (delay <= delay.zero()) return pending;
    task_->period = std::chrono::duration_cast<Clock::duration>(delay);
    task_->ticking = true;
  }
  core_->Enqueue(task_, DeadlineAfter(Clock::now(), delay));
  return pending;
}

bool Executor::Timer::Stop() {
  if (task_ == nullptr) return false;
  std::lock_guard lk(core_->mu);
  if (core_->stopped) return false;
  return core_->Cancel(*task_);
}

Executor::Executor() : core_(std::make_shared<Core>()) {
  // The worker's first act is to take the lock, so it waits until its id is
  // recorded; every task is dequeued under the same lock and so sees it.
  std::lock_guard lk(core_->mu);
  worker_ = std::thread([core = core_] { Work(*core); });
  core_->worker = worker_.get_id();
}

Executor::~Executor() { Stop(); }

void Executor::Work(Core& core) {
  for (;;) {
    std::shared_ptr<Task> t;
    {
      std::unique_lock lk(core.mu);
      while (!core.stopped) {
        if (core.queue.empty()) {
          core.work_cv.wait(lk);
          continue;
        }
        const auto now = Clock::now();
        const auto when = core.queue.begin()->first.first;
        if (when > now) {
          core.work_cv.wait_until(lk, now + std::min<Clock::duration>(when - now, kMaxWait));
          continue;
        }
        auto node = core.queue.extract(core.queue.begin());
        t = std::move(node.mapped());
        t->queued = false;
        t->running = true;
        break;
      }
      if (t == nullptr) return;  // stopped
    }

    t->fn();

    {
      std::lock_guard lk(core.mu);
      t->running = false;
      // A Reset from the callback (or from another thread meanwhile) has
      // queued the next run already; Stop has cleared ticking.
      if (t->ticking && !t->queued && !core.stopped) {
        core.Enqueue(t, NextTick(t->key.first, t->period, Clock::now()));
      }
      core.done_cv.notify_all();
    }
    // t is released here, outside the lock: a post's captures die with it.
  }
}

void Executor::Post(std::function<void()> fn) {
  auto t = std::make_shared<Task>(std::move(fn));
  std::lock_guard lk(core_->mu);
  if (core_->stopped) return;
  // Submission time under the lock: posts from any thread keep their order.
  core_->Enqueue(t, Clock::now());
}

Executor::Timer Executor::After(std::chrono::nanoseconds delay, std::function<void()> fn) {
  auto t = std::make_shared<Task>(std::move(fn));
  {
    std::lock_guard lk(core_->mu);
    if (core_->stopped) return Timer();
    core_->Enqueue(t, DeadlineAfter(Clock::now(), delay));
  }
  return Timer(core_, std::move(t));
}

Executor::Timer Executor::Every(std::chrono::nanoseconds period, std::function<void()> fn) {
  if (period <= period.zero()) return Timer();
  auto t = std::make_shared<Task>(std::move(fn), std::chrono::duration_cast<Clock::duration>(period));
  {
    std::lock_guard lk(core_->mu);
    if (core_->stopped) return Timer();
    t->ticking = true;
    core_->Enqueue(t, DeadlineAfter(Clock::now(), period));
  }
  return Timer(core_, std::move(t));
}

void Executor::Stop() {
  std::map<Core::Key, std::shared_ptr<Task>> dropped;
  {
    std::lock_guard lk(core_->mu);
    core_->stopped = true;
    for (auto& [key, t] : core_->queue) {
      t->queued = false;
      t->ticking = false;
    }
    dropped.swap(core_->queue);
    core_->work_cv.notify_all();
  }
  // Dropped tasks die outside the lock: their captures may hold timers.
  dropped.clear();
  if (InWorker()) return;  // the worker exits once its task returns
  std::lock_guard jl(join_mu_);
  if (worker_.joinable()) worker_.join();
}

bool Executor::InWorker() const { return core_->InWorker(); }

}  // namespace natscpp::store::exec
