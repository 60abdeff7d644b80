// The inside of FileStore: the block list, the global per-subject index and
// the stream totals, with the recovery steps that fill them. Split from
// file_store.h so the recovery and read halves can live in their own files.
#ifndef NATSCPP_STORE_FILESTORE_FILE_STORE_IMPL_H_
#define NATSCPP_STORE_FILESTORE_FILE_STORE_IMPL_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/key_file.h"
#include "exec/executor.h"
#include "filestore/delete_blocks.h"
#include "filestore/msg_block.h"
#include "natscpp/store/file_store.h"
#include "sched/scheduler.h"
#include "sched/sdm.h"
#include "stree/stree.h"
#include "thw/thw.h"

namespace natscpp::store {

// Where a subject's messages are: how many, and the first and last block
// holding one (Go: psi).
struct SubjectBlocks {
  uint64_t total = 0;
  uint32_t fblk = 0;
  uint32_t lblk = 0;
};

class FileStore::Impl final : public filestore::BlockHost {
 public:
  // Background work stops before any member it touches goes away.
  ~Impl();
  // ---- the blocks' background work (file_store_lifecycle.cc) ----
  exec::Executor::Timer BlockTimer(const filestore::MsgBlock& mb, std::chrono::nanoseconds delay,
                                   Callback fn) override;
  void RetireTimer(exec::Executor::Timer timer) override;
  bool IsWriteBlock(const filestore::MsgBlock& mb) const override { return &mb == lmb; }
  // ---- recovery (file_store_recover.cc) ----
  Result<void> Recover();
  // Loads index.db into the block list and totals; any error means the
  // blocks must be rebuilt from their files. Public for the tests that
  // corrupt index.db under a live store.
  Result<void> RecoverFullState();

  // ---- reads (file_store_read.cc) ----
  StreamState State();
  void FastState(StreamState* state);
  Result<store::StoreMsg*> LoadMsg(uint64_t seq, store::StoreMsg* sm);
  Result<LoadedMsg> LoadNextMsg(std::string_view filter, bool wildcard, uint64_t start,
                                store::StoreMsg* sm);
  Result<store::StoreMsg*> LoadLastMsg(std::string_view subject, store::StoreMsg* sm);
  // After a miss in block bi: where LoadNextMsg goes on, by the subject
  // index (kStoreEOF when no block after bi can match).
  Result<size_t> CheckSkipFirstBlock(std::string_view filter, bool wildcard, size_t bi);
  Result<size_t> SelectSkipFirstBlock(size_t bi, uint32_t start, uint32_t stop);
  Result<store::StoreMsg*> LoadLastMsgLocked(std::string_view subject, store::StoreMsg* sm);
  Result<SimpleState> NumFilteredPending(std::string_view filter, bool with_last);
  std::map<std::string, uint64_t> SubjectsTotals(std::string_view filter);
  Result<SimpleState> FilteredState(uint64_t seq, std::string_view subject);

