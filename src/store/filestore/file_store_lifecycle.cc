// A writable store's life: creating or reopening the directory (with the
// writes recovery makes), meta files and keys, the background syncs and
// state writes, index.db, and stop and delete.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <system_error>

#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/file_store_impl.h"
#include "filestore/interior_deletes.h"
#include "filestore/index_db.h"
#include "util/file_io.h"
#include "util/hex.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

constexpr std::chrono::nanoseconds kDefaultCacheExpire = std::chrono::seconds(10);
constexpr std::chrono::nanoseconds kDefaultSubjectStateExpire = std::chrono::minutes(2);
constexpr std::chrono::nanoseconds kDefaultSyncInterval = std::chrono::minutes(2);
// The server writes index.db every two minutes plus up to 30 s of jitter.
constexpr std::chrono::nanoseconds kStateWriteInterval = std::chrono::minutes(2);
constexpr std::chrono::nanoseconds kStateWriteJitter = std::chrono::seconds(30);

std::string HexSum(uint64_t v) {
  crypto::Hash64Bytes b{};
  crypto::PutHash64(v, b);
  return HexLower(b);
}

std::chrono::nanoseconds Jitter(std::chrono::nanoseconds max) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (max.count() <= 0) return max;
  return std::chrono::nanoseconds(static_cast<int64_t>(rng() % static_cast<uint64_t>(max.count())));
}

Result<void> MakeDir(const std::filesystem::path& p) {
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return {};
  std::filesystem::create_directories(p, ec);
  if (ec) return std::unexpected(IoError(p, "create directory", ec.value()));
  std::filesystem::permissions(p, static_cast<std::filesystem::perms>(kDefaultDirPerms), ec);
  return {};
}

}  // namespace

// go: server/filestore.go:(*fileStore).setupAEK
Result<void> FileStore::Impl::SetupAek() {
  if (!prf || aek) return {};
  auto gen = crypto::GenEncryptionKeys(prf, cipher, crypto::StreamKeyContext(info.config.name));
  if (!gen) return std::unexpected(gen.error());
  if (auto r = WriteFileWithSync(DiskIoSemaphore::Default(), dir / kMetaFileKey, gen->encrypted,
                                 kDefaultFilePerms);
      !r) {
    return r;
  }
  aek = std::move(gen->aek);
  return {};
}

// go: server/filestore.go:(*fileStore).writeStreamMeta
Result<void> FileStore::Impl::WriteStreamMeta() {
  if (auto r = SetupAek(); !r) return r;
  auto json = EncodeFileStreamInfo(info);
  if (!json) return std::unexpected(json.error());
  std::vector<uint8_t> b(json->begin(), json->end());
  if (aek) {
    auto sealed = crypto::SealWithRandomNonce(*aek, b);
    if (!sealed) return std::unexpected(sealed.error());
    b = std::move(*sealed);
  }
  auto& dios = DiskIoSemaphore::Default();
  if (auto r = WriteFileWithSync(dios, dir / kMetaFile, b, kDefaultFilePerms); !r) return r;
  // meta.sum: HighwayHash-64 of meta.inf keyed with the stream name, hex.
  const std::string sum =
      HexSum(crypto::HighwayHash64Sum(crypto::HashKeyFromString(info.config.name), b));
  return WriteFileWithSync(dios, dir / kMetaFileSum,
                           std::span(reinterpret_cast<const uint8_t*>(sum.data()), sum.size()),
                           kDefaultFilePerms);
}

