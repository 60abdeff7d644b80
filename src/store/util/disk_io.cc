#include "util/disk_io.h"

#include <algorithm>
#include <chrono>

namespace natscpp::store {

// go: server/dios.go:newDiskIOSemaphore
DiskIoSemaphore::DiskIoSemaphore(int n)
    : cap_(std::clamp(n, kMinConcurrentIos, kMaxConcurrentIos)), free_(cap_) {}

// go: server/dios.go:defaultDiskIOSemaphore
DiskIoSemaphore& DiskIoSemaphore::Default() {
  static DiskIoSemaphore d(kDefaultConcurrentIos);
  return d;
}

// go: server/dios.go:(*diskIOSemaphore).acquire
void DiskIoSemaphore::Acquire() {
  std::unique_lock lock(mu_);
  if (free_ > 0) {
    --free_;
    return;
  }
  // Only waits that actually block are counted.
  waiters_.fetch_add(1);
  const auto start = std::chrono::steady_clock::now();
  cv_.wait(lock, [this] { return free_ > 0; });
  --free_;
  lock.unlock();
  waiters_.fetch_sub(1);
  const auto waited = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  CountWait(static_cast<uint64_t>(waited.count()));
}

// go: server/dios.go:(*diskIOSemaphore).countWait
void DiskIoSemaphore::CountWait(uint64_t ns) {
  waits_.fetch_add(1);
  wait_nanos_.fetch_add(ns);
  uint64_t cur = max_wait_nanos_.load();
  while (ns > cur && !max_wait_nanos_.compare_exchange_weak(cur, ns)) {
  }
}

// go: server/dios.go:(*diskIOSemaphore).release
void DiskIoSemaphore::Release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
  }
  cv_.notify_one();
}

}  // namespace natscpp::store
