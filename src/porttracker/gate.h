// `batch complete`: the gate a batch passes to be marked complete.
#ifndef NATSCPP_PORTTRACKER_GATE_H_
#define NATSCPP_PORTTRACKER_GATE_H_

#include <string>
#include <vector>

#include "operations.h"
#include "tracker.h"

namespace natscpp::porttracker {

struct GateResult {
  bool passed = false;
  std::vector<std::string> failures;  // "ID: reason" or "build: ..."
  std::string summary;
};

// Checks, in order: dependencies complete; every item verified or deferred
// with a specific reason; the build; the mapped GoogleTests (run through
// ctest, read from its JUnit output); the stub scan. Marks the batch
// complete only when all pass.
GateResult CompleteBatch(Tracker& tracker, const Config& config, const std::string& batch_id);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_GATE_H_