  // ---- writing (file_store_write.cc, file_store_remove.cc,
  // file_store_lifecycle.cc); every caller holds mu ----
  Result<void> StoreRawMsgLocked(std::string_view subject, std::span<const uint8_t> hdr,
                                 std::span<const uint8_t> msg, uint64_t seq, int64_t ts,
                                 int64_t ttl, bool discard_new_check);
  Result<uint64_t> WriteMsgRecord(uint64_t seq, int64_t ts, std::string_view subject,
                                  std::span<const uint8_t> hdr, std::span<const uint8_t> msg);
  Result<filestore::MsgBlock*> CheckLastBlock(uint64_t rl);
  Result<filestore::MsgBlock*> NewMsgBlockForWrite();
  // Compressing finished blocks (file_store_recompress.cc): queued by
  // NewMsgBlockForWrite and done on the executor, the slow part without
  // the lock (release_lock); Stop finishes what is still queued.
  void QueueRecompress(filestore::MsgBlock* mb);
  void RunRecompressQueue(std::unique_lock<std::recursive_mutex>& lock, bool release_lock);
  Result<void> WriteTombstone(uint64_t seq, int64_t ts);
  Result<uint64_t> SkipMsgLocked(uint64_t seq, bool no_interest);
  Result<void> SkipMsgsLocked(uint64_t seq, uint64_t num);
  Result<uint64_t> FirstSeqForSubject(std::string_view subject);
  Result<void> EnforceMsgLimit();
  Result<void> EnforceBytesLimit();
  Result<void> EnforceMsgPerSubjectLimit();
  Result<void> RebuildFirst();
  // Removes seq (Go's removeMsg): writes a tombstone for a user removal,
  // overwrites the record when secure, drops an emptied block. On a
  // read-only store only the in-memory half runs.
  Result<bool> RemoveMsg(uint64_t seq, bool secure, bool via_limits);
  Result<bool> RemoveMsgFromBlock(filestore::MsgBlock* mb, uint64_t seq, bool secure,
                                  bool via_limits);
  Result<void> RemoveMsgBlock(filestore::MsgBlock* mb);
  Result<void> ForceRemoveMsgBlock(filestore::MsgBlock* mb);
  Result<void> PurgeMsgBlock(filestore::MsgBlock* mb);
  Result<uint64_t> PurgeLocked(uint64_t fseq);
  // PurgeLocked with what follows a purge: a forced index.db write, the
  // write error kept, and the storage update left in pending_scb.
  Result<uint64_t> Purge(uint64_t fseq);
  // Removes every message in [first, last] (clamped to the last sequence),
  // dropping whole blocks where it can (file_store_deletes.cc).
  Result<void> RemoveMsgsInRange(uint64_t first, uint64_t last, bool via_limits);
  // The stream's deletes: gaps between blocks as ranges, each block's
  // delete map as a set; the runs borrow the blocks' maps.
  filestore::DeleteRuns DeleteRunsLocked();
  DeleteBlocks DeleteBlocksLocked();
  Result<uint64_t> PurgeEx(std::string_view subject, uint64_t sequence, uint64_t keep);
  Result<uint64_t> CompactLocked(uint64_t seq);
  Result<uint64_t> CompactBelow(uint64_t seq);
  // Removes every message after seq; 0 resets the store (file_store_truncate.cc).
  Result<void> Truncate(uint64_t seq);
  Result<void> Reset();
  Result<void> ResetGlobalPerSubjectInfo();
  // A stream with no subjects, mirror or sources and nothing indexed yet
  // keeps no subject index to rebuild.
  bool NoTrackSubjects() const;
  Result<void> CheckAndFlushLastBlock();
  Result<void> WriteStreamMeta();
  Result<void> SetupAek();
  // index.db: WriteFullState declines (an error, nothing written) when the
  // stream has too many subjects or deletes for a quick write;
  // ForceWriteFullState writes regardless.
  Result<void> WriteFullState(bool force);
  Result<void> WriteFullState();
  Result<void> ForceWriteFullState();
  void SyncBlocks();
  // The recovery's own writes, on a writable store.
  Result<void> FinishWritableRecovery();
  void CleanupOldMeta();
  void SetWriteErr(const Error& e);
  Result<void> CheckWritable() const;
  Result<void> StopLocked(bool delete_files, bool write_state, std::unique_lock<std::recursive_mutex>& lock);
  void StartBackground();
  // The sync pass's timer: armed at start, re-armed by each pass, stopped
  // by Stop (callers hold mu).
  void SetSyncTimer();
  void CancelSyncTimer();
  // The periodic index.db write.
  void FlushStreamStateLoop();
  // ---- configuration changes (file_store_config.cc); takes mu ----
  Result<void> UpdateConfig(StreamConfig cfg);
  // ---- max-age expiry (file_store_expire.cc); callers hold mu ----
  Result<void> ExpireMsgsOnRecover();
  void StartAgeChk();
  void ResetAgeChk(int64_t delta);
  void CancelAgeChk();
  void ArmAgeChk(int64_t delay);
  // The age timer's callback; takes mu itself.
  void ExpireMsgs();
  // ---- per-message TTLs and subject delete markers (file_store_ttl.cc) ----
  // Loads msgs/thw.db, rescanning the blocks past its stamp; caller holds mu.
  Result<void> RecoverTtlState();
  void ScanMsgsFrom(uint64_t from, uint64_t filestore::MsgBlock::*count,
                    const std::function<void(uint64_t, const store::StoreMsg&)>& fn);
  // Writes msgs/thw.db (nothing when TTLs are off); caller holds mu.
  Result<void> WriteTtlState();
  // The earliest TTL deadline (ns since epoch), INT64_MAX when none.
  int64_t NextTtlExpiration() const;
  // {last message of its subject, go ahead}: whether removing seq should
  // leave a marker, and whether it was not proposed just now.
  std::pair<bool, bool> ShouldProcessSdm(uint64_t seq, const std::string& subj);
  std::pair<bool, bool> ShouldProcessSdmLocked(uint64_t seq, const std::string& subj);
  // Hands a marker for subj to the stream layer, or asks it to remove seq;
  // called without mu held.
  void HandleRemovalOrSdm(uint64_t seq, const std::string& subj, bool sdm, int64_t sdm_ttl);
  // The storage-update callback, called with mu held once (released around
  // the call).
  void FireStorageUpdate(int64_t msgs, int64_t bytes, uint64_t seq, std::string_view subj);
  // ---- message scheduling (file_store_sched.cc); callers hold mu ----
  // A scheduling state whose timer runs RunMsgScheduling on the executor.
  std::unique_ptr<sched::MsgScheduling> NewMsgScheduling();
  // Loads msgs/sched.db, rescanning the blocks past its stamp.
  Result<void> RecoverMsgSchedulingState();
  // Writes msgs/sched.db (nothing when schedules are off).
  Result<void> WriteMsgSchedulingState();
  // A stored message's effect on the schedules (storeRawMsg's part).
  void TrackMsgSchedule(uint64_t seq, std::string_view subject, std::span<const uint8_t> hdr,
                        int64_t ts);
  // Forgets the schedules held by a block being purged.
  Result<void> RemoveBlockSchedules(filestore::MsgBlock* mb);
  // The scheduling timer's callback; takes mu itself, calls pmsgcb
  // without it.
  void RunMsgScheduling();

