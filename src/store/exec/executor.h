// The store's executor: one worker thread that runs what the Go file store
// does on goroutines and runtime timers (go f(), time.AfterFunc, tickers).
// A store owns one, and stopping the store stops and joins it, so no thread
// outlives the store and every background task is ordered with the others.
//
// Ordering. Tasks run one at a time, in deadline order; a Post's deadline
// is the moment it was submitted, so posts run in submission order and a
// timer that came due earlier runs before them. Ties go to the task
// submitted (or re-armed) first.
//
// Lifetime contract for owners (the file store, its message blocks):
//  * The store stops its executor first, then tears itself down: after
//    Stop() returns no callback is running and none will run, so callbacks
//    may capture `this` of the store and of anything the store owns.
//  * An object that dies before the store (a removed block) holds its
//    timers as members. A Timer's destructor cancels it and, when its
//    callback is running on the worker, waits for it to return; declare
//    timers after the members their callbacks touch (they are then
//    destroyed first), or reset them first thing in the owner's destructor.
//    Never destroy a running timer's handle while holding a lock its
//    callback takes: that wait would deadlock.
//  * Callbacks capture raw pointers or weak_ptrs to their owner, not owning
//    pointers: a Timer keeps its callback alive, so an owning capture would
//    be a cycle.
//  * Tasks must not throw (the store library does not use exceptions) and
//    should not block for long: they delay every other task.
#ifndef NATSCPP_STORE_EXEC_EXECUTOR_H_
#define NATSCPP_STORE_EXEC_EXECUTOR_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace natscpp::store::exec {

class Executor {
  // State shared by the executor, its worker and its timer handles, so a
  // handle stays safe to use after the executor is gone.
  struct Core;
  struct Task;

 public:
  // A handle to a task submitted with After or Every. Stop and Reset may be
  // called from any thread, the worker included, concurrently with each
  // other; moving or destroying a handle needs exclusive access to it, as
  // for any object. A default-constructed handle (also what After and Every
  // return once the executor is stopped) is inert: its calls return false.
  class Timer {
   public:
    Timer() = default;
    // Cancels, then waits for a running callback to return unless called
    // on the worker itself (from a task, where that would never end).
    ~Timer();
    Timer(Timer&& other) noexcept = default;
    Timer& operator=(Timer&& other) noexcept;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Arms the timer to run `delay` from now, whether it was pending, had
    // fired or was stopped (Go's Timer.Reset). For an Every timer `delay`
    // becomes the period too (Go's Ticker.Reset), and a non-positive delay
    // stops it instead. Called from the timer's own callback it arms the
    // next run. Returns true if the timer was pending before the call.
    // Does not wait for a running callback.
    bool Reset(std::chrono::nanoseconds delay);

    // Cancels the timer. Returns true if that prevented a run: an After
    // timer that had not started, an Every timer that was still ticking
    // (also when called from its own callback: no further ticks). Returns
    // false once the callback has started for an After timer, and after
    // the executor stopped. Does not wait for a running callback; Go
    // callers stop timers while holding locks the callback takes.
    bool Stop();

    // True when bound to a task (not default-constructed or moved from).
    explicit operator bool() const { return task_ != nullptr; }

   private:
    friend class Executor;
    Timer(std::shared_ptr<Core> core, std::shared_ptr<Task> task);
    // Cancels and waits as the destructor says, then lets go of the task.
    void Release();

    std::shared_ptr<Core> core_;
    std::shared_ptr<Task> task_;
  };

  // Starts the worker.
  Executor();
  // Stop(). Must not run on the worker (an executor destroyed by its own
  // task could not join itself; the process terminates).
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `fn` on the worker soon (Go: go fn()). A no-op after Stop.
  void Post(std::function<void()> fn);

  // Runs `fn` once, `delay` from now (time.AfterFunc). A delay of zero or
  // less means as soon as possible. After Stop: an inert handle. Keep the
  // handle: dropping it cancels the timer.
  [[nodiscard]] Timer After(std::chrono::nanoseconds delay, std::function<void()> fn);

  // Runs `fn` every `period`, first `period` from now, until stopped (a
  // time.Ticker loop). Ticks a slow callback missed are dropped, as Go's
  // ticker drops them; the next tick stays on the period's grid. A
  // non-positive period (Go's NewTicker panics) or a call after Stop
  // returns an inert handle.
  [[nodiscard]] Timer Every(std::chrono::nanoseconds period, std::function<void()> fn);

  // Cancels every pending task and timer, waits for a running task to
  // return and joins the worker. Idempotent and safe from several threads.
  // Called on the worker (from a task) it cannot join itself: it cancels
  // what is pending and returns at once; the running task finishes, the
  // worker then exits, and the next Stop from another thread (at the
  // latest the destructor) joins it. Tasks dropped here are destroyed
  // without running, outside the executor's lock.
  void Stop();

  // True when called on the worker thread, i.e. from a task.
  bool InWorker() const;

 private:
  static void Work(Core& core);

  std::shared_ptr<Core> core_;
  std::mutex join_mu_;  // std::thread::join must not race with itself
  std::thread worker_;
};

}  // namespace natscpp::store::exec

#endif  // NATSCPP_STORE_EXEC_EXECUTOR_H_
