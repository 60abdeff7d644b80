// Go encoding/json form of StreamConfig and FileStreamInfo (meta.inf).
// Members are written in the Go struct's field order with its omitempty
// rules: omitempty drops zero numbers, false, "", empty slices and maps and
// nil pointers, and is decided on the underlying value before any
// MarshalJSON runs (so persist_mode 0 is dropped, never encoded).
#include "natscpp/store/stream_config.h"

#include <string>
#include <vector>

#include "config/go_json.h"

namespace natscpp::store {

namespace {

using config::DecodeCtx;
using config::FieldSpec;
using config::GoJsonWriter;
using config::Json;

// ---- writing ----

void WriteStrings(GoJsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  w.Key(key);
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

void WritePlacement(GoJsonWriter& w, const Placement& p) {
  w.BeginObject();
  if (!p.cluster.empty()) {
    w.Key("cluster");
    w.String(p.cluster);
  }
  if (!p.tags.empty()) WriteStrings(w, "tags", p.tags);
  if (!p.preferred.empty()) {
    w.Key("preferred");
    w.String(p.preferred);
  }
  w.EndObject();
}

void WriteTransform(GoJsonWriter& w, const SubjectTransformConfig& t) {
  w.BeginObject();
  w.Key("src");
  w.String(t.source);
  w.Key("dest");
  w.String(t.destination);
  w.EndObject();
}

Result<void> WriteSource(GoJsonWriter& w, const StreamSource& s, std::string_view field) {
  w.BeginObject();
  w.Key("name");
  w.String(s.name);
  if (s.opt_start_seq != 0) {
    w.Key("opt_start_seq");
    w.Uint(s.opt_start_seq);
  }
  if (s.opt_start_time) {
    std::string f(field);
    f += ".opt_start_time";
    if (auto r = config::WriteTime(w, *s.opt_start_time, "opt_start_time", f); !r) return r;
  }
  if (!s.filter_subject.empty()) {
    w.Key("filter_subject");
    w.String(s.filter_subject);
  }
  if (!s.subject_transforms.empty()) {
    w.Key("subject_transforms");
    w.BeginArray();
    for (const auto& t : s.subject_transforms) WriteTransform(w, t);
    w.EndArray();
  }
  if (s.external) {
    w.Key("external");
    w.BeginObject();
    w.Key("api");
    w.String(s.external->api_prefix);
    w.Key("deliver");
    w.String(s.external->deliver_prefix);
    w.EndObject();
  }
  if (s.consumer) {
    w.Key("consumer");
    w.BeginObject();
    if (!s.consumer->name.empty()) {
      w.Key("name");
      w.String(s.consumer->name);
    }
    if (!s.consumer->deliver_subject.empty()) {
      w.Key("deliver_subject");
      w.String(s.consumer->deliver_subject);
    }
    w.EndObject();
  }
  w.EndObject();
  return {};
}

// Go's encoder checks a time's encoding after writing the key, and a
// failure aborts the whole Marshal, so naming the field is all that matters.
Result<void> WriteStreamConfigFields(GoJsonWriter& w, const StreamConfig& c) {
  using config::WriteEnum;
  w.Key("name");
  w.String(c.name);
  if (!c.description.empty()) {
    w.Key("description");
    w.String(c.description);
  }
  if (!c.subjects.empty()) WriteStrings(w, "subjects", c.subjects);
  if (auto r = WriteEnum(w, c.retention, "retention"); !r) return r;
  w.Key("max_consumers");
  w.Int(c.max_consumers);
  w.Key("max_msgs");
  w.Int(c.max_msgs);
  w.Key("max_bytes");
  w.Int(c.max_bytes);
  w.Key("max_age");
  w.Duration(c.max_age);
  w.Key("max_msgs_per_subject");
  w.Int(c.max_msgs_per);
  if (c.max_msg_size != 0) {
    w.Key("max_msg_size");
    w.Int(c.max_msg_size);
  }
  if (auto r = WriteEnum(w, c.discard, "discard"); !r) return r;
  if (auto r = WriteEnum(w, c.storage, "storage"); !r) return r;
  w.Key("num_replicas");
  w.Int(c.replicas);
  if (c.no_ack) {
    w.Key("no_ack");
    w.Bool(true);
  }
  if (c.duplicates.count() != 0) {
    w.Key("duplicate_window");
    w.Duration(c.duplicates);
  }
  if (c.placement) {
    w.Key("placement");
    WritePlacement(w, *c.placement);
  }
  if (c.mirror) {
    w.Key("mirror");
    if (auto r = WriteSource(w, *c.mirror, "mirror"); !r) return r;
  }
  if (!c.sources.empty()) {
    w.Key("sources");
    w.BeginArray();
    for (size_t i = 0; i < c.sources.size(); ++i) {
      if (auto r = WriteSource(w, c.sources[i], "sources[" + std::to_string(i) + "]"); !r) {
        return r;
      }
    }
    w.EndArray();
  }
  if (auto r = WriteEnum(w, c.compression, "compression"); !r) return r;
  if (c.first_seq != 0) {
    w.Key("first_seq");
    w.Uint(c.first_seq);
  }
  if (c.subject_transform) {
    w.Key("subject_transform");
    WriteTransform(w, *c.subject_transform);
  }
  if (c.republish) {
    w.Key("republish");
    w.BeginObject();
    if (!c.republish->source.empty()) {
      w.Key("src");
      w.String(c.republish->source);
    }
    w.Key("dest");
    w.String(c.republish->destination);
    if (c.republish->headers_only) {
      w.Key("headers_only");
      w.Bool(true);
    }
    w.EndObject();
  }
  w.Key("allow_direct");
  w.Bool(c.allow_direct);
  w.Key("mirror_direct");
  w.Bool(c.mirror_direct);
  if (c.discard_new_per) {
    w.Key("discard_new_per_subject");
    w.Bool(true);
  }
  w.Key("sealed");
  w.Bool(c.sealed);
  w.Key("deny_delete");
  w.Bool(c.deny_delete);
  w.Key("deny_purge");
  w.Bool(c.deny_purge);
  w.Key("allow_rollup_hdrs");
  w.Bool(c.allow_rollup);
  w.Key("consumer_limits");
  w.BeginObject();
  if (c.consumer_limits.inactive_threshold.count() != 0) {
    w.Key("inactive_threshold");
    w.Duration(c.consumer_limits.inactive_threshold);
  }
  if (c.consumer_limits.max_ack_pending != 0) {
    w.Key("max_ack_pending");
    w.Int(c.consumer_limits.max_ack_pending);
  }
  w.EndObject();
  w.Key("allow_msg_ttl");
  w.Bool(c.allow_msg_ttl);
  if (c.subject_delete_marker_ttl.count() != 0) {
    w.Key("subject_delete_marker_ttl");
    w.Duration(c.subject_delete_marker_ttl);
  }
  if (c.allow_msg_counter) {
    w.Key("allow_msg_counter");
    w.Bool(true);
  }
  if (c.allow_atomic_publish) {
    w.Key("allow_atomic");
    w.Bool(true);
  }
  if (c.allow_msg_schedules) {
    w.Key("allow_msg_schedules");
    w.Bool(true);
  }
  if (c.persist_mode != PersistMode::kDefault) {
    if (auto r = WriteEnum(w, c.persist_mode, "persist_mode"); !r) return r;
  }
  if (c.allow_batch_publish) {
    w.Key("allow_batched");
    w.Bool(true);
  }
  if (!c.metadata.empty()) {
    // std::map iterates in byte order, which is the order Go sorts map keys in.
    w.Key("metadata");
    w.BeginObject();
    for (const auto& [k, v] : c.metadata) {
      w.Key(k);
      w.String(v);
    }
    w.EndObject();
  }
  return {};
}

// ---- reading ----

template <typename T>
using Fields = std::vector<FieldSpec<T>>;

const Fields<Placement>& PlacementFields() {
  static const Fields<Placement> f = {
      {"cluster", [](const Json& v, Placement& o, const DecodeCtx& c) { return config::DecodeString(v, o.cluster, c); }},
      {"tags", [](const Json& v, Placement& o, const DecodeCtx& c) { return config::DecodeStringSlice(v, o.tags, c); }},
      {"preferred", [](const Json& v, Placement& o, const DecodeCtx& c) { return config::DecodeString(v, o.preferred, c); }},
  };
  return f;
}

const Fields<SubjectTransformConfig>& TransformFields() {
  static const Fields<SubjectTransformConfig> f = {
      {"src", [](const Json& v, SubjectTransformConfig& o, const DecodeCtx& c) { return config::DecodeString(v, o.source, c); }},
      {"dest", [](const Json& v, SubjectTransformConfig& o, const DecodeCtx& c) { return config::DecodeString(v, o.destination, c); }},
  };
  return f;
}

const Fields<ExternalStream>& ExternalFields() {
  static const Fields<ExternalStream> f = {
      {"api", [](const Json& v, ExternalStream& o, const DecodeCtx& c) { return config::DecodeString(v, o.api_prefix, c); }},
      {"deliver", [](const Json& v, ExternalStream& o, const DecodeCtx& c) { return config::DecodeString(v, o.deliver_prefix, c); }},
  };
  return f;
}

const Fields<StreamConsumerSource>& ConsumerSourceFields() {
  static const Fields<StreamConsumerSource> f = {
      {"name", [](const Json& v, StreamConsumerSource& o, const DecodeCtx& c) { return config::DecodeString(v, o.name, c); }},
      {"deliver_subject", [](const Json& v, StreamConsumerSource& o, const DecodeCtx& c) { return config::DecodeString(v, o.deliver_subject, c); }},
  };
  return f;
}

const Fields<StreamSource>& SourceFields() {
  static const Fields<StreamSource> f = {
      {"name", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeString(v, o.name, c); }},
      {"opt_start_seq", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeUint64(v, o.opt_start_seq, c); }},
      {"opt_start_time", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeOptionalTime(v, o.opt_start_time, c); }},
      {"filter_subject", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeString(v, o.filter_subject, c); }},
      {"subject_transforms", [](const Json& v, StreamSource& o, const DecodeCtx& c) {
         return config::DecodeStructSlice(v, o.subject_transforms, TransformFields(), c, /*null_ok=*/true);
       }},
      {"external", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.external, ExternalFields(), c); }},
      {"consumer", [](const Json& v, StreamSource& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.consumer, ConsumerSourceFields(), c); }},
  };
  return f;
}

