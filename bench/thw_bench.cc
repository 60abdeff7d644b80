// Benchmarks of server/thw/thw_test.go.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "thw/thw.h"

namespace {

using natscpp::store::thw::HashWheel;

constexpr int64_t kSecond = 1'000'000'000;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Deadlines spread over an hour so they fall into many slots.
std::vector<int64_t> SpreadExpires(int64_t now, size_t n) {
  std::vector<int64_t> expires(n);
  for (size_t i = 0; i < n; ++i) expires[i] = now + static_cast<int64_t>(i % 3600) * kSecond;
  return expires;
}

void BM_HashWheel_Add(benchmark::State& state) {
  HashWheel hw;
  const std::vector<int64_t> expires = SpreadExpires(NowNanos(), 1 << 20);
  uint64_t i = 0;
  for (auto _ : state) {
    hw.Add(i, expires[i % expires.size()]);
    ++i;
  }
}
BENCHMARK(BM_HashWheel_Add);

void BM_HashWheel_Add_SameSlot(benchmark::State& state) {
  HashWheel hw;
  const int64_t expires = NowNanos() + kSecond;
  uint64_t i = 0;
  for (auto _ : state) hw.Add(i++, expires);
}
BENCHMARK(BM_HashWheel_Add_SameSlot);

void BM_HashWheel_Update(benchmark::State& state) {
  const int64_t now = NowNanos();
  const size_t n = 1 << 20;
  HashWheel hw;
  const std::vector<int64_t> expires = SpreadExpires(now, n);
  for (size_t i = 0; i < n; ++i) hw.Add(i, expires[i]);
  const int64_t new_expires = now + 2 * 3600 * kSecond;
  size_t i = 0;
  for (auto _ : state) {
    // Once every sequence has moved, move them back so each call updates.
    const size_t k = i % n;
    const bool forward = (i / n) % 2 == 0;
    if (forward) {
      benchmark::DoNotOptimize(hw.Update(k, expires[k], new_expires));
    } else {
      benchmark::DoNotOptimize(hw.Update(k, new_expires, expires[k]));
    }
    ++i;
  }
}
BENCHMARK(BM_HashWheel_Update);

void BM_HashWheel_Update_SameSlot(benchmark::State& state) {
  const int64_t now = NowNanos();
  const int64_t old_expires = now + kSecond;
  const int64_t new_expires = now + 2 * kSecond;
  const size_t n = 1 << 20;
  HashWheel hw;
  for (size_t i = 0; i < n; ++i) hw.Add(i, old_expires);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i % n;
    if ((i / n) % 2 == 0) {
      benchmark::DoNotOptimize(hw.Update(k, old_expires, new_expires));
    } else {
      benchmark::DoNotOptimize(hw.Update(k, new_expires, old_expires));
    }
    ++i;
  }
}
BENCHMARK(BM_HashWheel_Update_SameSlot);

// Go reports allocations here; Google Benchmark has no allocation counter,
// so this measures the same workload as BM_HashWheel_Add.
void BM_HashWheel_Add_Memory(benchmark::State& state) {
  HashWheel hw;
  const std::vector<int64_t> expires = SpreadExpires(NowNanos(), 1 << 20);
  uint64_t i = 0;
  for (auto _ : state) {
    hw.Add(i, expires[i % expires.size()]);
    ++i;
  }
}
BENCHMARK(BM_HashWheel_Add_Memory);

void BM_HashWheel_LargeScale(benchmark::State& state) {
  const int64_t now = NowNanos();
  HashWheel hw;
  const std::vector<int64_t> expires = SpreadExpires(now, 1 << 20);
  for (uint64_t i = 0; i < 100'000; ++i) hw.Add(i, expires[i % 3600]);
  uint64_t i = 0;
  for (auto _ : state) {
    hw.Add(i + 100'000, expires[i % expires.size()]);
    ++i;
  }
}
BENCHMARK(BM_HashWheel_LargeScale);

}  // namespace

BENCHMARK_MAIN();
