// Parity: our FileStore, opened read-only on stores the Go server wrote,
// must report what the server reported for them (expect.json): the stream
// state, every message, every consumer's recovered state; and reading must
// leave the directory exactly as it was.
#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden_store.h"
#include "jsstore/consumer_view.h"
#include "jsstore/json_views.h"
#include "jsstore/store_open.h"
#include "parity_sets.h"
#include "tree_snapshot.h"

namespace natscpp::parity {

void PrintTo(const SetRef& s, std::ostream* os) { *os << s.label; }

namespace {

using nlohmann::json;
using store::testing::GoldenSetDir;
using store::testing::GoldenStore;

// Our views are ordered_json; expect.json compares as plain json.
json Plain(const jsstore::Json& j) { return json::parse(jsstore::DumpJson(j)); }

// Where two JSON values differ, one line per difference (capped), so a
// failure names the exact field, expected and got.
void DiffJson(const std::string& path, const json& got, const json& want, std::vector<std::string>& out) {
  constexpr size_t kMax = 20;
  if (out.size() >= kMax || got == want) return;
  if (got.is_object() && want.is_object()) {
    for (const auto& [k, v] : want.items()) {
      if (!got.contains(k)) {
        out.push_back(path + "." + k + ": missing, expected " + v.dump());
      } else {
        DiffJson(path + "." + k, got[k], v, out);
      }
    }
    for (const auto& [k, v] : got.items()) {
      if (!want.contains(k)) out.push_back(path + "." + k + ": unexpected " + v.dump());
    }
    return;
  }
  if (got.is_array() && want.is_array()) {
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      DiffJson(path + "[" + std::to_string(i) + "]", got[i], want[i], out);
    }
    if (got.size() != want.size()) {
      out.push_back(path + ": " + std::to_string(got.size()) + " elements, expected " + std::to_string(want.size()));
    }
    return;
  }
  out.push_back(path + ": got " + got.dump() + ", expected " + want.dump());
}

std::string Diff(const std::string& path, const json& got, const json& want) {
  std::vector<std::string> lines;
  DiffJson(path, got, want, lines);
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// An extracted set with its store open read-only.
struct OpenSet {
  std::unique_ptr<GoldenStore> golden;
  std::unique_ptr<store::FileStore> fs;
};

jsstore::StoreSettings SettingsFor(const GoldenStore& g) {
  jsstore::StoreSettings s;
  s.stream_dir = g.stream_dir();
  const json& enc = g.expect()["encryption"];
  if (enc.is_object()) {
    s.key = enc["key"].get<std::string>();
    s.cipher = enc["cipher"].get<std::string>();
  }
  return s;  // account: from the path, as the tool defaults
}

// Extracts and opens; on failure records why and returns no store.
OpenSet Open(const SetRef& set) {
  OpenSet o;
  o.golden = std::make_unique<GoldenStore>(GoldenSetDir{set.dir});
  EXPECT_TRUE(o.golden->ok()) << set.label << ": cannot extract store.tar.zst or read expect.json";
  if (!o.golden->ok()) return o;
  auto fs = jsstore::OpenStore(SettingsFor(*o.golden));
  EXPECT_TRUE(fs.has_value()) << set.label << ": open failed: " << (fs ? "" : fs.error().message());
  if (fs) o.fs = std::move(*fs);
  return o;
}

void CompareState(const SetRef& set, store::FileStore& fs, const json& expect) {
  const json got = Plain(jsstore::StreamStateView(fs));
  const json& want = expect["state"];
  for (const char* f : {"messages", "bytes", "first_seq", "first_ts", "last_seq", "last_ts", "num_subjects",
                        "subjects", "num_deleted", "deleted", "lost", "consumer_count"}) {
    const std::string field = std::string("state.") + f;
    if (Tolerated(set.label, field)) continue;
    const json g = got.contains(f) ? got[f] : json();
    const json w = want.contains(f) ? want[f] : json();
    EXPECT_TRUE(g == w) << set.label << ": " << field << " differs:\n" << Diff(field, g, w);
  }
  for (const auto& [k, v] : got.items()) {
    EXPECT_TRUE(want.contains(k)) << set.label << ": state has extra field " << k << " = " << v.dump();
  }
}

// expect.json writes "" for absent hdrs/data; Go's StoredMsg omits them.
json MsgFields(const json& m) {
  json n = json::object();
  for (const char* k : {"subject", "seq", "time"}) n[k] = m.contains(k) ? m[k] : json();
  for (const char* k : {"hdrs", "data"}) n[k] = m.contains(k) ? m[k] : json("");
  return n;
}

void CompareMessages(const SetRef& set, store::FileStore& fs, const json& expect) {
  std::map<uint64_t, json> want;
  std::vector<uint64_t> want_seqs;
  for (const json& m : expect["messages"]) {
    want_seqs.push_back(m["seq"].get<uint64_t>());
    want[m["seq"].get<uint64_t>()] = MsgFields(m);
  }
  std::vector<uint64_t> got_seqs;
  size_t differing = 0;
  std::string report;
  auto walked = jsstore::WalkMessages(fs, "", 0, [&](const store::StoreMsg& sm) {
    got_seqs.push_back(sm.seq);
    auto it = want.find(sm.seq);
    if (it == want.end() || Tolerated(set.label, "message")) return true;
    const json got = MsgFields(Plain(jsstore::StoredMsgJson(sm)));
    if (got != it->second && ++differing <= 10) report += Diff("message[seq " + std::to_string(sm.seq) + "]", got, it->second);
    return true;
  });
  ASSERT_TRUE(walked.has_value()) << set.label << ": walk failed after seq "
                                  << (got_seqs.empty() ? 0 : got_seqs.back()) << ": " << walked.error().message();
  EXPECT_EQ(differing, 0u) << set.label << ": " << differing << " messages differ:\n" << report;
  if (got_seqs != want_seqs && !Tolerated(set.label, "message.seqs")) {
    std::vector<uint64_t> missing, extra;
    std::set_difference(want_seqs.begin(), want_seqs.end(), got_seqs.begin(), got_seqs.end(),
                        std::back_inserter(missing));
    std::set_difference(got_seqs.begin(), got_seqs.end(), want_seqs.begin(), want_seqs.end(),
                        std::back_inserter(extra));
    auto head = [](const std::vector<uint64_t>& v) {
      std::string s;
      for (size_t i = 0; i < v.size() && i < 20; ++i) s += std::to_string(v[i]) + " ";
      return s + (v.size() > 20 ? "..." : "");
    };
    ADD_FAILURE() << set.label << ": sequence list differs: got " << got_seqs.size() << ", expected "
                  << want_seqs.size() << "; missing (" << missing.size() << "): " << head(missing) << "; extra ("
                  << extra.size() << "): " << head(extra);
  }
}

void CompareConsumers(const SetRef& set, store::FileStore& fs, const json& expect) {
  std::vector<std::string> want_names;
  for (const json& c : expect["consumers"]) want_names.push_back(c["name"].get<std::string>());
  std::sort(want_names.begin(), want_names.end());
  EXPECT_EQ(fs.ConsumerNames(), want_names) << set.label;
  for (const json& want : expect["consumers"]) {
    const std::string name = want["name"].get<std::string>();
    auto c = fs.LoadConsumer(name);
    ASSERT_TRUE(c.has_value()) << set.label << ": consumer " << name << ": " << c.error().message();
    auto view = jsstore::ConsumerJson(fs, *c);
    ASSERT_TRUE(view.has_value()) << set.label << ": consumer " << name << ": " << view.error().message();
    const json got = Plain(*view);
    for (const char* f : {"name", "delivered", "ack_floor", "num_ack_pending", "num_redelivered", "num_pending"}) {
      const std::string field = std::string("consumer.") + f;
      if (Tolerated(set.label, field)) continue;
      if (std::string_view(f) == "num_pending" && !got.contains(f)) continue;  // not derivable offline
      EXPECT_TRUE(got.value(f, json()) == want.value(f, json()))
          << set.label << ": consumer " << name << " " << f << ":\n" << Diff(field, got.value(f, json()), want.value(f, json()));
    }
  }
}

// The responding server adds its own version and API level to every config
// it reports (jetstream_versioning.go, setDynamicStreamMetadata); they are
// not stored, so they are not part of the comparison.
json WithoutDynamicMetadata(json cfg) {
  if (cfg.contains("metadata") && cfg["metadata"].is_object()) {
    cfg["metadata"].erase("_nats.ver");
    cfg["metadata"].erase("_nats.level");
    if (cfg["metadata"].empty()) cfg.erase("metadata");
  }
  return cfg;
}

void CompareConfigJson(const SetRef& set, const std::string& prefix, const json& got_cfg, const json& want_cfg) {
  const json got = WithoutDynamicMetadata(got_cfg);
  const json want = WithoutDynamicMetadata(want_cfg);
  for (const auto& [k, w] : want.items()) {
    if (Tolerated(set.label, prefix + k)) continue;
    const json g = got.contains(k) ? got[k] : json();
    EXPECT_TRUE(g == w) << set.label << ": " << prefix << k << ":\n" << Diff(prefix + k, g, w);
  }
  for (const auto& [k, g] : got.items()) {
    if (!want.contains(k) && !Tolerated(set.label, prefix + k)) {
      ADD_FAILURE() << set.label << ": " << prefix << k << " = " << g.dump() << " not in expect.json";
    }
  }
}

void CompareConfigs(const SetRef& set, store::FileStore& fs, const json& expect) {
  auto cfg = jsstore::StreamConfigJson(fs.Info().config);
  ASSERT_TRUE(cfg.has_value()) << set.label << ": " << cfg.error().message();
  CompareConfigJson(set, "config.", Plain(*cfg), expect["config"]);
  for (const json& want : expect["consumers"]) {
    auto c = fs.LoadConsumer(want["name"].get<std::string>());
    ASSERT_TRUE(c.has_value()) << set.label << ": " << c.error().message();
    auto ccfg = jsstore::ConsumerConfigJson(c->config);
    ASSERT_TRUE(ccfg.has_value()) << set.label << ": " << ccfg.error().message();
    CompareConfigJson(set, "consumer.config.", Plain(*ccfg), want["config"]);
  }
}

// Reads everything a tool would and checks the tree did not change.
void CheckReadOnly(const SetRef& set) {
  GoldenStore g{GoldenSetDir{set.dir}};
  ASSERT_TRUE(g.ok()) << set.label;
  const TreeSnapshot before = SnapshotTree(g.root());
  {
    auto fs = jsstore::OpenStore(SettingsFor(g));
    ASSERT_TRUE(fs.has_value()) << set.label << ": " << fs.error().message();
    store::FileStore& s = **fs;
    (void)jsstore::StreamStateView(s);
    store::StreamState fast;
    s.FastState(&fast);
    (void)s.FilteredState(0, "");
    store::StoreMsg last;
    auto loaded = s.LoadLastMsg("", &last);
    EXPECT_EQ(loaded.has_value(), fast.msgs > 0) << set.label;
    size_t n = 0;
    auto walked = jsstore::WalkMessages(s, "", 0, [&](const store::StoreMsg&) { return ++n > 0; });
    EXPECT_TRUE(walked.has_value()) << set.label;
    EXPECT_EQ(n, fast.msgs) << set.label;
    for (const std::string& name : s.ConsumerNames()) {
      auto c = s.LoadConsumer(name);
      if (c) (void)jsstore::ConsumerJson(s, *c);
    }
  }
  const std::string diff = DiffTrees(before, SnapshotTree(g.root()));
  EXPECT_TRUE(diff.empty()) << set.label << ": opening read-only changed the tree:\n" << diff;
}

void CompareAll(const SetRef& set) {
  OpenSet o = Open(set);
  if (!o.fs) return;
  const json& expect = o.golden->expect();
  CompareState(set, *o.fs, expect);
  CompareMessages(set, *o.fs, expect);
  CompareConsumers(set, *o.fs, expect);
  CompareConfigs(set, *o.fs, expect);
}

class ParityCompare : public ::testing::TestWithParam<SetRef> {};

TEST_P(ParityCompare, State) {
  OpenSet o = Open(GetParam());
  ASSERT_TRUE(o.fs);
  CompareState(GetParam(), *o.fs, o.golden->expect());
}

TEST_P(ParityCompare, Messages) {
  OpenSet o = Open(GetParam());
  ASSERT_TRUE(o.fs);
  CompareMessages(GetParam(), *o.fs, o.golden->expect());
}

TEST_P(ParityCompare, Consumers) {
  OpenSet o = Open(GetParam());
  ASSERT_TRUE(o.fs);
  CompareConsumers(GetParam(), *o.fs, o.golden->expect());
}

TEST_P(ParityCompare, Config) {
  OpenSet o = Open(GetParam());
  ASSERT_TRUE(o.fs);
  CompareConfigs(GetParam(), *o.fs, o.golden->expect());
}

TEST_P(ParityCompare, ReadOnlyLeavesTreeUnchanged) { CheckReadOnly(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Sets, ParityCompare, ::testing::ValuesIn(CommittedSets()),
                         [](const ::testing::TestParamInfo<SetRef>& p) { return p.param.label; });
// With neither golden/ nor ../shared holding sets there is nothing to
// instantiate; ParitySources says so.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ParityCompare);

TEST(ParitySources, Shared) {
  if (!std::filesystem::exists(SharedRoot())) GTEST_SKIP() << "skipped: ../shared not present";
  const auto sets = SetsUnder(SharedRoot(), "Shared");
  EXPECT_FALSE(sets.empty()) << SharedRoot() << " holds no sets";
  for (const SetRef& s : sets) EXPECT_TRUE(std::filesystem::exists(s.dir / "expect.json")) << s.label;
}

TEST(ParitySources, Golden) {
  const auto sets = SetsUnder(GoldenRoot(), "Golden");
  if (sets.empty()) GTEST_SKIP() << "skipped: golden/ has no sets yet";
  for (const SetRef& s : sets) EXPECT_TRUE(std::filesystem::exists(s.dir / "expect.json")) << s.label;
}

// Sets a generator run just wrote ($NATSCPP_PARITY_LIVE_DIR); discovered at
// run time, so one test walks them all and names each failing set.
TEST(ParityLive, AllSets) {
  const auto root = LiveRoot();
  if (root.empty()) GTEST_SKIP() << "skipped: NATSCPP_PARITY_LIVE_DIR not set";
  const auto sets = SetsUnder(root, "Live");
  ASSERT_FALSE(sets.empty()) << root << " holds no sets";
  for (const SetRef& s : sets) {
    SCOPED_TRACE(s.label);
    CompareAll(s);
    CheckReadOnly(s);
  }
}

}  // namespace
}  // namespace natscpp::parity
