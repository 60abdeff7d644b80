// Throughput of the S2 codec on the Go-made vectors: a 2.5 MB record-like
// input (compressible) and 4 KiB of random bytes (stored raw), in block
// and framed-stream form. Bytes/s are of uncompressed data.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "s2/compression.h"
#include "s2/crc32c.h"
#include "s2/s2.h"

namespace {

namespace fs = std::filesystem;
namespace s2 = natscpp::store::s2;
using Bytes = std::vector<uint8_t>;

struct Vector {
  Bytes raw;
  Bytes block;
  Bytes stream;
  bool ok = false;
};

const Vector& Load(const std::string& name) {
  static std::map<std::string, Vector> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const fs::path dir = fs::path(NATSCPP_SHARED_DIR) / "vectors" / "s2";
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  Vector v;
  if (fs::exists(dir / (name + ".raw"))) {
    v.raw = read(dir / (name + ".raw"));
    v.block = read(dir / (name + ".s2block"));
    v.stream = read(dir / (name + ".s2stream"));
    v.ok = true;
  }
  return cache.emplace(name, std::move(v)).first->second;
}

#define LOAD_OR_SKIP(v, name)                               \
  const Vector& v = Load(name);                             \
  if (!v.ok) {                                              \
    state.SkipWithError("../shared/vectors/s2 is missing"); \
    return;                                                 \
  }

void BM_DecodeBlock(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  for (auto _ : state) {
    auto out = s2::DecodeBlock(v.block);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
}

void BM_DecodeBlockInto(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  Bytes dst(v.raw.size());
  for (auto _ : state) {
    auto n = s2::DecodeBlockInto(v.block, dst);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
}

void BM_DecodeStream(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  Bytes out;
  out.reserve(v.raw.size());
  for (auto _ : state) {
    out.clear();
    auto r = s2::AppendDecodedStream(v.stream, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
}

void BM_EncodeBlock(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  Bytes out;
  for (auto _ : state) {
    out.clear();
    s2::AppendEncodedBlock(v.raw, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
  state.counters["ratio"] = static_cast<double>(out.size()) / static_cast<double>(v.raw.size());
}

void BM_EncodeStream(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  Bytes out;
  for (auto _ : state) {
    out.clear();
    s2::AppendEncodedStream(v.raw, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
  state.counters["ratio"] = static_cast<double>(out.size()) / static_cast<double>(v.raw.size());
}

// The file store's path: Compress/Decompress of a whole block.
void BM_CompressDecompress(benchmark::State& state, const char* name) {
  LOAD_OR_SKIP(v, name);
  for (auto _ : state) {
    auto c = s2::Compress(s2::StoreCompression::kS2, v.raw);
    auto d = s2::Decompress(s2::StoreCompression::kS2, *c);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.raw.size()));
}

void BM_Crc32c(benchmark::State& state) {
  const Bytes data(static_cast<size_t>(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(s2::Crc32c(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

void BM_Crc32cPortable(benchmark::State& state) {
  const Bytes data(static_cast<size_t>(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(s2::Crc32cPortable(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

BENCHMARK_CAPTURE(BM_DecodeBlock, records_2500k, "records-2500k");
BENCHMARK_CAPTURE(BM_DecodeBlock, random_4k, "random-4k");
BENCHMARK_CAPTURE(BM_DecodeBlockInto, records_2500k, "records-2500k");
BENCHMARK_CAPTURE(BM_DecodeBlockInto, random_4k, "random-4k");
BENCHMARK_CAPTURE(BM_DecodeStream, records_2500k, "records-2500k");
BENCHMARK_CAPTURE(BM_DecodeStream, random_4k, "random-4k");
BENCHMARK_CAPTURE(BM_EncodeBlock, records_2500k, "records-2500k");
BENCHMARK_CAPTURE(BM_EncodeBlock, random_4k, "random-4k");
BENCHMARK_CAPTURE(BM_EncodeStream, records_2500k, "records-2500k");
BENCHMARK_CAPTURE(BM_EncodeStream, random_4k, "random-4k");
BENCHMARK_CAPTURE(BM_CompressDecompress, records_200k, "records-200k");
BENCHMARK(BM_Crc32c)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Crc32cPortable)->Arg(4096)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
