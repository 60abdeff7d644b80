#include "ats/ats.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace natscpp::store::ats {
namespace {

std::int64_t NowUnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The process-wide state behind the free functions.
struct Clock {
  std::atomic<std::int64_t> utime{0};
  std::mutex mu;  // guards refs and ticker
  std::condition_variable_any cv;
  std::int64_t refs = 0;
  // Declared last so that at process exit a still-running ticker is stopped
  // and joined before the mutex and condition variable it uses go away.
  std::jthread ticker;
};

// go: server/ats/ats.go:init
Clock& SharedClock() {
  // Built once, on first use, with the primitives that later signal the
  // ticker to stop.
  static Clock clock;
  return clock;
}

void RunTicker(Clock& c, std::stop_token stop) {
  std::unique_lock lock(c.mu);
  // wait_for returns the predicate: true once a stop is requested, false
  // when a tick's time is up.
  while (!c.cv.wait_for(lock, stop, kTickInterval, [&stop] { return stop.stop_requested(); })) {
    c.utime.store(NowUnixNanos());
  }
}

}  // namespace

// go: server/ats/ats.go:Register
void Register() {
  Clock& c = SharedClock();
  std::lock_guard lock(c.mu);
  if (++c.refs == 1) {
    // First user (possibly again after dropping to zero): take a fresh time
    // now so readers never see one from before the idle period.
    c.utime.store(NowUnixNanos());
    c.ticker = std::jthread([&c](std::stop_token stop) { RunTicker(c, stop); });
  }
}

// go: server/ats/ats.go:Unregister
Result<void> Unregister() {
  Clock& c = SharedClock();
  std::jthread stopping;
  {
    std::lock_guard lock(c.mu);
    if (c.refs == 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "ats: unbalanced unregister for access time state");
    }
    if (--c.refs == 0) stopping = std::move(c.ticker);
  }
  // Stop and join outside the lock, which the ticker needs in order to see
  // the request. A Register racing in here starts a thread of its own.
  if (stopping.joinable()) {
    stopping.request_stop();
    stopping.join();
  }
  return {};
}

// go: server/ats/ats.go:AccessTime
std::int64_t AccessTime() {
  Clock& c = SharedClock();
  std::int64_t v = c.utime.load();
  if (v == 0) {
    // Nothing registered yet, or registrations racing at startup: a stale
    // time is acceptable, a zero one is not.
    v = NowUnixNanos();
    c.utime.store(v);
  }
  return v;
}

std::int64_t RegisteredForTest() {
  Clock& c = SharedClock();
  std::lock_guard lock(c.mu);
  return c.refs;
}

void StoreAccessTimeForTest(std::int64_t unix_nanos) { SharedClock().utime.store(unix_nanos); }

}  // namespace natscpp::store::ats
