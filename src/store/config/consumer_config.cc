// Go encoding/json form of ConsumerConfig and FileConsumerInfo
// (obs/<consumer>/meta.inf), in the Go struct's field order with its
// omitempty rules (priority_policy 0 is dropped before MarshalJSON runs).
#include "natscpp/store/consumer_config.h"

#include <string>
#include <vector>

#include "config/go_json.h"

namespace natscpp::store {

namespace {

using config::DecodeCtx;
using config::FieldSpec;
using config::GoJsonWriter;
using config::Json;

void WriteString(GoJsonWriter& w, std::string_view key, const std::string& s) {
  w.Key(key);
  w.String(s);
}

void WriteStringsIfAny(GoJsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  if (v.empty()) return;
  w.Key(key);
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

void WriteIntIfNonZero(GoJsonWriter& w, std::string_view key, int64_t v) {
  if (v == 0) return;
  w.Key(key);
  w.Int(v);
}

void WriteDurationIfNonZero(GoJsonWriter& w, std::string_view key, std::chrono::nanoseconds d) {
  if (d.count() == 0) return;
  w.Key(key);
  w.Duration(d);
}

void WriteTrueIfSet(GoJsonWriter& w, std::string_view key, bool b) {
  if (!b) return;
  w.Key(key);
  w.Bool(true);
}

Result<void> WriteConsumerConfigFields(GoJsonWriter& w, const ConsumerConfig& c) {
  using config::WriteEnum;
  if (!c.durable.empty()) WriteString(w, "durable_name", c.durable);
  if (!c.name.empty()) WriteString(w, "name", c.name);
  if (!c.description.empty()) WriteString(w, "description", c.description);
  if (auto r = WriteEnum(w, c.deliver_policy, "deliver_policy"); !r) return r;
  if (c.opt_start_seq != 0) {
    w.Key("opt_start_seq");
    w.Uint(c.opt_start_seq);
  }
  if (c.opt_start_time) {
    if (auto r = config::WriteTime(w, *c.opt_start_time, "opt_start_time"); !r) return r;
  }
  if (auto r = WriteEnum(w, c.ack_policy, "ack_policy"); !r) return r;
  WriteDurationIfNonZero(w, "ack_wait", c.ack_wait);
  WriteIntIfNonZero(w, "max_deliver", c.max_deliver);
  if (!c.backoff.empty()) {
    w.Key("backoff");
    w.BeginArray();
    for (const auto d : c.backoff) w.Duration(d);
    w.EndArray();
  }
  if (!c.filter_subject.empty()) WriteString(w, "filter_subject", c.filter_subject);
  WriteStringsIfAny(w, "filter_subjects", c.filter_subjects);
  if (auto r = WriteEnum(w, c.replay_policy, "replay_policy"); !r) return r;
  if (c.rate_limit != 0) {
    w.Key("rate_limit_bps");
    w.Uint(c.rate_limit);
  }
  if (!c.sample_frequency.empty()) WriteString(w, "sample_freq", c.sample_frequency);
  WriteIntIfNonZero(w, "max_waiting", c.max_waiting);
  WriteIntIfNonZero(w, "max_ack_pending", c.max_ack_pending);
  WriteTrueIfSet(w, "flow_control", c.flow_control);
  WriteTrueIfSet(w, "headers_only", c.headers_only);
  WriteIntIfNonZero(w, "max_batch", c.max_request_batch);
  WriteDurationIfNonZero(w, "max_expires", c.max_request_expires);
  WriteIntIfNonZero(w, "max_bytes", c.max_request_max_bytes);
  if (!c.deliver_subject.empty()) WriteString(w, "deliver_subject", c.deliver_subject);
  if (!c.deliver_group.empty()) WriteString(w, "deliver_group", c.deliver_group);
  WriteDurationIfNonZero(w, "idle_heartbeat", c.heartbeat);
  WriteDurationIfNonZero(w, "inactive_threshold", c.inactive_threshold);
  w.Key("num_replicas");
  w.Int(c.replicas);
  WriteTrueIfSet(w, "mem_storage", c.memory_storage);
  WriteTrueIfSet(w, "direct", c.direct);
  WriteTrueIfSet(w, "sourcing", c.sourcing);
  if (!c.metadata.empty()) {
    w.Key("metadata");
    w.BeginObject();
    for (const auto& [k, v] : c.metadata) WriteString(w, k, v);
    w.EndObject();
  }
  if (c.pause_until) {
    if (auto r = config::WriteTime(w, *c.pause_until, "pause_until"); !r) return r;
  }
  WriteStringsIfAny(w, "priority_groups", c.priority_groups);
  if (c.priority_policy != PriorityPolicy::kNone) {
    if (auto r = WriteEnum(w, c.priority_policy, "priority_policy"); !r) return r;
  }
  WriteDurationIfNonZero(w, "priority_timeout", c.pinned_ttl);
  return {};
}

using CC = ConsumerConfig;
using Fields = std::vector<FieldSpec<ConsumerConfig>>;

const Fields& ConsumerConfigFields() {
  static const Fields f = {
      {"durable_name", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.durable, c); }},
      {"name", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.name, c); }},
      {"description", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.description, c); }},
      {"deliver_policy", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.deliver_policy, c); }},
      {"opt_start_seq", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeUint64(v, o.opt_start_seq, c); }},
      {"opt_start_time", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeOptionalTime(v, o.opt_start_time, c); }},
      {"ack_policy", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.ack_policy, c); }},
      {"ack_wait", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.ack_wait, c); }},
      {"max_deliver", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_deliver, c); }},
      {"backoff", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDurationSlice(v, o.backoff, c); }},
      {"filter_subject", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.filter_subject, c); }},
      {"filter_subjects", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeStringSlice(v, o.filter_subjects, c); }},
      {"replay_policy", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.replay_policy, c); }},
      {"rate_limit_bps", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeUint64(v, o.rate_limit, c); }},
      {"sample_freq", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.sample_frequency, c); }},
      {"max_waiting", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_waiting, c); }},
      {"max_ack_pending", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_ack_pending, c); }},
      {"flow_control", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.flow_control, c); }},
      {"headers_only", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.headers_only, c); }},
      {"max_batch", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_request_batch, c); }},
      {"max_expires", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.max_request_expires, c); }},
      {"max_bytes", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_request_max_bytes, c); }},
      {"deliver_subject", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.deliver_subject, c); }},
      {"deliver_group", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeString(v, o.deliver_group, c); }},
      {"idle_heartbeat", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.heartbeat, c); }},
      {"inactive_threshold", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.inactive_threshold, c); }},
      {"num_replicas", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.replicas, c); }},
      {"mem_storage", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.memory_storage, c); }},
      {"direct", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.direct, c); }},
      {"sourcing", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.sourcing, c); }},
      {"metadata", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeStringMap(v, o.metadata, c); }},
      {"pause_until", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeOptionalTime(v, o.pause_until, c); }},
      {"priority_groups", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeStringSlice(v, o.priority_groups, c); }},
      {"priority_policy", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.priority_policy, c); }},
      {"priority_timeout", [](const Json& v, CC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.pinned_ttl, c); }},
  };
  return f;
}

