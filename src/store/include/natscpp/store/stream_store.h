// The store interfaces (store.go): StreamStore, the message store of one
// stream, and ConsumerStore, the persisted state of one consumer. The file
// store and the memory store implement them.
//
// Contract for every method returning Result: on error nothing was changed
// and the Error names the cause (kStoreClosed after Stop, kStoreMsgNotFound
// for a missing or deleted sequence, kStoreEOF past the last sequence...).
#ifndef NATSCPP_STORE_STREAM_STORE_H_
#define NATSCPP_STORE_STREAM_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "natscpp/store/consumer_config.h"
#include "natscpp/store/error.h"
#include "natscpp/store/store_types.h"
#include "natscpp/store/stream_config.h"

namespace natscpp::store {

namespace gsl {
template <typename T>
class GenericSublist;
}  // namespace gsl
// A set of subject filters (Go's gsl.SimpleSublist).
using SimpleSublist = gsl::GenericSublist<std::monostate>;

// Reports a change of the store's totals (and the message, for one).
using StorageUpdateHandler = std::function<void(int64_t msgs, int64_t bytes, uint64_t seq, std::string_view subj)>;
// Asks the upper layer to remove a message (expired by TTL, for instance).
using StorageRemoveMsgHandler = std::function<void(uint64_t seq)>;

// A message the store hands to the stream layer to be processed as if it
// had been published (Go's inMsg): a subject delete marker, for instance.
struct InMsg {
  std::string subject;
  std::string reply;
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> msg;
  uint64_t seq = 0;  // for ordering out of band; 0 when unused
};
// Asks the upper layer to process a new message (Go's
// ProcessJetStreamMsgHandler); the handler owns the message.
using ProcessJetStreamMsgHandler = std::function<void(InMsg msg)>;

struct StoredSeqTs {
  uint64_t seq = 0;
  int64_t ts = 0;
};

// A message found by a filtered load, and how many sequences were skipped
// to reach it.
struct LoadedMsg {
  StoreMsg* msg = nullptr;  // the caller's StoreMsg, filled in
  uint64_t skip = 0;
};

struct PendingCount {
  uint64_t total = 0;
  uint64_t valid_through = 0;
};

struct Utilization {
  uint64_t total = 0;
  uint64_t reported = 0;
};

class ConsumerStore;

class StreamStore {
 public:
  virtual ~StreamStore() = default;
  // (Inside this class, StoreMsg names the method; the type is spelled
  // store::StoreMsg.)

  // Appends a message; returns its sequence and timestamp. `ttl` in
  // seconds (0: none, -1: never expires).
  virtual Result<StoredSeqTs> StoreMsg(std::string_view subject, std::span<const uint8_t> hdr,
                                       std::span<const uint8_t> msg, int64_t ttl) = 0;
  // Stores a message with a given sequence and timestamp (replication).
  virtual Result<void> StoreRawMsg(std::string_view subject, std::span<const uint8_t> hdr,
                                   std::span<const uint8_t> msg, uint64_t seq, int64_t ts, int64_t ttl,
                                   bool discard_new_check) = 0;
  virtual Result<uint64_t> SkipMsg(uint64_t seq) = 0;
  virtual Result<uint64_t> SkipMsgNoInterest(uint64_t seq) = 0;
  virtual Result<void> SkipMsgs(uint64_t seq, uint64_t num) = 0;
  virtual Result<void> FlushAllPending() = 0;

  // Loads into `sm` (reused when given) and returns it.
  virtual Result<store::StoreMsg*> LoadMsg(uint64_t seq, store::StoreMsg* sm) = 0;
  virtual Result<LoadedMsg> LoadNextMsg(std::string_view filter, bool wildcard, uint64_t start, store::StoreMsg* sm) = 0;
  virtual Result<LoadedMsg> LoadNextMsgMulti(const SimpleSublist& filters, uint64_t start, store::StoreMsg* sm) = 0;
  virtual Result<store::StoreMsg*> LoadLastMsg(std::string_view subject, store::StoreMsg* sm) = 0;
  virtual Result<LoadedMsg> LoadPrevMsg(std::string_view filter, bool wildcard, uint64_t start, store::StoreMsg* sm) = 0;
  virtual Result<LoadedMsg> LoadPrevMsgMulti(const SimpleSublist& filters, uint64_t start, store::StoreMsg* sm) = 0;

