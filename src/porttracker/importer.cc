#include "importer.h"

#include <algorithm>
#include <set>

#include "go_scanner.h"
#include "util.h"

namespace natscpp::porttracker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

size_t ParseOctal(std::string_view field) {
  size_t v = 0;
  for (char c : field) {
    if (c < '0' || c > '7') break;
    v = v * 8 + static_cast<size_t>(c - '0');
  }
  return v;
}

std::string CString(std::string_view field) {
  return std::string(field.substr(0, std::min(field.find('\0'), field.size())));
}

// Reads the members of a POSIX/pax tar stream as `git archive` writes it.
std::vector<GoFile> ParseTar(std::string_view tar) {
  std::vector<GoFile> files;
  std::string pax_path;
  size_t off = 0;
  while (off + 512 <= tar.size()) {
    const std::string_view h = tar.substr(off, 512);
    if (h.find_first_not_of('\0') == std::string_view::npos) break;  // end blocks
    const size_t size = ParseOctal(h.substr(124, 12));
    const char type = h[156];
    if (off + 512 + size > tar.size()) throw TrackerError("git archive: truncated tar stream");
    const std::string_view body = tar.substr(off + 512, size);
    std::string name = CString(h.substr(0, 100));
    const std::string prefix = CString(h.substr(345, 155));
    if (!prefix.empty()) name = prefix + "/" + name;
    if (type == 'x') {
      // pax records: "LEN key=value\n"
      size_t p = 0;
      while (p < body.size()) {
        const size_t sp = body.find(' ', p);
        if (sp == std::string_view::npos) break;
        size_t len = 0;
        for (char d : body.substr(p, sp - p)) {
          if (d < '0' || d > '9') throw TrackerError("git archive: bad pax record");
          len = len * 10 + static_cast<size_t>(d - '0');
        }
        if (len < sp - p + 2 || p + len > body.size()) throw TrackerError("git archive: bad pax record");
        const std::string_view rec = body.substr(sp + 1, len - (sp - p) - 2);
        if (rec.starts_with("path=")) pax_path = std::string(rec.substr(5));
        p += len;
      }
    } else if (type == '0' || type == '\0') {
      if (!pax_path.empty()) name = pax_path;
      pax_path.clear();
      if (name.ends_with(".go")) files.push_back(GoFile{name, std::string(body)});
    } else if (type != 'g') {
      pax_path.clear();
    }
    off += 512 + (size + 511) / 512 * 512;
  }
  return files;
}

std::string PackageDir(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

}  // namespace

std::vector<GoFile> ReadGoTree(const fs::path& repo, const std::string& tag, std::string* commit) {
  if (!fs::exists(repo)) throw TrackerError(repo.string() + ": no such repository");
  if (tag.empty() || tag.starts_with("-")) throw TrackerError("bad tag '" + tag + "'");
  const std::string sha =
      RunOrThrow({"git", "-C", repo.string(), "rev-parse", "--verify", "-q", tag + "^{commit}"});
  if (commit) *commit = sha.substr(0, sha.find('\n'));
  const std::string tar =
      RunOrThrow({"git", "-C", repo.string(), "archive", "--format=tar", tag, "server"}, {}, false);
  std::vector<GoFile> files = ParseTar(tar);
  if (files.empty()) throw TrackerError(repo.string() + ": no Go files under server/ at " + tag);
  std::sort(files.begin(), files.end(), [](const GoFile& a, const GoFile& b) { return a.path < b.path; });
  return files;
}

