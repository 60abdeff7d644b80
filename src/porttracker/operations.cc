#include "operations.h"

#include <algorithm>
#include <regex>
#include <set>

#include "report.h"
#include "util.h"

namespace natscpp::porttracker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int Rank(const std::string& kind, const std::string& status) {
  if (status == kDeferred) return 0;
  if (status == kStub) return 1;
  if (status == kComplete) return kind == kTest ? -1 : 2;
  if (status == kVerified) return kind == kTest ? 2 : 3;
  return -1;
}

std::string RelativePath(const fs::path& root, const fs::path& p) {
  std::error_code ec;
  const fs::path rel = fs::relative(fs::weakly_canonical(p, ec), fs::weakly_canonical(root, ec), ec);
  return ec || rel.empty() || rel.string().starts_with("..") ? p.string() : rel.string();
}

ScanOptions Options(const Config& c) { return ScanOptions{c.assertion_helpers}; }

struct TreeScan {
  std::map<std::string, FileScan> files;  // relative path -> scan
};

// Scans are memoized on the files' names, sizes and modification times:
// one command may ask about many items.
const TreeScan& ScanTree(const fs::path& root, const Config& config, const std::vector<std::string>& paths) {
  static std::map<std::string, TreeScan> cache;
  std::vector<fs::path> roots;
  for (const std::string& p : paths.empty() ? config.scan_paths : paths) {
    roots.push_back(fs::path(p).is_absolute() ? fs::path(p) : root / p);
  }
  const std::vector<fs::path> files = CppFilesUnder(roots);
  std::string key;
  for (const std::string& h : config.assertion_helpers) key += h + ",";
  for (const fs::path& f : files) {
    std::error_code ec;
    key += f.string() + ":" + std::to_string(fs::file_size(f, ec)) + ":" +
           std::to_string(fs::last_write_time(f, ec).time_since_epoch().count()) + ";";
  }
  key = Sha256Hex(key);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  TreeScan t;
  for (const fs::path& f : files) {
    const std::string rel = RelativePath(root, f);
    t.files[rel] = ScanCppSource(rel, ReadFile(f), Options(config));
  }
  return cache[key] = std::move(t);
}

bool SpecificReason(const Batch& b, const Item& i) {
  if (i.reason.empty()) return false;
  return b.scope != "store" || i.reason != kDefaultReason;
}

}  // namespace

Config LoadConfig(const fs::path& root) {
  Config c;
  const fs::path path = root / "tracker" / "config.json";
  try {
    const json j = json::parse(ReadFile(path));
    c.scan_paths = j.value("scan_paths", c.scan_paths);
    c.assertion_helpers = j.value("assertion_helpers", c.assertion_helpers);
    c.build_dir = j.value("build_dir", c.build_dir);
    c.build_command = j.value("build_command", std::vector<std::string>{"cmake", "--build", "{build_dir}", "-j2"});
    c.ctest_command = j.value("ctest_command",
                              std::vector<std::string>{"ctest", "--test-dir", "{build_dir}", "--output-junit",
                                                       "{junit}", "-R", "{regex}"});
  } catch (const json::exception& e) {
    throw TrackerError(path.string() + ": malformed: " + e.what());
  }
  return c;
}

bool GtestMatches(const std::string& mapping, const std::string& test_name) {
  if (mapping.empty()) return false;
  // Strip a parameterized instantiation prefix ("Perm/") and suffix ("/3").
  std::string name = test_name;
  if (const size_t slash = name.find('/'); slash != std::string::npos && slash < name.find('.')) {
    name = name.substr(slash + 1);
  }
  if (const size_t slash = name.find('/', name.find('.')); slash != std::string::npos) name.resize(slash);
  if (name == mapping) return true;
  // A prefix mapping: a whole suite ("Suite") or a name prefix.
  return name.starts_with(mapping) && (mapping.find('.') != std::string::npos || name[mapping.size()] == '.');
}

