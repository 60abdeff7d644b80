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
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avl/seqset.h"
#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "natscpp/store/error.h"
#include "natscpp/store/store_types.h"
#include "s2/compression.h"
#include "util/unique_fd.h"
#include "stree/stree.h"

namespace natscpp::store::filestore {

struct MsgId {
  uint64_t seq = 0;
  int64_t ts = 0;
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
};

// The result of rebuilding a block's state from its records.
struct RebuildResult {
  std::optional<LostStreamData> lost;
  std::vector<uint64_t> tombstones;
  std::optional<Error> bad;  // the bad record that ended the scan, if any
};

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
  MsgBlock(const MsgBlock&) = delete;
  MsgBlock& operator=(const MsgBlock&) = delete;

  // A block that exists only in memory, standing in for the write block
  // Go would create (an empty store, or every block dropped).
  static std::unique_ptr<MsgBlock> Placeholder(const BlockEnv* env, uint32_t index,
                                               MsgId last);

  uint32_t index() const { return index_; }
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
  // Loads and indexes the records; on an index that disagrees with the
  // block's state, rebuilds the state and reports it via *rebuilt so the
  // store can recompute its totals.
  Result<void> LoadCache(std::optional<RebuildResult>* rebuilt);
  void DropCache() { cache_.reset(); }
  // The message at seq. kStoreMsgNotFound outside the block; kDeleted
  // (kStoreMsgNotFound with "deleted message") for a deleted sequence.
  Result<StoreMsg*> Fetch(uint64_t seq, StoreMsg* sm, std::optional<RebuildResult>* rebuilt);
  // Same, with the cache already loaded.
  Result<StoreMsg*> CacheLookup(uint64_t seq, StoreMsg* sm);

  // ---- per-subject state ----
  using SubjectStates = stree::SubjectTree<SimpleState>;
  // Builds the block's per-subject state if it is not there.
  Result<SubjectStates*> EnsurePerSubjectInfo(std::optional<RebuildResult>* rebuilt);
  SubjectStates* fss() { return fss_.get(); }
  // Recomputes first/last of one subject from the cache.
  Result<void> RecalculateForSubject(std::string_view subject, SimpleState* ss);
  // Forgets seq of subject in the per-subject state.
  void RemoveSeqPerSubject(std::string_view subject, uint64_t seq);
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
  size_t PendingWriteSize() const { return writer_ ? writer_->pending.size() : 0; }
  Result<void> FlushPending();
  // fsyncs the file (and a key file not yet synced) after writes.
  Result<void> SyncIfNeeded();
  void CloseFd();
  // The first write error, after which the block refuses writes.
  const std::optional<Error>& WriteError() const { return werr_; }
  // Rewrites a closed block compressed with the store's algorithm.
  Result<void> RecompressOnDisk();
  // Replaces the file with `plain` (compressed when allowed and
  // configured, then encrypted) through a temporary and a rename.
  Result<void> AtomicOverwrite(std::span<const uint8_t> plain, bool allow_compress);
  // Overwrites the record of seq with random bytes under the erase bit.
  Result<void> EraseRecord(uint64_t seq, bool is_write_block);
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
  // New keys for this block, written to msgs/<N>.key.
  Result<void> GenerateKeys();
  bool ReadCompressedOnDisk();
  Result<std::unique_ptr<crypto::BlockStream>> FreshBlockStream() const;

  // The write side: the open file, how much of the plaintext is on disk,
  // and the records not yet written.
  struct Writer {
    UniqueFd fd;
    uint64_t wp = 0;
    std::vector<uint8_t> pending;
    bool need_sync = false;
    bool need_key_sync = false;
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
};

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_MSG_BLOCK_H_
