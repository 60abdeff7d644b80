#include "parity_sets.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iterator>

#include "golden_store.h"

namespace natscpp::parity {
namespace {

// Differences we accept, each with its reason. For this tree's own 2.9.10
// sets (golden/) the expectations are what 2.9.10 itself reported; a
// difference from that view is listed here or it fails. `set` is a label
// prefix.
const std::vector<Divergence>& ToleratedTable() {
  static const std::vector<Divergence> table = {
      {"Golden_2_9_10_", "config.compression",
       "2.9.10's StreamConfig has no compression; v2.14.5's encoder always writes it (\"none\")"},
      {"Golden_2_9_10_", "config.allow_msg_ttl",
       "2.9.10's StreamConfig has no allow_msg_ttl; v2.14.5's encoder always writes it (false)"},
      {"Golden_2_9_10_", "config.consumer_limits",
       "2.9.10's StreamConfig has no consumer_limits; v2.14.5's encoder always writes it ({})"},
      // Live sets come from the same Debian nats-server 2.9.10.
      {"Live_", "config.compression",
       "2.9.10's StreamConfig has no compression; v2.14.5's encoder always writes it (\"none\")"},
      {"Live_", "config.allow_msg_ttl",
       "2.9.10's StreamConfig has no allow_msg_ttl; v2.14.5's encoder always writes it (false)"},
      {"Live_", "config.consumer_limits",
       "2.9.10's StreamConfig has no consumer_limits; v2.14.5's encoder always writes it ({})"},
  };
  return table;
}

}  // namespace

std::filesystem::path GoldenRoot() { return std::filesystem::path(NATSCPP_SOURCE_DIR) / "golden"; }
std::filesystem::path SharedRoot() { return std::filesystem::path(NATSCPP_SHARED_DIR) / "golden"; }

std::filesystem::path LiveRoot() {
  const char* env = std::getenv("NATSCPP_PARITY_LIVE_DIR");
  return env != nullptr ? std::filesystem::path(env) : std::filesystem::path();
}

std::vector<SetRef> SetsUnder(const std::filesystem::path& root, std::string_view prefix) {
  std::vector<SetRef> out;
  if (root.empty()) return out;
  for (const auto& dir : store::testing::GoldenSetDirs(root)) {
    std::string label(prefix);
    label += '_';
    for (char c : dir.lexically_relative(root).generic_string()) {
      label += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    out.push_back({label, dir});
  }
  return out;
}

std::vector<SetRef> CommittedSets() {
  std::vector<SetRef> out = SetsUnder(GoldenRoot(), "Golden");
  std::vector<SetRef> shared = SetsUnder(SharedRoot(), "Shared");
  out.insert(out.end(), std::make_move_iterator(shared.begin()), std::make_move_iterator(shared.end()));
  return out;
}

bool Tolerated(std::string_view set, std::string_view field) {
  const auto& t = ToleratedTable();
  return std::any_of(t.begin(), t.end(),
                     [&](const Divergence& d) { return set.starts_with(d.set) && d.field == field; });
}

}  // namespace natscpp::parity
