// porttracker: the record of what of nats-server is ported, and the gate
// that keeps it honest. See docs in README.md and tracker/README.md.
#include <CLI/CLI.hpp>

#include <iostream>

#include "gate.h"
#include "importer.h"
#include "operations.h"
#include "proposal.h"
#include "report.h"
#include "util.h"

namespace pt = natscpp::porttracker;
using nlohmann::json;

namespace {

struct Globals {
  std::string root;
  std::string db;
};

pt::Tracker OpenTracker(const Globals& g) { return pt::Tracker(pt::FindRoot(g.root), g.db); }

json ItemJson(pt::Tracker& t, const pt::Item& i, bool detail) {
  json j = pt::ToJson(i);
  if (!detail) return j;
  json hist = json::array();
  for (const pt::HistoryEntry& h : t.History(i.id)) hist.push_back(pt::ToJson(h));
  j["history"] = hist;
  if (!i.IsTest()) {
    json covered_by = json::array();
    for (const pt::Item& test : t.Items(pt::ItemFilter{std::string(pt::kTest), "", ""})) {
      if (std::find(test.covers.begin(), test.covers.end(), i.id) != test.covers.end()) {
        covered_by.push_back({{"id", test.id}, {"gtest", test.gtest}, {"status", test.status}});
      }
    }
    j["covered_by"] = covered_by;
  }
  return j;
}

void PrintItem(const json& j) {
  for (const char* k : {"id", "kind", "file", "start", "end", "lines", "batch", "status", "reason", "cpp_symbol",
                        "cpp_file", "gtest", "gtests"}) {
    if (j.contains(k)) std::cout << k << ": " << (j[k].is_string() ? j[k].get<std::string>() : j[k].dump()) << "\n";
  }
  if (j.contains("covers")) {
    std::cout << "covers:\n";
    for (const auto& c : j["covers"]) std::cout << "  " << c.get<std::string>() << "\n";
  }
  if (j.contains("covered_by")) {
    std::cout << "covered by:\n";
    for (const auto& c : j["covered_by"]) {
      std::cout << "  " << c["id"].get<std::string>() << " (" << c["status"].get<std::string>() << ")\n";
    }
  }
  std::cout << "history:\n";
  for (const auto& h : j["history"]) {
    std::cout << "  " << h["at"].get<std::string>() << " " << h["from"].get<std::string>() << " -> "
              << h["to"].get<std::string>() << ": " << h["evidence"].get<std::string>() << "\n";
  }
}

// The list/show/update/map commands, the same for features and tests.
void AddItemCommands(CLI::App& app, const Globals& g, std::string_view kind) {
  const std::string k(kind);
  auto* cmd = app.add_subcommand(k, "Go " + k + "s of the inventory");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "list " + k + "s");
  static std::map<std::string, pt::ItemFilter> filters;
  static std::map<std::string, bool> list_json;
  auto& f = filters[k];
  f.kind = k;
  list->add_option("--batch", f.batch, "only this batch");
  list->add_option("--status", f.status, "only this status")->check(CLI::IsMember({"deferred", "stub", "complete", "verified"}));
  list->add_flag("--json", list_json[k], "a JSON array");
  list->callback([&g, &f, k] {
    pt::Tracker t = OpenTracker(g);
    const auto items = t.Items(f);
    if (list_json[k]) {
      json arr = json::array();
      for (const pt::Item& i : items) arr.push_back(pt::ToJson(i));
      std::cout << arr.dump(1) << "\n";
      return;
    }
    for (const pt::Item& i : items) {
      std::cout << i.batch << "  " << i.status << "  " << i.id
                << (i.IsTest() ? (i.gtest.empty() ? "" : "  -> " + i.gtest)
                               : (i.cpp_symbol.empty() ? "" : "  -> " + i.cpp_symbol))
                << "\n";
    }
  });

  auto* show = cmd->add_subcommand("show", "one " + k + " with its mapping and history");
  static std::map<std::string, std::string> show_id;
  static std::map<std::string, bool> show_json;
  show->add_option("ID", show_id[k], "the Go ID")->required();
  show->add_flag("--json", show_json[k], "one JSON object");
  show->callback([&g, k] {
    pt::Tracker t = OpenTracker(g);
    const auto item = t.Find(show_id[k]);
    if (!item || item->kind != k) throw pt::TrackerError("unknown " + k + " ID '" + show_id[k] + "'");
    const json j = ItemJson(t, *item, true);
    if (show_json[k]) {
      std::cout << j.dump(2) << "\n";
    } else {
      PrintItem(j);
    }
  });

