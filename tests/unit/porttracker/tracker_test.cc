// Tests of the tracker's records, status rules, gate and reports, through
// the library and through the porttracker binary.
#include "tracker.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gate.h"
#include "operations.h"
#include "proposal.h"
#include "report.h"
#include "test_tree.h"
#include "util.h"

namespace natscpp::porttracker {
namespace {

namespace fs = std::filesystem;
using testing::TestTree;
using testing::WriteSampleGo;

const std::string kPut = "server/store.go:(*store).Put";
const std::string kLen = "server/store.go:(*store).Len";
const std::string kNew = "server/store.go:newStore";
const std::string kTestPut = "server/store_test.go:TestStorePut";

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteSampleGo(tree_);
    tree_.TagGo("v1.0.0");
    tree_.Import("v1.0.0");
    tree_.Write("src/store/store.cc",
                "// go: server/store.go:(*store).Put\n"
                "Status Store::Put(std::span<const uint8_t> b) {\n"
                "  n_ += b.size();\n"
                "  return Status::Ok();\n"
                "}\n"
                "// go: server/store.go:(*store).Len\n"
                "int Store::Len() const { return false; }\n");
    tree_.Write("tests/store_test.cc",
                "TEST(Store, TestStorePut) {\n"
                "  Store s;\n"
                "  s.Put({});\n"
                "  EXPECT_EQ(s.Len(), 1);\n"
                "}\n");
  }

  Tracker Open() { return Tracker(tree_.root(), {}); }
  Config Cfg() { return LoadConfig(tree_.root()); }

  void Update(const std::string& kind, std::vector<std::string> ids, const std::string& status,
              std::vector<fs::path> files = {}, const std::string& reason = "") {
    Tracker t = Open();
    UpdateStatus(t, Cfg(), StatusUpdate{kind, std::move(ids), status, "read Go lines; built; ran tests",
                                        std::move(files), reason});
  }

  fs::path Junit(bool pass) {
    const std::string xml = std::string("<testsuite name=\"t\"><testcase name=\"Store.TestStorePut\" status=\"run\">") +
                            (pass ? "" : "<failure message=\"boom\"/>") + "</testcase></testsuite>\n";
    tree_.Write("fake-junit.xml", xml);
    return tree_.root() / "fake-junit.xml";
  }

  std::string Refusal(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const TrackerError& e) {
      return e.what();
    }
    return "";
  }

  TestTree tree_;
};

TEST_F(TrackerTest, DatabaseIsBuiltFromTheTextAndRebuiltWhenTheTextChanges) {
  {
    Tracker t = Open();
    EXPECT_EQ(t.Items().size(), 9u);
    EXPECT_TRUE(fs::exists(tree_.root() / ".porttracker" / "tracker.db"));
  }
  // An edit to the text (e.g. from git pull) reaches the next command.
  std::string items = tree_.Read("tracker/items.jsonl");
  const std::string needle = "\"reason\":\"outside the store milestone\"";
  const size_t pos = items.find(needle);
  ASSERT_NE(pos, std::string::npos);
  items.replace(pos, needle.size(), "\"reason\":\"edited by hand in git\"");
  tree_.Write("tracker/items.jsonl", items);
  Tracker t = Open();
  EXPECT_EQ(t.Find("server/other.go:unrelated")->reason, "edited by hand in git");
}

TEST_F(TrackerTest, DbOverrideAndDeletedDatabaseAreRebuilt) {
  const fs::path db = tree_.root() / "elsewhere" / "x.db";
  {
    Tracker t(tree_.root(), db);
    EXPECT_EQ(t.Items().size(), 9u);
  }
  EXPECT_TRUE(fs::exists(db));
  fs::remove(db);
  Tracker t(tree_.root(), db);
  EXPECT_EQ(t.Items().size(), 9u);
}

TEST_F(TrackerTest, MalformedInventoryIsAClearErrorAndChangesNothing) {
  const std::string good = tree_.Read("tracker/items.jsonl");
  tree_.Write("tracker/items.jsonl", good + "{\"id\": \"broken\"\n");
  const std::string msg = Refusal([&] { Open(); });
  EXPECT_NE(msg.find("items.jsonl:10"), std::string::npos) << msg;
  fs::remove(tree_.root() / "tracker" / "meta.json");
  EXPECT_NE(Refusal([&] { Open(); }).find("meta.json"), std::string::npos);
}