std::vector<Item> BuildInventory(const std::vector<GoFile>& files) {
  struct TestCalls {
    size_t index;
    std::vector<std::string> calls;
  };
  std::vector<Item> items;
  std::vector<TestCalls> test_calls;
  // package dir -> call name ("f" or ".m") -> feature IDs
  std::map<std::string, std::map<std::string, std::vector<std::string>>> callable;

  for (const GoFile& f : files) {
    auto decls = ScanGoSource(f.text);
    if (!decls) throw TrackerError(f.path + ": " + decls.error());
    const bool test_file = f.path.ends_with("_test.go");
    std::map<std::string, int> seen;
    for (GoDecl& d : *decls) {
      if (test_file && !IsGoTestFunc(d)) continue;  // helpers are not tracked
      Item it;
      it.kind = std::string(test_file ? kTest : kFeature);
      it.file = f.path;
      it.name = d.QualifiedName();
      const int n = ++seen[it.name];
      if (n > 1) it.name += "#" + std::to_string(n);
      it.id = it.file + ":" + it.name;
      it.start_line = d.start_line;
      it.end_line = d.end_line;
      it.line_count = d.end_line - d.start_line + 1;
      if (test_file) {
        test_calls.push_back(TestCalls{items.size(), std::move(d.calls)});
      } else {
        auto& pkg = callable[PackageDir(f.path)];
        pkg[d.receiver_type.empty() ? d.name : "." + d.name].push_back(it.id);
      }
      items.push_back(std::move(it));
    }
  }

  // A test covers the features of its own package that it calls by name.
  // Method names shared by many types (Stop, String...) say too little to
  // propose anything.
  constexpr size_t kMaxCandidates = 3;
  for (const TestCalls& tc : test_calls) {
    Item& t = items[tc.index];
    const auto pkg = callable.find(PackageDir(t.file));
    if (pkg == callable.end()) continue;
    std::set<std::string> covers;
    for (const std::string& call : tc.calls) {
      const auto hit = pkg->second.find(call);
      if (hit == pkg->second.end() || hit->second.size() > kMaxCandidates) continue;
      covers.insert(hit->second.begin(), hit->second.end());
    }
    t.covers.assign(covers.begin(), covers.end());
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.id < b.id; });
  return items;
}

std::vector<BatchRule> LoadBatchRules(const fs::path& root) {
  const fs::path path = root / "tracker" / "config.json";
  std::vector<BatchRule> rules;
  try {
    const json config = json::parse(ReadFile(path));
    for (const json& r : config.at("batch_rules")) {
      rules.push_back(BatchRule{r.at("pattern").get<std::string>(), r.value("kind", ""),
                                r.at("batch").get<std::string>()});
    }
  } catch (const json::exception& e) {
    throw TrackerError(path.string() + ": malformed batch_rules: " + e.what());
  }
  return rules;
}

std::string BatchFor(const std::vector<BatchRule>& rules, const Item& item) {
  for (const BatchRule& r : rules) {
    if (!r.kind.empty() && r.kind != item.kind) continue;
    const bool match = r.pattern == "*" || r.pattern == item.file ||
                       (r.pattern.ends_with('/') && item.file.starts_with(r.pattern));
    if (match) return r.batch;
  }
  throw TrackerError(item.id + ": no batch rule matches");
}

ImportReport MergeInventory(Tracker& tracker, const std::string& tag, const std::string& commit,
                            std::vector<Item> inventory, const std::vector<BatchRule>& rules) {
  ImportReport report;
  for (const Item& i : inventory) (i.IsTest() ? report.tests : report.features)++;
  tracker.Apply([&](Tracker::Change& c) {
    report.tag_changed = c.meta.tag != tag || c.meta.commit != commit;
    c.meta.tag = tag;
    c.meta.commit = commit;
    std::set<std::string> known_batches;
    for (const Batch& b : c.batches) known_batches.insert(b.id);
    std::map<std::string, const Item*> old;
    for (const Item& i : c.items) old[i.id] = &i;
    std::vector<Item> merged;
    for (Item& n : inventory) {
      const auto o = old.find(n.id);
      if (o == old.end()) {
        report.added.push_back(n.id);
        n.batch = BatchFor(rules, n);
        if (!known_batches.contains(n.batch)) {
          throw TrackerError(n.id + ": batch rule names unknown batch " + n.batch);
        }
        const Batch* b = c.FindBatch(n.batch);
        n.reason = std::string(b && b->scope == "outside" ? kOutsideReason : kDefaultReason);
        merged.push_back(std::move(n));
        continue;
      }
      Item kept = *o->second;
      if (kept.start_line != n.start_line || kept.end_line != n.end_line) report.moved.push_back(n.id);
      kept.start_line = n.start_line;
      kept.end_line = n.end_line;
      kept.line_count = n.line_count;
      if (!kept.covers_manual) kept.covers = n.covers;
      merged.push_back(std::move(kept));
      old.erase(o);
    }
    for (const auto& [id, item] : old) report.removed.push_back(id);
    c.items = std::move(merged);
  });
  return report;
}

}  // namespace natscpp::porttracker
