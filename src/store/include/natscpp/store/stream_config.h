// Stream configuration (Go's StreamConfig, server/stream.go v2.14.5) and its
// Go encoding/json form, as persisted in a stream's meta.inf (FORMAT.md §8).
//
// Field order, JSON keys and omitempty rules follow the Go struct exactly, so
// that EncodeFileStreamInfo(DecodeFileStreamInfo(b)) == b for files the Go
// server wrote. Durations are nanoseconds; pointers in Go are std::optional
// here (present-but-empty and absent encode differently); Go's omitempty
// slices and maps are plain containers (empty and nil encode the same).
#ifndef NATSCPP_STORE_STREAM_CONFIG_H_
#define NATSCPP_STORE_STREAM_CONFIG_H_

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

enum class RetentionPolicy : int { kLimits = 0, kInterest = 1, kWorkQueue = 2 };
enum class DiscardPolicy : int { kOld = 0, kNew = 1 };
// Go's zero value (0) is not a valid storage type and does not encode.
enum class StorageType : int { kFile = 22, kMemory = 33 };
enum class PersistMode : int { kDefault = 0, kAsync = 1 };
// The "compression" field. The block codec itself (Go's StoreCompression)
// belongs to area s2; this enum only carries the config value, with Go's
// numbering so that a static_cast converts between the two.
enum class StreamCompression : uint8_t { kNone = 0, kS2 = 1 };

// String() forms (for logs); out-of-range values give Go's "Unknown ..." text.
std::string_view ToString(RetentionPolicy v);
std::string_view ToString(DiscardPolicy v);
std::string_view ToString(StorageType v);
std::string_view ToString(PersistMode v);
std::string_view ToString(StreamCompression v);

// MarshalJSON: the JSON token (with quotes). Out-of-range values fail with
// kInvalidArgument, as in Go.
Result<std::string> MarshalJson(RetentionPolicy v);
Result<std::string> MarshalJson(DiscardPolicy v);
Result<std::string> MarshalJson(StorageType v);
Result<std::string> MarshalJson(PersistMode v);
Result<std::string> MarshalJson(StreamCompression v);

// UnmarshalJSON: `data` is the raw JSON token (with quotes). On failure the
// output is left unchanged and the error is kBadEncoding.
Result<void> UnmarshalJson(std::string_view data, RetentionPolicy& out);
Result<void> UnmarshalJson(std::string_view data, DiscardPolicy& out);
Result<void> UnmarshalJson(std::string_view data, StorageType& out);
Result<void> UnmarshalJson(std::string_view data, PersistMode& out);
Result<void> UnmarshalJson(std::string_view data, StreamCompression& out);

// ---- nested types ----

struct Placement {
  std::string cluster;            // "cluster", omitempty
  std::vector<std::string> tags;  // "tags", omitempty
  std::string preferred;          // "preferred", omitempty
  bool operator==(const Placement&) const = default;
};

struct SubjectTransformConfig {
  std::string source;       // "src"
  std::string destination;  // "dest"
  bool operator==(const SubjectTransformConfig&) const = default;
};

struct ExternalStream {
  std::string api_prefix;      // "api"
  std::string deliver_prefix;  // "deliver"
  bool operator==(const ExternalStream&) const = default;
};

struct StreamConsumerSource {
  std::string name;             // "name", omitempty
  std::string deliver_subject;  // "deliver_subject", omitempty
  bool operator==(const StreamConsumerSource&) const = default;
};

struct StreamSource {
  std::string name;                                        // "name"
  uint64_t opt_start_seq = 0;                              // "opt_start_seq", omitempty
  std::optional<GoTime> opt_start_time;                    // "opt_start_time", omitempty
  std::string filter_subject;                              // "filter_subject", omitempty
  std::vector<SubjectTransformConfig> subject_transforms;  // "subject_transforms", omitempty
  std::optional<ExternalStream> external;                  // "external", omitempty
  std::optional<StreamConsumerSource> consumer;            // "consumer", omitempty
  bool operator==(const StreamSource&) const = default;
};

struct RePublish {
  std::string source;         // "src", omitempty
  std::string destination;    // "dest"
  bool headers_only = false;  // "headers_only", omitempty
  bool operator==(const RePublish&) const = default;
};