TEST_F(TrackerTest, UpdatesWriteThroughToTheText) {
  {
    Tracker t = Open();
    MapFeature(t, kPut, "natscpp::store::Store::Put", "src/store/store.cc");
  }
  Update("feature", {kPut}, "stub");
  const std::string items = tree_.Read("tracker/items.jsonl");
  EXPECT_NE(items.find("\"cpp_symbol\":\"natscpp::store::Store::Put\""), std::string::npos);
  const std::string history = tree_.Read("tracker/history.jsonl");
  EXPECT_NE(history.find("\"to\":\"stub\""), std::string::npos);
  // A fresh database from the text sees the same.
  fs::remove_all(tree_.root() / ".porttracker");
  Tracker t = Open();
  EXPECT_EQ(t.Find(kPut)->status, "stub");
  ASSERT_EQ(t.History(kPut).size(), 1u);
  EXPECT_EQ(t.History(kPut)[0].evidence, "read Go lines; built; ran tests");
}

TEST_F(TrackerTest, ReadOnlyCommandsLeaveTrackedFilesAlone) {
  const std::string before = tree_.Read("tracker/items.jsonl") + tree_.Read("tracker/history.jsonl");
  Tracker t = Open();
  t.Items();
  RenderSummary(t);
  RenderBatchesMarkdown(t);
  StubScan(t, Cfg());
  ScanMarkers(t, Cfg(), false);
  EXPECT_EQ(tree_.Read("tracker/items.jsonl") + tree_.Read("tracker/history.jsonl"), before);
}

TEST_F(TrackerTest, RefusesMoreThanFifteenIds) {
  std::vector<std::string> ids(16, kPut);
  const std::string msg = Refusal([&] { Update("feature", ids, "stub"); });
  EXPECT_NE(msg.find("at most 15"), std::string::npos) << msg;
}

TEST_F(TrackerTest, RefusesMissingEvidence) {
  Tracker t = Open();
  const std::string msg = Refusal([&] { UpdateStatus(t, Cfg(), StatusUpdate{"feature", {kPut}, "stub", "  ", {}, ""}); });
  EXPECT_NE(msg.find("evidence"), std::string::npos) << msg;
  EXPECT_EQ(Open().Find(kPut)->status, "deferred");
}

TEST_F(TrackerTest, RefusesSkippedSteps) {
  {
    Tracker t = Open();
    MapFeature(t, kPut, "Store::Put", "src/store/store.cc");
  }
  std::string msg = Refusal([&] { Update("feature", {kPut}, "complete"); });
  EXPECT_NE(msg.find("skips a step"), std::string::npos) << msg;
  msg = Refusal([&] { Update("test", {kTestPut}, "verified", {Junit(true)}); });
  EXPECT_NE(msg.find("skips a step"), std::string::npos) << msg;
}

TEST_F(TrackerTest, RefusesUnknownIdsAndWrongKinds) {
  std::string msg = Refusal([&] { Update("feature", {"server/nope.go:x"}, "stub"); });
  EXPECT_NE(msg.find("unknown ID"), std::string::npos) << msg;
  msg = Refusal([&] { Update("feature", {kTestPut}, "stub"); });
  EXPECT_NE(msg.find("is a test"), std::string::npos) << msg;
  msg = Refusal([&] { Update("test", {kTestPut}, "complete"); });
  EXPECT_NE(msg.find("not a test status"), std::string::npos) << msg;
}

TEST_F(TrackerTest, OneBadIdRefusesTheWholeUpdate) {
  const std::string msg = Refusal([&] { Update("feature", {kNew, "server/nope.go:x"}, "stub"); });
  EXPECT_FALSE(msg.empty());
  EXPECT_EQ(Open().Find(kNew)->status, "deferred");
}