// go: server/filestore.go:(*fileStore)._writeFullState
Result<void> FileStore::Impl::WriteFullState(bool force) {
  if (closed || read_only) return {};
  if (dirty == 0) return {};
  if (prf) {
    if (auto r = SetupAek(); !r) return r;
  }
  const uint64_t num_subjects = psim.Size();
  if (!force) {
    uint64_t num_deleted = 0;
    if (state.last.seq > state.first.seq) {
      num_deleted = (state.last.seq - state.first.seq + 1) - state.msgs;
    }
    if (num_subjects > kHighCardinalityThreshold || num_deleted > kHighCardinalityThreshold) {
      return MakeError(ErrorCode::kInvalidArgument, "stream state too big to write now");
    }
  }
  filestore::FullState totals;
  totals.msgs = state.msgs;
  totals.bytes = state.bytes;
  totals.first_seq = state.first.seq;
  totals.first_ts = state.first.ts;
  totals.last_seq = state.last.seq;
  totals.last_ts = state.last.ts;
  // Encoded straight from the subject index and the blocks, no copies: this
  // runs under the lock, with up to a million subjects.
  size_t reserve = 64 + num_subjects * 48 + blks.size() * 96;
  for (const auto& mb : blks) reserve += mb->dmap.IsEmpty() ? 0 : mb->dmap.EncodeLen();
  filestore::FullStateEncoder enc(totals, num_subjects, reserve);
  Result<void> subjects_ok;
  // The subject tree's own walk order, as the server writes it.
  psim.MatchUntil(">", [&](std::string_view subj, SubjectBlocks* psi) {
    subjects_ok = enc.AddSubject(subj, psi->total, psi->fblk, psi->lblk);
    return subjects_ok.has_value();
  });
  if (!subjects_ok) return subjects_ok;
  enc.BeginBlocks(blks.size());
  filestore::TrackingState tracked;
  uint32_t last_block_index = 0;
  std::array<uint8_t, 8> last_checksum{};
  for (const auto& mb : blks) {
    enc.AddBlock(mb->index(), mb->bytes, mb->first.seq, mb->first.ts, mb->last.seq, mb->last.ts, mb->ttls,
                 mb->schedules, mb->dmap);
    filestore::UpdateTrackingState(tracked, mb->first.seq, mb->first.ts, mb->last.seq, mb->msgs, mb->bytes);
    if (mb.get() == lmb) {
      last_block_index = mb->index();
      static constexpr std::array<uint8_t, 8> kZero{};
      if (mb->lchk == kZero && !mb->placeholder) {
        if (auto l = mb->LastChecksum()) mb->lchk = *l;
      }
      last_checksum = mb->lchk;
    }
  }
  if (!filestore::TrackingStatesEqual(totals, tracked)) {
    // The totals and the blocks disagree: rebuild the totals, write later.
    RebuildStateLocked(std::nullopt);
    return MakeError(ErrorCode::kCorruptStreamState, "stream state internal inconsistency on write");
  }
  auto buf = std::move(enc).Finish(last_block_index, last_checksum, info.config.name, prf ? aek.get() : nullptr);
  if (!buf) return std::unexpected(buf.error());
  const auto fn = dir / kMsgDir / kStreamStateFile;
  // Written in place, as the server does; a torn index.db fails its
  // checksum and the blocks are used instead.
  UniqueFd fd(::open(fn.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, kDefaultFilePerms));
  if (!fd) return std::unexpected(IoError(fn, "create", errno));
  for (size_t off = 0; off < buf->size();) {
    const ssize_t n = ::write(fd.get(), buf->data() + off, buf->size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(IoError(fn, "write", errno));
    }
    off += static_cast<size_t>(n);
  }
  if (fd.Reset() != 0) return std::unexpected(IoError(fn, "close", errno));
  dirty = 0;
  // thw.db and sched.db go with every index.db written; one failing does
  // not keep the other from being written.
  auto ttl_written = WriteTtlState();
  auto sched_written = WriteMsgSchedulingState();
  if (!ttl_written) return ttl_written;
  return sched_written;
}

// go: server/filestore.go:(*fileStore).writeFullState
Result<void> FileStore::Impl::WriteFullState() { return WriteFullState(false); }

// go: server/filestore.go:(*fileStore).forceWriteFullState
Result<void> FileStore::Impl::ForceWriteFullState() { return WriteFullState(true); }

