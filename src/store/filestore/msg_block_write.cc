// The write side of a message block: records appended through the write
// cache and written at the block's write offset (encrypted with the block
// keystream at that offset), fsyncs, and the whole-file rewrites used by
// compression and erasure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "crypto/key_file.h"
#include "filestore/msg_block.h"
#include "filestore/record.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore {

namespace {

void StoreLe(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Result<void> WriteAllAt(int fd, std::span<const uint8_t> buf, uint64_t off,
                        const std::filesystem::path& path) {
  while (!buf.empty()) {
    const ssize_t n = ::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(IoError(path, "write", errno));
    }
    buf = buf.subspan(static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  return {};
}

Result<void> SyncFd(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0) return std::unexpected(IoError(path, "sync", errno));
  return {};
}

}  // namespace

Result<std::unique_ptr<crypto::BlockStream>> MsgBlock::FreshBlockStream() const {
  return crypto::GenBlockEncryptionKey(key_cipher_, keys_->seed, keys_->nonce);
}

// The block's own half of the store's newMsgBlockForWrite.
Result<void> MsgBlock::CreateForWrite(uint64_t last_seq) {
  first = {last_seq + 1, 0};
  last = {last_seq, 0};
  placeholder = false;
  compressed_on_disk_ = false;
  cache_ = std::make_unique<Cache>();
  fss_ = std::make_unique<SubjectStates>();
  const int fd = ::open(mfn_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, kDefaultFilePerms);
  if (fd < 0) return std::unexpected(IoError(mfn_, "create message block", errno));
  writer_ = std::make_unique<Writer>();
  writer_->fd.Reset(fd);
  struct stat st {};
  if (::fstat(fd, &st) == 0) writer_->wp = static_cast<uint64_t>(st.st_size);
  if (env_->prf) {
    if (auto r = GenerateKeys(); !r) return r;
  }
  // The write cache counts as written to now.
  llts_ = 0;
  lwts_ = AccessNanos();
  if (!env_->flush_in_place) SpinUpFlushLoop();
  return {};
}

Result<MsgBlock::FreshKeys> MsgBlock::NewBlockKeys() const {
  auto gen = crypto::GenEncryptionKeys(env_->prf, env_->cipher,
                                       crypto::BlockKeyContext(env_->stream, index_));
  if (!gen) return std::unexpected(gen.error());
  FreshKeys out;
  // The key file starts with the nonce the block stream uses.
  out.keys.nonce.assign(gen->encrypted.begin(),
                        gen->encrypted.begin() + static_cast<ptrdiff_t>(gen->aek->NonceSize()));
  out.keys.aek = std::move(gen->aek);
  out.keys.bek = std::move(gen->bek);
  out.keys.seed = std::move(gen->seed);
  out.key_file = std::move(gen->encrypted);
  return out;
}

// go: server/filestore.go:(*fileStore).genEncryptionKeysForBlock
Result<void> MsgBlock::GenerateKeys() {
  auto fresh = NewBlockKeys();
  if (!fresh) return std::unexpected(fresh.error());
  crypto::BlockKeys keys = std::move(fresh->keys);
  const auto kfn = env_->msgs_dir / (std::to_string(index_) + ".key");
  const bool sync = env_->sync_always;
  if (auto r = WriteAtomically(DiskIoSemaphore::Default(), kfn, fresh->key_file, kDefaultFilePerms,
                               sync);
      !r) {
    return r;
  }
  keys_ = std::move(keys);
  key_cipher_ = env_->cipher;
  need_key_sync_ = !sync;
  return {};
}

// go: server/filestore.go:(*msgBlock).enableForWriting
Result<void> MsgBlock::EnableForWriting() {
  if (writer_) return {};
  if (env_->read_only) return MakeError(ErrorCode::kUnsupported, "store is read-only");
  if (env_->prf && !plaintext_override_) {
    if (auto r = LoadEncryption(); !r) return r;
  }
  const int fd = ::open(mfn_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, kDefaultFilePerms);
  if (fd < 0) return std::unexpected(IoError(mfn_, "open message block", errno));
  auto w = std::make_unique<Writer>();
  w->fd.Reset(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::unexpected(IoError(mfn_, "stat", errno));
  w->wp = static_cast<uint64_t>(st.st_size);
  writer_ = std::move(w);
  if (!env_->flush_in_place) SpinUpFlushLoop();
  return {};
}

// go: server/filestore.go:(*msgBlock).updateAccounting
void MsgBlock::UpdateAccounting(uint64_t seq, int64_t ts, uint64_t rl) {
  const bool erased = (seq & kEraseBit) != 0;
  seq &= ~kEraseBit;
  if ((first.seq == 0 || first.ts == 0) && seq >= first.seq) first = {seq, ts};
  last = {seq, ts};
  rbytes += rl;
  if (!erased) {
    bytes += rl;
    ++msgs;
  }
}

// go: server/filestore.go:(*msgBlock).writeMsgRecordLocked
Result<void> MsgBlock::WriteRecord(uint64_t rl, uint64_t seq, std::string_view subject,
                                   std::span<const uint8_t> hdr, std::span<const uint8_t> msg,
                                   int64_t ts, bool flush) {
  if (werr_) return std::unexpected(*werr_);
  if (auto r = EnableForWriting(); !r) {
    werr_ = r.error();
    return r;
  }
  // The block's per-subject state is brought in before the cache changes,
  // so a load from disk does not see this record twice.
  if (!subject.empty()) {
    if (!fss_ && msgs == 0) fss_ = std::make_unique<SubjectStates>();
    if (!fss_) {
      if (auto r = EnsurePerSubjectInfo(nullptr); !r) return std::unexpected(r.error());
    }
    if (auto [ss, found] = fss_->Find(subject); found && ss) {
      ++ss->msgs;
      ss->last = seq;
      ss->last_needs_update = false;
    } else {
      fss_->Insert(subject, SimpleState{.msgs = 1, .first = seq, .last = seq});
    }
  }

  auto& pending = writer_->pending;
  const size_t start = pending.size();
  AppendRecord(pending, hkey_, seq, ts, subject, hdr, msg);
  std::copy(pending.end() - kChecksumSize, pending.end(), lchk.begin());
  lwts_ = ts;
  const std::span<const uint8_t> rec(pending.data() + start, pending.size() - start);

  // The write-through cache, when loaded, keeps every byte of the file.
  size_t offset = 0;
  if (cache_) {
    offset = cache_->buf.size();
    cache_->buf.insert(cache_->buf.end(), rec.begin(), rec.end());
  }
  if ((seq & kTombstoneBit) == 0) {
    const uint64_t before = last.seq;
    UpdateAccounting(seq, ts, rl);
    const uint64_t s = seq & ~kEraseBit;
    if (cache_) {
      if (!cache_->idx.empty() && before + 1 < s) {
        for (uint64_t d = before + 1; d < s; ++d) cache_->idx.push_back(kDeletedBit);
      }
      cache_->idx.push_back(static_cast<uint32_t>(offset) | kCheckedBit);
      if (cache_->idx.size() == 1) cache_->fseq = s;
    }
  } else {
    const uint64_t tseq = seq & ~kTombstoneBit;
    if (msgs == 0 && tseq > last.seq) {
      last = {tseq, ts};
      first = {tseq + 1, 0};
    }
    rbytes += rl;
  }
  if (flush && env_->flush_in_place) return FlushPendingMsgs();
  if (flush) KickFlusher();
  return {};
}

// go: server/filestore.go:(*msgBlock).writeTombstone
Result<void> MsgBlock::WriteTombstone(uint64_t seq, int64_t ts, bool flush) {
  return WriteRecord(kEmptyRecordLen, seq | kTombstoneBit, {}, {}, {}, ts, flush);
}

// go: server/filestore.go:(*msgBlock).skipMsg
Result<void> MsgBlock::SkipMsg(uint64_t seq, int64_t ts, bool is_write_block) {
  if (werr_) return std::unexpected(*werr_);
  bool needs_record = true;
  if (msgs == 0) {
    last = {seq, ts};
    first = {seq + 1, 0};
    needs_record = is_write_block;
  } else {
    dmap.Insert(seq);
  }
  if (!needs_record) {
    KickFlusher();
    return {};
  }
  return WriteRecord(kEmptyRecordLen, seq | kEraseBit, {}, {}, {}, ts, true);
}

// go: server/filestore.go:(*msgBlock).flushPendingMsgsLocked
Result<void> MsgBlock::FlushPending() {
  if (werr_) return std::unexpected(*werr_);
  if (!writer_ || writer_->pending.empty()) return {};
  Writer& w = *writer_;
  std::span<const uint8_t> out(w.pending);
  std::vector<uint8_t> enc;
  if (keys_ && !plaintext_override_) {
    // The keystream is positioned by file offset, so appends after a
    // restart continue the same stream.
    enc.resize(w.pending.size());
    auto r = keys_->bek->Seek(w.wp);
    if (r) r = keys_->bek->XorKeyStream(enc, w.pending);
    if (!r) {
      werr_ = r.error();
      return r;
    }
    out = enc;
  }
  if (auto r = WriteAllAt(w.fd.get(), out, w.wp, mfn_); !r) {
    werr_ = r.error();
    return r;
  }
  w.wp += out.size();
  w.pending.clear();
  if (env_->sync_always) {
    if (auto r = SyncFd(w.fd.get(), mfn_); !r) {
      werr_ = r.error();
      return r;
    }
  } else {
    need_sync_ = true;
  }
  return {};
}

// The per-block step of the store's syncBlocks.
Result<void> MsgBlock::SyncIfNeeded() {
  if (need_sync_) {
    if (writer_) {
      if (auto r = SyncFd(writer_->fd.get(), mfn_); !r) return r;
    } else {
      // Closed since the write: open it to sync (gone is fine, nothing to
      // keep).
      UniqueFd fd(::open(mfn_.c_str(), O_RDWR | O_CLOEXEC));
      if (!fd && errno != ENOENT) return std::unexpected(IoError(mfn_, "open for sync", errno));
      if (fd) {
        if (auto r = SyncFd(fd.get(), mfn_); !r) return r;
      }
    }
    need_sync_ = false;
  }
  if (need_key_sync_) {
    // The key file and the directory entry its rename made.
    const auto kfn = env_->msgs_dir / (std::to_string(index_) + ".key");
    if (auto r = SyncFileAndDir(DiskIoSemaphore::Default(), kfn); !r) return r;
    need_key_sync_ = false;
  }
  return {};
}

// go: server/filestore.go:(*msgBlock).closeFDsLockedNoCheck
void MsgBlock::CloseFd() {
  if (!writer_) return;
  (void)FlushPending();
  writer_.reset();
  // Nothing left to flush: the loop stops (a write reopens and restarts it).
  ClearInFlusher();
}

// go: server/filestore.go:(*msgBlock).recompressOnDiskIfNeeded
Result<void> MsgBlock::RecompressOnDisk() {
  auto job = PrepareRecompress(true);
  if (!job) return std::unexpected(job.error());
  if (!*job) return {};
  return AtomicOverwrite((*job)->plain, true);
}

Result<std::optional<MsgBlock::RecompressJob>> MsgBlock::PrepareRecompress(bool open_ok) {
  if (closed || (writer_ && !open_ok) || env_->compression == s2::StoreCompression::kNone) return std::nullopt;
  RecompressJob job;
  auto raw = ReadOnDisk();
  if (!raw) return std::unexpected(raw.error());
  job.on_disk = std::move(*raw);
  std::vector<uint8_t> buf = job.on_disk;
  const bool encrypted = env_->prf && !plaintext_override_;
  if (encrypted && !buf.empty()) {
    if (auto r = LoadEncryption(); !r) return std::unexpected(r.error());
    auto bek = FreshBlockStream();
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(buf); !r) return std::unexpected(r.error());
  }
  s2::CompressionInfo meta;
  auto n = meta.UnmarshalMetadata(buf);
  if (!n) return MakeError(ErrorCode::kCorrupt, FileName() + ": " + n.error().message());
  if (meta.algorithm == env_->compression) return std::nullopt;
  if (*n > 0) {
    auto d = s2::Decompress(meta.algorithm, std::span<const uint8_t>(buf).subspan(*n));
    if (!d) return std::unexpected(d.error());
    job.plain = std::move(*d);
  } else {
    job.plain = std::move(buf);
  }
  job.compression = env_->compression;
  if (encrypted && !job.plain.empty()) {
    auto bek = FreshBlockStream();
    if (!bek) return std::unexpected(bek.error());
    job.stream = std::move(*bek);
  }
  // Not the ".tmp" a compaction under the lock may be writing meanwhile.
  job.tmp = mfn_.string() + ".cmp.tmp";
  job.target = mfn_;
  return std::optional<RecompressJob>(std::move(job));
}

Result<void> MsgBlock::StageRecompress(RecompressJob& job) {
  auto body = s2::Compress(job.compression, job.plain);
  if (!body) return std::unexpected(body.error());
  s2::CompressionInfo meta{job.compression, job.plain.size()};
  std::vector<uint8_t> out = meta.MarshalMetadata();
  out.insert(out.end(), body->begin(), body->end());
  if (job.stream) {
    if (auto r = job.stream->XorKeyStream(out); !r) return r;
  }
  job.out_size = out.size();
  return WriteTemporary(DiskIoSemaphore::Default(), job.tmp, out, kDefaultFilePerms, true);
}

Result<bool> MsgBlock::CommitRecompress(RecompressJob& job) {
  auto drop = [&] {
    std::error_code ec;
    std::filesystem::remove(job.tmp, ec);
  };
  if (closed || writer_ || job.target != mfn_) {
    drop();
    return false;
  }
  auto now = ReadOnDisk();
  if (!now || *now != job.on_disk) {
    drop();
    return false;
  }
  if (auto r = RenameOver(job.tmp, mfn_); !r) return std::unexpected(r.error());
  rbytes = job.out_size;
  valid_len_.reset();
  compressed_on_disk_ = true;
  return true;
}

// go: server/filestore.go:(*msgBlock).atomicOverwriteFile
Result<void> MsgBlock::AtomicOverwrite(std::span<const uint8_t> plain, bool allow_compress) {
  const bool was_open = writer_ != nullptr;
  if (was_open) CloseFd();
  std::vector<uint8_t> out;
  if (allow_compress && env_->compression != s2::StoreCompression::kNone) {
    auto body = s2::Compress(env_->compression, plain);
    if (!body) return std::unexpected(body.error());
    s2::CompressionInfo meta{env_->compression, plain.size()};
    out = meta.MarshalMetadata();
    out.insert(out.end(), body->begin(), body->end());
  } else {
    out.assign(plain.begin(), plain.end());
  }
  if (keys_ && !plaintext_override_ && !out.empty()) {
    auto bek = FreshBlockStream();
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(out); !r) return r;
  }
  // A temporary, synced, then renamed over the block: a crash leaves
  // either the old block or the new one.
  if (auto r = WriteAtomically(DiskIoSemaphore::Default(), mfn_, out, kDefaultFilePerms, true); !r) {
    return r;
  }
  rbytes = out.size();
  valid_len_.reset();
  compressed_on_disk_ = allow_compress && env_->compression != s2::StoreCompression::kNone;
  if (was_open) return EnableForWriting();
  return {};
}

