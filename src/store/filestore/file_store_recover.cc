// Recovery of a stream's message state on open, as v2.14.5 does it
// (FORMAT.md §6, §12.2): index.db when it is current, otherwise every block
// with its legacy .idx where the server trusts one, then the tombstones.
// Every step that the server finishes with a write (removing a block or a
// bad index, truncating a torn tail, writing a tombstone) is applied to the
// in-memory state only.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <system_error>

#include "filestore/file_store_impl.h"
#include "filestore/index_db.h"
#include "filestore/legacy_index.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;
using filestore::RebuildResult;

namespace {

// Parses "<N>.blk" (or another suffix) the way Go's Sscanf("%d.blk") does
// for the names the server writes: decimal digits only.
std::optional<uint32_t> ParseIndexedName(std::string_view name, std::string_view suffix) {
  if (name.size() <= suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  name.remove_suffix(suffix.size());
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || p != name.data() + name.size()) return std::nullopt;
  return v;
}


std::vector<uint32_t> BlockIndices(const std::filesystem::path& mdir) {
  std::vector<uint32_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(mdir, ec)) {
    if (auto n = ParseIndexedName(e.path().filename().string(), ".blk")) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void FileStore::Impl::AddMsgBlock(std::unique_ptr<MsgBlock> mb) {
  lmb = mb.get();
  bim[mb->index()] = mb.get();
  blks.push_back(std::move(mb));
}

// go: server/filestore.go:(*fileStore).removeMsgBlockFromList
void FileStore::Impl::RemoveMsgBlockFromList(MsgBlock* mb) {
  std::erase(cached_, mb);
  bim.erase(mb->index());
  for (auto it = blks.begin(); it != blks.end(); ++it) {
    if (it->get() == mb) {
      blks.erase(it);
      break;
    }
  }
  if (lmb == mb) lmb = blks.empty() ? nullptr : blks.back().get();
}

// go: server/filestore.go:(*fileStore).addLostData
void FileStore::Impl::AddLostData(const std::optional<LostStreamData>& lost) {
  if (!lost) return;
  if (!ld) {
    ld = lost;
    return;
  }
  bool added = false;
  for (uint64_t seq : lost->msgs) {
    if (std::find(ld->msgs.begin(), ld->msgs.end(), seq) == ld->msgs.end()) {
      ld->msgs.push_back(seq);
      added = true;
    }
  }
  if (added) {
    std::sort(ld->msgs.begin(), ld->msgs.end());
    ld->bytes += lost->bytes;
  }
}

// go: server/filestore.go:(*fileStore).removeFromLostData
void FileStore::Impl::RemoveFromLostData(uint64_t seq) {
  if (!ld) return;
  auto [i, found] = ld->Exists(seq);
  if (!found) return;
  ld->msgs.erase(ld->msgs.begin() + i);
  if (ld->msgs.empty()) ld.reset();
}

// go: server/filestore.go:(*fileStore).rebuildStateLocked
void FileStore::Impl::RebuildStateLocked(const std::optional<LostStreamData>& lost) {
  AddLostData(lost);
  state.msgs = state.bytes = 0;
  state.first.seq = state.last.seq = 0;
  for (const auto& mb : blks) {
    state.msgs += mb->msgs;
    state.bytes += mb->bytes;
    if (state.first.seq == 0 || (mb->first.seq < state.first.seq && mb->first.ts != 0)) {
      state.first = mb->first;
    }
    if (mb->last.seq >= state.last.seq) state.last = mb->last;
  }
}

// go: server/filestore.go:(*fileStore).checkMsgs
Result<std::optional<LostStreamData>> FileStore::CheckMsgs() {
  std::lock_guard lock(impl_->mu);
  if (auto r = impl_->CheckAndFlushLastBlock(); !r) {
    return MakeError(r.error().code(), "flush of last block failed: " + r.error().message());
  }
  // Every block is read again from disk, so the subject index is rebuilt
  // from scratch; the first error is returned once all blocks are done.
  impl_->psim.Empty();
  std::optional<Error> first_err;
  const auto keep = [&](std::string what, const Error& e) {
    if (!first_err) first_err = Error(e.code(), std::move(what) + ": " + e.message());
  };
  for (const auto& mb : impl_->blks) {
    const std::string idx = std::to_string(mb->index());
    const auto enc = impl_->read_only ? mb->LoadEncryption() : mb->CheckAndLoadEncryption();
    if (!enc) {
      keep("loading encryption for block " + idx + " failed", enc.error());
      continue;
    }
    auto r = mb->RebuildState();
    if (!r) {
      keep("rebuildState for block " + idx + " failed", r.error());
      continue;
    }
    if (r->bad) impl_->Note(mb->FileName(), r->bad->message() + "; the rest of the block is lost");
    // As the server's rebuild does, a bad tail is cut off the file, so the
    // next check (or open) finds the block clean.
    if (!impl_->read_only) {
      if (auto t = mb->TruncateToValid(); !t) keep("truncating block " + idx + " failed", t.error());
    }
    if (r->lost) impl_->RebuildStateLocked(r->lost);
    if (auto p = impl_->PopulateGlobalPerSubjectInfo(mb.get()); !p) {
      keep("populating per-subject info for block " + idx + " failed", p.error());
    }
  }
  if (first_err) return std::unexpected(*first_err);
  return impl_->ld;
}

void FileStore::Impl::AfterBlockRebuild(MsgBlock* mb, std::optional<RebuildResult>& r) {
  if (!r) return;
  if (r->bad) Note(mb->FileName(), r->bad->message() + "; the rest of the block is lost");
  if (recovering) {
    // The server recomputes its totals once recovery has let go of the
    // store; doing it now would count this block twice.
    rebuild_pending = true;
    if (r->lost) {
      if (!pending_lost) {
        pending_lost = r->lost;
      } else {
        bool added = false;
        for (uint64_t seq : r->lost->msgs) {
          if (std::find(pending_lost->msgs.begin(), pending_lost->msgs.end(), seq) ==
              pending_lost->msgs.end()) {
            pending_lost->msgs.push_back(seq);
            added = true;
          }
        }
        if (added) pending_lost->bytes += r->lost->bytes;
      }
    }
  } else {
    RebuildStateLocked(r->lost);
  }
  r.reset();
}

// go: server/filestore.go:(*fileStore).populateGlobalPerSubjectInfo
Result<void> FileStore::Impl::PopulateGlobalPerSubjectInfo(MsgBlock* mb) {
  std::optional<RebuildResult> rebuilt;
  auto fss = mb->EnsurePerSubjectInfo(&rebuilt);
  AfterBlockRebuild(mb, rebuilt);
  if (!fss) return std::unexpected(fss.error());
  (*fss)->IterFast([&](std::string_view subj, SimpleState* ss) {
    if (subj.empty()) return true;
    if (auto [psi, found] = psim.Find(subj); found) {
      psi->total += ss->msgs;
      psi->lblk = std::max(psi->lblk, mb->index());
    } else {
      psim.Insert(subj, SubjectBlocks{ss->msgs, mb->index(), mb->index()});
    }
    return true;
  });
  TouchCache(mb);
  return {};
}

// The part of recoverPartialPurge that decides what the directory means;
// the server also moves or deletes the directories, which a read-only open
// leaves alone.
Result<void> FileStore::Impl::CheckPartialPurge() {
  const auto ndir = dir / "__new_msgs__";
  std::error_code ec;
  if (!read_only) return RecoverPartialPurge();
  if (std::filesystem::is_directory(ndir, ec)) {
    if (!BlockIndices(ndir).empty()) {
      env.msgs_dir = ndir;
      Note("__new_msgs__", "an interrupted purge left the new blocks here; reading them as msgs/");
    } else {
      for (const auto& e : std::filesystem::directory_iterator(ndir, ec)) {
        if (auto n = ParseIndexedName(e.path().filename().string(), ".key")) {
          purged_blocks_.push_back(*n);
        }
      }
      Note("__new_msgs__", "an interrupted purge; the blocks it names are treated as removed");
    }
  }
  if (std::filesystem::exists(dir / "__msgs__", ec)) {
    Note("__msgs__", "left over from a purge or delete; the server removes it");
  }
  return {};
}

// go: server/filestore.go:(*fileStore).recoverPartialPurge
Result<void> FileStore::Impl::RecoverPartialPurge() {
  const auto mdir = dir / kMsgDir;
  const auto ndir = dir / "__new_msgs__";
  std::error_code ec;
  if (std::filesystem::is_directory(ndir, ec)) {
    if (!BlockIndices(ndir).empty()) {
      // The new block was in place: the old messages are gone for good.
      std::filesystem::remove_all(mdir, ec);
      if (ec) return std::unexpected(IoError(mdir, "remove", ec.value()));
      std::filesystem::rename(ndir, mdir, ec);
      if (ec) return std::unexpected(IoError(ndir, "move", ec.value()));
    } else {
      // The purge did not get that far: drop the blocks whose keys it had
      // already replaced, then the partial directory.
      for (const auto& e : std::filesystem::directory_iterator(ndir, ec)) {
        if (auto n = ParseIndexedName(e.path().filename().string(), ".key")) {
          const auto blk = mdir / (std::to_string(*n) + ".blk");
          std::error_code rec;
          std::filesystem::remove(blk, rec);
          if (rec) return std::unexpected(IoError(blk, "remove", rec.value()));
        }
      }
      std::filesystem::remove_all(ndir, ec);
    }
  }
  std::filesystem::remove_all(dir / "__msgs__", ec);
  return {};
}

// go: server/filestore.go:(*fileStore).recoverFullState
Result<void> FileStore::Impl::RecoverFullState() {
  const auto fn = env.msgs_dir / std::string(kStreamStateFile);
  const std::string rel = std::string(kMsgDir) + "/" + std::string(kStreamStateFile);
  auto buf = ReadFileIfExists(fn);
  if (!buf) return MakeError(ErrorCode::kNotFound, rel + " does not exist");
  const crypto::Aead* key = (prf && aek) ? aek.get() : nullptr;
  auto fsd = filestore::DecodeFullState(*buf, info.config.name, key);
  if (!fsd) return std::unexpected(fsd.error());

  psim.Empty();
  for (const auto& s : fsd->subjects) {
    psim.Insert(s.subject, SubjectBlocks{s.total, s.first_block, s.last_block});
  }
  blks.clear();
  bim.clear();
  lmb = nullptr;
  for (const auto& b : fsd->blocks) {
    auto mb = std::make_unique<MsgBlock>(&env, b.index);
    mb->first = {b.first_seq, b.first_ts};
    mb->last = {b.last_seq, b.last_ts};
    mb->msgs = b.msgs;
    mb->bytes = b.bytes;
    mb->ttls = b.ttls;
    mb->schedules = b.schedules;
    if (b.num_deleted > 0) mb->dmap = b.deleted;
    mb->closed = true;
    AddMsgBlock(std::move(mb));
  }
  state.msgs = fsd->msgs;
  state.bytes = fsd->bytes;
  state.first = {fsd->first_seq, fsd->first_ts};
  state.last = {fsd->last_seq, fsd->last_ts};

  const auto prior = [](std::string why) { return MakeError(ErrorCode::kIo, std::move(why)); };
  if (!lmb || lmb->index() != fsd->last_block_index) {
    return MakeError(ErrorCode::kCorruptStreamState,
                     rel + ": its last block does not exist or the index does not match");
  }
  std::error_code ec;
  if (!std::filesystem::exists(lmb->path(), ec)) {
    auto r = lmb->RebuildState();
    if (r) AddLostData(r->lost);
    return prior(rel + ": prior state, could not locate msg block " +
                 std::to_string(lmb->index()));
  }
  if (!read_only && prf) {
    // The server's lastChecksum loads the block's keys, converting it when
    // its encryption differs from the configured one.
    if (auto r = lmb->CheckAndLoadEncryption(); !r) {
      Note(lmb->FileName(), r.error().message() + "; its messages cannot be read");
    }
  }
  auto lchk = lmb->LastChecksum();
  if (!lchk || *lchk != fsd->last_checksum) {
    return prior(rel + ": outdated, the last block has more entries than it records");
  }
  for (uint32_t index : BlockIndices(env.msgs_dir)) {
    if (std::find(purged_blocks_.begin(), purged_blocks_.end(), index) != purged_blocks_.end()) {
      continue;  // the interrupted purge removes it
    }
    if (index > fsd->last_block_index) {
      return prior(rel + ": outdated, found blocks past the ones it records");
    }
    if (auto it = bim.find(index); it != bim.end()) it->second->closed = false;
  }
  bool rebuild = false;
  for (const auto& mb : blks) {
    if (!mb->closed) continue;
    rebuild = true;
    if (auto r = mb->RebuildState(); r) AddLostData(r->lost);
    Note(mb->FileName(), "listed in index.db but missing");
  }
  if (rebuild) return prior(rel + ": prior state, listed blocks are missing");

  const auto tracked = filestore::TrackingStateFromBlocks(fsd->blocks);
  if (!filestore::TrackingStatesEqual(*fsd, tracked)) {
    return MakeError(ErrorCode::kCorruptStreamState,
                     rel + ": internal inconsistency between totals and blocks");
  }
  return {};
}

// go: server/filestore.go:(*fileStore).recoverMsgBlock
Result<MsgBlock*> FileStore::Impl::RecoverMsgBlock(uint32_t index) {
  auto owned = std::make_unique<MsgBlock>(&env, index);
  MsgBlock* mb = owned.get();
  std::error_code ec;
  const auto size = std::filesystem::file_size(mb->path(), ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, mb->FileName() + ": cannot open: " + ec.message());
  }
  mb->rbytes = size;

  if (prf && !read_only) {
    // Keys loaded, and a block of the other cipher or a plaintext one
    // converted to the configured cipher (msg_block_encrypt.cc).
    if (auto keys = mb->CheckAndLoadEncryption(); !keys) {
      if (keys.error().code() != ErrorCode::kCrypto) return std::unexpected(keys.error());
      Note(mb->FileName(), keys.error().message() +
                               "; the server drops this block and its messages");
      return static_cast<MsgBlock*>(nullptr);
    }
  } else if (prf) {
    auto keys = mb->LoadEncryption();
    if (!keys) {
      if (keys.error().code() == ErrorCode::kCrypto) {
        // The server deletes a block whose key it cannot recover.
        Note(mb->FileName(), keys.error().message() +
                                 "; the server drops this block and its messages");
        return static_cast<MsgBlock*>(nullptr);
      }
      if (keys.error().code() != ErrorCode::kNotFound) return std::unexpected(keys.error());
      // No key file: the server takes the block for plaintext (a store being
      // converted to encryption) and fails to open if it is not.
      mb->TreatAsPlaintext();
      auto check = mb->LoadPlaintext();
      if (check) {
        auto scan = MsgBlock(&env, index).RebuildStateFromBuf(*check);
        if (scan.bad) {
          return MakeError(ErrorCode::kCrypto,
                           std::string(kMsgDir) + "/" + std::to_string(index) +
                               ".key: missing key file for an encrypted block");
        }
      }
      Note(mb->FileName(), "no key file; read as plaintext, as the server would convert it");
    }
  }

  std::array<uint8_t, 8> lchk{};
  if (mb->rbytes >= kChecksumSize) {
    auto c = mb->LastChecksum();
    if (!c) return MakeError(ErrorCode::kIo, mb->FileName() + ": cannot read");
    lchk = *c;
  }

  // A legacy .idx is the block's state only while its fingerprint still
  // matches the block (servers before 2.10 wrote them).
  const auto ifn = env.msgs_dir / (std::to_string(index) + ".idx");
  if (auto ibuf = ReadFileIfExists(ifn)) {
    const crypto::Aead* baek = nullptr;
    std::span<const uint8_t> nonce;
    if (mb->HasKeys()) {
      baek = mb->BlockAek();
      nonce = mb->BlockNonce();
    }
    // What the server read before a failure stays in the block's state and
    // steers the rebuild below, so the partial result is applied either way.
    filestore::LegacyIndex li;
    auto read = filestore::ReadLegacyIndexInto(*ibuf, baek, nonce, li);
    mb->msgs = li.msgs;
    mb->bytes = li.bytes;
    mb->first = {li.first_seq, li.first_ts};
    mb->last = {li.last_seq, li.last_ts};
    mb->lchk = li.last_checksum;
    for (uint64_t d : li.deleted) mb->dmap.Insert(d);
    const std::string idx_name = std::string(kMsgDir) + "/" + std::to_string(index) + ".idx";
    if (read) {
      if ((mb->rbytes == 0 && mb->msgs == 0) || lchk == li.last_checksum) {
        AddMsgBlock(std::move(owned));
        if (mb->msgs > 0) {
          if (auto r = PopulateGlobalPerSubjectInfo(mb); !r) return std::unexpected(r.error());
        }
        return mb;
      }
      Note(idx_name, "stale (block changed after it was written); block rebuilt from its records");
    } else {
      Note(idx_name, "unusable (" + read.error().message() + "); block rebuilt from its records");
    }
  }

  auto r = mb->RebuildState();
  if (!r) return std::unexpected(r.error());
  if (r->bad) Note(mb->FileName(), r->bad->message() + "; the rest of the block is lost");
  AddLostData(r->lost);
  tombs.insert(tombs.end(), r->tombstones.begin(), r->tombstones.end());
  AddMsgBlock(std::move(owned));
  if (mb->msgs > 0) {
    if (auto p = PopulateGlobalPerSubjectInfo(mb); !p) return std::unexpected(p.error());
  }
  return mb;
}

// go: server/filestore.go:(*fileStore).recoverMsgs
Result<void> FileStore::Impl::RecoverMsgs() {
  std::error_code ec;
  if (!std::filesystem::is_directory(env.msgs_dir, ec)) {
    return MakeError(ErrorCode::kIo, "msgs: storage directory not readable");
  }
  for (uint32_t index : BlockIndices(env.msgs_dir)) {
    if (std::find(purged_blocks_.begin(), purged_blocks_.end(), index) != purged_blocks_.end()) {
      continue;
    }
    auto rec = RecoverMsgBlock(index);
    if (!rec) return std::unexpected(rec.error());
    MsgBlock* mb = *rec;
    if (!mb) continue;
    if (mb->first.seq == 0) {
      // A block truncated to nothing: the server removes it.
      Note(mb->FileName(), "holds no records; the server removes it");
      if (auto r = ForceRemoveMsgBlock(mb); !r) return r;
      continue;
    }
    if (state.msgs == 0) {
      state.first = {};
      state.last = {};
    }
    if (state.first.seq == 0 || (mb->first.seq < state.first.seq && mb->first.ts != 0)) {
      state.first = mb->first;
    }
    if (mb->last.seq >= state.last.seq) state.last = mb->last;
    state.msgs += mb->msgs;
    state.bytes += mb->bytes;
    if (mb->msgs == 0) {
      mb->first = {state.last.seq + 1, 0};
      mb->last = state.last;
    }
  }
  if (!blks.empty()) {
    lmb = blks.back().get();
  } else {
    // The server starts a new write block here; only the sequence matters.
    AddMsgBlock(MsgBlock::Placeholder(&env, 1, {state.last.seq, 0}));
  }
  if (ld) {
    std::vector<MsgBlock*> empty;
    for (const auto& mb : blks) {
      if (mb->msgs == 0 && mb->rbytes == 0 && mb.get() != lmb) empty.push_back(mb.get());
    }
    for (MsgBlock* mb : empty) {
      if (auto r = ForceRemoveMsgBlock(mb); !r) return r;
    }
  }
  return {};
}

// go: server/filestore.go:newFileStoreWithCreated
Result<void> FileStore::Impl::Recover() {
  std::lock_guard lock(mu);
  recovering = true;
  if (auto r = CheckPartialPurge(); !r) return r;

  auto full = RecoverFullState();
  if (!full) {
    if (full.error().code() != ErrorCode::kNotFound) {
      Note(std::string(kMsgDir) + "/" + std::string(kStreamStateFile),
           full.error().message() + "; state rebuilt from the blocks");
    }
    const Totals prior = state;
    state = {};
    psim.Empty();
    blks.clear();
    bim.clear();
    cached_.clear();
    lmb = nullptr;
    tombs.clear();
    if (auto r = RecoverMsgs(); !r) return r;
    if (!read_only) {
      // Torn tails are cut off, so appends follow the last good record.
      for (auto& mb : blks) {
        if (auto r = mb->TruncateToValid(); !r) return r;
      }
    }
    // The index remembered a later last sequence than the blocks show: the
    // server keeps it, writing a tombstone for it into a new block.
    if (prior.last.seq > state.last.seq) {
      if (read_only) {
        const uint32_t index = lmb ? lmb->index() + 1 : 1;
        AddMsgBlock(MsgBlock::Placeholder(&env, index, prior.last));
      } else {
        auto nb = NewMsgBlockForWrite();
        if (!nb) return std::unexpected(nb.error());
        if (auto r = (*nb)->WriteTombstone(prior.last.seq, prior.last.ts, true); !r) return r;
      }
      state.last = prior.last;
      if (state.msgs == 0) state.first = {state.last.seq + 1, 0};
    }
    ++dirty;
  } else if (!read_only && prf) {
    // A plaintext index.db read in a store that is now encrypted (no
    // stream key yet): it is rewritten sealed, or the next open could not
    // read it and would rebuild from the blocks, bringing back messages
    // only index.db knew were removed.
    if (!aek) ++dirty;
    // index.db listed the blocks without reading them; the server checks
    // their keys on first load, converting as it goes. Done here at once.
    for (auto& mb : blks) {
      if (auto r = mb->CheckAndLoadEncryption(); !r) {
        Note(mb->FileName(), r.error().message() + "; its messages cannot be read");
      }
    }
  }

  // The TTL wheel (a writable store's: a read-only one expires nothing).
  if (!read_only && info.config.allow_msg_ttl) {
    if (auto r = RecoverTtlState(); !r) {
      Note(std::string(kMsgDir) + "/" + std::string(kTtlStateFile),
           "recovering TTL state errored: " + r.error().message());
    }
  }
  // The message schedules, likewise.
  if (!read_only && info.config.allow_msg_schedules) {
    if (auto r = RecoverMsgSchedulingState(); !r) {
      Note(std::string(kMsgDir) + "/" + std::string(kMsgSchedulingStateFile),
           "recovering message scheduling state errored: " + r.error().message());
    }
  }

  // Tombstones found while rebuilding remove what they name.
  for (uint64_t seq : tombs) {
    auto r = RemoveMsg(seq, /*secure=*/false, /*via_limits=*/true);
    if (!r && r.error().code() != ErrorCode::kStoreEOF &&
        r.error().code() != ErrorCode::kStoreMsgNotFound) {
      return std::unexpected(r.error());
    }
    RemoveFromLostData(seq);
  }
  tombs.clear();
  recovering = false;
  if (rebuild_pending) {
    RebuildStateLocked(pending_lost);
    rebuild_pending = false;
    pending_lost.reset();
  }
  if (!read_only) return FinishWritableRecovery();
  return {};
}

}  // namespace natscpp::store