  // Returns whether the message existed.
  virtual Result<bool> RemoveMsg(uint64_t seq) = 0;
  // Like RemoveMsg, and overwrites the message's bytes on disk.
  virtual Result<bool> EraseMsg(uint64_t seq) = 0;
  // Each returns the number of messages purged.
  virtual Result<uint64_t> Purge() = 0;
  virtual Result<uint64_t> PurgeEx(std::string_view subject, uint64_t seq, uint64_t keep) = 0;
  virtual Result<uint64_t> Compact(uint64_t seq) = 0;
  virtual Result<void> Truncate(uint64_t seq) = 0;

  // The first sequence at or after the time (ns since the epoch).
  virtual uint64_t GetSeqFromTime(int64_t t) = 0;
  virtual Result<SimpleState> FilteredState(uint64_t seq, std::string_view subject) = 0;
  virtual std::map<std::string, SimpleState> SubjectsState(std::string_view filter) = 0;
  virtual std::map<std::string, uint64_t> SubjectsTotals(std::string_view filter) = 0;
  virtual Result<std::vector<uint64_t>> AllLastSeqs() = 0;
  virtual Result<std::vector<uint64_t>> MultiLastSeqs(std::span<const std::string> filters, uint64_t max_seq,
                                                      int max_allowed) = 0;
  virtual Result<std::string> SubjectForSeq(uint64_t seq) = 0;
  virtual Result<PendingCount> NumPending(uint64_t sseq, std::string_view filter, bool last_per_subject) = 0;
  virtual Result<PendingCount> NumPendingMulti(uint64_t sseq, const SimpleSublist& filters,
                                               bool last_per_subject) = 0;

  virtual StreamState State() = 0;
  // State without subjects and deleted lists, cheap enough for hot paths.
  virtual void FastState(StreamState* state) = 0;
  virtual Result<std::vector<uint8_t>> EncodedStreamState(uint64_t failed) = 0;
  virtual Result<void> SyncDeleted(const DeleteBlocks& dbs) = 0;
  virtual StorageType Type() const = 0;

  virtual void RegisterStorageUpdates(StorageUpdateHandler handler) = 0;
  virtual void RegisterStorageRemoveMsg(StorageRemoveMsgHandler handler) = 0;

  virtual Result<void> UpdateConfig(const StreamConfig& cfg) = 0;
  // Removes the store's files. `inline_` removes them before returning.
  virtual Result<void> Delete(bool inline_) = 0;
  virtual Result<void> Stop() = 0;

  virtual Result<std::shared_ptr<ConsumerStore>> CreateConsumerStore(std::string_view name, GoTime created,
                                                                     const ConsumerConfig& cfg) = 0;
  virtual Result<void> AddConsumer(const std::shared_ptr<ConsumerStore>& o) = 0;
  virtual Result<void> RemoveConsumer(const std::shared_ptr<ConsumerStore>& o) = 0;
  virtual Result<Utilization> GetUtilization() = 0;
  // Drops transient state (for instance on a leader change).
  virtual void ResetState() = 0;
};

class ConsumerStore {
 public:
  virtual ~ConsumerStore() = default;

  virtual Result<void> SetStarting(uint64_t sseq) = 0;
  virtual void UpdateStarting(uint64_t sseq) = 0;
  virtual Result<void> Reset(uint64_t sseq) = 0;
  virtual bool HasState() = 0;
  virtual Result<void> UpdateDelivered(uint64_t dseq, uint64_t sseq, uint64_t dc, int64_t ts) = 0;
  virtual Result<void> UpdateAcks(uint64_t dseq, uint64_t sseq) = 0;
  virtual void RemoveRedeliveredBelow(uint64_t seq) = 0;
  virtual Result<void> UpdateConfig(const ConsumerConfig& cfg) = 0;
  virtual Result<void> Update(const ConsumerState& state) = 0;
  virtual Result<void> ForceUpdate(const ConsumerState& state) = 0;
  // A copy of the state.
  virtual Result<ConsumerState> State() = 0;
  virtual Result<std::vector<uint8_t>> EncodedState() = 0;
  virtual StorageType Type() const = 0;
  virtual Result<void> Stop() = 0;
  virtual Result<void> Delete() = 0;
  virtual Result<void> StreamDelete() = 0;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_STREAM_STORE_H_
