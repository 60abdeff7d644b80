#include "report.h"

#include <algorithm>
#include <cstdio>

namespace natscpp::porttracker {
using nlohmann::json;

namespace {

const char* kStatuses[] = {"deferred", "stub", "complete", "verified"};

std::string Percent(int part, int whole) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f%%", whole ? 100.0 * part / whole : 0.0);
  return buf;
}

// A 20-cell bar: '#' verified, '+' complete, '~' stub, '.' the rest.
std::string Bar(const std::map<std::string, int>& c, int total) {
  if (total == 0) return "[" + std::string(20, ' ') + "]";
  auto cells = [&](const char* s) {
    const auto it = c.find(s);
    return it == c.end() ? 0 : it->second * 20 / total;
  };
  const int v = cells("verified"), k = cells("complete"), s = cells("stub");
  return "[" + std::string(v, '#') + std::string(k, '+') + std::string(s, '~') +
         std::string(std::max(0, 20 - v - k - s), '.') + "]";
}

int Sum(const std::map<std::string, int>& c) {
  int n = 0;
  for (const auto& [k, v] : c) n += v;
  return n;
}

std::map<std::string, int> Merge(const BatchCounts& b) {
  std::map<std::string, int> m = b.features;
  for (const auto& [k, v] : b.tests) m[k] += v;
  return m;
}

std::string CountsText(const std::map<std::string, int>& c) {
  std::string out;
  for (const char* s : kStatuses) {
    const auto it = c.find(s);
    if (!out.empty()) out += " ";
    out += std::string(s) + "=" + std::to_string(it == c.end() ? 0 : it->second);
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::map<std::string, BatchCounts> CountByBatch(Tracker& tracker) {
  std::map<std::string, BatchCounts> out;
  for (const Batch& b : tracker.Batches()) out[b.id];
  for (const Item& i : tracker.Items()) {
    BatchCounts& c = out[i.batch];
    (i.IsTest() ? c.tests : c.features)[i.status]++;
    (i.IsTest() ? c.test_lines : c.feature_lines) += i.line_count;
  }
  return out;
}

std::string BatchStatus(const Batch& batch, const std::vector<Batch>& all,
                        const std::map<std::string, int>& counts) {
  if (batch.completed) return "complete";
  if (batch.scope != "store") return "deferred";
  for (const std::string& d : batch.depends_on) {
    const auto dep = std::find_if(all.begin(), all.end(), [&](const Batch& b) { return b.id == d; });
    if (dep == all.end() || !dep->completed) return "blocked";
  }
  for (const auto& [status, n] : counts) {
    if (status != "deferred" && n > 0) return "in progress";
  }
  return "ready";
}

json BatchesJson(Tracker& tracker) {
  const std::vector<Batch> batches = tracker.Batches();
  const auto counts = CountByBatch(tracker);
  json out = json::array();
  for (const Batch& b : batches) {
    const BatchCounts& c = counts.at(b.id);
    out.push_back({{"id", b.id},
                   {"name", b.name},
                   {"scope", b.scope},
                   {"status", BatchStatus(b, batches, Merge(c))},
                   {"depends_on", b.depends_on},
                   {"features", c.features},
                   {"tests", c.tests},
                   {"counts", Merge(c)},
                   {"go_lines", c.feature_lines},
                   {"test_lines", c.test_lines}});
  }
  return out;
}

std::string RenderSummary(Tracker& tracker) {
  const Meta meta = tracker.GetMeta();
  const std::vector<Batch> batches = tracker.Batches();
  const auto counts = CountByBatch(tracker);
  std::map<std::string, int> all_f, all_t, store_f, store_t;
  for (const Batch& b : batches) {
    const BatchCounts& c = counts.at(b.id);
    for (const auto& [k, v] : c.features) {
      all_f[k] += v;
      if (b.scope == "store") store_f[k] += v;
    }
    for (const auto& [k, v] : c.tests) {
      all_t[k] += v;
      if (b.scope == "store") store_t[k] += v;
    }
  }
  auto line = [](const std::string& label, const std::map<std::string, int>& c) {
    const int total = Sum(c);
    const auto v = c.find("verified");
    const int done = v == c.end() ? 0 : v->second;
    char head[64];
    std::snprintf(head, sizeof head, "%-22s %5d ", label.c_str(), total);
    return std::string(head) + Bar(c, total) + " " + Percent(done, total) + " verified  " + CountsText(c) + "\n";
  };
  std::string out = "natscpp port of nats-server " + meta.tag + " (" + meta.commit.substr(0, 12) + ")\n\n";
  out += line("all features", all_f) + line("all tests", all_t);
  out += line("store features", store_f) + line("store tests", store_t);
  out += "\nBatches (bar: # verified, + complete, ~ stub, . deferred):\n";
  for (const Batch& b : batches) {
    const BatchCounts& c = counts.at(b.id);
    const std::map<std::string, int> m = Merge(c);
    const int total = Sum(m);
    const auto v = m.find("verified");
    char head[160];
    std::snprintf(head, sizeof head, "%-4s %-12s %5d ", b.id.c_str(), BatchStatus(b, batches, m).c_str(), total);
    out += std::string(head) + Bar(m, total) + " " + Percent(v == m.end() ? 0 : v->second, total) + "  " +
           b.name + "\n";
  }
  return out;
}

std::string RenderBatchesMarkdown(Tracker& tracker) {
  const Meta meta = tracker.GetMeta();
  const std::vector<Batch> batches = tracker.Batches();
  const auto counts = CountByBatch(tracker);
  std::string out;
  out += "# Port batches\n\n";
  out += "Generated by `porttracker report export batches.md` from `tracker/`; do not edit by hand.\n";
  out += "Inventory: nats-server `" + meta.tag + "` (commit `" + meta.commit + "`).\n\n";
  out += "Status of a batch: `complete` (passed `porttracker batch complete`), `in progress` or `ready` "
         "(its dependencies are complete), `blocked` (waiting on a dependency), `deferred` (outside the "
         "store milestone).\n\n";
  out += "| Batch | Name | Depends on | Status | Features (deferred/stub/complete/verified) | Tests "
         "(deferred/stub/verified) | Go lines | Test lines |\n";
  out += "|---|---|---|---|---|---|---|---|\n";
  auto get = [](const std::map<std::string, int>& m, const char* k) {
    const auto it = m.find(k);
    return std::to_string(it == m.end() ? 0 : it->second);
  };
  int tf = 0, tt = 0, tfl = 0, ttl = 0;
  for (const Batch& b : batches) {
    const BatchCounts& c = counts.at(b.id);
    const int nf = Sum(c.features), nt = Sum(c.tests);
    tf += nf;
    tt += nt;
    tfl += c.feature_lines;
    ttl += c.test_lines;
    out += "| " + b.id + " | " + b.name + " | " + (b.depends_on.empty() ? "—" : Join(b.depends_on, ", ")) + " | " +
           BatchStatus(b, batches, Merge(c)) + " | " + std::to_string(nf) + " (" + get(c.features, "deferred") + "/" +
           get(c.features, "stub") + "/" + get(c.features, "complete") + "/" + get(c.features, "verified") + ") | " +
           std::to_string(nt) + " (" + get(c.tests, "deferred") + "/" + get(c.tests, "stub") + "/" +
           get(c.tests, "verified") + ") | " + std::to_string(c.feature_lines) + " | " +
           std::to_string(c.test_lines) + " |\n";
  }
  out += "| **Total** | | | | **" + std::to_string(tf) + "** | **" + std::to_string(tt) + "** | **" +
         std::to_string(tfl) + "** | **" + std::to_string(ttl) + "** |\n\n";
  for (const Batch& b : batches) {
    out += "## " + b.id + " — " + b.name + "\n\n";
    if (!b.description.empty()) out += b.description + "\n\n";
    out += "- Depends on: " + (b.depends_on.empty() ? std::string("none") : Join(b.depends_on, ", ")) + "\n";
    out += "- Scope: " + b.scope + "\n";
    if (b.completed) out += "- Completed: " + b.completed_evidence + "\n";
    const auto items = tracker.Items(ItemFilter{"", b.id, ""});
    std::map<std::string, int> reasons;
    for (const Item& i : items) {
      if (i.status == "deferred") reasons[i.reason]++;
    }
    for (const auto& [r, n] : reasons) out += "- Deferred (" + std::to_string(n) + "): " + r + "\n";
    // Items that moved past deferred are listed; the rest are counted.
    std::string moved;
    for (const Item& i : items) {
      if (i.status == "deferred") continue;
      moved += "| `" + i.id + "` | " + i.status + " | " +
               (i.IsTest() ? (i.gtest.empty() ? "" : "`" + i.gtest + "`")
                           : (i.cpp_symbol.empty() ? "" : "`" + i.cpp_symbol + "`")) +
               " |\n";
    }
    if (!moved.empty()) out += "\n| Item | Status | C++ |\n|---|---|---|\n" + moved;
    out += "\n";
  }
  return out;
}

}  // namespace natscpp::porttracker