  auto* update = cmd->add_subcommand("update", "change the status of up to 15 " + k + "s, with evidence");
  static std::map<std::string, pt::StatusUpdate> updates;
  static std::map<std::string, std::vector<std::string>> evidence_files;
  auto& u = updates[k];
  u.kind = k;
  update->add_option("--status", u.status, "the new status")->required();
  update->add_option("--evidence", u.evidence, "what shows it: Go lines read, build, test run, scan")->required();
  // One value per flag (repeat the flag for more), so IDs may follow it.
  update->add_option("--evidence-file", evidence_files[k], "a file backing the evidence (a JUnit XML result for tests)")
      ->check(CLI::ExistingFile)
      ->take_all()
      ->allow_extra_args(false);
  update->add_option("--reason", u.reason, "why, when deferring");
  update->add_option("IDS", u.ids, "Go IDs")->required();
  update->callback([&g, &u, k] {
    pt::Tracker t = OpenTracker(g);
    for (const std::string& file : evidence_files[k]) u.evidence_files.emplace_back(file);
    pt::UpdateStatus(t, pt::LoadConfig(t.root()), u);
    std::cout << "updated " << u.ids.size() << " " << k << (u.ids.size() == 1 ? "" : "s") << " to " << u.status << "\n";
  });

  auto* map = cmd->add_subcommand("map", "map a " + k + " to its C++ side");
  static std::map<std::string, std::string> map_id, map_a, map_b;
  static std::vector<std::string> covers;
  map->add_option("ID", map_id[k], "the Go ID")->required();
  if (kind == pt::kFeature) {
    map->add_option("--cpp-symbol", map_a[k], "qualified C++ name")->required();
    map->add_option("--cpp-file", map_b[k], "repository-relative file")->required();
    static std::vector<std::string> feature_gtests;
    auto* gt = map->add_option("--gtest", feature_gtests, "a GoogleTest (Suite.Name or Suite) of the C++ side that exercises it (repeat)")
                   ->take_all()
      ->allow_extra_args(false);
    map->callback([&g, k, gt] {
      pt::Tracker t = OpenTracker(g);
      pt::MapFeature(t, map_id[k], map_a[k], map_b[k], feature_gtests, gt->count() > 0);
      std::cout << "mapped " << map_id[k] << " -> " << map_a[k] << " (" << map_b[k] << ")\n";
    });
  } else {
    map->add_option("--gtest", map_a[k], "Suite.Name (or a prefix, for a parameterized port)")->required();
    auto* cov = map->add_option("--covers", covers, "a feature ID the test exercises (repeat; replaces the proposal)")
                    ->take_all()
      ->allow_extra_args(false);
    map->callback([&g, k, cov] {
      pt::Tracker t = OpenTracker(g);
      pt::MapTest(t, pt::LoadConfig(t.root()), map_id[k], map_a[k], covers, cov->count() > 0);
      std::cout << "mapped " << map_id[k] << " -> " << map_a[k] << "\n";
    });
  }
}

