// Ports of the file store benchmarks in the server's filestore_test.go
// (v2.14.5): each has the setup of its Go counterpart (stream, block size,
// subjects, message counts) and times the same operation. Go's
// sub-benchmarks are separate registrations under the Go function's name.
//
// Every store lives in its own directory under one per-process temporary
// root, removed when the benchmark that made it ends and again at exit.
//
// Go's b.ReportAllocs is mirrored by the counter allocs_per_op: this
// binary counts calls to the global operator new.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "filestore/interior_deletes.h"
#include "util/msg_size.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/go_time.h"
#include "natscpp/store/stream_config.h"

namespace {

std::atomic<uint64_t> g_allocs{0};

}  // namespace

// Counts every allocation made through the global operator new. (GCC
// takes the replacement pair's malloc/free for a mismatch.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::align_val_t al) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) { return ::operator new(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

namespace fs = std::filesystem;
using natscpp::store::FileStore;
using natscpp::store::FileStoreConfig;
using natscpp::store::StoreMsg;
using natscpp::store::StreamConfig;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::span<const uint8_t> Bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// The per-process root every store directory is made under.
const fs::path& Root() {
  static const fs::path root = [] {
    fs::path p = fs::temp_directory_path() / ("natscpp-go-bench-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(p, ec);
    fs::create_directories(p, ec);
    std::atexit([] {
      std::error_code e;
      fs::remove_all(fs::temp_directory_path() / ("natscpp-go-bench-" + std::to_string(::getpid())), e);
    });
    return p;
  }();
  return root;
}

// A store in a fresh directory (Go's b.TempDir()), stopped and removed on
// destruction (Go's deferred fs.Stop()).
class TempStore {
 public:
  TempStore(const FileStoreConfig& fcfg, const StreamConfig& cfg) {
    static int next = 0;
    dir_ = Root() / ("s" + std::to_string(++next));
    auto r = FileStore::Create(dir_ / cfg.name, fcfg, cfg, natscpp::store::GoTime::FromUnixNanos(kT0));
    if (r) {
      fs_ = std::move(*r);
    } else {
      error_ = "create: " + r.error().message();
    }
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
  ~TempStore() {
    if (fs_) (void)fs_->Stop();
    fs_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  FileStore* get() const { return fs_.get(); }
  FileStore* operator->() const { return fs_.get(); }
  explicit operator bool() const { return fs_ != nullptr; }
  const std::string& error() const { return error_; }

 private:
  fs::path dir_;
  std::unique_ptr<FileStore> fs_;
  std::string error_;
};

StreamConfig Cfg(std::string name, std::vector<std::string> subjects, int64_t max_msgs_per = 0) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = natscpp::store::StorageType::kFile;
  c.max_msgs_per = max_msgs_per;
  return c;
}

// Which of Go's two sub-benchmarks of BenchmarkFileStoreSubjectAccesses.
enum class SubjectAccess { kSubjectForSeq, kLoadMsg };

// Go benchmark: server/filestore_test.go:BenchmarkFileStoreSubjectAccesses
static void BenchmarkFileStoreSubjectAccesses(benchmark::State& state, SubjectAccess op) {
  TempStore fs(FileStoreConfig{}, Cfg("foo", {"foo.>"}));
  if (!fs) {
    state.SkipWithError(fs.error().c_str());
    return;
  }
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  auto seq = fs->StoreMsg("foo.bar", {}, payload, 0);
  if (!seq || seq->seq != 1) {
    state.SkipWithError("StoreMsg did not store sequence 1");
    return;
  }
  const uint64_t allocs0 = g_allocs.load(std::memory_order_relaxed);
  if (op == SubjectAccess::kSubjectForSeq) {
    for (auto _ : state) {
      auto subj = fs->SubjectForSeq(1);
      if (!subj || *subj != "foo.bar") {
        state.SkipWithError("SubjectForSeq(1) is not foo.bar");
        break;
      }
    }
  } else {
    for (auto _ : state) {
      // A fresh StoreMsg each time, as Go declares smv inside the loop.
      StoreMsg smv;
      auto sm = fs->LoadMsg(1, &smv);
      if (!sm || (*sm)->subject != "foo.bar") {
        state.SkipWithError("LoadMsg(1) is not foo.bar");
        break;
      }
      benchmark::DoNotOptimize(smv);
    }
  }
  const uint64_t allocs = g_allocs.load(std::memory_order_relaxed) - allocs0;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// A store shared by the benchmarks that read it: made and filled by
// `fill` (which returns an error, empty when done) on first use, once per
// process. Each call site's lambda is its own type, so its own store.
template <typename Fill>
TempStore& BuiltOnce(const FileStoreConfig& fcfg, const StreamConfig& cfg, std::string& error, Fill fill) {
  static TempStore fs(fcfg, cfg);
  static const std::string build_error = fs ? fill(fs) : fs.error();
  error = build_error;
  return fs;
}

// The store of Benchmark_FileStoreSelectMsgBlock, built once per process:
// a 128-byte block size gives every ~100-byte message a block of its own,
// and each of the 1000 block switches syncs the block it leaves, so
// building it takes tens of seconds on a slow disk (Go builds it again
// for every b.N; only the timed loop is the same). Empty error: ready.
TempStore& SelectMsgBlockStore(std::string& error) {
  FileStoreConfig fcfg;
  fcfg.block_size = 128;
  return BuiltOnce(fcfg, Cfg("zzz", {"*"}), error, [](TempStore& fs) -> std::string {
    std::string msg;
    for (int i = 0; i < 33; ++i) msg += "ABC";
    for (int i = 0; i < 1000; ++i) {
      if (auto r = fs->StoreMsg("A", {}, Bytes(msg), 0); !r) return "StoreMsg: " + r.error().message();
    }
    return {};
  });
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreSelectMsgBlock
static void Benchmark_FileStoreSelectMsgBlock(benchmark::State& state) {
  std::string error;
  TempStore& fs = SelectMsgBlockStore(error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto& impl = fs->ImplForTesting();
  std::lock_guard lock(impl.mu);
  if (impl.blks.size() < 1000) {
    state.SkipWithError(("expected at least 1000 blocks, got " + std::to_string(impl.blks.size())).c_str());
    return;
  }
  state.counters["blocks"] = static_cast<double>(impl.blks.size());
  for (auto _ : state) {
    size_t pos = 0;
    auto* mb = impl.SelectMsgBlock(1, &pos);
    if (mb == nullptr) {
      state.SkipWithError("expected a block for sequence 1");
      break;
    }
    benchmark::DoNotOptimize(mb);
    benchmark::DoNotOptimize(pos);
  }
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreSubjectStateConsistencyOptimizationPerf
static void Benchmark_FileStoreSubjectStateConsistencyOptimizationPerf(benchmark::State& state) {
  // MaxMsgsPer 1: each of the n subjects is in the stream once. Rounds
  // alternate the order (foo.n-1 .. foo.0, then foo.0 .. foo.n-1, ...), so
  // without the per-subject first/last block tracking every store would
  // scan for the subject's old message. One iteration is one round (Go
  // runs max(2, b.N) rounds of n stores).
  TempStore fs(FileStoreConfig{}, Cfg("TEST", {"foo.*"}, 1));
  if (!fs) {
    state.SkipWithError(fs.error().c_str());
    return;
  }
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> subjects;
  subjects.reserve(static_cast<size_t>(n));
  for (int d = 0; d < n; ++d) subjects.push_back("foo." + std::to_string(d));
  int64_t round = 0;
  for (auto _ : state) {
    for (int j = 0; j < n; ++j) {
      const int d = round % 2 == 0 ? n - j - 1 : j;
      if (!fs->StoreMsg(subjects[static_cast<size_t>(d)], {}, {}, 0)) {
        state.SkipWithError("StoreMsg failed");
        return;
      }
    }
    ++round;
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The store of Go's two delete-map benchmarks: 50,000 five-byte messages in
// blocks of 100, every message but one in fifty removed (the shape a
// MaxMsgsPer=1 stream converges to), so every block keeps a dense delete
// map. Built once and shared.
TempStore& DeleteMapStore(std::string& error) {
  FileStoreConfig fcfg;
  fcfg.block_size = 100 * natscpp::store::FileStoreMsgSize("foo", 0, 5);
  return BuiltOnce(fcfg, Cfg("zzz", {"foo"}), error, [](TempStore& fs) -> std::string {
    constexpr uint64_t kNumMsgs = 50'000;
    for (uint64_t i = 0; i < kNumMsgs; ++i) {
      if (auto r = fs->StoreMsg("foo", {}, Bytes("hello"), 0); !r) return "StoreMsg: " + r.error().message();
    }
    for (uint64_t seq = 2; seq < kNumMsgs; ++seq) {
      if (seq % 50 == 0) continue;
      if (auto r = fs->RemoveMsg(seq); !r) return "RemoveMsg: " + r.error().message();
    }
    return {};
  });
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreDeleteMap
static void Benchmark_FileStoreDeleteMap(benchmark::State& state) {
  std::string error;
  TempStore& fs = DeleteMapStore(error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto& impl = fs->ImplForTesting();
  std::lock_guard lock(impl.mu);
  const uint64_t allocs0 = g_allocs.load(std::memory_order_relaxed);
  for (auto _ : state) {
    auto v = natscpp::store::filestore::InteriorDeletes::Of(impl.blks);
    if (v.size() == 0) {
      state.SkipWithError("expected a non-empty delete map view");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  const uint64_t allocs = g_allocs.load(std::memory_order_relaxed) - allocs0;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreDeleteMapExists
static void Benchmark_FileStoreDeleteMapExists(benchmark::State& state) {
  std::string error;
  TempStore& fs = DeleteMapStore(error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto& impl = fs->ImplForTesting();
  auto v = [&] {
    std::lock_guard lock(impl.mu);
    return natscpp::store::filestore::InteriorDeletes::Of(impl.blks);
  }();
  // Ascending probes over the whole span, the order compaction checks
  // tombstones in.
  uint64_t i = 0;
  const uint64_t allocs0 = g_allocs.load(std::memory_order_relaxed);
  for (auto _ : state) {
    benchmark::DoNotOptimize(v.Exists(i % 50'000 + 1));
    ++i;
  }
  const uint64_t allocs = g_allocs.load(std::memory_order_relaxed) - allocs0;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// The block size of the SyncDeleted benchmarks: Go's default large block
// (8 MiB), or 1/32 of it when NATSCPP_BENCH_SHORT is set, as the ctest
// entry does so the refills between iterations stay short.
uint64_t SyncDeletedBlockSize() {
  const uint64_t full = 8 * 1024 * 1024;
  return std::getenv("NATSCPP_BENCH_SHORT") ? full / 32 : full;
}

// Stores msg until the store has at least `blocks` blocks (untimed set-up
// of the SyncDeleted benchmarks); false when a store fails.
bool FillToBlocks(FileStore& fs, size_t blocks, std::span<const uint8_t> msg) {
  auto& impl = fs.ImplForTesting();
  std::unique_lock lock(impl.mu);
  while (impl.blks.size() < blocks) {
    lock.unlock();
    if (!fs.StoreMsg("foo", {}, msg, 0)) return false;
    lock.lock();
  }
  return true;
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreSyncDeletedFullBlocks
static void Benchmark_FileStoreSyncDeletedFullBlocks(benchmark::State& state) {
  // Each iteration deletes every message (50 full blocks) with one range;
  // refilling to 50 blocks is not timed.
  FileStoreConfig fcfg;
  fcfg.block_size = SyncDeletedBlockSize();
  TempStore fs(fcfg, Cfg("zzz", {}));
  if (!fs) {
    state.SkipWithError(fs.error().c_str());
    return;
  }
  auto& impl = fs->ImplForTesting();
  const std::vector<uint8_t> msg(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    if (!FillToBlocks(*fs.get(), 50, msg)) {
      state.SkipWithError("StoreMsg failed");
      return;
    }
    natscpp::store::DeleteBlocks dbs;
    {
      std::lock_guard lock(impl.mu);
      dbs.push_back(std::make_unique<natscpp::store::DeleteRange>(impl.state.first.seq, impl.state.msgs));
    }
    state.ResumeTiming();
    if (auto r = fs->SyncDeleted(dbs); !r) {
      state.SkipWithError(("SyncDeleted: " + r.error().message()).c_str());
      break;
    }
  }
}

// Go benchmark: server/filestore_test.go:Benchmark_FileStoreSyncDeletedPartialBlocks
static void Benchmark_FileStoreSyncDeletedPartialBlocks(benchmark::State& state) {
  // Each iteration deletes a range starting one past the first message
  // and ending one before the second block's last: a partial first block,
  // then messages of the second. Resetting (removing what is left of the
  // first two blocks) and refilling to 101 blocks is not timed.
  FileStoreConfig fcfg;
  fcfg.block_size = SyncDeletedBlockSize();
  TempStore fs(fcfg, Cfg("zzz", {}));
  if (!fs) {
    state.SkipWithError(fs.error().c_str());
    return;
  }
  auto& impl = fs->ImplForTesting();
  const std::vector<uint8_t> msg(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    natscpp::store::DeleteBlocks dbs;
    {
      std::unique_lock lock(impl.mu);
      if (impl.blks.size() > 1) {
        if (auto r = impl.RemoveMsgsInRange(impl.state.first.seq, impl.blks[1]->last.seq, true); !r) {
          state.SkipWithError(("removeMsgsInRange: " + r.error().message()).c_str());
          return;
        }
      }
      lock.unlock();
      if (!FillToBlocks(*fs.get(), 101, msg)) {
        state.SkipWithError("StoreMsg failed");
        return;
      }
      lock.lock();
      const uint64_t first = impl.state.first.seq + 1;
      const uint64_t last = impl.blks[1]->last.seq;
      dbs.push_back(std::make_unique<natscpp::store::DeleteRange>(first, last - first));
    }
    state.ResumeTiming();
    if (auto r = fs->SyncDeleted(dbs); !r) {
      state.SkipWithError(("SyncDeleted: " + r.error().message()).c_str());
      break;
    }
  }
}

BENCHMARK_CAPTURE(BenchmarkFileStoreSubjectAccesses, SubjectForSeq, SubjectAccess::kSubjectForSeq);
BENCHMARK_CAPTURE(BenchmarkFileStoreSubjectAccesses, LoadMsg, SubjectAccess::kLoadMsg);
BENCHMARK(Benchmark_FileStoreSelectMsgBlock);
BENCHMARK(Benchmark_FileStoreSubjectStateConsistencyOptimizationPerf)->Arg(40'000)->Unit(benchmark::kMillisecond);
BENCHMARK(Benchmark_FileStoreDeleteMap);
BENCHMARK(Benchmark_FileStoreDeleteMapExists);
BENCHMARK(Benchmark_FileStoreSyncDeletedFullBlocks)->ArgName("MsgSize")->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(Benchmark_FileStoreSyncDeletedPartialBlocks)->ArgName("MsgSize")->Arg(16)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
