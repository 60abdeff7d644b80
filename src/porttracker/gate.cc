#include "gate.h"

#include <algorithm>
#include <set>

#include "util.h"

namespace natscpp::porttracker {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> Expand(const std::vector<std::string>& argv, const std::string& key,
                                const std::string& value) {
  std::vector<std::string> out;
  for (std::string a : argv) {
    for (size_t p = a.find(key); p != std::string::npos; p = a.find(key, p + value.size())) {
      a.replace(p, key.size(), value);
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

GateResult CompleteBatch(Tracker& tracker, const Config& config, const std::string& batch_id) {
  GateResult r;
  const auto batch = tracker.FindBatch(batch_id);
  if (!batch) throw TrackerError("unknown batch '" + batch_id + "'");
  if (batch->completed) {
    r.passed = true;
    r.summary = batch_id + " is already complete";
    return r;
  }
  for (const std::string& d : batch->depends_on) {
    const auto dep = tracker.FindBatch(d);
    if (!dep || !dep->completed) r.failures.push_back(batch_id + ": dependency " + d + " is not complete");
  }

  const std::vector<Item> items = tracker.Items(ItemFilter{"", batch_id, ""});
  // (item, GoogleTest) pairs the gate runs: verified tests' own ports and
  // the GoogleTests mapped to verified features.
  std::vector<std::pair<const Item*, std::string>> tests_to_run;
  for (const Item& i : items) {
    if (i.status == kVerified) {
      if (i.IsTest()) tests_to_run.emplace_back(&i, i.gtest);
      for (const std::string& g : i.gtests) tests_to_run.emplace_back(&i, g);
      continue;
    }
    if (i.status == kDeferred) {
      if (i.reason.empty()) {
        r.failures.push_back(i.id + ": deferred without a reason");
      } else if (batch->scope == "store" && i.reason == kDefaultReason) {
        r.failures.push_back(i.id + ": deferred with the import's default reason (\"" + i.reason + "\")");
      }
      continue;
    }
    r.failures.push_back(i.id + ": " + i.status + ", not verified");
  }

  // The build, then the mapped tests, then the scan: each only when the
  // cheaper checks before it leave something to learn.
  const fs::path build_dir = tracker.root() / config.build_dir;
  const CommandResult build =
      RunCommand(Expand(config.build_command, "{build_dir}", build_dir.string()), tracker.root());
  if (build.exit_code != 0) {
    r.failures.push_back("build: failed (exit " + std::to_string(build.exit_code) + "): " +
                         build.output.substr(build.output.size() > 1500 ? build.output.size() - 1500 : 0));
  } else if (!tests_to_run.empty()) {
    // ctest's regular expressions allow few groups and a bounded size, so
    // the selection is by suite (`^Suite\.|/Suite\.`, the second form for
    // parameterized names); the JUnit check below is per test.
    std::set<std::string> suites;
    for (const auto& [t, name] : tests_to_run) suites.insert(name.substr(0, name.find('.')));
    std::string regex;
    for (const std::string& s : suites) {
      const std::string m = RegexEscape(s);
      regex += (regex.empty() ? "" : "|") + ("^" + m + "\\.|/" + m + "\\.");
    }
    const fs::path junit = build_dir / ("porttracker-" + batch_id + "-junit.xml");
    fs::remove(junit);
    std::vector<std::string> cmd = Expand(config.ctest_command, "{build_dir}", build_dir.string());
    cmd = Expand(cmd, "{junit}", junit.string());
    cmd = Expand(cmd, "{regex}", regex);
    const CommandResult run = RunCommand(cmd, tracker.root());
    std::vector<JunitCase> cases;
    if (fs::exists(junit)) cases = ReadJunit(ReadFile(junit));
    if (cases.empty()) {
      r.failures.push_back("tests: ctest produced no JUnit results (exit " + std::to_string(run.exit_code) + ")");
    }
    for (const auto& [t, name] : tests_to_run) {
      bool seen = false, failed = false;
      for (const JunitCase& c : cases) {
        if (!GtestMatches(name, c.name)) continue;
        seen = true;
        failed |= !c.passed;
      }
      if (!seen && !cases.empty()) r.failures.push_back(t->id + ": " + name + " did not run");
      if (failed) r.failures.push_back(t->id + ": " + name + " failed");
    }
    if (fs::exists(junit)) {
      r.summary = "tests: " + std::to_string(cases.size()) + " cases, junit sha256=" + Sha256Hex(ReadFile(junit));
    }
  }

  std::set<std::string> ids;
  for (const Item& i : items) ids.insert(i.id);
  for (const Finding& f : StubScan(tracker, config)) {
    if (ids.contains(f.go_id)) {
      r.failures.push_back(f.go_id + ": stub scan: " + f.file + ":" + std::to_string(f.line) + ": " + f.what);
    }
  }

  r.passed = r.failures.empty();
  if (r.passed) {
    int verified = 0, deferred = 0;
    for (const Item& i : items) (i.status == kVerified ? verified : deferred)++;
    const std::string evidence = "gate passed: " + std::to_string(verified) + " verified, " +
                                 std::to_string(deferred) + " deferred with reasons; build green; " +
                                 (r.summary.empty() ? "no mapped tests" : r.summary) + "; stub scan clean";
    tracker.Apply([&](Tracker::Change& c) {
      Batch* b = c.FindBatch(batch_id);
      b->completed = true;
      b->completed_evidence = evidence;
    });
    r.summary = evidence;
  }
  return r;
}

}  // namespace natscpp::porttracker
