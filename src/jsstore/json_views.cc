#include "jsstore/json_views.h"

#include <utility>

namespace natscpp::jsstore {

std::string Base64Std(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string GoTimeString(int64_t unix_nanos) {
  auto s = store::FormatRfc3339Nano(store::GoTime::FromUnixNanos(unix_nanos));
  // Only years outside [0, 9999] fail; int64 nanoseconds cannot reach them.
  return s ? std::move(*s) : std::string();
}

std::string StateTimeString(int64_t unix_nanos) {
  // The state keeps 0 for "no message", where Go has its zero time.Time.
  if (unix_nanos == 0) return "0001-01-01T00:00:00Z";
  return GoTimeString(unix_nanos);
}

Json StreamStateJson(const store::StreamState& st) {
  Json j = Json::object();
  j["messages"] = st.msgs;
  j["bytes"] = st.bytes;
  j["first_seq"] = st.first_seq;
  j["first_ts"] = StateTimeString(st.first_time);
  j["last_seq"] = st.last_seq;
  j["last_ts"] = StateTimeString(st.last_time);
  if (st.num_subjects != 0) j["num_subjects"] = st.num_subjects;
  if (!st.subjects.empty()) {
    Json subjects = Json::object();  // Go sorts map keys; std::map already is
    for (const auto& [subj, n] : st.subjects) subjects[subj] = n;
    j["subjects"] = std::move(subjects);
  }
  if (st.num_deleted != 0) j["num_deleted"] = st.num_deleted;
  if (!st.deleted.empty()) j["deleted"] = st.deleted;
  if (st.lost) {
    Json lost = Json::object();
    // A nil slice marshals as null in Go.
    lost["msgs"] = st.lost->msgs.empty() ? Json(nullptr) : Json(st.lost->msgs);
    lost["bytes"] = st.lost->bytes;
    j["lost"] = std::move(lost);
  }
  j["consumer_count"] = st.consumers;
  return j;
}

Json StreamStateView(store::FileStore& fs) {
  store::StreamState st = fs.State();
  st.subjects = fs.SubjectsTotals("");
  return StreamStateJson(st);
}

Json StoredMsgJson(const store::StoreMsg& sm) {
  Json j = Json::object();
  j["subject"] = sm.subject;
  j["seq"] = sm.seq;
  // Both are []byte with omitempty in Go: absent when empty.
  if (sm.hdr_len > 0) j["hdrs"] = Base64Std(sm.hdr());
  if (sm.buf.size() > sm.hdr_len) j["data"] = Base64Std(sm.msg());
  j["time"] = GoTimeString(sm.ts);
  return j;
}

namespace {

store::Result<Json> ParseEncoded(store::Result<std::string> encoded) {
  if (!encoded) return std::unexpected(encoded.error());
  Json j = Json::parse(*encoded, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return store::MakeError(store::ErrorCode::kBadEncoding, "config encoder produced invalid JSON");
  }
  return j;
}

}  // namespace

store::Result<Json> StreamConfigJson(const store::StreamConfig& cfg) {
  return ParseEncoded(store::EncodeStreamConfig(cfg));
}

store::Result<Json> ConsumerConfigJson(const store::ConsumerConfig& cfg) {
  return ParseEncoded(store::EncodeConsumerConfig(cfg));
}

std::string DumpJson(const Json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace natscpp::jsstore