TEST_F(TrackerTest, RefusesCompleteWithoutASymbolOrWithAStub) {
  Update("feature", {kPut, kLen, kNew}, "stub");
  // Not mapped.
  std::string msg = Refusal([&] { Update("feature", {kNew}, "complete"); });
  EXPECT_NE(msg.find("not mapped"), std::string::npos) << msg;
  // Mapped to a symbol that does not exist.
  {
    Tracker t = Open();
    MapFeature(t, kNew, "Store::Missing", "src/store/store.cc");
  }
  msg = Refusal([&] { Update("feature", {kNew}, "complete"); });
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
  // Mapped to a placeholder (Len returns a constant).
  {
    Tracker t = Open();
    MapFeature(t, kLen, "Store::Len", "src/store/store.cc");
  }
  msg = Refusal([&] { Update("feature", {kLen}, "complete"); });
  EXPECT_NE(msg.find("constant placeholder"), std::string::npos) << msg;
  // A real port passes.
  {
    Tracker t = Open();
    MapFeature(t, kPut, "Store::Put", "src/store/store.cc");
  }
  Update("feature", {kPut}, "complete");
  EXPECT_EQ(Open().Find(kPut)->status, "complete");
}

TEST_F(TrackerTest, VerifyingATestNeedsPassingJunitEvidence) {
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {}, false);
    EXPECT_EQ(t.Find(kTestPut)->cpp_file, "tests/store_test.cc");
  }
  Update("test", {kTestPut}, "stub");
  std::string msg = Refusal([&] { Update("test", {kTestPut}, "verified"); });
  EXPECT_NE(msg.find("JUnit"), std::string::npos) << msg;
  msg = Refusal([&] { Update("test", {kTestPut}, "verified", {Junit(false)}); });
  EXPECT_NE(msg.find("did not pass"), std::string::npos) << msg;
  Update("test", {kTestPut}, "verified", {Junit(true)});
  EXPECT_EQ(Open().Find(kTestPut)->status, "verified");
}

TEST_F(TrackerTest, FeatureVerifiedByItsOwnGoogleTests) {
  {
    Tracker t = Open();
    MapFeature(t, kPut, "Store::Put", "src/store/store.cc", {"Store.PutDirect"}, true);
    EXPECT_EQ(t.Find(kPut)->gtests, (std::vector<std::string>{"Store.PutDirect"}));
    EXPECT_THROW(MapFeature(t, kPut, "Store::Put", "src/store/store.cc", {"bad name"}, true), TrackerError);
  }
  Update("feature", {kPut}, "stub");
  Update("feature", {kPut}, "complete");
  // Its test must be in passing JUnit evidence.
  std::string msg = Refusal([&] { Update("feature", {kPut}, "verified"); });
  EXPECT_NE(msg.find("Store.PutDirect is not in the JUnit evidence"), std::string::npos) << msg;
  tree_.Write("own.xml", "<testsuite><testcase name=\"Store.PutDirect\" status=\"run\"><failure/></testcase></testsuite>");
  msg = Refusal([&] { Update("feature", {kPut}, "verified", {tree_.root() / "own.xml"}); });
  EXPECT_NE(msg.find("did not pass"), std::string::npos) << msg;
  tree_.Write("own.xml", "<testsuite><testcase name=\"Store.PutDirect\" status=\"run\"/></testsuite>");
  // A mapped Go test covering Put must be verified first.
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {kPut}, true);
  }
  msg = Refusal([&] { Update("feature", {kPut}, "verified", {tree_.root() / "own.xml"}); });
  EXPECT_NE(msg.find("covering test " + kTestPut), std::string::npos) << msg;
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {kLen}, true);
  }
  Update("feature", {kPut}, "verified", {tree_.root() / "own.xml"});
  EXPECT_EQ(Open().Find(kPut)->status, "verified");
}

TEST_F(TrackerTest, DeferringNeedsAConcreteReason) {
  std::string msg = Refusal([&] { Update("feature", {kNew}, "deferred"); });
  EXPECT_NE(msg.find("reason"), std::string::npos) << msg;
  Update("feature", {kNew}, "stub");
  Update("feature", {kNew}, "deferred", {}, "needs the executor from B09");
  EXPECT_EQ(Open().Find(kNew)->reason, "needs the executor from B09");
  // The default reason can be replaced by a concrete one directly, once.
  Update("feature", {kLen}, "deferred", {}, "Go-only helper");
  EXPECT_EQ(Open().Find(kLen)->reason, "Go-only helper");
  EXPECT_NE(Refusal([&] { Update("feature", {kLen}, "deferred", {}, "Go-only helper"); }).find("already"),
            std::string::npos);
}