// go: server/filestore.go:(*fileStore).syncBlocks
void FileStore::Impl::SyncBlocks() {
  std::lock_guard lock(mu);
  if (closed || werr) return;
  const bool first_moved_now = std::exchange(first_moved, false);
  const uint64_t first_seq = state.first.seq;
  std::optional<filestore::InteriorDeletes> interior;
  bool mark_dirty = false;
  // Compaction may drop a block from blks: walk a copy.
  std::vector<MsgBlock*> list;
  list.reserve(blks.size());
  for (auto& mb : blks) list.push_back(mb.get());
  for (MsgBlock* mb : list) {
    if (mb->closed || mb->placeholder) continue;
    if (const auto& e = mb->WriteError()) {
      SetWriteErr(*e);
      continue;
    }
    // Records still waiting for the async flush are written first, so the
    // sync below covers them.
    if (auto r = mb->FlushPendingMsgs(); !r) {
      SetWriteErr(r.error());
      continue;
    }
    // A first sequence that moved may have made tombstones stale.
    if (first_moved_now) mb->no_compact = false;
    // Never the write block: a pruned tail would break appends.
    if (mb != lmb && mb->rbytes > 0 && mb->ShouldCompactSync()) {
      mark_dirty = true;
      // Tombstones are kept only while some live block still marks their
      // sequence deleted.
      if (!interior) interior = filestore::InteriorDeletes::Of(blks);
      if (auto r = mb->CompactWithFloor(first_seq, &*interior); !r) {
        SetWriteErr(r.error());
        continue;
      }
      if (mb->rbytes == 0) {
        // Only stale tombstones were left: the block goes.
        if (auto r = RemoveMsgBlock(mb); !r) SetWriteErr(r.error());
        continue;
      }
    }
    if (mb != lmb) {
      // Blocks behind the write block are done: sync and close them.
      if (auto r = mb->SyncIfNeeded(); !r) SetWriteErr(r.error());
      mb->CloseFd();
    } else if (auto r = mb->SyncIfNeeded(); !r) {
      SetWriteErr(r.error());
    }
  }
  if (!closed) SetSyncTimer();
  if (mark_dirty) ++dirty;
  if (!fcfg.sync_always) {
    // The state file, and the directory holding the renames.
    const auto sdir = dir / kMsgDir;
    UniqueFd sfd(::open((sdir / kStreamStateFile).c_str(), O_RDWR | O_CLOEXEC));
    if (sfd && ::fsync(sfd.get()) != 0) SetWriteErr(IoError(sdir / kStreamStateFile, "sync", errno));
    UniqueFd dfd(::open(sdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) (void)::fsync(dfd.get());
  }
}

exec::Executor::Timer FileStore::Impl::BlockTimer(const MsgBlock& mb, std::chrono::nanoseconds delay,
                                                  Callback fn) {
  if (!executor || !background) return {};
  // The callback finds the block by index and identity: it may have gone
  // (and its index been reused) by the time the timer fires.
  return executor->After(delay, [this, index = mb.index(), id = mb.id(), fn] {
    std::lock_guard lock(mu);
    // On the worker a handle's release does not wait: retired ones go here.
    retired_timers.clear();
    if (closed) return;
    auto it = bim.find(index);
    if (it == bim.end() || it->second->id() != id) return;
    (it->second->*fn)();
  });
}

void FileStore::Impl::RetireTimer(exec::Executor::Timer timer) {
  timer.Stop();
  retired_timers.push_back(std::move(timer));
}

void FileStore::Impl::StartBackground() {
  // The recovery's age check may have made it already.
  if (!executor) executor = std::make_unique<exec::Executor>();
  {
    // What recovery loaded now expires, and buffered records get flushed.
    std::lock_guard lock(mu);
    background = true;
    for (auto& mb : blks) {
      if (mb->CacheLoaded() || !mb->FssNotLoaded()) mb->StartCacheExpireTimer();
    }
    if (lmb && lmb->PendingWriteSize() > 0) lmb->KickFlusher();
  }
  {
    // The sync pass re-arms its timer under mu; the handle is set under it.
    std::lock_guard lock(mu);
    SetSyncTimer();
  }
  FlushStreamStateLoop();
}

// go: server/filestore.go:(*fileStore).setSyncTimer
void FileStore::Impl::SetSyncTimer() {
  const auto si = fcfg.sync_interval;
  if (sync_timer) {
    sync_timer.Reset(si);
    return;
  }
  // The first sync comes between half the interval and the interval, so
  // stores opened together do not all sync at once; each pass re-arms.
  sync_timer = executor->After(si / 2 + Jitter(si / 2), [this] { SyncBlocks(); });
}

// go: server/filestore.go:(*fileStore).cancelSyncTimer
void FileStore::Impl::CancelSyncTimer() {
  // Only stopped: releasing the handle waits for a running pass, which
  // needs mu, held here. ~Impl lets the handle go.
  sync_timer.Stop();
}

// go: server/filestore.go:(*fileStore).flushStreamStateLoop
void FileStore::Impl::FlushStreamStateLoop() {
  // index.db every two minutes and a jitter, so stores restarted together
  // spread their writes; the loop ends with the executor.
  state_timer = executor->Every(kStateWriteInterval + Jitter(kStateWriteJitter), [this] {
    std::lock_guard lock(mu);
    if (auto r = CheckAndFlushLastBlock(); !r) SetWriteErr(r.error());
    (void)WriteFullState();
  });
}

// go: server/filestore.go:(*fileStore).cleanupOldMeta
void FileStore::Impl::CleanupOldMeta() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir / kMsgDir, ec)) {
    const auto ext = e.path().extension();
    if (ext == ".idx" || ext == ".fss") std::filesystem::remove(e.path(), ec);
  }
}

