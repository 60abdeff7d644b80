// What the tracker's commands do, apart from parsing arguments: mapping,
// status changes with their refusals, the stub scan over the tree, marker
// proposals and the consistency check.
#ifndef NATSCPP_PORTTRACKER_OPERATIONS_H_
#define NATSCPP_PORTTRACKER_OPERATIONS_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "stub_scan.h"
#include "tracker.h"

namespace natscpp::porttracker {

inline constexpr size_t kMaxIdsPerUpdate = 15;

struct Config {
  std::vector<std::string> scan_paths{"src", "tests", "bench"};
  std::vector<std::string> assertion_helpers;
  std::string build_dir = "build";
  std::vector<std::string> build_command;
  std::vector<std::string> ctest_command;
};
Config LoadConfig(const std::filesystem::path& root);

struct StatusUpdate {
  std::string kind;  // kFeature or kTest
  std::vector<std::string> ids;
  std::string status;
  std::string evidence;
  std::vector<std::filesystem::path> evidence_files;
  std::string reason;  // required for deferred
};
// Applies the update to every ID or, refusing, to none (TrackerError).
void UpdateStatus(Tracker& tracker, const Config& config, const StatusUpdate& update);

// `gtests`: GoogleTests of the C++ side that exercise the feature (kept
// as they were when `set_gtests` is false).
// Moves items to another batch (an item ported with a batch it was not
// placed in, such as a helper from outside the store's files).
void AssignBatch(Tracker& tracker, const std::string& batch, const std::vector<std::string>& ids);

void MapFeature(Tracker& tracker, const std::string& id, const std::string& cpp_symbol,
                const std::string& cpp_file, const std::vector<std::string>& gtests = {},
                bool set_gtests = false);
void MapTest(Tracker& tracker, const Config& config, const std::string& id, const std::string& gtest,
             const std::vector<std::string>& covers, bool set_covers);

// One stub-scan finding.
struct Finding {
  std::string file;  // repository-relative
  int line = 0;
  std::string what;
  std::string go_id;  // the tracked item it belongs to, empty when unmapped
};
// Scans `paths` (repository-relative or absolute; the config's scan paths
// when empty) and attributes findings to tracked items.
std::vector<Finding> StubScan(Tracker& tracker, const Config& config,
                              const std::vector<std::string>& paths = {});

// Whether an item's C++ side exists, and what the scan says of it.
struct ItemCheck {
  bool found = false;
  std::string where;               // file:line of the definition
  std::vector<std::string> flags;  // stub findings
};
ItemCheck CheckItem(Tracker& tracker, const Config& config, const Item& item);

// True when a GoogleTest name (as ctest lists it, e.g. "Pfx/Suite.Name/0")
// belongs to a tracker mapping ("Suite.Name" or a suite/name prefix).
bool GtestMatches(const std::string& mapping, const std::string& test_name);

struct JunitCase {
  std::string name;
  bool passed = false;
};
// Reads ctest's (or GoogleTest's) JUnit XML.
std::vector<JunitCase> ReadJunit(const std::string& xml);

struct MarkerProposal {
  std::string go_id;
  std::string cpp_symbol;
  std::string cpp_file;
  std::string note;  // "new", "same", "conflict: ...", "unknown ID"
};
std::vector<MarkerProposal> ScanMarkers(Tracker& tracker, const Config& config, bool apply);

// Proposes Go test mappings from GoogleTests named after a Go test
// (a test named Suite.TestGoName): a name shared by exactly one Go test maps to
// it. With `apply`, records those not mapped yet.
std::vector<MarkerProposal> ScanTests(Tracker& tracker, const Config& config, bool apply);

// The consistency gate: problems, one line each; empty when consistent.
std::vector<std::string> CheckConsistency(Tracker& tracker, const Config& config);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_OPERATIONS_H_
