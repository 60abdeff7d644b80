// The golden sets the parity comparison runs on, by source: this tree's
// golden/ (Debian nats-server 2.9.10, its own view), ../shared/golden
// (recovered by v2.14.5), and a live generator run ($NATSCPP_PARITY_LIVE_DIR).
#ifndef NATSCPP_TESTS_PARITY_COMPARE_PARITY_SETS_H_
#define NATSCPP_TESTS_PARITY_COMPARE_PARITY_SETS_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace natscpp::parity {

struct SetRef {
  std::string label;            // test name part: "Shared_2_14_5_basic"
  std::filesystem::path dir;    // holds store.tar.zst and expect.json
};

std::filesystem::path GoldenRoot();   // NATSCPP_SOURCE_DIR/golden
std::filesystem::path SharedRoot();   // NATSCPP_SHARED_DIR/golden
// Empty when NATSCPP_PARITY_LIVE_DIR is unset.
std::filesystem::path LiveRoot();

// The sets under root, labelled "<prefix>_<relative path>" with every
// character that is not a letter or digit made '_'.
std::vector<SetRef> SetsUnder(const std::filesystem::path& root, std::string_view prefix);

// golden/ then ../shared/golden (what ctest discovers at build time).
std::vector<SetRef> CommittedSets();

// An accepted difference between our view and a set's expect.json.
struct Divergence {
  std::string_view set;    // label or label prefix, e.g. "Golden_2_9_10_basic", "Golden_2_9_10_"
  std::string_view field;  // "state.first_ts", "config.compression", "consumer.num_pending", ...
  std::string_view reason;
};
bool Tolerated(std::string_view set, std::string_view field);

}  // namespace natscpp::parity

#endif  // NATSCPP_TESTS_PARITY_COMPARE_PARITY_SETS_H_
