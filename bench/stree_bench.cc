// Benchmarks for the subject tree. server/stree has no Go Benchmark
// functions; these time the operations the file store leans on (insert,
// find, delete, wildcard match, iteration) on the shapes of the Go tests
// TestSubjectTreeMatchAllPerf, TestSubjectTreeIterPerf and
// TestSubjectTreeMemoryPerf, which Go only runs with --results.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stree/stree.h"

namespace {

using natscpp::store::stree::SubjectTree;

// "account.<i%1000>.stream.<i>", as in TestSubjectTreeMemoryPerf.
std::vector<std::string> AccountSubjects(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back("account." + std::to_string(i % 1000) + ".stream." + std::to_string(i));
  }
  return out;
}

// "subj.<1..100>.<i>", as in TestSubjectTreeMatchAllPerf.
std::vector<std::string> RandomSubjects(std::size_t n) {
  std::mt19937_64 rng(42);
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back("subj." + std::to_string(rng() % 100 + 1) + "." + std::to_string(i));
  }
  return out;
}

void BM_SubjectTreeInsert(benchmark::State& state) {
  const auto subjects = AccountSubjects(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    SubjectTree<int> st;
    int i = 0;
    for (const auto& s : subjects) st.Insert(s, i++);
    benchmark::DoNotOptimize(st.Size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(subjects.size()));
}
BENCHMARK(BM_SubjectTreeInsert)->Arg(10'000)->Arg(250'000)->Unit(benchmark::kMillisecond);

void BM_SubjectTreeFind(benchmark::State& state) {
  const auto subjects = AccountSubjects(static_cast<std::size_t>(state.range(0)));
  SubjectTree<int> st;
  int i = 0;
  for (const auto& s : subjects) st.Insert(s, i++);
  std::size_t k = 0;
  for (auto _ : state) {
    auto [v, found] = st.Find(subjects[k]);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(found);
    if (++k == subjects.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubjectTreeFind)->Arg(10'000)->Arg(250'000);

void BM_SubjectTreeInsertDelete(benchmark::State& state) {
  const auto subjects = AccountSubjects(10'000);
  SubjectTree<int> st;
  for (const auto& s : subjects) st.Insert(s, 1);
  std::size_t k = 0;
  for (auto _ : state) {
    st.Delete(subjects[k]);
    st.Insert(subjects[k], 2);
    if (++k == subjects.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubjectTreeInsertDelete);

// Filters of TestSubjectTreeMatchAllPerf over 100,000 subjects; the time is
// per Match call, items are matched entries.
void BM_SubjectTreeMatch(benchmark::State& state) {
  static const char* const kFilters[] = {">", "subj.>", "subj.*.*", "*.*.*", "subj.1.*", "subj.1.>", "subj.*.1", "*.*.1"};
  const std::string_view filter = kFilters[state.range(0)];
  state.SetLabel(std::string(filter));
  SubjectTree<int> st;
  for (const auto& s : RandomSubjects(100'000)) st.Insert(s, 22);
  std::int64_t matched = 0;
  for (auto _ : state) {
    st.Match(filter, [&](std::string_view, int*) { ++matched; });
  }
  state.SetItemsProcessed(matched);
}
BENCHMARK(BM_SubjectTreeMatch)->DenseRange(0, 7)->Unit(benchmark::kMicrosecond);

// A literal filter: the cost of one Match that reaches a single entry.
void BM_SubjectTreeMatchLiteral(benchmark::State& state) {
  const auto subjects = AccountSubjects(10'000);
  SubjectTree<int> st;
  for (const auto& s : subjects) st.Insert(s, 1);
  std::size_t k = 0;
  for (auto _ : state) {
    int n = 0;
    st.Match(subjects[k], [&](std::string_view, int*) { ++n; });
    benchmark::DoNotOptimize(n);
    if (++k == subjects.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubjectTreeMatchLiteral);

void BM_SubjectTreeIterOrdered(benchmark::State& state) {
  SubjectTree<int> st;
  for (const auto& s : RandomSubjects(100'000)) st.Insert(s, 22);
  std::int64_t count = 0;
  for (auto _ : state) {
    st.IterOrdered([&](std::string_view, int*) {
      ++count;
      return true;
    });
  }
  state.SetItemsProcessed(count);
}
BENCHMARK(BM_SubjectTreeIterOrdered)->Unit(benchmark::kMillisecond);

void BM_SubjectTreeIterFast(benchmark::State& state) {
  SubjectTree<int> st;
  for (const auto& s : RandomSubjects(100'000)) st.Insert(s, 22);
  std::int64_t count = 0;
  for (auto _ : state) {
    st.IterFast([&](std::string_view, int*) {
      ++count;
      return true;
    });
  }
  state.SetItemsProcessed(count);
}
BENCHMARK(BM_SubjectTreeIterFast)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
