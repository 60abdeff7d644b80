// The file store's write path, end to end: a stream with the default
// FileStoreConfig (block size from DynBlkSize) and subjects "orders.>"
// takes 1,000,000 messages of 128 bytes or 100,000 of 4 KiB over 100
// subjects, is stopped (which writes index.db), reopened read-only with
// index.db and again without it (every block rebuilt from its records), and
// read back in full with LoadNextMsg.
//
// The baseline is the physical limit of the same disk: the same number of
// record bytes (22 + subject + payload + 8 per message) written to one file
// in the same temporary directory with write(2) in 64 KiB chunks, with and
// without one fsync at the end. The store's Stop syncs the blocks it wrote
// and index.db, so "write + Stop" compares with the fsync baseline.
//
// Byte rates are of stored record bytes; reopen times are also given as
// counters in ms. With NATSCPP_BENCH_SHORT set (ctest) the message counts
// are scaled down by 50 so the whole binary runs in seconds.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "natscpp/store/file_store.h"
#include "natscpp/store/go_time.h"
#include "natscpp/store/stream_config.h"

namespace {

namespace fs = std::filesystem;
using natscpp::store::FileStore;
using natscpp::store::StoreMsg;
using Clock = std::chrono::steady_clock;

constexpr int kSubjects = 100;
constexpr size_t kChunk = 64 * 1024;

// All files of this run live under one directory, removed at exit.
const fs::path& Root() {
  static const fs::path root = [] {
    fs::path p = fs::temp_directory_path() / ("natscpp-write-bench-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(p, ec);
    fs::create_directories(p, ec);
    return p;
  }();
  return root;
}

std::string Subject(uint64_t seq) { return "orders." + std::to_string(seq % kSubjects); }

// The bytes a message of `size` payload bytes takes in a block.
uint64_t RecordBytes(uint64_t n, size_t size) {
  uint64_t total = 0;
  for (uint64_t seq = 1; seq <= n; ++seq) total += 22 + Subject(seq).size() + size + 8;
  return total;
}

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> p(size);
  std::mt19937_64 rng(1);
  for (auto& b : p) b = static_cast<uint8_t>(rng());
  return p;
}

natscpp::store::StreamConfig Config() {
  natscpp::store::StreamConfig cfg;
  cfg.name = "ORDERS";
  cfg.subjects = {"orders.>"};
  cfg.storage = natscpp::store::StorageType::kFile;
  return cfg;
}

natscpp::store::GoTime Now() {
  return natscpp::store::GoTime::FromUnixNanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Creates a store in `dir` and stores n messages; returns the time spent in
// StoreMsg and in Stop, or an error message.
struct WriteTimes {
  Clock::duration store{};
  Clock::duration stop{};
  std::string error;
};

WriteTimes WriteStore(const fs::path& dir, uint64_t n, const std::vector<uint8_t>& payload,
                      const std::vector<std::string>& subjects) {
  WriteTimes t;
  auto fsr = FileStore::Create(dir, natscpp::store::FileStoreConfig{}, Config(), Now());
  if (!fsr) {
    t.error = "create: " + fsr.error().message();
    return t;
  }
  auto& st = *fsr;
  const auto t0 = Clock::now();
  for (uint64_t seq = 1; seq <= n; ++seq) {
    auto r = st->StoreMsg(subjects[seq % kSubjects], {}, payload, 0);
    if (!r) {
      t.error = "store: " + r.error().message();
      return t;
    }
  }
  const auto t1 = Clock::now();
  if (auto r = st->Stop(); !r) {
    t.error = "stop: " + r.error().message();
    return t;
  }
  t.store = t1 - t0;
  t.stop = Clock::now() - t1;
  return t;
}

std::vector<std::string> Subjects() {
  std::vector<std::string> s;
  for (int i = 0; i < kSubjects; ++i) s.push_back(Subject(static_cast<uint64_t>(i)));
  return s;
}

// A fresh store per iteration: StoreMsg for every message, then Stop.
void BM_StoreWrite(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  const auto payload = Payload(size);
  const auto subjects = Subjects();
  const uint64_t bytes = RecordBytes(n, size);
  const fs::path dir = Root() / "write" / "ORDERS";
  double store_s = 0, stop_s = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::error_code ec;
    fs::remove_all(dir.parent_path(), ec);
    fs::create_directories(dir.parent_path(), ec);
    state.ResumeTiming();
    const auto t = WriteStore(dir, n, payload, subjects);
    if (!t.error.empty()) {
      state.SkipWithError(t.error.c_str());
      break;
    }
    store_s += std::chrono::duration<double>(t.store).count();
    stop_s += std::chrono::duration<double>(t.stop).count();
  }
  std::error_code ec;
  fs::remove_all(dir.parent_path(), ec);
  const auto it = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  // The StoreMsg loop alone (no Stop), and Stop (flush, block fsyncs,
  // index.db).
  if (store_s > 0) {
    state.counters["store_msgs_per_s"] = static_cast<double>(n) * it / store_s;
    state.counters["store_MB_per_s"] = static_cast<double>(bytes) * it / store_s / 1e6;
  }
  state.counters["stop_ms"] = it > 0 ? stop_s * 1e3 / it : 0;
}

// Sequential write(2) of the same bytes in 64 KiB chunks; range(2) = 1
// adds one fsync at the end.
void BM_SeqWriteBaseline(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  const bool sync = state.range(2) != 0;
  const uint64_t bytes = RecordBytes(n, size);
  std::vector<uint8_t> chunk(kChunk);
  std::mt19937_64 rng(2);
  for (auto& b : chunk) b = static_cast<uint8_t>(rng());
  const fs::path file = Root() / "baseline.dat";
  for (auto _ : state) {
    state.PauseTiming();
    std::error_code ec;
    fs::remove(file, ec);
    state.ResumeTiming();
    const int fd = ::open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0640);
    if (fd < 0) {
      state.SkipWithError("open failed");
      break;
    }
    bool ok = true;
    for (uint64_t left = bytes; left > 0 && ok;) {
      const size_t want = left < kChunk ? static_cast<size_t>(left) : kChunk;
      const ssize_t w = ::write(fd, chunk.data(), want);
      if (w <= 0) {
        ok = false;
        break;
      }
      left -= static_cast<uint64_t>(w);
    }
    if (ok && sync && ::fsync(fd) != 0) ok = false;
    ::close(fd);
    if (!ok) {
      state.SkipWithError("write failed");
      break;
    }
  }
  std::error_code ec;
  fs::remove(file, ec);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// A store written (once per size) through the write path and stopped, for
// the reopen and read benchmarks.
struct Written {
  fs::path dir;
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  std::string error;
};

const Written& Build(uint64_t n, size_t size) {
  static std::map<std::pair<uint64_t, size_t>, Written> cache;
  auto key = std::make_pair(n, size);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Written w;
  w.dir = Root() / ("store-" + std::to_string(n) + "-" + std::to_string(size)) / "ORDERS";
  std::error_code ec;
  fs::create_directories(w.dir.parent_path(), ec);
  w.error = WriteStore(w.dir, n, Payload(size), Subjects()).error;
  w.msgs = n;
  w.bytes = RecordBytes(n, size);
  if (w.error.empty() && !fs::exists(w.dir / "msgs" / "index.db", ec)) w.error = "Stop wrote no index.db";
  return cache.emplace(key, std::move(w)).first->second;
}

void Reopen(benchmark::State& state, bool with_index) {
  const auto& w = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  if (!w.error.empty()) {
    state.SkipWithError(w.error.c_str());
    return;
  }
  const fs::path idx = w.dir / "msgs" / "index.db";
  const fs::path aside = w.dir.parent_path() / "index.db.aside";
  std::error_code ec;
  if (!with_index) fs::rename(idx, aside, ec);
  if (ec) {
    state.SkipWithError(("moving index.db aside: " + ec.message()).c_str());
    return;
  }
  double total_ms = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto r = FileStore::Open(w.dir, natscpp::store::FileStoreOpenOptions{});
    total_ms += Ms(Clock::now() - t0);
    if (!r) {
      state.SkipWithError(("open: " + r.error().message()).c_str());
      break;
    }
    natscpp::store::StreamState ss;
    (*r)->FastState(&ss);
    if (ss.msgs != w.msgs) {
      state.SkipWithError("reopened store lost messages");
      break;
    }
    // With index.db present it must have been used (no recovery note).
    if (with_index && !(*r)->RecoveryNotes().empty()) {
      const auto& note = (*r)->RecoveryNotes().front();
      state.SkipWithError((note.file + ": " + note.message).c_str());
      break;
    }
    state.PauseTiming();
    r->reset();  // closing is not part of the open
    state.ResumeTiming();
  }
  if (!with_index) fs::rename(aside, idx, ec);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.msgs));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.bytes));
  state.counters["open_ms"] = state.iterations() > 0 ? total_ms / static_cast<double>(state.iterations()) : 0;
}