std::vector<JunitCase> ReadJunit(const std::string& xml) {
  std::vector<JunitCase> out;
  static const std::regex kCase(R"(<testcase\b([^>]*?)(/>|>([\s\S]*?)</testcase>))");
  static const std::regex kName(R"re(\bname="([^"]*)")re");
  static const std::regex kStatus(R"re(\bstatus="([^"]*)")re");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), kCase); it != std::sregex_iterator(); ++it) {
    const std::string attrs = (*it)[1].str();
    const std::string body = (*it)[3].str();
    std::smatch m;
    if (!std::regex_search(attrs, m, kName)) continue;
    JunitCase c;
    c.name = m[1].str();
    std::smatch s;
    const bool not_run = std::regex_search(attrs, s, kStatus) && s[1].str() != "run";
    c.passed = !not_run && body.find("<failure") == std::string::npos &&
               body.find("<error") == std::string::npos && body.find("<skipped") == std::string::npos;
    out.push_back(std::move(c));
  }
  return out;
}

void AssignBatch(Tracker& tracker, const std::string& batch, const std::vector<std::string>& ids) {
  if (ids.empty()) throw TrackerError("no IDs given");
  tracker.Apply([&](Tracker::Change& c) {
    const Batch* b = c.FindBatch(batch);
    if (!b) throw TrackerError("unknown batch '" + batch + "'");
    for (const std::string& id : ids) {
      Item* i = c.FindItem(id);
      if (!i) throw TrackerError("unknown ID '" + id + "'");
      i->batch = batch;
      // Leaving the outside batches, an item loses their blanket reason.
      if (i->status == kDeferred && b->scope == "store" && i->reason == kOutsideReason) {
        i->reason = std::string(kDefaultReason);
      }
    }
  });
}

void MapFeature(Tracker& tracker, const std::string& id, const std::string& cpp_symbol,
                const std::string& cpp_file, const std::vector<std::string>& gtests, bool set_gtests) {
  static const std::regex kGtestName(R"(^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$)");
  for (const std::string& g : gtests) {
    if (!std::regex_match(g, kGtestName)) throw TrackerError("--gtest: '" + g + "' is not Suite.Name");
  }
  static const std::regex kSymbol(R"(^[A-Za-z_~][\w~]*(::[A-Za-z_~][\w~]*)*$)");
  if (!std::regex_match(cpp_symbol, kSymbol)) throw TrackerError("'" + cpp_symbol + "' is not a C++ qualified name");
  if (cpp_file.empty() || fs::path(cpp_file).is_absolute() || cpp_file.find("..") != std::string::npos) {
    throw TrackerError("--cpp-file must be a path inside the repository, got '" + cpp_file + "'");
  }
  tracker.Apply([&](Tracker::Change& c) {
    Item* i = c.FindItem(id);
    if (!i) throw TrackerError("unknown feature ID '" + id + "'");
    if (i->IsTest()) throw TrackerError(id + " is a test; use `test map`");
    i->cpp_symbol = cpp_symbol;
    i->cpp_file = cpp_file;
    if (set_gtests) {
      i->gtests = gtests;
      std::sort(i->gtests.begin(), i->gtests.end());
      i->gtests.erase(std::unique(i->gtests.begin(), i->gtests.end()), i->gtests.end());
    }
  });
}

void MapTest(Tracker& tracker, const Config& config, const std::string& id, const std::string& gtest,
             const std::vector<std::string>& covers, bool set_covers) {
  static const std::regex kGtest(R"(^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$)");
  if (!std::regex_match(gtest, kGtest)) throw TrackerError("'" + gtest + "' is not Suite.Name (or a Suite prefix)");
  std::string file;
  for (const auto& [rel, scan] : ScanTree(tracker.root(), config, {}).files) {
    for (const Definition& d : scan.definitions) {
      if (d.is_test && GtestMatches(gtest, d.symbol) && file.empty()) file = rel;
    }
  }
  tracker.Apply([&](Tracker::Change& c) {
    Item* i = c.FindItem(id);
    if (!i) throw TrackerError("unknown test ID '" + id + "'");
    if (!i->IsTest()) throw TrackerError(id + " is a feature; use `feature map`");
    for (const std::string& f : covers) {
      const Item* target = c.FindItem(f);
      if (!target || target->IsTest()) throw TrackerError("--covers: unknown feature ID '" + f + "'");
    }
    i->gtest = gtest;
    i->cpp_file = file;
    if (set_covers) {
      i->covers = covers;
      std::sort(i->covers.begin(), i->covers.end());
      i->covers.erase(std::unique(i->covers.begin(), i->covers.end()), i->covers.end());
      i->covers_manual = true;
    }
  });
}

ItemCheck CheckItem(Tracker& tracker, const Config& config, const Item& item) {
  ItemCheck r;
  if (item.IsTest()) {
    if (item.gtest.empty()) return r;
    // A Go benchmark maps to the ctest test "bench.<area>", which runs the
    // Google Benchmark program bench/<area>_bench.cc.
    if (item.gtest.starts_with("bench.")) {
      const std::string rel = "bench/" + item.gtest.substr(6) + "_bench.cc";
      const fs::path p = tracker.root() / rel;
      if (fs::exists(p) && ReadFile(p).find("BENCHMARK(") != std::string::npos) {
        r.found = true;
        r.where = rel;
      }
      return r;
    }
    for (const auto& [rel, scan] : ScanTree(tracker.root(), config, {}).files) {
      for (const Definition& d : scan.definitions) {
        if (!d.is_test || !GtestMatches(item.gtest, d.symbol)) continue;
        if (!r.found) r.where = rel + ":" + std::to_string(d.line);
        r.found = true;
        for (const std::string& f : d.flags) r.flags.push_back(rel + ":" + std::to_string(d.line) + ": " + f);
        if (d.skipped && (item.status != kDeferred || item.reason == kDefaultReason)) {
          r.flags.push_back(rel + ":" + std::to_string(d.line) + ": GTEST_SKIP without a tracker reason");
        }
      }
    }
    return r;
  }
  if (item.cpp_symbol.empty() || item.cpp_file.empty()) return r;
  const fs::path path = tracker.root() / item.cpp_file;
  if (!fs::exists(path)) return r;
  const std::string text = ReadFile(path);
  // A marker names the definition exactly; else look the symbol up.
  for (const Definition& d : ScanCppSource(item.cpp_file, text, Options(config)).definitions) {
    if (d.go_id == item.id) {
      r.found = true;
      r.where = item.cpp_file + ":" + std::to_string(d.line);
      for (const std::string& f : d.flags) r.flags.push_back(r.where + ": " + f);
      return r;
    }
  }
  if (auto d = FindSymbolDefinition(item.cpp_file, text, item.cpp_symbol, Options(config))) {
    r.found = true;
    r.where = item.cpp_file + ":" + std::to_string(d->line);
    for (const std::string& f : d->flags) r.flags.push_back(r.where + ": " + f);
  }
  return r;
}

void UpdateStatus(Tracker& tracker, const Config& config, const StatusUpdate& u) {
  if (u.ids.empty()) throw TrackerError("no IDs given");
  if (u.ids.size() > kMaxIdsPerUpdate) {
    throw TrackerError("refused: " + std::to_string(u.ids.size()) + " IDs given, at most " +
                       std::to_string(kMaxIdsPerUpdate) + " per update");
  }
  if (Rank(u.kind, u.status) < 0) throw TrackerError("refused: '" + u.status + "' is not a " + u.kind + " status");
  if (u.evidence.find_first_not_of(" \t\n") == std::string::npos) {
    throw TrackerError("refused: --evidence is required for a status change");
  }
  if (u.status == kDeferred && (u.reason.empty() || u.reason == kDefaultReason)) {
    throw TrackerError("refused: deferring needs --reason with the concrete reason");
  }
  std::vector<std::string> files;
  std::vector<JunitCase> junit;
  for (const fs::path& f : u.evidence_files) {
    const std::string text = ReadFile(f);
    files.push_back(RelativePath(tracker.root(), f) + " sha256=" + Sha256Hex(text));
    if (text.find("<testsuite") != std::string::npos) {
      for (JunitCase& c : ReadJunit(text)) junit.push_back(std::move(c));
    }
  }
  std::set<std::string> unique(u.ids.begin(), u.ids.end());
  if (unique.size() != u.ids.size()) throw TrackerError("refused: an ID is given twice");

  std::vector<Item> items;
  std::vector<std::string> problems;
  for (const std::string& id : u.ids) {
    auto item = tracker.Find(id);
    if (!item) {
      problems.push_back(id + ": unknown ID");
      continue;
    }
    if (item->kind != u.kind) {
      problems.push_back(id + ": is a " + item->kind + ", not a " + u.kind);
      continue;
    }
    const int from = Rank(u.kind, item->status);
    const int to = Rank(u.kind, u.status);
    if (from == to && !(u.status == kDeferred && item->reason != u.reason)) {
      // (Re-deferring with another reason is a change: the reason is data.)
      problems.push_back(id + ": already " + item->status);
    } else if (to > from + 1) {
      problems.push_back(id + ": " + item->status + " -> " + u.status + " skips a step");
    } else if (to < from && to != 0 && to != from - 1) {
      problems.push_back(id + ": " + item->status + " -> " + u.status + " goes back more than one step");
    }
    if (u.status == kComplete || u.status == kVerified) {
      if (item->IsTest() ? item->gtest.empty() : (item->cpp_symbol.empty() || item->cpp_file.empty())) {
        problems.push_back(id + ": not mapped to a C++ " + (item->IsTest() ? "GoogleTest" : "symbol"));
      } else {
        const ItemCheck check = CheckItem(tracker, config, *item);
        if (!check.found) {
          problems.push_back(id + ": C++ " + (item->IsTest() ? "test " + item->gtest : "symbol " + item->cpp_symbol) +
                             " not found" + (item->IsTest() ? "" : " in " + item->cpp_file));
        }
        for (const std::string& f : check.flags) problems.push_back(id + ": stub scan: " + f);
      }
    }
    if (u.status == kVerified && item->IsTest() && !item->gtest.empty()) {
      if (junit.empty()) {
        problems.push_back(id + ": verifying a test needs a JUnit result file (--evidence-file) showing it passed");
      } else {
        bool seen = false, failed = false;
        for (const JunitCase& c : junit) {
          if (!GtestMatches(item->gtest, c.name)) continue;
          seen = true;
          failed |= !c.passed;
        }
        if (!seen) problems.push_back(id + ": " + item->gtest + " is not in the JUnit evidence");
        if (failed) problems.push_back(id + ": " + item->gtest + " did not pass in the JUnit evidence");
      }
    }
    if (u.status == kVerified && !item->IsTest()) {
      // Every test that exercises it: the Go tests covering it (verified
      // on their own) and its own GoogleTests (passed in the evidence).
      int mapped = 0;
      for (const Item& t : tracker.Items(ItemFilter{std::string(kTest), "", ""})) {
        if (t.gtest.empty() || std::find(t.covers.begin(), t.covers.end(), id) == t.covers.end()) continue;
        ++mapped;
        if (t.status != kVerified) problems.push_back(id + ": covering test " + t.id + " is " + t.status + ", not verified");
      }
      for (const std::string& g : item->gtests) {
        ++mapped;
        bool seen = false, failed = false;
        for (const JunitCase& c : junit) {
          if (!GtestMatches(g, c.name)) continue;
          seen = true;
          failed |= !c.passed;
        }
        if (!seen) problems.push_back(id + ": its test " + g + " is not in the JUnit evidence");
        if (failed) problems.push_back(id + ": its test " + g + " did not pass in the JUnit evidence");
      }
      if (mapped == 0) problems.push_back(id + ": no mapped test covers it");
    }
    items.push_back(std::move(*item));
  }
  if (!problems.empty()) {
    std::string msg = "refused, nothing changed:";
    for (const std::string& p : problems) msg += "\n  " + p;
    throw TrackerError(msg);
  }
  tracker.Apply([&](Tracker::Change& c) {
    for (const Item& before : items) {
      Item* i = c.FindItem(before.id);
      c.AddHistory(i->id, i->status, u.status, u.evidence, files);
      i->status = u.status;
      i->reason = u.status == kDeferred ? u.reason : "";
    }
  });
}

std::vector<Finding> StubScan(Tracker& tracker, const Config& config, const std::vector<std::string>& paths) {
  const TreeScan& tree = ScanTree(tracker.root(), config, paths);
  const std::vector<Item> items = tracker.Items();
  std::map<std::string, const Item*> by_id;
  for (const Item& i : items) by_id[i.id] = &i;

  std::vector<Finding> out;
  std::set<std::string> marker_ids;
  for (const auto& [rel, scan] : tree.files) {
    for (const auto& [line, what] : scan.loose) out.push_back(Finding{rel, line, what, ""});
    for (const Definition& d : scan.definitions) {
      std::vector<const Item*> owners;
      if (!d.go_id.empty()) {
        marker_ids.insert(d.go_id);
        if (by_id.contains(d.go_id)) {
          owners.push_back(by_id[d.go_id]);
        } else {
          out.push_back(Finding{rel, d.line, "marker names unknown ID " + d.go_id, ""});
        }
      }
      if (d.is_test) {
        for (const Item& i : items) {
          if (i.IsTest() && GtestMatches(i.gtest, d.symbol)) owners.push_back(&i);
        }
      }
      std::vector<std::string> flags = d.flags;
      if (d.skipped) {
        const bool excused = !owners.empty() && std::all_of(owners.begin(), owners.end(), [](const Item* i) {
          return i->status == kDeferred && !i->reason.empty() && i->reason != kDefaultReason;
        });
        if (!excused) flags.push_back("GTEST_SKIP without a tracker reason");
      }
      for (const std::string& f : flags) {
        if (owners.empty()) {
          out.push_back(Finding{rel, d.line, d.symbol + ": " + f, ""});
        }
        for (const Item* o : owners) out.push_back(Finding{rel, d.line, d.symbol + ": " + f, o->id});
      }
    }
  }
  // Features mapped by symbol without a marker.
  for (const Item& i : items) {
    if (i.IsTest() || i.cpp_symbol.empty() || marker_ids.contains(i.id)) continue;
    if (!tree.files.contains(i.cpp_file)) continue;
    const ItemCheck check = CheckItem(tracker, config, i);
    for (const std::string& f : check.flags) {
      const size_t colon = f.find(':');
      const size_t colon2 = f.find(':', colon + 1);
      out.push_back(Finding{i.cpp_file, std::atoi(f.substr(colon + 1).c_str()),
                            i.cpp_symbol + ": " + f.substr(colon2 + 2), i.id});
    }
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.file, a.line, a.what, a.go_id) < std::tie(b.file, b.line, b.what, b.go_id);
  });
  return out;
}

std::vector<MarkerProposal> ScanMarkers(Tracker& tracker, const Config& config, bool apply) {
  const TreeScan& tree = ScanTree(tracker.root(), config, {});
  std::vector<MarkerProposal> out;
  for (const auto& [rel, scan] : tree.files) {
    for (const Definition& d : scan.definitions) {
      if (d.go_id.empty()) continue;
      MarkerProposal p{d.go_id, d.symbol, rel, ""};
      const auto item = tracker.Find(d.go_id);
      if (!item) {
        p.note = "unknown ID";
      } else if (item->IsTest()) {
        p.note = "a test ID: map tests with `test map`";
      } else if (item->cpp_symbol.empty()) {
        p.note = "new";
      } else if (item->cpp_file == rel) {
        p.note = "same";
      } else {
        p.note = "conflict: mapped to " + item->cpp_symbol + " in " + item->cpp_file;
      }
      out.push_back(std::move(p));
    }
  }
  if (apply) {
    tracker.Apply([&](Tracker::Change& c) {
      for (MarkerProposal& p : out) {
        if (p.note != "new") continue;
        Item* i = c.FindItem(p.go_id);
        i->cpp_symbol = p.cpp_symbol;
        i->cpp_file = p.cpp_file;
        p.note = "mapped";
      }
    });
  }
  return out;
}

std::vector<MarkerProposal> ScanTests(Tracker& tracker, const Config& config, bool apply) {
  const TreeScan& tree = ScanTree(tracker.root(), config, {});
  std::map<std::string, std::vector<const Item*>> by_name;
  const std::vector<Item> items = tracker.Items(ItemFilter{std::string(kTest), "", ""});
  for (const Item& i : items) by_name[i.name].push_back(&i);
  std::vector<MarkerProposal> out;
  std::set<std::string> seen;
  for (const auto& [rel, scan] : tree.files) {
    for (const Definition& d : scan.definitions) {
      if (!d.is_test) continue;
      const std::string name = d.symbol.substr(d.symbol.find('.') + 1);
      const auto hit = by_name.find(name);
      if (hit == by_name.end()) continue;
      MarkerProposal p{"", d.symbol, rel, ""};
      if (hit->second.size() > 1) {
        p.go_id = hit->second.front()->id;
        p.note = "ambiguous: " + std::to_string(hit->second.size()) + " Go tests share the name";
      } else {
        const Item* t = hit->second.front();
        p.go_id = t->id;
        p.note = t->gtest.empty() ? "new" : t->gtest == d.symbol ? "same" : "conflict: mapped to " + t->gtest;
      }
      if (seen.insert(p.go_id + "|" + p.cpp_symbol).second) out.push_back(std::move(p));
    }
  }
  if (apply) {
    tracker.Apply([&](Tracker::Change& c) {
      for (MarkerProposal& p : out) {
        if (p.note != "new") continue;
        Item* i = c.FindItem(p.go_id);
        i->gtest = p.cpp_symbol;
        i->cpp_file = p.cpp_file;
        p.note = "mapped";
      }
    });
  }
  return out;
}

std::vector<std::string> CheckConsistency(Tracker& tracker, const Config& config) {
  std::vector<std::string> problems;
  const std::vector<Batch> batches = tracker.Batches();
  std::map<std::string, const Batch*> by_id;
  for (const Batch& b : batches) by_id[b.id] = &b;
  for (const Batch& b : batches) {
    for (const std::string& d : b.depends_on) {
      if (!by_id.contains(d)) problems.push_back("batch " + b.id + " depends on unknown batch " + d);
    }
  }
  // Dependency cycles: depth-first search with colors.
  std::map<std::string, int> color;
  std::function<bool(const std::string&)> cyclic = [&](const std::string& id) {
    if (color[id] == 1) return true;
    if (color[id] == 2 || !by_id.contains(id)) return false;
    color[id] = 1;
    for (const std::string& d : by_id[id]->depends_on) {
      if (cyclic(d)) return true;
    }
    color[id] = 2;
    return false;
  };
  for (const Batch& b : batches) {
    if (cyclic(b.id)) problems.push_back("batch dependencies form a cycle through " + b.id);
  }

  const fs::path md = tracker.root() / "batches.md";
  if (!fs::exists(md) || ReadFile(md) != RenderBatchesMarkdown(tracker)) {
    problems.push_back("batches.md is stale: run `porttracker report export batches.md`");
  }

  std::map<std::string, std::string> meta_status;
  for (const Item& i : tracker.Items()) {
    const Batch* b = by_id.contains(i.batch) ? by_id[i.batch] : nullptr;
    if (i.status == kDeferred && i.reason.empty()) problems.push_back(i.id + ": deferred without a reason");
    if (b && b->completed && i.status != kVerified && !(i.status == kDeferred && SpecificReason(*b, i))) {
      problems.push_back(i.id + ": batch " + b->id + " is complete but the item is " + i.status);
    }
    if (i.status == kComplete || i.status == kVerified) {
      const ItemCheck check = CheckItem(tracker, config, i);
      if (!check.found) problems.push_back(i.id + ": " + i.status + " but its C++ side is not found");
      for (const std::string& f : check.flags) problems.push_back(i.id + ": " + i.status + " but " + f);
    }
  }
  for (const MarkerProposal& p : ScanMarkers(tracker, config, false)) {
    if (p.note == "unknown ID" || p.note.starts_with("conflict") || p.note.starts_with("a test")) {
      problems.push_back(p.cpp_file + ": marker " + p.go_id + ": " + p.note);
    }
  }
  return problems;
}

}  // namespace natscpp::porttracker