  FileStoreConfig fcfg;
  bool read_only = true;
  bool closed = false;
  std::optional<Error> werr;
  uint64_t dirty = 0;
  // The first sequence moved since the last sync pass: tombstones may have
  // gone stale (Go: firstMoved).
  bool first_moved = false;
  // Background work: block syncs and periodic index.db writes.
  std::unique_ptr<exec::Executor> executor;
  // Block timers run once the store is open (StartBackground), never during
  // recovery, which runs without mu.
  bool background = false;
  // Timers of blocks gone, released by the next block timer's callback on
  // the worker or once the executor has stopped.
  std::vector<exec::Executor::Timer> retired_timers;
  // Finished blocks waiting to be compressed: index -> block id, and
  // whether a run is posted to the executor.
  std::map<uint32_t, uint64_t> recompress_queue;
  bool recompress_posted = false;
  exec::Executor::Timer sync_timer;
  exec::Executor::Timer state_timer;
  // Max-age expiry. The handle is kept once made; age_chk says whether the
  // check is on (where the server tests whether its timer exists).
  exec::Executor::Timer age_timer;
  bool age_chk = false;
  bool age_chk_run = false;   // an expiry pass is running
  int64_t age_chk_time = 0;   // when the armed check fires, Unix ns
  bool received_any = false;  // StoreRawMsg has stored a message
  // When the last PurgeEx ran: successive ones keep their blocks loaded.
  std::chrono::steady_clock::time_point lpex;
  // Per-message TTL deadlines; set only when the stream allows TTLs.
  std::unique_ptr<thw::HashWheel> ttls;
  // Message schedules; set only when the stream allows them.
  std::unique_ptr<sched::MsgScheduling> scheduling;
  // Removals and markers proposed to the stream layer, not yet applied.
  sched::SDMMeta sdm;
  // The stream layer's callbacks (Go: scb, rmcb, pmsgcb).
  StorageUpdateHandler scb;
  StorageRemoveMsgHandler rmcb;
  ProcessJetStreamMsgHandler pmsgcb;
  // The storage update a purge, compaction, truncation or reset owes the
  // stream layer; the public call clears it first and hands it to scb once
  // mu is released.
  struct PendingStorageUpdate {
    int64_t msgs = 0;
    int64_t bytes = 0;
    uint64_t seq = 0;
    std::string subject;
  };
  std::optional<PendingStorageUpdate> pending_scb;
  // Takes the pending update and the callback; the caller fires it after
  // unlocking, as the server calls its storage callback without its lock.
  std::pair<std::optional<PendingStorageUpdate>, StorageUpdateHandler> TakeStorageUpdate();

