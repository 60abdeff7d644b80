// Benchmarks of server/avl/seqset_test.go, plus the encode/decode timing that
// Go's TestNoRaceSeqSetEncodeLarge asserts (kept here: tests are not timed).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "avl/seqset.h"

namespace {

using natscpp::store::avl::Decode;
using natscpp::store::avl::SequenceSet;

void BM_SeqSetInsertDense(benchmark::State& state) {
  for (auto _ : state) {
    SequenceSet ss;
    for (std::uint64_t s = 0; s < 200'000; ++s) ss.Insert(s);
    benchmark::DoNotOptimize(ss.Size());
  }
}
BENCHMARK(BM_SeqSetInsertDense);

void BM_SeqSetInsertSparse(benchmark::State& state) {
  for (auto _ : state) {
    SequenceSet ss;
    for (std::uint64_t s = 0; s < 200'000; ++s) ss.Insert(s * 7);
    benchmark::DoNotOptimize(ss.Size());
  }
}
BENCHMARK(BM_SeqSetInsertSparse);

void BM_SeqSetRangeDense(benchmark::State& state) {
  SequenceSet ss;
  for (std::uint64_t s = 0; s < 200'000; ++s) ss.Insert(s);
  for (auto _ : state) {
    std::uint64_t sum = 0;
    ss.Range([&sum](std::uint64_t n) {
      sum += n;
      return true;
    });
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_SeqSetRangeDense);

void BM_SeqSetRangeSparse(benchmark::State& state) {
  SequenceSet ss;
  for (std::uint64_t s = 0; s < 10'000; ++s) ss.Insert(s * 211);  // ~10 bits per node
  for (auto _ : state) {
    std::uint64_t sum = 0;
    ss.Range([&sum](std::uint64_t n) {
      sum += n;
      return true;
    });
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_SeqSetRangeSparse);

void BM_SeqSetDeleteNotPresent(benchmark::State& state) {
  SequenceSet ss;
  for (std::uint64_t s = 0; s < 200'000; s += 2) ss.Insert(s);
  for (auto _ : state) {
    for (std::uint64_t s = 1; s < 200'000; s += 2) benchmark::DoNotOptimize(ss.Delete(s));
  }
}
BENCHMARK(BM_SeqSetDeleteNotPresent);

// The data set of TestNoRaceSeqSetEncodeLarge: 2.5M draws from [0, 5M].
SequenceSet LargeSet() {
  std::mt19937_64 rng(6);
  std::uniform_int_distribution<std::uint64_t> dist(0, 5'000'000);
  SequenceSet ss;
  for (int i = 0; i < 2'500'000; ++i) ss.Insert(dist(rng));
  return ss;
}

// Go expects this under 1 ms.
void BM_SeqSetEncodeLarge(benchmark::State& state) {
  const SequenceSet ss = LargeSet();
  std::vector<std::uint8_t> buf;
  for (auto _ : state) {
    buf = ss.Encode(std::move(buf));
    benchmark::DoNotOptimize(buf.data());
  }
  state.counters["bytes"] = static_cast<double>(buf.size());
}
BENCHMARK(BM_SeqSetEncodeLarge)->Unit(benchmark::kMicrosecond);

// Go expects this under 1 ms.
void BM_SeqSetDecodeLarge(benchmark::State& state) {
  const std::vector<std::uint8_t> buf = LargeSet().Encode();
  for (auto _ : state) {
    auto dec = Decode(buf);
    if (!dec) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(dec->set.Size());
  }
}
BENCHMARK(BM_SeqSetDecodeLarge)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
