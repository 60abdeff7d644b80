#include "proposal.h"

#include <regex>
#include <set>

#include "util.h"

namespace natscpp::porttracker {

Proposal ParseProposal(std::string_view markdown) {
  Proposal p;
  static const std::regex kHeader(R"(^## (B\d+) )");
  std::string batch;
  bool in_block = false, helpers = false;
  for (const std::string& line : SplitLines(markdown)) {
    std::smatch m;
    if (std::regex_search(line, m, kHeader)) {
      batch = m[1].str();
      continue;
    }
    if (line.starts_with("```")) {
      in_block = !in_block;
      helpers = false;
      continue;
    }
    if (!in_block || batch.empty()) continue;
    if (line.starts_with("# test helpers")) helpers = true;
    if (helpers || !line.starts_with("server/")) continue;
    const size_t colon = line.find(':');
    const std::string_view rest = std::string_view(line).substr(colon + 1);
    if (rest.starts_with("type:") || rest.starts_with("const:") || rest.starts_with("var:")) continue;
    p.ids[batch].push_back(line);
  }
  return p;
}

AdoptReport AdoptProposal(Tracker& tracker, const Proposal& proposal) {
  AdoptReport r;
  tracker.Apply([&](Tracker::Change& c) {
    std::set<std::string> seen;
    for (const auto& [batch, ids] : proposal.ids) {
      if (!c.FindBatch(batch)) throw TrackerError("proposal names batch " + batch + ", which the tracker lacks");
      for (const std::string& id : ids) {
        if (!seen.insert(id).second) {
          r.twice.push_back(id);
          continue;
        }
        Item* i = c.FindItem(id);
        if (!i) {
          r.unknown.push_back(id);
          continue;
        }
        i->batch = batch;
        if (i->status == kDeferred && i->reason == kOutsideReason) i->reason = std::string(kDefaultReason);
        ++r.placed;
      }
    }
  });
  return r;
}

}  // namespace natscpp::porttracker
