// What a parity-serve test puts into a stream, independent of who writes the
// store: the live messages and the sequences consumed without one. From it
// the test derives what any correct server must report for the store
// (STREAM.INFO state, MSG.GET messages), so the producer (today the hand
// writer in hand_stream_writer.h, later our FileStore) can be swapped without
// touching the expectations.
#ifndef NATSCPP_TESTS_PARITY_SERVE_STREAM_CONTENTS_H_
#define NATSCPP_TESTS_PARITY_SERVE_STREAM_CONTENTS_H_

#include <cstdint>
#include <string_view>
#include <string>
#include <vector>

#include "js_api.h"
#include "natscpp/store/go_time.h"

namespace natscpp::parity::serve {

// One stored message. hdrs is the raw NATS header block ("NATS/1.0\r\n...");
// empty means no header section.
struct TestMsg {
  uint64_t seq = 0;
  int64_t ts = 0;  // ns since the Unix epoch, as the record stores it
  std::string subject;
  std::string hdrs;
  std::string data;
};

// A sequence consumed without a message that the producer keeps on disk as a
// skip record (the hand writer) or however it deletes (a real writer).
struct TestSkip {
  uint64_t seq = 0;
  int64_t ts = 0;
};

// A stream's contents. msgs and skips are in ascending sequence order and
// disjoint; every sequence between 1 and LastSeq() that is in neither is a
// gap (deleted with no trace in the block).
struct StreamContents {
  std::string name;
  std::vector<std::string> subjects;
  store::GoTime created;
  std::vector<TestMsg> msgs;
  std::vector<TestSkip> skips;

  uint64_t FirstSeq() const;  // first live message (0 if none)
  uint64_t LastSeq() const;   // highest sequence of a message or skip
};

// Standard padded base64, the encoding of []byte in the server's JSON.
std::string Base64(std::string_view bytes);

// The server's time string of a record timestamp (RFC 3339, nanoseconds,
// trailing zeros trimmed, UTC "Z"), via our GoTime formatter.
std::string TimeString(int64_t unix_nanos);

// The STREAM.INFO `state` a server must report for `c` when asked with
// deleted_details and subjects_filter ">": messages, bytes (sum of
// FileStoreMsgSize over live messages), first/last seq and ts, num_deleted,
// deleted, num_subjects, subjects, consumer_count 0.
Json ExpectedState(const StreamContents& c);

// The MSG.GET `message` objects for every live sequence, in the shape
// ServeAndRead returns (seq, subject, time, hdrs, data; hdrs/data base64,
// "" when empty).
Json ExpectedMessages(const StreamContents& c);

}  // namespace natscpp::parity::serve

#endif  // NATSCPP_TESTS_PARITY_SERVE_STREAM_CONTENTS_H_