// The writes of newFileStoreWithCreated after the blocks are recovered.
Result<void> FileStore::Impl::FinishWritableRecovery() {
  if (lmb && lmb->placeholder) {
    // The write block the server creates when it finds none.
    auto nb = NewMsgBlockForWrite();
    if (!nb) return std::unexpected(nb.error());
  }
  if (auto r = EnforceMsgLimit(); !r) return r;
  if (auto r = EnforceBytesLimit(); !r) return r;
  if (info.config.max_age.count() != 0) {
    if (auto r = ExpireMsgsOnRecover(); !r) return r;
    StartAgeChk();
  }
  if (auto r = EnforceMsgPerSubjectLimit(); !r) return r;
  if (info.config.first_seq > 0 && state.first.seq < info.config.first_seq) {
    if (auto r = PurgeLocked(info.config.first_seq); !r) return std::unexpected(r.error());
  }
  std::error_code ec;
  const auto meta = dir / kMetaFile;
  if (!std::filesystem::exists(meta, ec) || std::filesystem::file_size(meta, ec) == 0 ||
      (prf && !std::filesystem::exists(dir / kMetaFileKey, ec))) {
    if (auto r = WriteStreamMeta(); !r) return r;
  }
  CleanupOldMeta();
  return {};
}

// go: server/filestore.go:(*fileStore).stop
Result<void> FileStore::Impl::StopLocked(bool delete_files, bool write_state,
                                         std::unique_lock<std::recursive_mutex>& lock) {
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  // The timers' callbacks take mu: stop the executor without holding it.
  lock.unlock();
  if (executor) executor->Stop();
  lock.lock();
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  CancelSyncTimer();
  CancelAgeChk();
  // Nothing runs now: the block timers' handles can go.
  retired_timers.clear();
  // Blocks still waiting for compression are compressed now, so a stopped
  // store's finished blocks are all compressed, as after the server's stop.
  if (!delete_files) RunRecompressQueue(lock, false);
  recompress_queue.clear();
  Result<void> out;
  if (write_state && !read_only) {
    if (auto r = CheckAndFlushLastBlock(); !r) out = r;
  }
  // Unlike the server's stop, the blocks are synced as they close: a
  // stopped store has everything on disk.
  if (auto r = CloseAllMsgBlocks(!read_only); !r && out) out = r;
  if (write_state && !read_only && out) {
    // As the server does, a state that cannot be written now (its totals
    // disagree with the blocks) does not fail the stop: the next open
    // rebuilds from the blocks.
    (void)ForceWriteFullState();
  }
  closed = true;
  if (delete_files) {
    blks.clear();
    bim.clear();
    cached_.clear();
    lmb = nullptr;
    if (auto r = RemoveAllWithRetry(DiskIoSemaphore::Default(), dir); !r) return r;
  }
  return out;
}