void BM_ReopenWithIndex(benchmark::State& state) { Reopen(state, true); }
void BM_ReopenRebuild(benchmark::State& state) { Reopen(state, false); }

// Opens read-only (with index.db) once, then reads every message by
// LoadNextMsg per iteration.
void BM_ReadBack(benchmark::State& state) {
  const auto& w = Build(static_cast<uint64_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  if (!w.error.empty()) {
    state.SkipWithError(w.error.c_str());
    return;
  }
  auto r = FileStore::Open(w.dir, natscpp::store::FileStoreOpenOptions{});
  if (!r) {
    state.SkipWithError(("open: " + r.error().message()).c_str());
    return;
  }
  auto& st = *r;
  StoreMsg sm;
  const size_t size = static_cast<size_t>(state.range(1));
  for (auto _ : state) {
    uint64_t seen = 0;
    for (uint64_t start = 0;;) {
      auto m = st->LoadNextMsg("", true, start, &sm);
      if (!m) break;
      if (sm.msg().size() != size) {
        state.SkipWithError("wrong payload size");
        return;
      }
      start = sm.seq + 1;
      ++seen;
    }
    if (seen != w.msgs) {
      state.SkipWithError("read back missed messages");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.msgs));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.bytes));
}

void Register(bool short_mode) {
  const int64_t scale = short_mode ? 50 : 1;
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{1'000'000 / scale, 128}, {100'000 / scale, 4096}};
  for (const auto& [n, size] : sizes) {
    benchmark::RegisterBenchmark("BM_StoreWrite", BM_StoreWrite)
        ->Args({n, size})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    for (int sync = 0; sync <= 1; ++sync) {
      benchmark::RegisterBenchmark("BM_SeqWriteBaseline", BM_SeqWriteBaseline)
          ->Args({n, size, sync})
          ->ArgNames({"msgs", "size", "fsync"})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark("BM_ReopenWithIndex", BM_ReopenWithIndex)
        ->Args({n, size})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_ReopenRebuild", BM_ReopenRebuild)
        ->Args({n, size})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_ReadBack", BM_ReadBack)
        ->Args({n, size})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* short_env = std::getenv("NATSCPP_BENCH_SHORT");
  Register(short_env != nullptr && *short_env != '\0' && std::string(short_env) != "0");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(Root(), ec);
  return 0;
}