TEST_F(TrackerTest, SqlMetacharactersAreData) {
  const std::string evil = "x'); DROP TABLE items; --";
  Tracker t = Open();
  UpdateStatus(t, Cfg(), StatusUpdate{"feature", {kNew}, "stub", evil, {}, ""});
  EXPECT_EQ(t.History(kNew).back().evidence, evil);
  EXPECT_FALSE(Refusal([&] { Update("feature", {"server/a.go:x' OR '1'='1"}, "stub"); }).empty());
  EXPECT_EQ(Open().Items().size(), 9u);
}

TEST_F(TrackerTest, MapTestValidatesCovers) {
  Tracker t = Open();
  EXPECT_THROW(MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {"server/nope.go:x"}, true), TrackerError);
  EXPECT_THROW(MapTest(t, Cfg(), kTestPut, "not a name", {}, false), TrackerError);
  MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {kPut}, true);
  EXPECT_EQ(t.Find(kTestPut)->covers, (std::vector<std::string>{kPut}));
  EXPECT_TRUE(t.Find(kTestPut)->covers_manual);
}

TEST_F(TrackerTest, StubScanAttributesFindingsToMappedItems) {
  Tracker t = Open();
  auto findings = StubScan(t, Cfg());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].go_id, kLen);
  EXPECT_EQ(findings[0].file, "src/store/store.cc");
  EXPECT_EQ(findings[0].line, 6);
  // A test that skips without a tracker reason is flagged once mapped.
  tree_.Write("tests/skip_test.cc", "TEST(Store, TestStoreSkip) { GTEST_SKIP(); EXPECT_TRUE(true); }\n");
  MapTest(t, Cfg(), kTestPut, "Store.TestStoreSkip", {}, false);
  findings = StubScan(t, Cfg());
  bool flagged = false;
  for (const Finding& f : findings) flagged |= f.go_id == kTestPut && f.what.find("GTEST_SKIP") != std::string::npos;
  EXPECT_TRUE(flagged);
}

TEST_F(TrackerTest, ScanMarkersProposesAndApplies) {
  Tracker t = Open();
  auto props = ScanMarkers(t, Cfg(), false);
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0].go_id, kPut);
  EXPECT_EQ(props[0].cpp_symbol, "Store::Put");
  EXPECT_EQ(props[0].note, "new");
  ScanMarkers(t, Cfg(), true);
  EXPECT_EQ(t.Find(kPut)->cpp_file, "src/store/store.cc");
  EXPECT_EQ(ScanMarkers(t, Cfg(), false)[0].note, "same");
}

TEST_F(TrackerTest, ScanTestsMapsGoogleTestsNamedAfterGoTests) {
  Tracker t = Open();
  auto props = ScanTests(t, Cfg(), false);
  ASSERT_EQ(props.size(), 1u);
  EXPECT_EQ(props[0].go_id, kTestPut);
  EXPECT_EQ(props[0].cpp_symbol, "Store.TestStorePut");
  EXPECT_EQ(props[0].note, "new");
  ScanTests(t, Cfg(), true);
  EXPECT_EQ(t.Find(kTestPut)->gtest, "Store.TestStorePut");
  EXPECT_EQ(t.Find(kTestPut)->cpp_file, "tests/store_test.cc");
  EXPECT_EQ(ScanTests(t, Cfg(), false)[0].note, "same");
}

class GateTest : public TrackerTest {
 protected:
  // Ports B01's only item (sub.Split) for real, verified by its test.
  void PortB01() {
    tree_.Write("src/sub/split.cc",
                "// go: server/sub/sub.go:Split\n"
                "std::vector<std::string> Split(std::string_view s) {\n"
                "  return Tokens(s);\n"
                "}\n");
    tree_.Write("build/CMakeCache.txt", "");  // where the gate's JUnit file goes
    tree_.Write("tests/split_test.cc", "TEST(Sub, Split) { EXPECT_EQ(Split(\"a.b\").size(), 2u); }\n");
    Tracker t = Open();
    MapFeature(t, "server/sub/sub.go:Split", "Split", "src/sub/split.cc");
  }
};

