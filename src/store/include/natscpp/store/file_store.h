// The file store: a stream's directory as the Go server lays it out
// (FORMAT.md §2), opened the way v2.14.5 opens it.
//
// Two ways in. Open(read_only) recovers the state exactly as the server
// would (index.db when it is valid, legacy .idx files where the server
// trusts them, a rebuild from the blocks otherwise, tombstones, torn tails)
// but keeps every conclusion in memory: it writes, renames and deletes
// nothing, and it neither expires messages nor enforces limits. It shows
// what is stored.
//
// Create (and Open with read_only = false) is the server's
// newFileStoreWithCreated: the same recovery, now carrying out the writes
// the server makes (truncating a torn tail, removing emptied blocks,
// writing meta files), then a store that appends records, removes and
// purges, enforces the stream's limits and, on Stop, writes index.db. What
// it writes is what v2.14.5 writes, byte for byte where the format is
// deterministic.
#ifndef NATSCPP_STORE_FILE_STORE_H_
#define NATSCPP_STORE_FILE_STORE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "natscpp/store/consumer_config.h"
#include "natscpp/store/error.h"
#include "natscpp/store/go_time.h"
#include "natscpp/store/store_cipher.h"
#include "natscpp/store/store_types.h"
#include "natscpp/store/stream_config.h"
#include "natscpp/store/stream_store.h"

namespace natscpp::store {

// The server's JetStream encryption settings (`jetstream { key, cipher }`).
struct StoreEncryption {
  std::string key;
  StoreCipher cipher = StoreCipher::kChaCha;
  // The account whose streams these are; it salts the key derivation.
  // Empty means: take it from the path (.../ACCOUNT/streams/NAME).
  std::string account;
};

// Block compression of a writable store (Go's StoreCompression; the same
// values as the stream configuration's "compression").
using StoreCompression = StreamCompression;

// How a writable store lays out and flushes its blocks (Go's
// FileStoreConfig). Zero durations and sizes mean the server's defaults.
struct FileStoreConfig {
  // Largest block before a new one is started; 0: dynBlkSize of the
  // stream's retention and max bytes (at most 8 MiB).
  uint64_t block_size = 0;
  std::chrono::nanoseconds cache_expire{0};          // default 10 s
  std::chrono::nanoseconds subject_state_expire{0};  // default 2 min
  std::chrono::nanoseconds sync_interval{0};         // default 2 min
  // fsync every write (otherwise blocks are synced every sync_interval).
  bool sync_always = false;
  // Batch writes in memory and flush them from the background (the
  // server's default is to write each record through at once).
  bool async_flush = false;
  StoreCompression compression = StoreCompression::kNone;
  // Encrypts the store when set (meta.key, msgs/<N>.key).
  std::optional<StoreEncryption> encryption;
};

struct FileStoreOpenOptions {
  bool read_only = true;
  std::optional<StoreEncryption> encryption;
  // For a writable open: block size, flushing and compression. Its
  // encryption, when set, replaces the field above.
  FileStoreConfig config;
};

// Something recovery noticed and worked around, as the server would log it:
// a stale or unreadable index.db, a stale .idx, a torn block tail.
struct RecoveryNote {
  std::string file;     // relative to the stream directory
  std::string message;
};

// One consumer's stored view (obs/<name>/).
struct StoredConsumer {
  std::string name;
  GoTime created;
  ConsumerConfig config;
  ConsumerState state;
};

class FileStore {
 public:
  // Opens STREAM_DIR for writing, creating it when missing, with the given
  // configuration (the server's newFileStoreWithCreated). An existing store
  // is recovered as the server recovers it, writes included; meta.inf is
  // written when missing or empty.
  static Result<std::unique_ptr<FileStore>> Create(const std::filesystem::path& stream_dir,
                                                   const FileStoreConfig& fcfg,
                                                   const StreamConfig& cfg, GoTime created);

  // Opens STREAM_DIR (.../jetstream/ACCOUNT/streams/NAME): meta.inf checked
  // against meta.sum and decrypted with meta.key when encrypted, then the
  // message state recovered. Fails with a message naming the file and the
  // cause; never modifies the directory when options.read_only.
  static Result<std::unique_ptr<FileStore>> Open(const std::filesystem::path& stream_dir,
                                                  const FileStoreOpenOptions& options);

  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;
  ~FileStore();

