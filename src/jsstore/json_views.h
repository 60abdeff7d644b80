// JSON views of a stored stream in the shapes the Go server's JetStream API
// reports them, so output can be compared with what a server said about the
// same directory:
//
//   StreamStateJson   the `state` of $JS.API.STREAM.INFO (deleted_details,
//                     subjects_filter ">")          Go: StreamState, store.go
//   StoredMsgJson     the `message` of $JS.API.STREAM.MSG.GET
//                                                   Go: StoredMsg, stream.go
//   StreamConfigJson  the stream's config           Go: StreamConfig
//
// Keys come in Go's struct order and follow its omitempty rules. Fields that
// only a running server knows are left out. Consumers: consumer_view.h.
#ifndef NATSCPP_JSSTORE_JSON_VIEWS_H_
#define NATSCPP_JSSTORE_JSON_VIEWS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "natscpp/store/consumer_config.h"
#include "natscpp/store/error.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/store_types.h"
#include "natscpp/store/stream_config.h"

namespace natscpp::jsstore {

using Json = nlohmann::ordered_json;

// Standard base64 with padding, as Go's encoding/json writes []byte.
std::string Base64Std(std::span<const uint8_t> bytes);

// A store timestamp (ns since the epoch) as Go's Time.MarshalJSON writes the
// UTC time (time.Unix(0, ns).UTC()).
std::string GoTimeString(int64_t unix_nanos);
// The same for StreamState's first/last times, where 0 stands for Go's zero
// time.Time ("0001-01-01T00:00:00Z").
std::string StateTimeString(int64_t unix_nanos);

// `state` from a StreamState whose deleted list and subjects map are filled.
Json StreamStateJson(const store::StreamState& state);
// The store's full state with per-subject totals, as STREAM.INFO reports it.
Json StreamStateView(store::FileStore& fs);

Json StoredMsgJson(const store::StoreMsg& sm);

store::Result<Json> StreamConfigJson(const store::StreamConfig& cfg);
store::Result<Json> ConsumerConfigJson(const store::ConsumerConfig& cfg);

// Serializes without throwing: invalid UTF-8 in subjects becomes U+FFFD, as
// Go's encoder does. indent < 0 is compact.
std::string DumpJson(const Json& j, int indent = -1);

}  // namespace natscpp::jsstore

#endif  // NATSCPP_JSSTORE_JSON_VIEWS_H_
