// A stored consumer as $JS.API.CONSUMER.INFO reports it right after the
// server recovered it from disk (Go: ConsumerInfo in consumer.go).
//
// The server does not report o.dat verbatim: on recovery it drops
// redelivery counts below the stream's first sequence, pulls state that ran
// past a stream which lost data back to the stream's end, and gives a
// consumer without o.dat its starting sequence. The view applies the same
// rules so it can be compared with what a server said.
#ifndef NATSCPP_JSSTORE_CONSUMER_VIEW_H_
#define NATSCPP_JSSTORE_CONSUMER_VIEW_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "jsstore/json_views.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/store_types.h"

namespace natscpp::jsstore {

struct RecoveredConsumer {
  store::SequencePair delivered;
  store::SequencePair ack_floor;
  uint64_t num_ack_pending = 0;
  uint64_t num_redelivered = 0;
  // Messages left to deliver. Unset where it depends on more than the
  // stored state and per-subject counts: deliver_policy last_per_subject,
  // or by_start_time for a consumer that has no o.dat yet.
  std::optional<uint64_t> num_pending;
};

RecoveredConsumer RecoverConsumerView(store::FileStore& fs, const store::StoredConsumer& c);

// stream_name, name, created, config, delivered, ack_floor,
// num_ack_pending, num_redelivered and (when known) num_pending, in Go's
// order; fails only when the config cannot be encoded.
store::Result<Json> ConsumerJson(store::FileStore& fs, const store::StoredConsumer& c);

}  // namespace natscpp::jsstore

#endif  // NATSCPP_JSSTORE_CONSUMER_VIEW_H_