  // The stream's meta.inf: creation time and configuration.
  const FileStreamInfo& Info() const;
  const std::filesystem::path& Dir() const;
  // The file-store configuration in force (block size, sync, cipher...).
  FileStoreConfig Config();

  // The full state: totals, first/last, deleted sequences (sorted), lost
  // data, consumer and subject counts (subjects map not filled). Past 16 M
  // deleted sequences only their count is given.
  StreamState State();
  // Totals without the deleted list.
  void FastState(StreamState* state);

  // The loads fill the caller's `sm` (kInvalidArgument when null) and
  // return it.
  // Message `seq` (0 = the first). kStoreMsgNotFound for a deleted or
  // missing sequence inside the stream, kStoreEOF past its end.
  Result<store::StoreMsg*> LoadMsg(uint64_t seq, store::StoreMsg* sm);
  // The first message at or after `start` whose subject matches `filter`
  // ("" or ">" for all; `wildcard` when filter has wildcards). On kStoreEOF
  // nothing more matches.
  Result<LoadedMsg> LoadNextMsg(std::string_view filter, bool wildcard, uint64_t start, store::StoreMsg* sm);
  // The subject of message `seq`; kStoreMsgNotFound when there is none.
  Result<std::string> SubjectForSeq(uint64_t seq);
  // The first sequence whose message is at or after ts (ns since the
  // epoch); the last sequence + 1 when every message is older, 0 once
  // stopped.
  uint64_t GetSeqFromTime(int64_t ts);
  // The newest message on `subject` (may be a wildcard; "" or ">" = last).
  Result<store::StoreMsg*> LoadLastMsg(std::string_view subject, store::StoreMsg* sm);
  // Messages per subject among those matching filter ("" = all).
  std::map<std::string, uint64_t> SubjectsTotals(std::string_view filter);
  // Count, first and last of the messages matching subject from seq on.
  Result<SimpleState> FilteredState(uint64_t seq, std::string_view subject);

  // ---- writing (a store from Create, or Open with read_only = false;
  // kUnsupported on a read-only store, kStoreClosed after Stop) ----

  // Appends a message with the next sequence and the current time. `ttl`
  // in seconds (0: none, -1: never).
  Result<StoredSeqTs> StoreMsg(std::string_view subject, std::span<const uint8_t> hdr,
                               std::span<const uint8_t> msg, int64_t ttl);
  // Appends with a given sequence (0: the next one; any other must be the
  // next one, else kSequenceMismatch) and timestamp (ns).
  Result<void> StoreRawMsg(std::string_view subject, std::span<const uint8_t> hdr,
                           std::span<const uint8_t> msg, uint64_t seq, int64_t ts, int64_t ttl,
                           bool discard_new_check);
  // Uses up the next sequence without a message (returns it).
  Result<uint64_t> SkipMsg(uint64_t seq);
  Result<uint64_t> SkipMsgNoInterest(uint64_t seq);
  // Uses up `num` sequences from `seq` on.
  Result<void> SkipMsgs(uint64_t seq, uint64_t num);
  // Writes whatever is buffered (async_flush) to the block files.
  Result<void> FlushAllPending();

  // Removes a message; false when it was already gone. kStoreEOF past the
  // last sequence.
  Result<bool> RemoveMsg(uint64_t seq);
  // Removes and overwrites the message's bytes with random data (not on
  // an encrypted store, where the server only removes).
  Result<bool> EraseMsg(uint64_t seq);
  // Removes every message (returns how many); the sequence carries on.
  Result<uint64_t> Purge();
  // Removes the messages matching subject ("" or ">" for all) below
  // `sequence` (0: no bound), keeping the newest `keep` of them; returns
  // how many went.
  Result<uint64_t> PurgeEx(std::string_view subject, uint64_t sequence, uint64_t keep);
  // Removes every message below seq (past the last: everything, and the
  // stream then starts at seq).
  Result<uint64_t> Compact(uint64_t seq);
  // Removes every message after seq, which becomes the last sequence (the
  // stream carries on from seq + 1); 0 removes everything and starts the
  // stream over from sequence 1.
  Result<void> Truncate(uint64_t seq);

