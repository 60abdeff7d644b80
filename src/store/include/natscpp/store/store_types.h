// The value types of the store API (store.go): stored messages, stream and
// consumer state, delete blocks and the replicated-state record.
#ifndef NATSCPP_STORE_STORE_TYPES_H_
#define NATSCPP_STORE_STORE_TYPES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace natscpp::store {

// A message as the store returns it. Header and payload share one buffer,
// as in Go, so a load is one allocation (or none, when a StoreMsg is
// reused).
struct StoreMsg {
  std::string subject;
  std::vector<uint8_t> buf;  // header bytes, then payload bytes
  size_t hdr_len = 0;
  uint64_t seq = 0;
  int64_t ts = 0;  // nanoseconds since the Unix epoch

  std::span<const uint8_t> hdr() const { return std::span(buf).first(hdr_len); }
  std::span<const uint8_t> msg() const { return std::span(buf).subspan(hdr_len); }

  // Sets header and payload (copying both into buf).
  void SetData(std::span<const uint8_t> header, std::span<const uint8_t> payload);
  // Copies `other` into this message, reusing this buffer.
  void CopyFrom(const StoreMsg& other);
  // Forgets the content, keeping the buffer's capacity.
  void Clear();
};

// Data lost during recovery (truncated or corrupt records).
struct LostStreamData {
  std::vector<uint64_t> msgs;
  uint64_t bytes = 0;

  // The index of seq in msgs, and whether it is there.
  std::pair<int, bool> Exists(uint64_t seq) const;
};

struct StreamState {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  int64_t first_time = 0;  // ns since the epoch; 0 when there is no message
  uint64_t last_seq = 0;
  int64_t last_time = 0;
  int num_subjects = 0;
  std::map<std::string, uint64_t> subjects;  // filled only when asked for
  int64_t num_deleted = 0;  // Go's int is 64 bits
  std::vector<uint64_t> deleted;  // filled only when asked for
  std::optional<LostStreamData> lost;
  int consumers = 0;
};

// State of the messages matching one filter.
struct SimpleState {
  uint64_t msgs = 0;
  uint64_t first = 0;
  uint64_t last = 0;
  // The store's own bookkeeping: first/last are stale and must be
  // recomputed before use.
  bool first_needs_update = false;
  bool last_needs_update = false;
};

struct SequencePair {
  uint64_t consumer = 0;
  uint64_t stream = 0;
  bool operator==(const SequencePair&) const = default;
};

// A delivered message awaiting its ack: the consumer sequence it was
// delivered as and when (ns since the epoch).
struct Pending {
  uint64_t sequence = 0;
  int64_t timestamp = 0;
  bool operator==(const Pending&) const = default;
};

struct ConsumerState {
  SequencePair delivered;
  SequencePair ack_floor;
  std::map<uint64_t, Pending> pending;        // by stream sequence
  std::map<uint64_t, uint64_t> redelivered;   // stream sequence -> count
  bool operator==(const ConsumerState&) const = default;
};

// A set of deleted sequences, in one of the encodings store.go knows:
// an avl SequenceSet, a run length, or a plain list.
class DeleteBlock {
 public:
  struct Summary {
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t num = 0;
  };
  virtual ~DeleteBlock() = default;
  virtual Summary State() const = 0;
  // Calls f for each deleted sequence in order until it returns false.
  virtual void Range(const std::function<bool(uint64_t)>& f) const = 0;
};

// `num` deleted sequences from `first` on.
class DeleteRange final : public DeleteBlock {
 public:
  DeleteRange(uint64_t first, uint64_t num) : first_(first), num_(num) {}
  Summary State() const override;
  void Range(const std::function<bool(uint64_t)>& f) const override;
  uint64_t first() const { return first_; }
  uint64_t num() const { return num_; }

 private:
  uint64_t first_;
  uint64_t num_;
};

// A sorted list of deleted sequences (the legacy form).
class DeleteSlice final : public DeleteBlock {
 public:
  explicit DeleteSlice(std::vector<uint64_t> seqs) : seqs_(std::move(seqs)) {}
  Summary State() const override;
  void Range(const std::function<bool(uint64_t)>& f) const override;

 private:
  std::vector<uint64_t> seqs_;
};

using DeleteBlocks = std::vector<std::unique_ptr<DeleteBlock>>;

// Total of the sequences in all blocks.
uint64_t NumDeleted(const DeleteBlocks& blocks);

// What a stream's replicated snapshot carries (store.go).
struct StreamReplicatedState {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t failed = 0;
  DeleteBlocks deleted;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_STORE_TYPES_H_
