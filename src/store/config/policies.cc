// The config enums' String, MarshalJSON and UnmarshalJSON forms. Each
// UnmarshalJSON port compares the raw JSON token (quotes included) like Go,
// so a value spelled with escape sequences is not recognised, and null is
// rejected (Go hands "null" to the method for non-pointer fields).
#include <string>
#include <string_view>

#include "config/go_json.h"
#include "natscpp/store/consumer_config.h"
#include "natscpp/store/stream_config.h"

namespace natscpp::store {

namespace {

// Go's %q of a byte string, enough for error messages.
std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::unexpected<Error> CannotMarshal(std::string_view shown) {
  return MakeError(ErrorCode::kInvalidArgument, "can not marshal " + std::string(shown));
}

std::unexpected<Error> CannotUnmarshal(std::string_view data) {
  return MakeError(ErrorCode::kBadEncoding, "can not unmarshal " + GoQuote(data));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

// ---- RetentionPolicy ----

// go: server/store.go:(RetentionPolicy).String
std::string_view ToString(RetentionPolicy v) {
  switch (v) {
    case RetentionPolicy::kLimits:
      return "Limits";
    case RetentionPolicy::kInterest:
      return "Interest";
    case RetentionPolicy::kWorkQueue:
      return "WorkQueue";
  }
  return "Unknown Retention Policy";
}

// go: server/store.go:(RetentionPolicy).MarshalJSON
Result<std::string> MarshalJson(RetentionPolicy v) {
  switch (v) {
    case RetentionPolicy::kLimits:
      return std::string("\"limits\"");
    case RetentionPolicy::kInterest:
      return std::string("\"interest\"");
    case RetentionPolicy::kWorkQueue:
      return std::string("\"workqueue\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/store.go:(*RetentionPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, RetentionPolicy& out) {
  if (data == "\"limits\"") {
    out = RetentionPolicy::kLimits;
  } else if (data == "\"interest\"") {
    out = RetentionPolicy::kInterest;
  } else if (data == "\"workqueue\"") {
    out = RetentionPolicy::kWorkQueue;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- DiscardPolicy ----

// go: server/store.go:(DiscardPolicy).String
std::string_view ToString(DiscardPolicy v) {
  switch (v) {
    case DiscardPolicy::kOld:
      return "DiscardOld";
    case DiscardPolicy::kNew:
      return "DiscardNew";
  }
  return "Unknown Discard Policy";
}

// go: server/store.go:(DiscardPolicy).MarshalJSON
Result<std::string> MarshalJson(DiscardPolicy v) {
  switch (v) {
    case DiscardPolicy::kOld:
      return std::string("\"old\"");
    case DiscardPolicy::kNew:
      return std::string("\"new\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/store.go:(*DiscardPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, DiscardPolicy& out) {
  // The only enum Go matches case-insensitively ("OLD", "New", ...).
  const std::string lower = Lower(data);
  if (lower == "\"old\"") {
    out = DiscardPolicy::kOld;
  } else if (lower == "\"new\"") {
    out = DiscardPolicy::kNew;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- StorageType ----

// go: server/store.go:(StorageType).String
std::string_view ToString(StorageType v) {
  switch (v) {
    case StorageType::kMemory:
      return "Memory";
    case StorageType::kFile:
      return "File";
  }
  return "Unknown Storage Type";
}

// go: server/store.go:(StorageType).MarshalJSON
Result<std::string> MarshalJson(StorageType v) {
  switch (v) {
    case StorageType::kMemory:
      return std::string("\"memory\"");
    case StorageType::kFile:
      return std::string("\"file\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/store.go:(*StorageType).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, StorageType& out) {
  if (data == "\"memory\"") {
    out = StorageType::kMemory;
  } else if (data == "\"file\"") {
    out = StorageType::kFile;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- PersistMode (Go's PersistModeType, stream.go) ----

// go: server/stream.go:(PersistModeType).String
std::string_view ToString(PersistMode v) {
  switch (v) {
    case PersistMode::kDefault:
      return "Default";
    case PersistMode::kAsync:
      return "Async";
  }
  return "Unknown Persist Mode Type";
}

// go: server/stream.go:(PersistModeType).MarshalJSON
Result<std::string> MarshalJson(PersistMode v) {
  switch (v) {
    case PersistMode::kDefault:
      return std::string("\"default\"");
    case PersistMode::kAsync:
      return std::string("\"async\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/stream.go:(*PersistModeType).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, PersistMode& out) {
  if (data == "\"default\"" || data == "\"\"") {
    out = PersistMode::kDefault;
  } else if (data == "\"async\"") {
    out = PersistMode::kAsync;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- StreamCompression ----
// Same behaviour as Go's StoreCompression String/MarshalJSON/UnmarshalJSON;
// those functions are ported by area s2, so no markers here.

std::string_view ToString(StreamCompression v) {
  switch (v) {
    case StreamCompression::kNone:
      return "None";
    case StreamCompression::kS2:
      return "S2";
  }
  return "Unknown StoreCompression";
}

Result<std::string> MarshalJson(StreamCompression v) {
  switch (v) {
    case StreamCompression::kS2:
      return std::string("\"s2\"");
    case StreamCompression::kNone:
      return std::string("\"none\"");
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown compression algorithm");
}

Result<void> UnmarshalJson(std::string_view data, StreamCompression& out) {
  // Unlike the other enums Go decodes the token as a JSON string first, so
  // escapes are honoured and null reads as "" (then rejected).
  auto j = config::ParseJson(data);
  if (!j) return std::unexpected(j.error());
  std::string str;
  if (j->is_string()) {
    str = j->get_ref<const std::string&>();
  } else if (!j->is_null()) {
    return MakeError(ErrorCode::kBadEncoding,
                     "cannot unmarshal " + std::string(j->type_name()) + " into string");
  }
  if (str == "s2") {
    out = StreamCompression::kS2;
  } else if (str == "none") {
    out = StreamCompression::kNone;
  } else {
    return MakeError(ErrorCode::kBadEncoding, "unknown compression algorithm");
  }
  return {};
}

// ---- AckPolicy ----

// go: server/consumer.go:(AckPolicy).String
std::string_view ToString(AckPolicy v) {
  switch (v) {
    case AckPolicy::kNone:
      return "none";
    case AckPolicy::kAll:
      return "all";
    case AckPolicy::kFlowControl:
      return "flow_control";
    default:
      return "explicit";
  }
}

// go: server/store.go:(AckPolicy).MarshalJSON
Result<std::string> MarshalJson(AckPolicy v) {
  switch (v) {
    case AckPolicy::kNone:
      return std::string("\"none\"");
    case AckPolicy::kAll:
      return std::string("\"all\"");
    case AckPolicy::kExplicit:
      return std::string("\"explicit\"");
    case AckPolicy::kFlowControl:
      return std::string("\"flow_control\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/store.go:(*AckPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, AckPolicy& out) {
  if (data == "\"none\"") {
    out = AckPolicy::kNone;
  } else if (data == "\"all\"") {
    out = AckPolicy::kAll;
  } else if (data == "\"explicit\"") {
    out = AckPolicy::kExplicit;
  } else if (data == "\"flow_control\"") {
    out = AckPolicy::kFlowControl;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- ReplayPolicy ----

// go: server/consumer.go:(ReplayPolicy).String
std::string_view ToString(ReplayPolicy v) {
  if (v == ReplayPolicy::kInstant) return "\"instant\"";
  return "\"original\"";
}

// go: server/store.go:(ReplayPolicy).MarshalJSON
Result<std::string> MarshalJson(ReplayPolicy v) {
  switch (v) {
    case ReplayPolicy::kInstant:
      return std::string("\"instant\"");
    case ReplayPolicy::kOriginal:
      return std::string("\"original\"");
  }
  return CannotMarshal(ToString(v));
}

// go: server/store.go:(*ReplayPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, ReplayPolicy& out) {
  if (data == "\"instant\"") {
    out = ReplayPolicy::kInstant;
  } else if (data == "\"original\"") {
    out = ReplayPolicy::kOriginal;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// ---- DeliverPolicy ----

// go: server/consumer.go:(DeliverPolicy).String
std::string_view ToString(DeliverPolicy v) {
  switch (v) {
    case DeliverPolicy::kAll:
      return "all";
    case DeliverPolicy::kLast:
      return "last";
    case DeliverPolicy::kNew:
      return "new";
    case DeliverPolicy::kByStartSequence:
      return "by_start_sequence";
    case DeliverPolicy::kByStartTime:
      return "by_start_time";
    case DeliverPolicy::kLastPerSubject:
      return "last_per_subject";
  }
  return "undefined";
}

// go: server/store.go:(*DeliverPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, DeliverPolicy& out) {
  // "undefined" is what MarshalJSON writes for out-of-range values; it reads
  // back as the default policy.
  if (data == "\"all\"" || data == "\"undefined\"") {
    out = DeliverPolicy::kAll;
  } else if (data == "\"last\"") {
    out = DeliverPolicy::kLast;
  } else if (data == "\"last_per_subject\"") {
    out = DeliverPolicy::kLastPerSubject;
  } else if (data == "\"new\"") {
    out = DeliverPolicy::kNew;
  } else if (data == "\"by_start_sequence\"") {
    out = DeliverPolicy::kByStartSequence;
  } else if (data == "\"by_start_time\"") {
    out = DeliverPolicy::kByStartTime;
  } else {
    return CannotUnmarshal(data);
  }
  return {};
}

// go: server/store.go:(DeliverPolicy).MarshalJSON
Result<std::string> MarshalJson(DeliverPolicy v) {
  switch (v) {
    case DeliverPolicy::kAll:
      return std::string("\"all\"");
    case DeliverPolicy::kLast:
      return std::string("\"last\"");
    case DeliverPolicy::kLastPerSubject:
      return std::string("\"last_per_subject\"");
    case DeliverPolicy::kNew:
      return std::string("\"new\"");
    case DeliverPolicy::kByStartSequence:
      return std::string("\"by_start_sequence\"");
    case DeliverPolicy::kByStartTime:
      return std::string("\"by_start_time\"");
  }
  return std::string("\"undefined\"");
}

// ---- PriorityPolicy (consumer.go) ----

// go: server/consumer.go:(PriorityPolicy).String
std::string_view ToString(PriorityPolicy v) {
  switch (v) {
    case PriorityPolicy::kOverflow:
      return "\"overflow\"";
    case PriorityPolicy::kPinnedClient:
      return "\"pinned_client\"";
    case PriorityPolicy::kPrioritized:
      return "\"prioritized\"";
    default:
      return "\"none\"";
  }
}

// go: server/consumer.go:(PriorityPolicy).MarshalJSON
Result<std::string> MarshalJson(PriorityPolicy v) {
  switch (v) {
    case PriorityPolicy::kOverflow:
      return std::string("\"overflow\"");
    case PriorityPolicy::kPinnedClient:
      return std::string("\"pinned_client\"");
    case PriorityPolicy::kPrioritized:
      return std::string("\"prioritized\"");
    case PriorityPolicy::kNone:
      return std::string("\"none\"");
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown priority policy: " + std::string(ToString(v)));
}

// go: server/consumer.go:(*PriorityPolicy).UnmarshalJSON
Result<void> UnmarshalJson(std::string_view data, PriorityPolicy& out) {
  if (data == "\"overflow\"") {
    out = PriorityPolicy::kOverflow;
  } else if (data == "\"pinned_client\"") {
    out = PriorityPolicy::kPinnedClient;
  } else if (data == "\"prioritized\"") {
    out = PriorityPolicy::kPrioritized;
  } else if (data == "\"none\"") {
    out = PriorityPolicy::kNone;
  } else {
    return MakeError(ErrorCode::kBadEncoding, "unknown priority policy: " + std::string(data));
  }
  return {};
}

}  // namespace natscpp::store