TEST_F(GateTest, IncompleteItemsAndDependenciesFailTheGate) {
  Tracker t = Open();
  GateResult r = CompleteBatch(t, Cfg(), "B02");
  EXPECT_FALSE(r.passed);
  bool dep = false, item = false;
  for (const std::string& f : r.failures) {
    dep |= f.find("dependency B01") != std::string::npos;
    item |= f.find(kPut + ": deferred with the import's default reason") != std::string::npos;
  }
  EXPECT_TRUE(dep);
  EXPECT_TRUE(item);
  EXPECT_FALSE(Open().FindBatch("B02")->completed);
}

TEST_F(GateTest, DefaultReasonDoesNotCountButOutsideBatchesComplete) {
  Tracker t = Open();
  EXPECT_FALSE(CompleteBatch(t, Cfg(), "B01").passed);
  const GateResult outside = CompleteBatch(t, Cfg(), "B09");
  EXPECT_TRUE(outside.passed) << (outside.failures.empty() ? "" : outside.failures[0]);
}

TEST_F(GateTest, VerifiedBatchPassesWhenItsTestsPass) {
  PortB01();
  // A test for sub.Split does not exist in Go: the feature is verified by
  // the Go test that covers it, here TestStorePut re-pointed by hand.
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Sub.Split", {"server/sub/sub.go:Split"}, true);
  }
  tree_.Write("fake-junit.xml",
              "<testsuite><testcase name=\"Sub.Split\" status=\"run\"/></testsuite>\n");
  Update("test", {kTestPut}, "stub");
  Update("test", {kTestPut}, "verified", {tree_.root() / "fake-junit.xml"});
  Update("feature", {"server/sub/sub.go:Split"}, "stub");
  Update("feature", {"server/sub/sub.go:Split"}, "complete");
  Update("feature", {"server/sub/sub.go:Split"}, "verified");
  Tracker t = Open();
  const GateResult r = CompleteBatch(t, Cfg(), "B01");
  EXPECT_TRUE(r.passed) << (r.failures.empty() ? "" : r.failures[0]);
  EXPECT_TRUE(Open().FindBatch("B01")->completed);
}

TEST_F(GateTest, FailingBuildOrTestsFailTheGate) {
  PortB01();
  Update("feature", {"server/sub/sub.go:Split"}, "stub");
  Update("feature", {"server/sub/sub.go:Split"}, "deferred", {}, "waiting for the tokenizer");
  tree_.Write("tracker/config.json", std::string(R"({"scan_paths": ["src", "tests"], "build_command": ["false"],)") +
                                         R"("ctest_command": ["true"], "batch_rules": [{"pattern": "*", "batch": "B09"}]})");
  Tracker t = Open();
  GateResult r = CompleteBatch(t, Cfg(), "B01");
  EXPECT_FALSE(r.passed);
  ASSERT_FALSE(r.failures.empty());
  EXPECT_NE(r.failures[0].find("build: failed"), std::string::npos);
}

TEST_F(GateTest, FailingMappedTestFailsTheGate) {
  PortB01();
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Sub.Split", {"server/sub/sub.go:Split"}, true);
  }
  tree_.Write("fake-junit.xml", "<testsuite><testcase name=\"Sub.Split\" status=\"run\"/></testsuite>\n");
  Update("test", {kTestPut}, "stub");
  Update("test", {kTestPut}, "verified", {tree_.root() / "fake-junit.xml"});
  Update("feature", {"server/sub/sub.go:Split"}, "stub");
  Update("feature", {"server/sub/sub.go:Split"}, "complete");
  Update("feature", {"server/sub/sub.go:Split"}, "verified");
  // The test was moved to B01 by hand for this case; now it fails.
  {
    Tracker t = Open();
    t.Apply([](Tracker::Change& c) { c.FindItem(kTestPut)->batch = "B01"; });
  }
  tree_.Write("fake-junit.xml",
              "<testsuite><testcase name=\"Sub.Split\" status=\"run\"><failure message=\"x\"/></testcase></testsuite>\n");
  Tracker t = Open();
  const GateResult r = CompleteBatch(t, Cfg(), "B01");
  EXPECT_FALSE(r.passed);
  bool failed = false;
  for (const std::string& f : r.failures) failed |= f == kTestPut + ": Sub.Split failed";
  EXPECT_TRUE(failed) << ::testing::PrintToString(r.failures);
}