// FileConsumerInfo: "Created" and "Name" first, then the embedded config's
// fields. "Name" precedes the config's "name" so that a key differing from
// both only in case (e.g. "NAME") selects "Name", as in Go.
const std::vector<FieldSpec<FileConsumerInfo>>& FileConsumerInfoFields() {
  static const std::vector<FieldSpec<FileConsumerInfo>> f = [] {
    std::vector<FieldSpec<FileConsumerInfo>> out;
    out.push_back({"Created", [](const Json& v, FileConsumerInfo& o, const DecodeCtx& c) {
                     return config::DecodeTime(v, o.created, c);
                   }});
    out.push_back({"Name", [](const Json& v, FileConsumerInfo& o, const DecodeCtx& c) {
                     return config::DecodeString(v, o.name, c);
                   }});
    for (const auto& field : ConsumerConfigFields()) {
      out.push_back({field.name, [decode = field.decode](const Json& v, FileConsumerInfo& o,
                                                         const DecodeCtx& c) {
                       return decode(v, o.config, c);
                     }});
    }
    return out;
  }();
  return f;
}

}  // namespace

Result<std::string> EncodeConsumerConfig(const ConsumerConfig& cfg) {
  GoJsonWriter w;
  w.BeginObject();
  if (auto r = WriteConsumerConfigFields(w, cfg); !r) return std::unexpected(r.error());
  w.EndObject();
  return w.Take();
}

Result<std::string> EncodeFileConsumerInfo(const FileConsumerInfo& info) {
  GoJsonWriter w;
  w.BeginObject();
  if (auto r = config::WriteTime(w, info.created, "Created"); !r) return std::unexpected(r.error());
  WriteString(w, "Name", info.name);
  if (auto r = WriteConsumerConfigFields(w, info.config); !r) return std::unexpected(r.error());
  w.EndObject();
  return w.Take();
}

Result<ConsumerConfig> DecodeConsumerConfig(std::string_view json, JsonMode mode) {
  return config::DecodeDocument(json, mode, ConsumerConfigFields(), "consumer config");
}

Result<FileConsumerInfo> DecodeFileConsumerInfo(std::string_view json, JsonMode mode) {
  return config::DecodeDocument(json, mode, FileConsumerInfoFields(), "consumer meta");
}

}  // namespace natscpp::store
