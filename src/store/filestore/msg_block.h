// One message block msgs/<N>.blk as the store holds it in memory: its
// sequence range, counts, delete map and fingerprint (FORMAT.md §3.1), and
// on demand a cache of the record plaintext with a slot per sequence and the
// per-subject state of the block.
//
// This is the read side of Go's msgBlock. Where Go repairs a block on disk
// (truncating a torn tail) this one only remembers how much of the block is
// valid, so the same reads follow without touching the file.
#ifndef NATSCPP_STORE_FILESTORE_MSG_BLOCK_H_
#define NATSCPP_STORE_FILESTORE_MSG_BLOCK_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "avl/seqset.h"
#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "exec/executor.h"
#include "natscpp/store/error.h"
#include "natscpp/store/store_types.h"
#include "s2/compression.h"
#include "util/unique_fd.h"
#include "stree/stree.h"

namespace natscpp::store::sched {
class SDMMeta;
}  // namespace natscpp::store::sched

namespace natscpp::store::filestore {

struct MsgId {
  uint64_t seq = 0;
  int64_t ts = 0;
};

class MsgBlock;

// The clock of a block's activity stamps: Unix nanoseconds, the clock of
// record timestamps, since a write stamps the block with its record's time.
inline int64_t AccessNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a block needs from its store to run work in the background (Go runs
// it on goroutines and runtime timers per block): one-shot timers on the
// store's executor whose callbacks find the block again under the store's
// lock, since the block may be gone by the time one fires.
class BlockHost {
 public:
  using Callback = void (MsgBlock::*)();
  // A timer that runs (mb.*fn)() `delay` from now with the store's lock
  // held, if mb is still one of the store's blocks then. Inert (a default
  // handle) when the store runs no background work.
  virtual exec::Executor::Timer BlockTimer(const MsgBlock& mb, std::chrono::nanoseconds delay,
                                           Callback fn) = 0;
  // Takes a timer of a block that goes away. A handle's destructor waits
  // for a running callback, which may be waiting for the lock the caller
  // holds: the store releases it where that cannot happen.
  virtual void RetireTimer(exec::Executor::Timer timer) = 0;
  // True when mb is the store's write block (Go: mb == fs.lmb).
  virtual bool IsWriteBlock(const MsgBlock& mb) const = 0;

 protected:
  ~BlockHost() = default;
};

// What a block needs from its store to find, open and write its files.
struct BlockEnv {
  std::filesystem::path msgs_dir;
  std::string stream;             // the configured stream name (hash keys)
  crypto::KeyGenFn prf;           // empty when the store is not encrypted
  crypto::StoreCipher cipher = crypto::StoreCipher::kNoCipher;
  // Writable stores only.
  bool read_only = true;
  bool sync_always = false;
  bool flush_in_place = true;  // Go's fip: each record is written through
  s2::StoreCompression compression = s2::StoreCompression::kNone;
  // Background work: none without a host (a read-only store).
  BlockHost* host = nullptr;
  std::chrono::nanoseconds cache_expire = std::chrono::seconds(10);         // Go: cexp
  std::chrono::nanoseconds subject_state_expire = std::chrono::minutes(2);  // Go: fexp
  // The store's pending subject-delete-marker bookkeeping; a removal from
  // a block's subject state settles it (null on a read-only store).
  sched::SDMMeta* sdm = nullptr;
};

// The result of rebuilding a block's state from its records.
struct RebuildResult {
  std::optional<LostStreamData> lost;
  std::vector<uint64_t> tombstones;
  std::optional<Error> bad;  // the bad record that ended the scan, if any
};

class InteriorDeletes;

class MsgBlock {
 public:
  // Slot flags in the cache index (Go: cbit, dbit).
  static constexpr uint32_t kCheckedBit = 1u << 31;
  static constexpr uint32_t kDeletedBit = 1u << 30;
  // The most sequences one block is taken to span. A full 8 MiB block of
  // the smallest records spans about 280,000; anything past this bound
  // comes from damaged or hostile state and is treated as corrupt rather
  // than allocated or iterated.
  static constexpr uint64_t kMaxBlockSlots = uint64_t{1} << 26;

  MsgBlock(const BlockEnv* env, uint32_t index);
  // Hands the block's timers to its host.
  ~MsgBlock();
  MsgBlock(const MsgBlock&) = delete;
  MsgBlock& operator=(const MsgBlock&) = delete;

  // A block that exists only in memory, standing in for the write block
  // Go would create (an empty store, or every block dropped).
  static std::unique_ptr<MsgBlock> Placeholder(const BlockEnv* env, uint32_t index,
                                               MsgId last);

  uint32_t index() const { return index_; }
  // Tells this block from any other of the process, a later block with the
  // same index included.
  uint64_t id() const { return id_; }
  const std::filesystem::path& path() const { return mfn_; }
  std::string FileName() const;  // "msgs/<N>.blk", for messages

  // ---- state (public fields, as the store manipulates them directly) ----
  MsgId first;
  MsgId last;
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t rbytes = 0;
  avl::SequenceSet dmap;
  std::array<uint8_t, 8> lchk{};
  uint64_t ttls = 0;
  uint64_t schedules = 0;
  uint64_t cbytes = 0;      // bytes after the last compaction, 0 before one
  bool no_compact = false;  // the last compaction freed nothing
  bool closed = false;  // listed by index.db but not yet seen on disk
  bool placeholder = false;

  // Keys for an encrypted block: loaded from msgs/<N>.key. kCrypto when the
  // key file is short or no key opens it (Go: errBadKeySize,
  // errKeyInvalid); kNotFound when it is missing.
  Result<void> LoadEncryption();
  bool HasKeys() const { return keys_.has_value(); }
  const crypto::Aead* BlockAek() const { return keys_ ? keys_->aek.get() : nullptr; }
  std::span<const uint8_t> BlockNonce() const {
    return keys_ ? std::span<const uint8_t>(keys_->nonce) : std::span<const uint8_t>();
  }
  // Marks a block of an encrypted store that has no key file as plaintext.
  void TreatAsPlaintext() { plaintext_override_ = true; }
  // ---- encryption changes on a writable open (msg_block_encrypt.cc) ----
  // Loads the keys; on a writable store a block keyed with the other cipher
  // is re-keyed and a plaintext block (no key file) encrypted, both with
  // the configured cipher. kCrypto: the key file is short or opens with no
  // cipher; kCorrupt: a keyless block that is not plaintext.
  Result<void> CheckAndLoadEncryption();
  Result<void> ConvertCipher();
  Result<void> ConvertToEncrypted();
  // The cipher the loaded key file opened with.
  crypto::StoreCipher KeyCipher() const { return key_cipher_; }
  // The key file was written without a sync and waits for the sync pass.
  bool NeedKeySyncForTest() const { return need_key_sync_; }

  // The stored bytes as they are on disk.
  Result<std::vector<uint8_t>> ReadOnDisk() const;
  // The stored bytes, decrypted but not decompressed (for the fingerprint).
  Result<std::vector<uint8_t>> LoadDecrypted();
  // The record plaintext: decrypted and decompressed, cut to the part a
  // rebuild found valid.
  Result<std::vector<uint8_t>> LoadPlaintext();
  // The last 8 bytes of the decrypted block, or zeros when shorter; nullopt
  // when the block cannot be read.
  std::optional<std::array<uint8_t, 8>> LastChecksum();

  // Rebuilds first/last/msgs/bytes/dmap from the records (keeping what an
  // index already placed in first.seq and dmap, as Go does).
  Result<RebuildResult> RebuildState();
  RebuildResult RebuildStateFromBuf(std::span<const uint8_t> buf);

  // ---- cache ----
  bool CacheLoaded() const { return cache_ != nullptr; }
  // The loaded cache's buffer and its capacity (null when none), for tests.
  std::pair<const uint8_t*, size_t> CacheBufForTesting() const {
    if (!cache_) return {nullptr, 0};
    return {cache_->buf.data(), cache_->buf.capacity()};
  }
  // Loads and indexes the records; on an index that disagrees with the
  // block's state, rebuilds the state and reports it via *rebuilt so the
  // store can recompute its totals.
  Result<void> LoadCache(std::optional<RebuildResult>* rebuilt);
  void DropCache() { cache_.reset(); }
  // A cache with a slot for every sequence of the block.
  bool CacheAlreadyLoaded() const;
  bool CacheNotLoaded() const;
  bool FssNotLoaded() const;
  // Bytes of records the cache holds, and how many times it was loaded.
  size_t CacheSize() const { return cache_ ? cache_->buf.size() : 0; }
  uint64_t CacheLoads() const { return cloads_; }
  // Test hooks: the cache's slots and records as they are (null without a
  // cache), and a write error planted as if a write had failed.
  std::vector<uint32_t>* CacheIdxForTest() { return cache_ ? &cache_->idx : nullptr; }
  std::vector<uint8_t>* CacheBufForTest() { return cache_ ? &cache_->buf : nullptr; }
  void SetWriteErrorForTest(Error e) { werr_ = std::move(e); }
  // When the per-subject state was last used (Go's tests read mb.lsts).
  int64_t& LstsForTest() { return lsts_; }
  Result<void> IndexCacheBufForTest(std::vector<uint8_t> buf) { return IndexCacheBuf(std::move(buf)); }
  // The message at seq. kStoreMsgNotFound outside the block; kDeleted
  // (kStoreMsgNotFound with "deleted message") for a deleted sequence.
  // *expire_ok, when given, says the read ended a linear scan over the
  // block (its last sequence after the one before, or its first after the
  // one after), so the cache may go.
  Result<StoreMsg*> Fetch(uint64_t seq, StoreMsg* sm, std::optional<RebuildResult>* rebuilt,
                          bool* expire_ok = nullptr);
  // Same, with the cache already loaded.
  Result<StoreMsg*> CacheLookup(uint64_t seq, StoreMsg* sm);

  // ---- per-subject state ----
  using SubjectStates = stree::SubjectTree<SimpleState>;
  // Builds the block's per-subject state if it is not there.
  Result<SubjectStates*> EnsurePerSubjectInfo(std::optional<RebuildResult>* rebuilt);
  SubjectStates* fss() { return fss_.get(); }
  void DropSubjectState() { fss_.reset(); }
  // Recomputes first/last of one subject from the cache.
  Result<void> RecalculateForSubject(std::string_view subject, SimpleState* ss);
  // Forgets seq of subject in the per-subject state.
  // Returns how many messages of subject the block still holds.
  uint64_t RemoveSeqPerSubject(std::string_view subject, uint64_t seq);
  // Moves first past deleted sequences after the first was removed.
  void SelectNextFirst();

  // ---- writing (msg_block_write.cc) ----
  // Creates the file of a new write block, and in an encrypted store its
  // key file (Go: newMsgBlockForWrite's file half, genEncryptionKeysForBlock).
  Result<void> CreateForWrite(uint64_t last_seq);
  // Appends one record (seq may carry the erase or tombstone bit) through
  // the write cache, keeping the block's accounting, cache index and
  // per-subject state; writes it to the file at once when `flush` and the
  // store writes through.
  Result<void> WriteRecord(uint64_t rl, uint64_t seq, std::string_view subject,
                           std::span<const uint8_t> hdr, std::span<const uint8_t> msg, int64_t ts,
                           bool flush);
  Result<void> WriteTombstone(uint64_t seq, int64_t ts, bool flush);
  // Marks seq as skipped: a placeholder record, or just the range when the
  // block is empty and not the write block.
  Result<void> SkipMsg(uint64_t seq, int64_t ts, bool is_write_block);
  // Bytes written to the cache but not yet to the file.
  size_t PendingWriteSize() const;
  // Those bytes (empty when none).
  std::span<const uint8_t> BytesPending() const;
  Result<void> FlushPending();
  // FlushPending, then the cache timer a write keeps going.
  Result<void> FlushPendingMsgs();
  // The file was written since its last fsync.
  bool NeedSync() const { return need_sync_; }
  // fsyncs the file (and a key file not yet synced) after writes.
  Result<void> SyncIfNeeded();
  void CloseFd();
  // The first write error, after which the block refuses writes.
  const std::optional<Error>& WriteError() const { return werr_; }
  // Rewrites a closed block compressed with the store's algorithm.
  Result<void> RecompressOnDisk();
  // RecompressOnDisk in three steps, so a finished block is compressed
  // without holding up the writer (the server runs it on a goroutine).
  // Prepare reads the block under the store's lock; Stage compresses,
  // encrypts and writes a synced temporary without it; Commit, under the
  // lock again, renames the temporary over the block only if the block
  // still holds the bytes Prepare read. A compaction, erase or truncate in
  // between wins: Commit drops the temporary and returns false.
  struct RecompressJob {
    std::vector<uint8_t> on_disk;  // the block's bytes as Prepare read them
    std::vector<uint8_t> plain;    // its records, decrypted and uncompressed
    s2::StoreCompression compression = s2::StoreCompression::kNone;
    std::unique_ptr<crypto::BlockStream> stream;  // null when not encrypted
    std::filesystem::path tmp;
    std::filesystem::path target;
    uint64_t out_size = 0;
  };
  // nullopt when there is nothing to do (closed, already compressed with
  // the store's algorithm, or open for writing unless open_ok).
  Result<std::optional<RecompressJob>> PrepareRecompress(bool open_ok = false);
  static Result<void> StageRecompress(RecompressJob& job);
  Result<bool> CommitRecompress(RecompressJob& job);
  // Replaces the file with `plain` (compressed when allowed and
  // configured, then encrypted) through a temporary and a rename.
  Result<void> AtomicOverwrite(std::span<const uint8_t> plain, bool allow_compress);
  // Overwrites the record of seq with random bytes under the erase bit.
  Result<void> EraseRecord(uint64_t seq, bool is_write_block);
  // Whether rewriting the block without its deleted records is worth it
  // during a removal (it would at least halve a block over 2 MB) or during
  // the sync pass (it would halve it).
  bool ShouldCompactInline() const;
  bool ShouldCompactSync() const;
  // Rewrites the block with only its live records and the tombstones for
  // sequences in [floor, first) that `interior` (when given) still marks
  // deleted; first/last and the delete map follow. Not for the write
  // block: a pruned tail would break appends (msg_block_compact.cc).
  Result<void> CompactWithFloor(uint64_t floor, InteriorDeletes* interior);
  // Rewrites the block to start at seq's record (the records before it
  // are gone from the file); false when seq has no record here.
  Result<bool> CutHeadBefore(uint64_t seq);
  // Cuts a torn tail found by a rebuild off the file.
  Result<void> TruncateToValid();
  // What Truncate took out of the block's counts.
  struct Truncated {
    uint64_t msgs = 0;
    uint64_t bytes = 0;
  };
  // Cuts the block back to end with tseq (its last time becomes ts): the
  // records after it leave the file, the counts, checksum and per-subject
  // state follow (msg_block_truncate.cc).
  Result<Truncated> Truncate(uint64_t tseq, int64_t ts, std::optional<RebuildResult>* rebuilt);
  // Every tombstone record in the block, in file order.
  std::vector<MsgId> Tombstones();
  // Deletes the block's files (and the delete-map/legacy index files).
  Result<void> RemoveFiles();
  // Tombstones in this block for sequences below its first message and at
  // or above the stream's first sequence (they still hide messages of
  // earlier blocks).
  int NumPriorTombstones(uint64_t stream_first_seq);
  // True when the file on disk starts with a compression header (read
  // once, then tracked by the rewrites that change it).
  bool CompressedOnDisk();

  // The first message at or after start matching filter; kStoreMsgNotFound
  // when none in this block.
  Result<StoreMsg*> FirstMatching(std::string_view filter, bool wildcard, uint64_t start,
                                  StoreMsg* sm, const std::vector<std::string>& stream_subjects,
                                  std::optional<RebuildResult>* rebuilt);
  // Count, first and last sequence of messages matching filter from sseq.
  Result<SimpleState> FilteredPending(std::string_view filter, bool wildcard, uint64_t sseq,
                                      std::optional<RebuildResult>* rebuilt);

  // ---- cache expiry and the flush loop (msg_block_cache.cc); the
  // store's lock held ----
  // The cache expiry timer: `td` from now, 0 meaning the cache expiry plus
  // a margin. Expiry frees the cache once nothing was read or written for
  // cache_expire and nothing waits to be written, and the per-subject state
  // once nothing touched the block for subject_state_expire.
  void StartCacheExpireTimer();
  void ResetCacheExpireTimer(std::chrono::nanoseconds td);
  // The timer's callback.
  void TryExpireCache();
  // Expiry as if the cache had not been read lately (the end of a scan).
  void TryForceExpireCache();
  // At rollover: the old write block's cache goes unless it was read lately.
  void TryExpireWriteCache();
  void ClearCache();
  void ClearCacheAndOffset();
  // Done with the cache for now: it goes unless writes are pending (Go
  // hands it to the garbage collector; the store calls this past its bound
  // of loaded caches).
  void FinishedWithCache();
  std::chrono::nanoseconds SinceLastActivity() const;
  std::chrono::nanoseconds SinceLastWriteActivity() const;
  // A message of the block was removed (Go: lrts).
  void NoteRemoval();
  // The flush loop of an async-flush write block: a write kicks it, it
  // waits a little for more to coalesce, then writes what is pending; off
  // once the block is no longer the write block.
  void SpinUpFlushLoop();
  void KickFlusher();
  void FlushLoop();  // the loop's timer callback
  void ClearInFlusher();
  bool InFlusher() const { return flusher_; }

 private:
  struct Cache {
    std::vector<uint8_t> buf;
    std::vector<uint32_t> idx;  // slot per sequence from fseq
    uint64_t fseq = 0;
  };

  Result<void> IndexCacheBuf(std::vector<uint8_t> buf);
  // Opens the file for appending; the write offset is its plaintext size.
  Result<void> EnableForWriting();
  void UpdateAccounting(uint64_t seq, int64_t ts, uint64_t rl);
  // Fresh keys for this block and the key file that seals them.
  struct FreshKeys {
    crypto::BlockKeys keys;
    std::vector<uint8_t> key_file;
  };
  Result<FreshKeys> NewBlockKeys() const;
  // New keys for this block, written to msgs/<N>.key.
  Result<void> GenerateKeys();
  bool ReadCompressedOnDisk();
  Result<std::unique_ptr<crypto::BlockStream>> FreshBlockStream() const;
  // The conversion steps (msg_block_encrypt.cc): settles a conversion a
  // crash interrupted, and rewrites the block as `plain` under new keys.
  Result<void> ResolveInterruptedConversion();
  Result<void> RekeyAndRewrite(std::span<const uint8_t> plain);

  // The write side: the open file, how much of the plaintext is on disk,
  // and the records not yet written.
  struct Writer {
    UniqueFd fd;
    uint64_t wp = 0;
    std::vector<uint8_t> pending;
  };

  const BlockEnv* env_;
  uint32_t index_;
  std::filesystem::path mfn_;
  crypto::HashKey hkey_;
  std::optional<crypto::BlockKeys> keys_;
  crypto::StoreCipher key_cipher_ = crypto::StoreCipher::kNoCipher;  // the one that opened the key file
  bool plaintext_override_ = false;
  std::optional<uint64_t> valid_len_;  // a torn tail starts here
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<SubjectStates> fss_;
  std::unique_ptr<Writer> writer_;
  std::optional<Error> werr_;
  std::optional<bool> compressed_on_disk_;
  // Written (or keyed) since the last fsync. Kept on the block, not its
  // writer: a block closed when the writer moves on is synced by the next
  // sync pass, as the server does, not on the writer's path.
  bool need_sync_ = false;
  bool need_key_sync_ = false;

  // Arms `t` to run fn `delay` from now on the host's executor; false when
  // there is none.
  bool ArmTimer(exec::Executor::Timer& t, std::chrono::nanoseconds delay, BlockHost::Callback fn);
  void StopCacheExpireTimer();

  uint64_t id_;
  // Activity, AccessNanos, 0 for never: last load (or read), write (the
  // record's time), removal, per-subject state use (Go: llts, lwts, lrts,
  // lsts).
  int64_t llts_ = 0;
  int64_t lwts_ = 0;
  int64_t lrts_ = 0;
  int64_t lsts_ = 0;
  uint64_t llseq_ = 0;  // last sequence of a linear scan (Go: llseq)
  uint64_t cloads_ = 0;
  // The cache expiry timer (Go: ctmr, set while ctmr_on_) and when it is
  // due (steady clock), so a reset to a later time can leave it: it fires,
  // finds the activity and re-arms for the rest.
  bool ctmr_on_ = false;
  int64_t ctmr_due_ = 0;
  // The flush loop (Go: flusher, fch): on, kicked and not yet run, and the
  // coalescing wait in progress (step 0: not waiting).
  bool flusher_ = false;
  bool flush_kicked_ = false;
  size_t flush_waiting_ = 0;
  std::chrono::nanoseconds flush_step_{0};
  std::chrono::nanoseconds flush_waited_{0};
  // Timer handles last; ~MsgBlock hands them to the host.
  exec::Executor::Timer ctmr_;
  exec::Executor::Timer ftmr_;
};

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_MSG_BLOCK_H_