TEST_F(GateTest, StubInABatchItemFailsTheGate) {
  PortB01();
  Update("feature", {"server/sub/sub.go:Split"}, "stub");
  Update("feature", {"server/sub/sub.go:Split"}, "deferred", {}, "tokenizer not ready");
  // The deferred item's body turns into a placeholder: still flagged.
  tree_.Write("src/sub/split.cc",
              "// go: server/sub/sub.go:Split\n"
              "std::vector<std::string> Split(std::string_view s) { return {}; }\n");
  Tracker t = Open();
  const GateResult r = CompleteBatch(t, Cfg(), "B01");
  EXPECT_FALSE(r.passed);
  bool flagged = false;
  for (const std::string& f : r.failures) flagged |= f.find("stub scan") != std::string::npos;
  EXPECT_TRUE(flagged);
}

TEST_F(TrackerTest, BatchesMarkdownIsDeterministicAndListsEveryBatch) {
  Tracker t = Open();
  const std::string a = RenderBatchesMarkdown(t);
  const std::string b = RenderBatchesMarkdown(t);
  EXPECT_EQ(a, b);
  for (const char* id : {"## B01", "## B02", "## B09", "| B02 | Store two | B01 | blocked |"}) {
    EXPECT_NE(a.find(id), std::string::npos) << id;
  }
  const std::string s = RenderSummary(t);
  EXPECT_NE(s.find("all features"), std::string::npos);
  EXPECT_NE(s.find("[....................]"), std::string::npos);
}

TEST_F(TrackerTest, CheckFindsStaleBatchesMdAndBadMarkers) {
  Tracker t = Open();
  auto problems = CheckConsistency(t, Cfg());
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("batches.md is stale"), std::string::npos);
  WriteFileAtomic(tree_.root() / "batches.md", RenderBatchesMarkdown(t));
  EXPECT_TRUE(CheckConsistency(t, Cfg()).empty());
  tree_.Write("src/store/extra.cc", "// go: server/store.go:nothere\nvoid X() { Y(); }\n");
  problems = CheckConsistency(t, Cfg());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("unknown ID"), std::string::npos);
}

TEST_F(TrackerTest, AssignMovesItemsBetweenBatches) {
  Tracker t = Open();
  AssignBatch(t, "B01", {"server/other.go:unrelated"});
  EXPECT_EQ(t.Find("server/other.go:unrelated")->batch, "B01");
  // The outside batches' blanket reason does not follow into a store batch.
  EXPECT_EQ(t.Find("server/other.go:unrelated")->reason, kDefaultReason);
  EXPECT_THROW(AssignBatch(t, "B77", {kPut}), TrackerError);
  EXPECT_THROW(AssignBatch(t, "B01", {"server/none.go:x"}), TrackerError);
  EXPECT_EQ(t.Find(kPut)->batch, "B02");
}

TEST_F(TrackerTest, AdoptsABatchProposal) {
  const Proposal p = ParseProposal(
      "# Proposal\n## B01 — Foundations\n\n```\nserver/store.go:newStore\nserver/store.go:type:store\n"
      "server/gone.go:missing\n# test helpers:\nserver/store_test.go:helper\n```\n"
      "## B02 — Two\n```\nserver/store_test.go:TestStorePut\nserver/store.go:newStore\n```\n");
  EXPECT_EQ(p.ids.at("B01"), (std::vector<std::string>{"server/store.go:newStore", "server/gone.go:missing"}));
  Tracker t = Open();
  const AdoptReport r = AdoptProposal(t, p);
  EXPECT_EQ(r.placed, 2);
  EXPECT_EQ(r.unknown, (std::vector<std::string>{"server/gone.go:missing"}));
  EXPECT_EQ(r.twice, (std::vector<std::string>{"server/store.go:newStore"}));
  EXPECT_EQ(t.Find("server/store.go:newStore")->batch, "B01");
}