FileStore::Impl::~Impl() {
  sync_timer = {};
  state_timer = {};
  age_timer = {};
  if (executor) executor->Stop();
  // The scheduling timer and the blocks hand their timers over as they go:
  // before retired_timers.
  scheduling.reset();
  cached_.clear();
  bim.clear();
  lmb = nullptr;
  blks.clear();
  retired_timers.clear();
}

// ---- FileStore's writable entry points ----

Result<std::unique_ptr<FileStore>> FileStore::Create(const std::filesystem::path& stream_dir,
                                                     const FileStoreConfig& fcfg_in,
                                                     const StreamConfig& cfg, GoTime created) {
  if (cfg.name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name required");
  if (cfg.storage != StorageType::kFile) {
    return MakeError(ErrorCode::kInvalidArgument, "fileStore requires file storage type in config");
  }
  FileStoreConfig fcfg = fcfg_in;
  const bool encrypted = fcfg.encryption && !fcfg.encryption->key.empty();
  if (fcfg.block_size == 0) {
    fcfg.block_size = DynBlkSize(cfg.retention == RetentionPolicy::kLimits, cfg.max_bytes, encrypted);
  }
  if (fcfg.block_size > kMaxBlockSize) {
    return MakeError(ErrorCode::kInvalidArgument, "filestore max block size is 8.0 MB");
  }
  if (fcfg.cache_expire.count() == 0) fcfg.cache_expire = kDefaultCacheExpire;
  if (fcfg.subject_state_expire.count() == 0) fcfg.subject_state_expire = kDefaultSubjectStateExpire;
  if (fcfg.sync_interval.count() == 0) fcfg.sync_interval = kDefaultSyncInterval;

  std::filesystem::path dir = stream_dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return MakeError(ErrorCode::kInvalidArgument, dir.string() + ": storage directory is not a directory");
  }
  if (auto r = MakeDir(dir); !r) return std::unexpected(r.error());
  if (::access(dir.c_str(), W_OK) != 0) {
    return MakeError(ErrorCode::kIo, dir.string() + ": storage directory is not writable");
  }
  if (auto r = MakeDir(dir / kMsgDir); !r) return std::unexpected(r.error());
  if (auto r = MakeDir(dir / kConsumerDir); !r) return std::unexpected(r.error());

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->fcfg = fcfg;
  impl->read_only = false;
  impl->info.created = created;
  impl->info.config = cfg;
  // A wheel only when the stream allows TTLs (recovery reloads it).
  if (cfg.allow_msg_ttl) impl->ttls = std::make_unique<thw::HashWheel>();
  // Likewise the schedules, when the stream allows them.
  if (cfg.allow_msg_schedules) impl->scheduling = impl->NewMsgScheduling();

  const bool has_key_file = std::filesystem::exists(dir / kMetaFileKey, ec);
  if (encrypted) {
    std::string account = fcfg.encryption->account;
    if (account.empty()) {
      const auto streams = dir.parent_path();
      if (streams.filename() != "streams") {
        return MakeError(ErrorCode::kInvalidArgument,
                         dir.string() +
                             ": cannot tell the account from the path (.../ACCOUNT/streams/NAME); give it");
      }
      account = streams.parent_path().filename().string();
    }
    impl->prf = crypto::KeyGen(fcfg.encryption->key, account);
    impl->cipher = fcfg.encryption->cipher;
    if (has_key_file) {
      auto kf = ReadWholeFile(dir / kMetaFileKey);
      if (!kf) return std::unexpected(kf.error());
      auto aek = crypto::RecoverAek(impl->prf, impl->cipher,
                                    crypto::StreamKeyContext(cfg.name), *kf);
      if (!aek) {
        return MakeError(ErrorCode::kCrypto, std::string(kMetaFileKey) +
                                                 ": cannot recover the stream key: " +
                                                 aek.error().message());
      }
      impl->aek = std::move(*aek);
    }
  } else if (has_key_file) {
    return MakeError(ErrorCode::kCrypto, "encryption not enabled but the store has a meta.key (no main key)");
  }
  impl->env.msgs_dir = dir / kMsgDir;
  impl->env.stream = cfg.name;
  impl->env.prf = impl->prf;
  impl->env.cipher = impl->cipher;
  impl->env.read_only = false;
  impl->env.sync_always = fcfg.sync_always;
  impl->env.flush_in_place = !fcfg.async_flush;
  impl->env.host = impl.get();
  impl->env.cache_expire = fcfg.cache_expire;
  impl->env.subject_state_expire = fcfg.subject_state_expire;
  impl->env.sdm = &impl->sdm;
  impl->env.compression = fcfg.compression == StoreCompression::kS2 ? s2::StoreCompression::kS2
                                                                     : s2::StoreCompression::kNone;

  std::unique_ptr<FileStore> fs(new FileStore(std::move(impl)));
  for (const auto& name : fs->ConsumerNames()) {
    if (std::filesystem::exists(fs->impl_->dir / kConsumerDir / name / kMetaFile, ec)) {
      ++fs->impl_->num_consumers;
    }
  }
  if (auto r = fs->impl_->Recover(); !r) return std::unexpected(r.error());
  fs->impl_->StartBackground();
  return fs;
}

