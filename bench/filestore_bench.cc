// The file store's read side on a store laid out as the server lays it out:
// 4 MiB blocks of records (100 subjects), no index.db, so opening rebuilds
// every block from its records. Measures the open (recovery), a full scan
// by LoadNextMsg, random LoadMsg, and a per-subject walk.
//
// The store is built once per size with the record writer in
// filestore/record.h; message and byte rates are of stored messages.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crypto/highwayhash.h"
#include "filestore/record.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/stream_config.h"

namespace {

namespace fs = std::filesystem;
using natscpp::store::FileStore;
using natscpp::store::StoreMsg;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr size_t kBlockSize = 4 * 1024 * 1024;

void WriteFile(const fs::path& p, std::span<const uint8_t> b) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

struct Store {
  fs::path dir;
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  Store() = default;
  Store(Store&& o) noexcept : dir(std::move(o.dir)), msgs(o.msgs), bytes(o.bytes) { o.dir.clear(); }
  Store(const Store&) = delete;
  ~Store() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir.parent_path(), ec);
  }
};

// Builds (once) a stream of n messages of `size` payload bytes.
const Store& Build(uint64_t n, size_t size) {
  static std::map<std::pair<uint64_t, size_t>, Store> cache;
  auto key = std::make_pair(n, size);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Store s;
  s.dir = fs::temp_directory_path() /
          ("natscpp-bench-" + std::to_string(n) + "-" + std::to_string(size)) / "BENCH";
  fs::remove_all(s.dir.parent_path());
  fs::create_directories(s.dir / "msgs");
  natscpp::store::FileStreamInfo info;
  info.created = natscpp::store::GoTime::FromUnixNanos(kT0);
  info.config.name = "BENCH";
  info.config.subjects = {"bench.>"};
  info.config.storage = natscpp::store::StorageType::kFile;
  const std::string meta = *natscpp::store::EncodeFileStreamInfo(info);
  const std::span<const uint8_t> mb(reinterpret_cast<const uint8_t*>(meta.data()), meta.size());
  WriteFile(s.dir / "meta.inf", mb);
  natscpp::store::crypto::Hash64Bytes sum{};
  natscpp::store::crypto::PutHash64(
      natscpp::store::crypto::HighwayHash64Sum(natscpp::store::crypto::HashKeyFromString("BENCH"), mb),
      sum);
  std::string hex;
  for (uint8_t c : sum) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  WriteFile(s.dir / "meta.sum",
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hex.data()), hex.size()));

  std::vector<uint8_t> payload(size);
  std::mt19937_64 rng(1);
  for (auto& b : payload) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> blk;
  uint32_t index = 1;
  auto flush = [&] {
    WriteFile(s.dir / "msgs" / (std::to_string(index) + ".blk"), blk);
    blk.clear();
    ++index;
  };
  for (uint64_t seq = 1; seq <= n; ++seq) {
    const std::string subj = "bench." + std::to_string(seq % 100);
    const size_t rl = 30 + subj.size() + size;
    if (!blk.empty() && blk.size() + rl > kBlockSize) flush();
    natscpp::store::filestore::AppendRecord(blk, natscpp::store::filestore::BlockHashKey("BENCH", index),
                                            seq, kT0 + static_cast<int64_t>(seq), subj, {}, payload);
    s.bytes += rl;
  }
  if (!blk.empty()) flush();
  s.msgs = n;
  return cache.emplace(key, std::move(s)).first->second;
}

std::unique_ptr<FileStore> Open(const Store& s) {
  auto r = FileStore::Open(s.dir, {});
  return r ? std::move(*r) : nullptr;
}

void BM_OpenRebuild(benchmark::State& state) {
  const auto& s = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    auto fs = Open(s);
    if (!fs) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(fs);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.msgs));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}

void BM_ScanAll(benchmark::State& state) {
  const auto& s = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  auto fs = Open(s);
  if (!fs) {
    state.SkipWithError("open failed");
    return;
  }
  StoreMsg sm;
  for (auto _ : state) {
    uint64_t seen = 0;
    for (uint64_t start = 0;;) {
      auto r = fs->LoadNextMsg("", true, start, &sm);
      if (!r) break;
      start = sm.seq + 1;
      ++seen;
    }
    if (seen != s.msgs) state.SkipWithError("scan missed messages");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.msgs));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}

void BM_LoadRandom(benchmark::State& state) {
  const auto& s = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  auto fs = Open(s);
  if (!fs) {
    state.SkipWithError("open failed");
    return;
  }
  StoreMsg sm;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> pick(1, s.msgs);
  for (auto _ : state) {
    auto r = fs->LoadMsg(pick(rng), &sm);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_SubjectWalk(benchmark::State& state) {
  const auto& s = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  auto fs = Open(s);
  if (!fs) {
    state.SkipWithError("open failed");
    return;
  }
  StoreMsg sm;
  uint64_t seen = 0;
  for (auto _ : state) {
    for (uint64_t start = 0;;) {
      auto r = fs->LoadNextMsg("bench.42", false, start, &sm);
      if (!r) break;
      start = sm.seq + 1;
      ++seen;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(seen));
}

BENCHMARK(BM_OpenRebuild)->Args({100'000, 128})->Args({20'000, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanAll)->Args({100'000, 128})->Args({20'000, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadRandom)->Args({100'000, 128});
BENCHMARK(BM_SubjectWalk)->Args({100'000, 128})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