// The binary itself: exit codes, JSON shapes and refusals as a user sees them.
class CliTest : public TrackerTest {
 protected:
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {PORTTRACKER_BIN, "--root", tree_.root().string()});
    return RunCommand(args);
  }
};

TEST_F(CliTest, ListAndShowAsJson) {
  const CommandResult list = Cli({"feature", "list", "--batch", "B02", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  const auto arr = nlohmann::json::parse(list.output);
  ASSERT_TRUE(arr.is_array());
  ASSERT_EQ(arr.size(), 5u);
  for (const char* k : {"id", "batch", "status", "cpp_symbol", "cpp_file"}) EXPECT_TRUE(arr[0].contains(k)) << k;
  const CommandResult show = Cli({"test", "show", kTestPut, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.output;
  const auto obj = nlohmann::json::parse(show.output);
  EXPECT_EQ(obj["id"], kTestPut);
  EXPECT_TRUE(obj["covers"].is_array());
  EXPECT_TRUE(obj["history"].is_array());
  const CommandResult batches = Cli({"batch", "list", "--json"});
  ASSERT_EQ(batches.exit_code, 0);
  const auto b = nlohmann::json::parse(batches.output);
  EXPECT_EQ(b[1]["id"], "B02");
  EXPECT_EQ(b[1]["depends_on"], nlohmann::json::array({"B01"}));
  EXPECT_EQ(b[1]["status"], "blocked");
}

TEST_F(CliTest, RefusalsExitNonZeroAndChangeNothing) {
  const std::string before = tree_.Read("tracker/items.jsonl");
  CommandResult r = Cli({"feature", "update", "--status", "stub", kPut});
  EXPECT_NE(r.exit_code, 0);
  std::vector<std::string> args = {"feature", "update", "--status", "stub", "--evidence", "e"};
  for (int i = 0; i < 16; ++i) args.push_back(kPut);
  r = Cli(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("at most 15"), std::string::npos) << r.output;
  r = Cli({"feature", "show", "server/none.go:x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown feature ID"), std::string::npos);
  EXPECT_EQ(tree_.Read("tracker/items.jsonl"), before);
}

TEST_F(CliTest, EvidenceFileFlagTakesOneValueSoIdsMayFollow) {
  {
    Tracker t = Open();
    MapTest(t, Cfg(), kTestPut, "Store.TestStorePut", {}, false);
  }
  ASSERT_EQ(Cli({"test", "update", "--status", "stub", "--evidence", "ported", kTestPut}).exit_code, 0);
  const CommandResult r = Cli({"test", "update", "--status", "verified", "--evidence", "ctest", "--evidence-file",
                               Junit(true).string(), kTestPut});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Open().Find(kTestPut)->status, "verified");
}

TEST_F(CliTest, FeatureMapTakesRepeatedGtestFlags) {
  const CommandResult r = Cli({"feature", "map", kPut, "--cpp-symbol", "Store::Put", "--cpp-file", "src/store.cc",
                               "--gtest", "StoreA", "--gtest", "StoreB.Put"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const CommandResult show = Cli({"feature", "show", kPut, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.output;
  const auto obj = nlohmann::json::parse(show.output);
  EXPECT_EQ(obj["gtests"], nlohmann::json::array({"StoreA", "StoreB.Put"}));
}

TEST_F(CliTest, StubScanExitsOneOnMappedFindings) {
  CommandResult r = Cli({"stub-scan", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto arr = nlohmann::json::parse(r.output);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["go_id"], kLen);
  // Only scanning the clean test folder: nothing flagged.
  r = Cli({"stub-scan", "tests"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CliTest, ReportExportWritesBatchesMd) {
  const CommandResult r = Cli({"report", "export", (tree_.root() / "batches.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(tree_.Read("batches.md").find("| B01 |"), std::string::npos);
  const CommandResult check = Cli({"check"});
  EXPECT_NE(check.output.find("porttracker check"), std::string::npos);
}

}  // namespace
}  // namespace natscpp::porttracker