struct StreamConsumerLimits {
  std::chrono::nanoseconds inactive_threshold{0};  // "inactive_threshold", omitempty
  int64_t max_ack_pending = 0;                     // "max_ack_pending", omitempty
  bool operator==(const StreamConsumerLimits&) const = default;
};

// ---- the stream config ----

struct StreamConfig {
  std::string name;                                      // "name"
  std::string description;                               // "description", omitempty
  std::vector<std::string> subjects;                     // "subjects", omitempty
  RetentionPolicy retention = RetentionPolicy::kLimits;  // "retention"
  int64_t max_consumers = 0;                             // "max_consumers"
  int64_t max_msgs = 0;                                  // "max_msgs"
  int64_t max_bytes = 0;                                 // "max_bytes"
  std::chrono::nanoseconds max_age{0};                   // "max_age"
  int64_t max_msgs_per = 0;                              // "max_msgs_per_subject"
  int32_t max_msg_size = 0;                              // "max_msg_size", omitempty
  DiscardPolicy discard = DiscardPolicy::kOld;           // "discard"
  StorageType storage{};                                 // "storage" (Go zero: invalid)
  int64_t replicas = 0;                                  // "num_replicas"
  bool no_ack = false;                                   // "no_ack", omitempty
  std::chrono::nanoseconds duplicates{0};                // "duplicate_window", omitempty
  std::optional<Placement> placement;                    // "placement", omitempty
  std::optional<StreamSource> mirror;                    // "mirror", omitempty
  std::vector<StreamSource> sources;                     // "sources", omitempty
  StreamCompression compression = StreamCompression::kNone;  // "compression"
  uint64_t first_seq = 0;                                // "first_seq", omitempty
  std::optional<SubjectTransformConfig> subject_transform;  // "subject_transform", omitempty
  std::optional<RePublish> republish;                    // "republish", omitempty
  bool allow_direct = false;                             // "allow_direct"
  bool mirror_direct = false;                            // "mirror_direct"
  bool discard_new_per = false;                          // "discard_new_per_subject", omitempty
  bool sealed = false;                                   // "sealed"
  bool deny_delete = false;                              // "deny_delete"
  bool deny_purge = false;                               // "deny_purge"
  bool allow_rollup = false;                             // "allow_rollup_hdrs"
  StreamConsumerLimits consumer_limits;                  // "consumer_limits"
  bool allow_msg_ttl = false;                            // "allow_msg_ttl"
  std::chrono::nanoseconds subject_delete_marker_ttl{0};  // "subject_delete_marker_ttl", omitempty
  bool allow_msg_counter = false;                        // "allow_msg_counter", omitempty
  bool allow_atomic_publish = false;                     // "allow_atomic", omitempty
  bool allow_msg_schedules = false;                      // "allow_msg_schedules", omitempty
  PersistMode persist_mode = PersistMode::kDefault;      // "persist_mode", omitempty
  bool allow_batch_publish = false;                      // "allow_batched", omitempty
  std::map<std::string, std::string> metadata;           // "metadata", omitempty
  bool operator==(const StreamConfig&) const = default;
};

// The content of a stream's meta.inf: "Created" followed by the config's
// fields flattened into the same object.
struct FileStreamInfo {
  GoTime created;
  StreamConfig config;
  bool operator==(const FileStreamInfo&) const = default;
};

// Encoders produce Go's json.Marshal bytes; they fail (kInvalidArgument,
// naming the field) only where Go's would: an enum or time with no encoding.
Result<std::string> EncodeStreamConfig(const StreamConfig& cfg);
Result<std::string> EncodeFileStreamInfo(const FileStreamInfo& info);

// Decoders accept what Go's json.Unmarshal accepts into these types (keys
// matched exactly, else case-insensitively; null leaves a value as is); in
// kStrict mode an unknown key anywhere is an error. Errors are kBadEncoding
// and name the field.
Result<StreamConfig> DecodeStreamConfig(std::string_view json, JsonMode mode = JsonMode::kStrict);
Result<FileStreamInfo> DecodeFileStreamInfo(std::string_view json, JsonMode mode = JsonMode::kStrict);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_STREAM_CONFIG_H_