// go: server/filestore.go:(*msgBlock).eraseMsg
Result<void> MsgBlock::EraseRecord(uint64_t seq, bool is_write_block) {
  if (auto r = FlushPending(); !r) return r;
  if (auto r = LoadCache(nullptr); !r) return r;
  if (seq < cache_->fseq || seq - cache_->fseq >= cache_->idx.size()) {
    return MakeError(ErrorCode::kStoreMsgNotFound, "no message found");
  }
  const uint32_t entry = cache_->idx[static_cast<size_t>(seq - cache_->fseq)];
  if (entry & kDeletedBit) return MakeError(ErrorCode::kStoreMsgNotFound, "deleted message");
  const size_t ri = entry & ~(kCheckedBit | kDeletedBit);
  auto rec = ParseRecord(std::span<const uint8_t>(cache_->buf).subspan(ri), hkey_, false, false);
  if (!rec) return std::unexpected(rec.error());
  const size_t rl = rec->length;
  std::vector<uint8_t> b(rl);
  StoreLe(b.data(), rl, 4);
  StoreLe(b.data() + 4, seq | kEraseBit, 8);
  StoreLe(b.data() + 12, 0, 8);
  StoreLe(b.data() + 20, 0, 2);
  const std::span<uint8_t> data(b.data() + kMsgHdrSize, rl - kEmptyRecordLen);
  crypto::RandomBytes(data);
  const uint64_t sum = crypto::HighwayHash64Sum(
      hkey_, {std::span<const uint8_t>(b.data() + 4, 16), std::span<const uint8_t>(data)});
  crypto::Hash64Bytes sb{};
  crypto::PutHash64(sum, sb);
  std::copy(sb.begin(), sb.end(), b.end() - kChecksumSize);
  std::copy(b.begin(), b.end(), cache_->buf.begin() + static_cast<ptrdiff_t>(ri));
  cache_->idx[static_cast<size_t>(seq - cache_->fseq)] = static_cast<uint32_t>(ri);
  return AtomicOverwrite(cache_->buf, !is_write_block);
}