// go: server/filestore.go:(*fileStore).StoreMsg
Result<StoredSeqTs> FileStore::StoreMsg(std::string_view subject, std::span<const uint8_t> hdr,
                                        std::span<const uint8_t> msg, int64_t ttl) {
  std::unique_lock lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  const uint64_t seq = impl_->state.last.seq + 1;
  const int64_t ts = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  if (auto r = impl_->StoreRawMsgLocked(subject, hdr, msg, seq, ts, ttl, true); !r) {
    return std::unexpected(r.error());
  }
  StorageUpdateHandler cb = impl_->scb;
  lock.unlock();
  if (cb) cb(1, static_cast<int64_t>(FileStoreMsgSize(subject, hdr.size(), msg.size())), seq, subject);
  return StoredSeqTs{seq, ts};
}

// go: server/filestore.go:(*fileStore).StoreRawMsg
Result<void> FileStore::StoreRawMsg(std::string_view subject, std::span<const uint8_t> hdr,
                                    std::span<const uint8_t> msg, uint64_t seq, int64_t ts,
                                    int64_t ttl, bool discard_new_check) {
  std::unique_lock lock(impl_->mu);
  auto r = impl_->StoreRawMsgLocked(subject, hdr, msg, seq, ts, ttl, discard_new_check);
  StorageUpdateHandler cb = impl_->scb;
  // The first message may age out sooner than the check armed at open.
  if (!impl_->read_only && !impl_->closed && !impl_->received_any &&
      impl_->info.config.max_age.count() != 0 && ts > 0) {
    impl_->received_any = true;
    impl_->ResetAgeChk(0);
  }
  lock.unlock();
  if (r && cb) cb(1, static_cast<int64_t>(FileStoreMsgSize(subject, hdr.size(), msg.size())), seq, subject);
  return r;
}

Result<uint64_t> FileStore::SkipMsg(uint64_t seq) {
  std::lock_guard lock(impl_->mu);
  return impl_->SkipMsgLocked(seq, false);
}

Result<uint64_t> FileStore::SkipMsgNoInterest(uint64_t seq) {
  std::lock_guard lock(impl_->mu);
  return impl_->SkipMsgLocked(seq, true);
}

Result<void> FileStore::SkipMsgs(uint64_t seq, uint64_t num) {
  std::lock_guard lock(impl_->mu);
  return impl_->SkipMsgsLocked(seq, num);
}

// go: server/filestore.go:(*fileStore).FlushAllPending
Result<void> FileStore::FlushAllPending() {
  std::lock_guard lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return r;
  return impl_->CheckAndFlushLastBlock();
}

// go: server/filestore.go:(*fileStore).RemoveMsg
Result<bool> FileStore::RemoveMsg(uint64_t seq) {
  std::lock_guard lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  return impl_->RemoveMsg(seq, false, false);
}