const Fields<RePublish>& RePublishFields() {
  static const Fields<RePublish> f = {
      {"src", [](const Json& v, RePublish& o, const DecodeCtx& c) { return config::DecodeString(v, o.source, c); }},
      {"dest", [](const Json& v, RePublish& o, const DecodeCtx& c) { return config::DecodeString(v, o.destination, c); }},
      {"headers_only", [](const Json& v, RePublish& o, const DecodeCtx& c) { return config::DecodeBool(v, o.headers_only, c); }},
  };
  return f;
}

const Fields<StreamConsumerLimits>& LimitsFields() {
  static const Fields<StreamConsumerLimits> f = {
      {"inactive_threshold", [](const Json& v, StreamConsumerLimits& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.inactive_threshold, c); }},
      {"max_ack_pending", [](const Json& v, StreamConsumerLimits& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_ack_pending, c); }},
  };
  return f;
}

using SC = StreamConfig;

const Fields<StreamConfig>& StreamConfigFields() {
  static const Fields<StreamConfig> f = {
      {"name", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeString(v, o.name, c); }},
      {"description", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeString(v, o.description, c); }},
      {"subjects", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeStringSlice(v, o.subjects, c); }},
      {"retention", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.retention, c); }},
      {"max_consumers", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_consumers, c); }},
      {"max_msgs", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_msgs, c); }},
      {"max_bytes", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_bytes, c); }},
      {"max_age", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.max_age, c); }},
      {"max_msgs_per_subject", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.max_msgs_per, c); }},
      {"max_msg_size", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt32(v, o.max_msg_size, c); }},
      {"discard", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.discard, c); }},
      {"storage", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.storage, c); }},
      {"num_replicas", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeInt64(v, o.replicas, c); }},
      {"no_ack", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.no_ack, c); }},
      {"duplicate_window", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.duplicates, c); }},
      {"placement", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.placement, PlacementFields(), c); }},
      {"mirror", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.mirror, SourceFields(), c); }},
      {"sources", [](const Json& v, SC& o, const DecodeCtx& c) {
         return config::DecodeStructSlice(v, o.sources, SourceFields(), c, /*null_ok=*/false);
       }},
      {"compression", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.compression, c); }},
      {"first_seq", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeUint64(v, o.first_seq, c); }},
      {"subject_transform", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.subject_transform, TransformFields(), c); }},
      {"republish", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeOptionalStruct(v, o.republish, RePublishFields(), c); }},
      {"allow_direct", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_direct, c); }},
      {"mirror_direct", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.mirror_direct, c); }},
      {"discard_new_per_subject", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.discard_new_per, c); }},
      {"sealed", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.sealed, c); }},
      {"deny_delete", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.deny_delete, c); }},
      {"deny_purge", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.deny_purge, c); }},
      {"allow_rollup_hdrs", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_rollup, c); }},
      {"consumer_limits", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeFields(v, o.consumer_limits, LimitsFields(), c); }},
      {"allow_msg_ttl", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_msg_ttl, c); }},
      {"subject_delete_marker_ttl", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeDuration(v, o.subject_delete_marker_ttl, c); }},
      {"allow_msg_counter", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_msg_counter, c); }},
      {"allow_atomic", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_atomic_publish, c); }},
      {"allow_msg_schedules", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_msg_schedules, c); }},
      {"persist_mode", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeEnum(v, o.persist_mode, c); }},
      {"allow_batched", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeBool(v, o.allow_batch_publish, c); }},
      {"metadata", [](const Json& v, SC& o, const DecodeCtx& c) { return config::DecodeStringMap(v, o.metadata, c); }},
  };
  return f;
}

