// Progress reports: the text summary and the generated batches.md.
#ifndef NATSCPP_PORTTRACKER_REPORT_H_
#define NATSCPP_PORTTRACKER_REPORT_H_

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tracker.h"

namespace natscpp::porttracker {

// "complete", "in progress", "ready", "blocked" or "deferred" (a batch
// outside the store milestone).
std::string BatchStatus(const Batch& batch, const std::vector<Batch>& all,
                        const std::map<std::string, int>& counts);

struct BatchCounts {
  std::map<std::string, int> features;  // status -> count
  std::map<std::string, int> tests;
  int feature_lines = 0;
  int test_lines = 0;
};
std::map<std::string, BatchCounts> CountByBatch(Tracker& tracker);

nlohmann::json BatchesJson(Tracker& tracker);
std::string RenderSummary(Tracker& tracker);
// Deterministic: the same records always give the same bytes.
std::string RenderBatchesMarkdown(Tracker& tracker);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_REPORT_H_
