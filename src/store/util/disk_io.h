// Bounds the number of file-system calls in flight (dios.go). The Go
// server shares one across its stores; so can we.
#ifndef NATSCPP_STORE_UTIL_DISK_IO_H_
#define NATSCPP_STORE_UTIL_DISK_IO_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace natscpp::store {

class DiskIoSemaphore {
 public:
  static constexpr int kDefaultConcurrentIos = 4096;
  static constexpr int kMinConcurrentIos = 4;
  static constexpr int kMaxConcurrentIos = 8192;

  // `n` slots, clamped to [kMinConcurrentIos, kMaxConcurrentIos].
  explicit DiskIoSemaphore(int n);
  DiskIoSemaphore(const DiskIoSemaphore&) = delete;
  DiskIoSemaphore& operator=(const DiskIoSemaphore&) = delete;

  // The process-wide semaphore with the default size.
  static DiskIoSemaphore& Default();

  // Takes a slot, waiting when none is free; waits are counted.
  void Acquire();
  void Release();
  int Cap() const { return cap_; }

  uint64_t waits() const { return waits_.load(); }
  uint64_t wait_nanos() const { return wait_nanos_.load(); }
  uint64_t max_wait_nanos() const { return max_wait_nanos_.load(); }
  int64_t waiters() const { return waiters_.load(); }

  // Records one wait of `ns` nanoseconds.
  void CountWait(uint64_t ns);

 private:
  const int cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
  std::atomic<int64_t> waiters_{0};
  std::atomic<uint64_t> waits_{0};
  std::atomic<uint64_t> wait_nanos_{0};
  std::atomic<uint64_t> max_wait_nanos_{0};
};

// Holds a slot for a scope.
class DiskIoSlot {
 public:
  explicit DiskIoSlot(DiskIoSemaphore& d) : d_(d) { d_.Acquire(); }
  ~DiskIoSlot() { d_.Release(); }
  DiskIoSlot(const DiskIoSlot&) = delete;
  DiskIoSlot& operator=(const DiskIoSlot&) = delete;

 private:
  DiskIoSemaphore& d_;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_DISK_IO_H_