// go: server/filestore.go:(*fileStore).EraseMsg
Result<bool> FileStore::EraseMsg(uint64_t seq) {
  std::lock_guard lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  return impl_->RemoveMsg(seq, true, false);
}

// go: server/filestore.go:(*fileStore).Purge
Result<uint64_t> FileStore::Purge() {
  std::unique_lock lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  impl_->pending_scb.reset();
  auto purged = impl_->Purge(0);
  auto [up, cb] = impl_->TakeStorageUpdate();
  lock.unlock();
  if (purged && up && cb) cb(up->msgs, up->bytes, up->seq, up->subject);
  return purged;
}

// go: server/filestore.go:(*fileStore).purge
Result<uint64_t> FileStore::Impl::Purge(uint64_t fseq) {
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  const uint64_t bytes = state.bytes;
  auto purged = PurgeLocked(fseq);
  if (!purged) {
    SetWriteErr(purged.error());
    return purged;
  }
  // A purge always leaves a fresh index.db.
  if (*purged > 0) (void)ForceWriteFullState();
  pending_scb = PendingStorageUpdate{-static_cast<int64_t>(*purged), -static_cast<int64_t>(bytes), 0, {}};
  return purged;
}

Result<uint64_t> FileStore::PurgeEx(std::string_view subject, uint64_t sequence, uint64_t keep) {
  std::unique_lock lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  impl_->pending_scb.reset();
  auto r = impl_->PurgeEx(subject, sequence, keep);
  if (!r) impl_->SetWriteErr(r.error());
  auto [up, cb] = impl_->TakeStorageUpdate();
  lock.unlock();
  if (r && up && cb) cb(up->msgs, up->bytes, up->seq, up->subject);
  return r;
}

// go: server/filestore.go:(*fileStore).Compact
Result<uint64_t> FileStore::Compact(uint64_t seq) {
  std::unique_lock lock(impl_->mu);
  if (auto r = impl_->CheckWritable(); !r) return std::unexpected(r.error());
  impl_->pending_scb.reset();
  auto r = impl_->CompactLocked(seq);
  auto [up, cb] = impl_->TakeStorageUpdate();
  lock.unlock();
  if (r && up && cb) cb(up->msgs, up->bytes, up->seq, up->subject);
  return r;
}

// go: server/filestore.go:(*fileStore).Stop
Result<void> FileStore::Stop() {
  std::unique_lock lock(impl_->mu);
  const bool was_closed = impl_->closed;
  auto r = impl_->StopLocked(false, true, lock);
  if (was_closed || !impl_->closed) return r;
  // The stream layer stops counting the bytes of a stopped store; the
  // totals stay, as a later Delete reports them again.
  const auto bytes = static_cast<int64_t>(impl_->state.bytes);
  StorageUpdateHandler cb = impl_->scb;
  lock.unlock();
  if (bytes > 0 && cb) cb(0, -bytes, 0, {});
  return r;
}

// go: server/filestore.go:(*fileStore).Delete
Result<void> FileStore::Delete() {
  std::unique_lock lock(impl_->mu);
  if (impl_->read_only) return MakeError(ErrorCode::kUnsupported, "the store was opened read-only");
  // What is left is gone: the stream layer is told once (the totals are
  // zeroed so a second Delete does not count it again).
  const auto msgs = static_cast<int64_t>(impl_->state.msgs);
  const auto bytes = static_cast<int64_t>(impl_->state.bytes);
  impl_->state.msgs = impl_->state.bytes = 0;
  StorageUpdateHandler cb = impl_->scb;
  Result<void> r;
  if (impl_->closed) {
    r = RemoveAllWithRetry(DiskIoSemaphore::Default(), impl_->dir);
    lock.unlock();
    if (msgs > 0 && cb) cb(-msgs, -bytes, 0, {});
    return r;
  }
  r = impl_->StopLocked(true, false, lock);
  lock.unlock();
  if (cb) cb(-msgs, -bytes, 0, {});
  return r;
}

}  // namespace natscpp::store