// The tail repair of the block truncate a rebuild asks for.
Result<void> MsgBlock::TruncateToValid() {
  if (!valid_len_ || env_->read_only) return {};
  if (CompressedOnDisk()) return {};  // rewritten whole when next compacted
  CloseFd();
  if (::truncate(mfn_.c_str(), static_cast<off_t>(*valid_len_)) != 0) {
    return std::unexpected(IoError(mfn_, "truncate", errno));
  }
  rbytes = *valid_len_;
  valid_len_.reset();
  cache_.reset();
  return {};
}

// go: server/filestore.go:(*msgBlock).dirtyCloseWithRemove
Result<void> MsgBlock::RemoveFiles() {
  writer_.reset();
  cache_.reset();
  std::error_code ec;
  const auto base = env_->msgs_dir / std::to_string(index_);
  for (const char* ext : {".blk", ".key", ".idx", ".fss"}) {
    auto p = base;
    p += ext;
    std::filesystem::remove(p, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return std::unexpected(IoError(p, "remove", ec.value()));
    }
  }
  return {};
}

// go: server/filestore.go:(*msgBlock).numPriorTombsLocked
int MsgBlock::NumPriorTombstones(uint64_t stream_first_seq) {
  if (!cache_ && !LoadCache(nullptr)) return 0;
  if (!cache_) return 0;
  const std::span<const uint8_t> buf(cache_->buf);
  uint64_t fseq = 0;
  int tombs = 0;
  for (size_t index = 0; index + kMsgHdrSize <= buf.size();) {
    auto rec = ParseRecord(buf.subspan(index), hkey_, false, false);
    if (!rec) break;
    if (rec->tombstone) {
      if (rec->seq >= stream_first_seq && (fseq == 0 || rec->seq < fseq)) ++tombs;
    } else if (rec->seq != 0 && !rec->erased && fseq == 0) {
      fseq = rec->seq;
    }
    index += rec->length;
  }
  return tombs;
}

bool MsgBlock::CompressedOnDisk() {
  if (compressed_on_disk_) return *compressed_on_disk_;
  compressed_on_disk_ = ReadCompressedOnDisk();
  return *compressed_on_disk_;
}

bool MsgBlock::ReadCompressedOnDisk() {
  UniqueFd fd(::open(mfn_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  std::vector<uint8_t> head(16);
  const ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
  if (n <= 0) return false;
  head.resize(static_cast<size_t>(n));
  if (env_->prf && !plaintext_override_) {
    if (!LoadEncryption()) return false;
    auto bek = FreshBlockStream();
    if (!bek || !(*bek)->XorKeyStream(head)) return false;
  }
  s2::CompressionInfo meta;
  auto hl = meta.UnmarshalMetadata(head);
  return hl && *hl > 0;
}

}  // namespace natscpp::store::filestore
