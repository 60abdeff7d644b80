// The tracker's records: items (Go features and tests), their status
// history, and batches. Their JSON forms are the committed text.
#ifndef NATSCPP_PORTTRACKER_MODEL_H_
#define NATSCPP_PORTTRACKER_MODEL_H_

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace natscpp::porttracker {

inline constexpr std::string_view kFeature = "feature";
inline constexpr std::string_view kTest = "test";

inline constexpr std::string_view kDeferred = "deferred";
inline constexpr std::string_view kStub = "stub";
inline constexpr std::string_view kComplete = "complete";
inline constexpr std::string_view kVerified = "verified";

// The reason every imported item starts with. Inside store batches it does
// not count as a reason to leave an item deferred.
inline constexpr std::string_view kDefaultReason = "not yet ported";
inline constexpr std::string_view kOutsideReason = "outside the store milestone";

struct Item {
  std::string id;    // "server/filestore.go:(*msgBlock).writeMsgRecord"
  std::string kind;  // kFeature or kTest
  std::string file;  // "server/filestore.go"
  std::string name;  // "(*msgBlock).writeMsgRecord"
  int start_line = 0;
  int end_line = 0;
  int line_count = 0;
  std::string batch;
  std::string status{kDeferred};
  std::string reason{kDefaultReason};
  std::string cpp_symbol;  // features: "natscpp::store::MsgBlock::WriteMsgRecord"
  std::string cpp_file;    // repository-relative path
  std::string gtest;       // tests: "Suite.Name" (or a parameterized prefix)
  // features: GoogleTests written for the C++ side that exercise it (for
  // functions Go tests reach only through larger paths)
  std::vector<std::string> gtests;
  std::vector<std::string> covers;  // tests: feature IDs the test exercises
  bool covers_manual = false;       // true once a person set `covers`

  bool IsTest() const { return kind == kTest; }
};

struct HistoryEntry {
  std::string id;
  int seq = 0;
  std::string from;
  std::string to;
  std::string evidence;
  std::vector<std::string> evidence_files;  // "path sha256=..."
  std::string at;                           // UTC, ISO 8601
};

struct Batch {
  std::string id;  // "B07"
  std::string name;
  std::string scope;  // "store" or "outside"
  std::vector<std::string> depends_on;
  std::string description;
  bool completed = false;
  std::string completed_evidence;
};

struct Meta {
  std::string tag;
  std::string commit;
};

nlohmann::json ToJson(const Item& item);
Item ItemFromJson(const nlohmann::json& j);
nlohmann::json ToJson(const HistoryEntry& h);
HistoryEntry HistoryFromJson(const nlohmann::json& j);
nlohmann::json ToJson(const Batch& b);
Batch BatchFromJson(const nlohmann::json& j);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_MODEL_H_