  // ---- small accessors the server's tests use (file_store_accessors.cc) ----
  uint64_t LastSeq();
  int NumMsgBlocks();
  int NumSubjects();
  int NumConsumers();
  // Deleted sequences held by the blocks' dmaps.
  uint64_t DmapEntries();
  // Cache loads summed over the blocks, and bytes of caches loaded now.
  uint64_t CacheLoads();
  uint64_t CacheSize();
  // Stored size of message seq; 0 when there is none.
  uint64_t SizeForSeq(uint64_t seq);
  // The message at seq (0: the first), as LoadMsg gives it.
  Result<store::StoreMsg*> MsgForSeq(uint64_t seq, store::StoreMsg* sm);
  bool IsClosed();
  std::optional<LostStreamData> LostData();
  // Closes every block, writing what is pending; with sync, syncs them too.
  Result<void> CloseAllMsgBlocks(bool sync);
  Result<void> WriteTombstoneNoFlush(uint64_t seq, int64_t ts);
  // Writes a file atomically, synced when the store syncs every write.
  Result<void> WriteFileWithOptionalSync(const std::filesystem::path& name, std::span<const uint8_t> data,
                                         uint32_t perm);

  // ---- configuration and environment ----
  std::filesystem::path dir;
  FileStreamInfo info;
  crypto::KeyGenFn prf;
  crypto::StoreCipher cipher = crypto::StoreCipher::kNoCipher;
  std::unique_ptr<crypto::Aead> aek;  // the stream's own key (index.db)
  filestore::BlockEnv env;
  std::vector<RecoveryNote> notes;
  int num_consumers = 0;

  // ---- state ----
  std::recursive_mutex mu;
  struct Totals {
    uint64_t msgs = 0;
    uint64_t bytes = 0;
    filestore::MsgId first;
    filestore::MsgId last;
  } state;
  std::vector<std::unique_ptr<filestore::MsgBlock>> blks;  // by index, ascending
  std::map<uint32_t, filestore::MsgBlock*> bim;
  filestore::MsgBlock* lmb = nullptr;
  stree::SubjectTree<SubjectBlocks> psim;
  std::vector<uint64_t> tombs;
  std::optional<LostStreamData> ld;
  bool recovering = false;
  bool rebuild_pending = false;
  std::optional<LostStreamData> pending_lost;

  void Note(std::string file, std::string message) {
    notes.push_back({std::move(file), std::move(message)});
  }

  // Shared helpers.
  void AddMsgBlock(std::unique_ptr<filestore::MsgBlock> mb);
  void RemoveMsgBlockFromList(filestore::MsgBlock* mb);
  void AddLostData(const std::optional<LostStreamData>& lost);
  void RemoveFromLostData(uint64_t seq);
  void RebuildStateLocked(const std::optional<LostStreamData>& lost);
  // Applies what a block's lazy rebuild found (Go does this from a
  // goroutine after a failed cache load).
  void AfterBlockRebuild(filestore::MsgBlock* mb, std::optional<filestore::RebuildResult>& r);
  filestore::MsgBlock* SelectMsgBlock(uint64_t seq, size_t* pos = nullptr);
  // The first block whose last message is at or after min_ts (ns).
  filestore::MsgBlock* SelectMsgBlockForStart(int64_t min_ts);
  Result<void> PopulateGlobalPerSubjectInfo(filestore::MsgBlock* mb);
  // Returns how many messages of subject the stream still holds.
  uint64_t RemovePerSubject(std::string_view subject);
  void SelectNextFirst();
  // Keeps at most a few block caches loaded.
  void TouchCache(filestore::MsgBlock* mb);

 private:
  Result<void> DropOldestWhileOver(uint64_t Totals::*total, uint64_t filestore::MsgBlock::*per_block,
                                   uint64_t max);
  Result<void> RecoverMsgs();
  Result<filestore::MsgBlock*> RecoverMsgBlock(uint32_t index);
  Result<void> CheckPartialPurge();
  Result<void> RecoverPartialPurge();
  std::vector<filestore::MsgBlock*> cached_;  // most recent last
  std::vector<uint32_t> purged_blocks_;  // blocks a finished purge removes
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_FILESTORE_FILE_STORE_IMPL_H_