int Run(int argc, char** argv) {
  CLI::App app{"porttracker: the inventory of nats-server's Go features and tests and the record of their port"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "repository root (default: found from the working directory)");
  app.add_option("--db", g.db, "SQLite database path (default: <root>/.porttracker/tracker.db)");

  std::string tag, repo;
  auto* imp = app.add_subcommand("import-go", "import the inventory of a nats-server tag from a checkout or bare repo");
  imp->add_option("--tag", tag, "the tag, e.g. v2.14.5")->required();
  imp->add_option("REPO", repo, "git checkout or bare repository")->required();
  imp->callback([&] {
    pt::Tracker t = OpenTracker(g);
    std::string commit;
    const auto files = pt::ReadGoTree(repo, tag, &commit);
    auto inv = pt::BuildInventory(files);
    const auto r = pt::MergeInventory(t, tag, commit, std::move(inv), pt::LoadBatchRules(t.root()));
    std::cout << tag << " (" << commit << "): " << r.features << " features, " << r.tests << " tests\n";
    std::cout << "added " << r.added.size() << ", removed " << r.removed.size() << ", moved " << r.moved.size()
              << "\n";
    const size_t show = 50;
    for (size_t i = 0; i < r.added.size() && i < show; ++i) std::cout << "  + " << r.added[i] << "\n";
    for (size_t i = 0; i < r.removed.size() && i < show; ++i) std::cout << "  - " << r.removed[i] << "\n";
    for (size_t i = 0; i < r.moved.size() && i < show; ++i) std::cout << "  ~ " << r.moved[i] << "\n";
    if (r.added.size() > show || r.removed.size() > show || r.moved.size() > show) {
      std::cout << "  (lists cut at " << show << ")\n";
    }
  });

  AddItemCommands(app, g, pt::kFeature);
  AddItemCommands(app, g, pt::kTest);

  bool markers_apply = false, markers_json = false;
  auto* markers = app.add_subcommand("scan-markers", "propose mappings from `// go: ID` marker comments");
  markers->add_flag("--apply", markers_apply, "record the new mappings");
  markers->add_flag("--json", markers_json, "JSON output");
  markers->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const auto props = pt::ScanMarkers(t, pt::LoadConfig(t.root()), markers_apply);
    json arr = json::array();
    for (const auto& p : props) {
      arr.push_back({{"id", p.go_id}, {"cpp_symbol", p.cpp_symbol}, {"cpp_file", p.cpp_file}, {"note", p.note}});
      if (!markers_json) std::cout << p.note << "\t" << p.go_id << "\t" << p.cpp_symbol << "\t" << p.cpp_file << "\n";
    }
    if (markers_json) std::cout << arr.dump(1) << "\n";
  });

  bool tests_apply = false;
  auto* stests = app.add_subcommand("scan-tests", "propose Go test mappings from GoogleTests named after Go tests");
  stests->add_flag("--apply", tests_apply, "record the new mappings");
  stests->callback([&] {
    pt::Tracker t = OpenTracker(g);
    for (const auto& p : pt::ScanTests(t, pt::LoadConfig(t.root()), tests_apply)) {
      std::cout << p.note << "\t" << p.go_id << "\t" << p.cpp_symbol << "\t" << p.cpp_file << "\n";
    }
  });

  std::vector<std::string> scan_paths;
  bool scan_json = false;
  int scan_exit = 0;
  auto* scan = app.add_subcommand("stub-scan", "flag stubs, placeholder bodies and assertion-free tests");
  scan->add_option("PATHS", scan_paths, "files or folders (default: the configured scan paths)");
  scan->add_flag("--json", scan_json, "JSON output");
  scan->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const auto findings = pt::StubScan(t, pt::LoadConfig(t.root()), scan_paths);
    json arr = json::array();
    int mapped = 0;
    for (const auto& f : findings) {
      mapped += !f.go_id.empty();
      arr.push_back({{"file", f.file}, {"line", f.line}, {"what", f.what}, {"go_id", f.go_id}});
      if (!scan_json) {
        std::cout << f.file << ":" << f.line << ": " << f.what << (f.go_id.empty() ? "  (unmapped)" : "  [" + f.go_id + "]")
                  << "\n";
      }
    }
    if (scan_json) {
      std::cout << arr.dump(1) << "\n";
    } else {
      std::cout << findings.size() << " finding(s), " << mapped << " in mapped items\n";
    }
    scan_exit = mapped > 0 ? 1 : 0;
  });

  auto* batch = app.add_subcommand("batch", "porting batches");
  batch->require_subcommand(1);
  bool batch_json = false;
  auto* blist = batch->add_subcommand("list", "every batch with its status and counts");
  blist->add_flag("--json", batch_json, "a JSON array");
  blist->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const json arr = pt::BatchesJson(t);
    if (batch_json) {
      std::cout << arr.dump(1) << "\n";
      return;
    }
    for (const auto& b : arr) {
      std::string deps;
      for (const auto& d : b["depends_on"]) deps += (deps.empty() ? "" : ",") + d.get<std::string>();
      std::cout << b["id"].get<std::string>() << "  " << b["status"].get<std::string>() << "  "
                << b["name"].get<std::string>() << (deps.empty() ? "" : "  (after " + deps + ")") << "\n";
    }
  });
  std::string batch_id;
  bool bshow_json = false;
  auto* bshow = batch->add_subcommand("show", "one batch and its items");
  bshow->add_option("BATCH", batch_id)->required();
  bshow->add_flag("--json", bshow_json, "JSON output");
  bshow->callback([&] {
    pt::Tracker t = OpenTracker(g);
    json found;
    for (const auto& b : pt::BatchesJson(t)) {
      if (b["id"] == batch_id) found = b;
    }
    if (found.is_null()) throw pt::TrackerError("unknown batch '" + batch_id + "'");
    json items = json::array();
    for (const pt::Item& i : t.Items(pt::ItemFilter{"", batch_id, ""})) items.push_back(pt::ToJson(i));
    found["items"] = items;
    if (bshow_json) {
      std::cout << found.dump(1) << "\n";
      return;
    }
    std::cout << batch_id << " — " << found["name"].get<std::string>() << "\nstatus: " << found["status"].get<std::string>()
              << "\ncounts: " << found["counts"].dump() << "\n";
    for (const auto& i : items) {
      std::cout << "  " << i["status"].get<std::string>() << "  " << i["id"].get<std::string>() << "\n";
    }
  });
  bool bready_json = false;
  auto* bready = batch->add_subcommand("ready", "batches whose dependencies are complete and that are not");
  bready->add_flag("--json", bready_json, "JSON output");
  bready->callback([&] {
    pt::Tracker t = OpenTracker(g);
    json arr = json::array();
    for (const auto& b : pt::BatchesJson(t)) {
      if (b["status"] == "ready" || b["status"] == "in progress") arr.push_back(b);
    }
    if (bready_json) {
      std::cout << arr.dump(1) << "\n";
      return;
    }
    for (const auto& b : arr) std::cout << b["id"].get<std::string>() << "  " << b["name"].get<std::string>() << "\n";
  });
  int gate_exit = 0;
  std::string complete_id;
  auto* bcomplete = batch->add_subcommand("complete", "run the gate; mark the batch complete when it passes");
  bcomplete->add_option("BATCH", complete_id)->required();
  bcomplete->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const auto r = pt::CompleteBatch(t, pt::LoadConfig(t.root()), complete_id);
    for (const auto& f : r.failures) std::cout << "FAIL " << f << "\n";
    std::cout << complete_id << (r.passed ? ": complete. " + r.summary : ": not complete, " +
                                                                         std::to_string(r.failures.size()) + " failure(s)")
              << "\n";
    gate_exit = r.passed ? 0 : 1;
  });
  std::string assign_batch;
  std::vector<std::string> assign_ids;
  auto* assign = batch->add_subcommand("assign", "move items into a batch");
  assign->add_option("BATCH", assign_batch)->required();
  assign->add_option("IDS", assign_ids)->required();
  assign->callback([&] {
    pt::Tracker t = OpenTracker(g);
    pt::AssignBatch(t, assign_batch, assign_ids);
    std::cout << "moved " << assign_ids.size() << " item(s) to " << assign_batch << "\n";
  });
  std::string proposal_file;
  auto* adopt = batch->add_subcommand("adopt-proposal", "place the items a batch proposal lists into its batches");
  adopt->add_option("FILE", proposal_file)->required()->check(CLI::ExistingFile);
  adopt->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const auto r = pt::AdoptProposal(t, pt::ParseProposal(pt::ReadFile(proposal_file)));
    std::cout << "placed " << r.placed << " items; " << r.unknown.size() << " listed IDs not in the inventory, "
              << r.twice.size() << " listed twice\n";
    for (const auto& id : r.unknown) std::cout << "  unknown: " << id << "\n";
    for (const auto& id : r.twice) std::cout << "  twice: " << id << "\n";
  });

  auto* report = app.add_subcommand("report", "progress reports");
  report->require_subcommand(1);
  bool summary_json = false;
  auto* summary = report->add_subcommand("summary", "overall and per-batch progress");
  summary->add_flag("--json", summary_json, "JSON output");
  summary->callback([&] {
    pt::Tracker t = OpenTracker(g);
    if (summary_json) {
      std::cout << json{{"meta", {{"tag", t.GetMeta().tag}, {"commit", t.GetMeta().commit}}},
                        {"batches", pt::BatchesJson(t)}}
                       .dump(1)
                << "\n";
    } else {
      std::cout << pt::RenderSummary(t);
    }
  });
  std::string export_file;
  auto* exp = report->add_subcommand("export", "write batches.md");
  exp->add_option("FILE", export_file)->required();
  exp->callback([&] {
    pt::Tracker t = OpenTracker(g);
    pt::WriteFileAtomic(export_file, pt::RenderBatchesMarkdown(t));
    std::cout << "wrote " << export_file << "\n";
  });

  int check_exit = 0;
  auto* check = app.add_subcommand("check", "consistency gate: text, batches.md, markers, statuses");
  check->callback([&] {
    pt::Tracker t = OpenTracker(g);
    const auto problems = pt::CheckConsistency(t, pt::LoadConfig(t.root()));
    for (const auto& p : problems) std::cout << "INCONSISTENT " << p << "\n";
    std::cout << "porttracker check: " << (problems.empty() ? "consistent" : std::to_string(problems.size()) + " problem(s)")
              << "\n";
    check_exit = problems.empty() ? 0 : 1;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return scan_exit | gate_exit | check_exit;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const pt::TrackerError& e) {
    std::cerr << "porttracker: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "porttracker: " << e.what() << "\n";
    return 1;
  }
}
