// Consumer configuration (Go's ConsumerConfig, server/consumer.go v2.14.5)
// and its Go encoding/json form, as persisted in obs/<consumer>/meta.inf
// (FORMAT.md §9). Same conventions as stream_config.h.
#ifndef NATSCPP_STORE_CONSUMER_CONFIG_H_
#define NATSCPP_STORE_CONSUMER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natscpp/store/error.h"
#include "natscpp/store/go_time.h"

namespace natscpp::store {

// ---- enums (numeric values are Go's) ----

enum class DeliverPolicy : int {
  kAll = 0,
  kLast = 1,
  kNew = 2,
  kByStartSequence = 3,
  kByStartTime = 4,
  kLastPerSubject = 5,
};
enum class AckPolicy : int { kNone = 0, kAll = 1, kExplicit = 2, kFlowControl = 3 };
enum class ReplayPolicy : int { kInstant = 0, kOriginal = 1 };
enum class PriorityPolicy : int { kNone = 0, kOverflow = 1, kPinnedClient = 2, kPrioritized = 3 };

// String() forms. Note Go's quirks, kept: AckPolicy falls back to
// "explicit", ReplayPolicy to "\"original\"", and ReplayPolicy and
// PriorityPolicy return their JSON tokens, quotes included.
std::string_view ToString(DeliverPolicy v);
std::string_view ToString(AckPolicy v);
std::string_view ToString(ReplayPolicy v);
std::string_view ToString(PriorityPolicy v);

// MarshalJSON (token with quotes). DeliverPolicy never fails (unknown values
// encode as "undefined"); the others fail with kInvalidArgument.
Result<std::string> MarshalJson(DeliverPolicy v);
Result<std::string> MarshalJson(AckPolicy v);
Result<std::string> MarshalJson(ReplayPolicy v);
Result<std::string> MarshalJson(PriorityPolicy v);

// UnmarshalJSON from the raw token; kBadEncoding on failure, output unchanged.
Result<void> UnmarshalJson(std::string_view data, DeliverPolicy& out);
Result<void> UnmarshalJson(std::string_view data, AckPolicy& out);
Result<void> UnmarshalJson(std::string_view data, ReplayPolicy& out);
Result<void> UnmarshalJson(std::string_view data, PriorityPolicy& out);

struct ConsumerConfig {
  std::string durable;                                // "durable_name", omitempty
  std::string name;                                   // "name", omitempty
  std::string description;                            // "description", omitempty
  DeliverPolicy deliver_policy = DeliverPolicy::kAll;  // "deliver_policy"
  uint64_t opt_start_seq = 0;                         // "opt_start_seq", omitempty
  std::optional<GoTime> opt_start_time;               // "opt_start_time", omitempty
  AckPolicy ack_policy = AckPolicy::kNone;            // "ack_policy"
  std::chrono::nanoseconds ack_wait{0};               // "ack_wait", omitempty
  int64_t max_deliver = 0;                            // "max_deliver", omitempty
  std::vector<std::chrono::nanoseconds> backoff;      // "backoff", omitempty
  std::string filter_subject;                         // "filter_subject", omitempty
  std::vector<std::string> filter_subjects;           // "filter_subjects", omitempty
  ReplayPolicy replay_policy = ReplayPolicy::kInstant;  // "replay_policy"
  uint64_t rate_limit = 0;                            // "rate_limit_bps", omitempty (bits/s)
  std::string sample_frequency;                       // "sample_freq", omitempty
  int64_t max_waiting = 0;                            // "max_waiting", omitempty
  int64_t max_ack_pending = 0;                        // "max_ack_pending", omitempty
  bool flow_control = false;                          // "flow_control", omitempty
  bool headers_only = false;                          // "headers_only", omitempty
  int64_t max_request_batch = 0;                      // "max_batch", omitempty
  std::chrono::nanoseconds max_request_expires{0};    // "max_expires", omitempty
  int64_t max_request_max_bytes = 0;                  // "max_bytes", omitempty
  std::string deliver_subject;                        // "deliver_subject", omitempty
  std::string deliver_group;                          // "deliver_group", omitempty
  std::chrono::nanoseconds heartbeat{0};              // "idle_heartbeat", omitempty
  std::chrono::nanoseconds inactive_threshold{0};     // "inactive_threshold", omitempty
  int64_t replicas = 0;                               // "num_replicas"
  bool memory_storage = false;                        // "mem_storage", omitempty
  bool direct = false;                                // "direct", omitempty
  bool sourcing = false;                              // "sourcing", omitempty
  std::map<std::string, std::string> metadata;        // "metadata", omitempty
  std::optional<GoTime> pause_until;                  // "pause_until", omitempty
  std::vector<std::string> priority_groups;           // "priority_groups", omitempty
  PriorityPolicy priority_policy = PriorityPolicy::kNone;  // "priority_policy", omitempty
  std::chrono::nanoseconds pinned_ttl{0};             // "priority_timeout", omitempty
  bool operator==(const ConsumerConfig&) const = default;
};

// The content of a consumer's meta.inf: "Created" and "Name" (untagged Go
// fields, capitalised keys) followed by the config's fields flattened. The
// config has its own lower-case "name" as well.
struct FileConsumerInfo {
  GoTime created;
  std::string name;
  ConsumerConfig config;
  bool operator==(const FileConsumerInfo&) const = default;
};

Result<std::string> EncodeConsumerConfig(const ConsumerConfig& cfg);
Result<std::string> EncodeFileConsumerInfo(const FileConsumerInfo& info);
Result<ConsumerConfig> DecodeConsumerConfig(std::string_view json, JsonMode mode = JsonMode::kStrict);
Result<FileConsumerInfo> DecodeFileConsumerInfo(std::string_view json,
                                                JsonMode mode = JsonMode::kStrict);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_CONSUMER_CONFIG_H_