// FileStreamInfo embeds StreamConfig: its fields are promoted into the same
// object after "Created", so one table holds both.
const Fields<FileStreamInfo>& FileStreamInfoFields() {
  static const Fields<FileStreamInfo> f = [] {
    Fields<FileStreamInfo> out;
    out.push_back({"Created", [](const Json& v, FileStreamInfo& o, const DecodeCtx& c) {
                     return config::DecodeTime(v, o.created, c);
                   }});
    for (const auto& field : StreamConfigFields()) {
      out.push_back({field.name, [decode = field.decode](const Json& v, FileStreamInfo& o,
                                                         const DecodeCtx& c) {
                       return decode(v, o.config, c);
                     }});
    }
    return out;
  }();
  return f;
}

}  // namespace

Result<std::string> EncodeStreamConfig(const StreamConfig& cfg) {
  GoJsonWriter w;
  w.BeginObject();
  if (auto r = WriteStreamConfigFields(w, cfg); !r) return std::unexpected(r.error());
  w.EndObject();
  return w.Take();
}

Result<std::string> EncodeFileStreamInfo(const FileStreamInfo& info) {
  GoJsonWriter w;
  w.BeginObject();
  if (auto r = config::WriteTime(w, info.created, "Created"); !r) return std::unexpected(r.error());
  if (auto r = WriteStreamConfigFields(w, info.config); !r) return std::unexpected(r.error());
  w.EndObject();
  return w.Take();
}

Result<StreamConfig> DecodeStreamConfig(std::string_view json, JsonMode mode) {
  return config::DecodeDocument(json, mode, StreamConfigFields(), "stream config");
}

Result<FileStreamInfo> DecodeFileStreamInfo(std::string_view json, JsonMode mode) {
  return config::DecodeDocument(json, mode, FileStreamInfoFields(), "stream meta");
}

}  // namespace natscpp::store
