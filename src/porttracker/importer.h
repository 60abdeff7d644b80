// Builds the inventory of Go features and tests from a nats-server tree at
// a tag, and merges it into the tracker.
#ifndef NATSCPP_PORTTRACKER_IMPORTER_H_
#define NATSCPP_PORTTRACKER_IMPORTER_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model.h"
#include "tracker.h"

namespace natscpp::porttracker {

struct GoFile {
  std::string path;  // "server/filestore.go"
  std::string text;
};

// Reads every .go file under server/ at `tag` from a checkout or a bare
// repository, with git.
std::vector<GoFile> ReadGoTree(const std::filesystem::path& repo, const std::string& tag,
                               std::string* commit);

// The inventory of the given files: features of non-test files, tests of
// _test.go files, with proposed coverage for the tests. Batches are not set.
std::vector<Item> BuildInventory(const std::vector<GoFile>& files);

// Where new items go: the first rule whose file pattern matches (a path, or
// a prefix ending in '/', or "*" for anything).
struct BatchRule {
  std::string pattern;
  std::string kind;  // empty: features and tests
  std::string batch;
};
std::vector<BatchRule> LoadBatchRules(const std::filesystem::path& root);
std::string BatchFor(const std::vector<BatchRule>& rules, const Item& item);

struct ImportReport {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> moved;  // same ID, other lines
  bool tag_changed = false;
  int features = 0;
  int tests = 0;
};

// Merges `inventory` into the tracker: new IDs get their rule's batch and
// the default status; removed IDs leave; others keep their mapping and
// status and take the new lines (and coverage, unless set by hand).
ImportReport MergeInventory(Tracker& tracker, const std::string& tag, const std::string& commit,
                            std::vector<Item> inventory, const std::vector<BatchRule>& rules);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_IMPORTER_H_