  // The stream state a replicated snapshot carries (FORMAT.md §11):
  // totals, `failed`, and the deleted sequences as delete blocks.
  Result<std::vector<uint8_t>> EncodedStreamState(uint64_t failed);
  // Removes whatever dbs (a leader's delete blocks) says is deleted, up to
  // this store's last sequence; sequences already gone are skipped.
  Result<void> SyncDeleted(const DeleteBlocks& dbs);
  // Reads every block back from disk and rebuilds the totals and subject
  // index from what is there; returns the data found lost (if any).
  Result<std::optional<LostStreamData>> CheckMsgs();

  // Replaces the stream configuration (name required, file storage):
  // writes meta.inf, applies lower limits and a changed max age to what is
  // stored, and adjusts write flushing to replicas and persist mode. A
  // max_msgs_per below -1 is stored as -1. kStoreClosed after Stop.
  Result<void> UpdateConfig(const StreamConfig& cfg);

  // Flushes, writes index.db (and thw.db/sched.db when used) and closes.
  // The store answers kStoreClosed afterwards.
  Result<void> Stop();
  // Stops without writing state and removes the stream directory.
  Result<void> Delete();

  // Consumer directory names under obs/, sorted.
  std::vector<std::string> ConsumerNames() const;
  // Loads one consumer's config and state (read-only).
  Result<StoredConsumer> LoadConsumer(std::string_view name) const;

  // What recovery noticed (index.db not used, torn tails and the like).
  const std::vector<RecoveryNote>& RecoveryNotes() const;

  // ---- test hooks: the block internals the server's tests look at ----
  struct BlockForTest {
    uint32_t index = 0;
    bool write_block = false;     // the store's last (write) block
    size_t pending = 0;           // bytes not yet written to the file
    bool flusher = false;         // its flush loop is on
    bool cache_loaded = false;    // a cache with every sequence (cacheAlreadyLoaded)
    bool cache_present = false;   // any cache at all
    uint64_t cache_bytes = 0;
    uint64_t cache_loads = 0;
    bool fss_loaded = false;
    bool need_sync = false;
    uint64_t first_seq = 0;
    bool should_compact_sync = false;  // the sync pass would compact it
    bool no_compact = false;           // its last compaction freed nothing
  };
  std::vector<BlockForTest> BlocksForTest();
  // Stops block `index`'s flush loop (the server's tests close its quit channel).
  void StopFlusherForTest(uint32_t index);
  // Drops block `index`'s per-subject state.
  void DropSubjectStateForTest(uint32_t index);
  // The block's finishedWithCache.
  void FinishedWithCacheForTest(uint32_t index);
  // A lookup in block `index`'s cache as it is (no load).
  Result<store::StoreMsg*> CacheLookupForTest(uint32_t index, uint64_t seq, store::StoreMsg* sm);

  // ---- the stream layer's callbacks (writable stores) ----
  // Told of every change of the totals: +1 and the size for a stored
  // message, -1 and minus the size for a removed one.
  void RegisterStorageUpdates(StorageUpdateHandler cb);
  // Asked to remove a message whose max age or TTL ran out, when the
  // stream places subject delete markers (the removal is then the stream
  // layer's to make).
  void RegisterStorageRemoveMsg(StorageRemoveMsgHandler cb);
  // Handed the subject delete marker to store in place of the last
  // message of a subject that aged out.
  void RegisterProcessJetStreamMsg(ProcessJetStreamMsgHandler cb);
  // Expiry with subject delete markers waits until both of the last two
  // are registered. Callbacks run without the store's lock held. Due
  // message schedules are handed to the last one too.
  // Forgets temporary state (the schedules produced but not yet stored),
  // as when the stream's leader changes.
  void ResetState();

  // Always StorageType::kFile.
  StorageType Type() const;
  // Bytes the blocks take on disk (total) and the stored messages' sizes
  // (reported).
  Result<Utilization> GetUtilization();

  class Impl;
  // The internals, for the library's own tests only.
  Impl& ImplForTesting() { return *impl_; }

 private:
  explicit FileStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_FILE_STORE_H_
