// Appending: messages, skips and tombstones go to the write block, which is
// replaced by a new one when the next record would not fit; then the
// stream's limits drop the oldest messages.
#include <algorithm>
#include <chrono>

#include "filestore/file_store_impl.h"
#include "headers/headers.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::string_view kRollupHeader = "Nats-Rollup";
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

Result<void> FileStore::Impl::CheckWritable() const {
  if (read_only) return MakeError(ErrorCode::kUnsupported, "the store was opened read-only");
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (werr) return std::unexpected(*werr);
  return {};
}

// go: server/filestore.go:(*fileStore).setWriteErr
void FileStore::Impl::SetWriteErr(const Error& e) {
  if (werr) return;
  switch (e.code()) {
    // Not write failures: closed, missing, or bad data read back.
    case ErrorCode::kStoreClosed:
    case ErrorCode::kNotFound:
    case ErrorCode::kStoreMsgNotFound:
    case ErrorCode::kStoreEOF:
    case ErrorCode::kCorrupt:
    case ErrorCode::kCorruptStreamState:
    case ErrorCode::kBadEncoding:
    case ErrorCode::kMaxMsgs:
    case ErrorCode::kMaxBytes:
    case ErrorCode::kMaxMsgsPerSubject:
    case ErrorCode::kMsgTooLarge:
    case ErrorCode::kSequenceMismatch:
      return;
    default:
      werr = e;
  }
}

// go: server/filestore.go:(*fileStore).newMsgBlockForWrite
Result<MsgBlock*> FileStore::Impl::NewMsgBlockForWrite() {
  uint32_t index = 1;
  MsgBlock* prev = lmb;
  if (prev) {
    // A stand-in block never had a file: the new one takes its index.
    index = prev->placeholder ? prev->index() : prev->index() + 1;
    if (prev->WriteError()) return std::unexpected(*prev->WriteError());
    if (!prev->placeholder) {
      if (auto r = prev->FlushPending(); !r) return std::unexpected(r.error());
      prev->CloseFd();
      prev->TryExpireWriteCache();
    }
  }
  auto mb = std::make_unique<MsgBlock>(&env, index);
  if (auto r = mb->CreateForWrite(state.last.seq); !r) {
    (void)mb->RemoveFiles();
    return std::unexpected(r.error());
  }
  MsgBlock* out = mb.get();
  if (prev && prev->placeholder) {
    // A stand-in that never had a file: the new block takes its place.
    RemoveMsgBlockFromList(prev);
    prev = nullptr;
  }
  AddMsgBlock(std::move(mb));
  // The block just finished is compressed in the background, as the
  // server does on a goroutine.
  if (prev && env.compression != s2::StoreCompression::kNone) QueueRecompress(prev);
  return out;
}

// go: server/filestore.go:(*fileStore).checkLastBlock
Result<MsgBlock*> FileStore::Impl::CheckLastBlock(uint64_t rl) {
  MsgBlock* mb = lmb;
  if (mb && mb->placeholder && mb->msgs == 0) {
    // A recovered store's stand-in write block becomes a real one.
    return NewMsgBlockForWrite();
  }
  if (!mb || (mb->rbytes > 0 && mb->rbytes + rl > fcfg.block_size) || mb->CompressedOnDisk()) {
    return NewMsgBlockForWrite();
  }
  return mb;
}

// go: server/filestore.go:(*fileStore).writeMsgRecord
Result<uint64_t> FileStore::Impl::WriteMsgRecord(uint64_t seq, int64_t ts,
                                                 std::string_view subject,
                                                 std::span<const uint8_t> hdr,
                                                 std::span<const uint8_t> msg) {
  const uint64_t rl = FileStoreMsgSize(subject, hdr.size(), msg.size());
  if (IsFileStoreMsgTooLarge(rl)) return MakeError(ErrorCode::kMsgTooLarge, "message too large");
  auto mb = CheckLastBlock(rl);
  if (!mb) return std::unexpected(mb.error());
  ++dirty;
  if (auto r = (*mb)->WriteRecord(rl, seq, subject, hdr, msg, ts, true); !r) {
    return std::unexpected(r.error());
  }
  TouchCache(*mb);
  return rl;
}

// go: server/filestore.go:(*fileStore).writeTombstone
Result<void> FileStore::Impl::WriteTombstone(uint64_t seq, int64_t ts) {
  auto mb = CheckLastBlock(kEmptyRecordLen);
  if (!mb) return std::unexpected(mb.error());
  return (*mb)->WriteTombstone(seq, ts, true);
}

// go: server/filestore.go:(*fileStore).storeRawMsg
Result<void> FileStore::Impl::StoreRawMsgLocked(std::string_view subject,
                                                std::span<const uint8_t> hdr,
                                                std::span<const uint8_t> msg, uint64_t seq,
                                                int64_t ts, int64_t ttl, bool discard_new_check) {
  if (auto r = CheckWritable(); !r) return r;
  const auto& cfg = info.config;
  const uint64_t mmp = cfg.max_msgs_per > 0 ? static_cast<uint64_t>(cfg.max_msgs_per) : 0;
  const bool psmax = mmp > 0 && !subject.empty();
  uint64_t psmc = 0;
  if (psmax) {
    if (auto [psi, found] = psim.Find(subject); found && psi) psmc = psi->total + 1;
  }

  uint64_t fseq = 0;
  if (discard_new_check && cfg.discard == DiscardPolicy::kNew) {
    bool asl = false;
    const uint64_t size = FileStoreMsgSize(subject, hdr.size(), msg.size());
    if (psmax && psmc > mmp) {
      if (cfg.discard_new_per && !headers::SliceHeader(kRollupHeader, hdr)) {
        return MakeError(ErrorCode::kMaxMsgsPerSubject, "maximum messages per subject exceeded");
      }
      auto f = FirstSeqForSubject(subject);
      if (!f) return std::unexpected(f.error());
      fseq = *f;
      asl = true;
    }
    if (cfg.max_msgs > 0 && state.msgs >= static_cast<uint64_t>(cfg.max_msgs) && !asl) {
      return MakeError(ErrorCode::kMaxMsgs, "maximum messages exceeded");
    }
    if (cfg.max_bytes > 0 && state.bytes + size > static_cast<uint64_t>(cfg.max_bytes)) {
      uint64_t freed = 0;
      if (asl) {
        store::StoreMsg old;
        if (auto m = LoadMsg(fseq, &old); m) {
          freed = FileStoreMsgSize(old.subject, old.hdr_len, old.buf.size() - old.hdr_len);
        }
      }
      if (!asl || freed < size) return MakeError(ErrorCode::kMaxBytes, "maximum bytes exceeded");
    }
  }

  if (seq != state.last.seq + 1) {
    if (seq > 0) return MakeError(ErrorCode::kSequenceMismatch, "expected sequence does not match store");
    seq = state.last.seq + 1;
  }

  auto n = WriteMsgRecord(seq, ts, subject, hdr, msg);
  if (!n) {
    SetWriteErr(n.error());
    return std::unexpected(n.error());
  }
  if (!subject.empty()) {
    const uint32_t index = lmb->index();
    if (auto [psi, found] = psim.Find(subject); found && psi) {
      ++psi->total;
      psi->lblk = std::max(psi->lblk, index);
    } else {
      psim.Insert(subject, SubjectBlocks{1, index, index});
    }
  }
  if (state.msgs == 0) state.first = {seq, ts};
  ++state.msgs;
  state.bytes += *n;
  state.last = {seq, ts};

  // Per-subject limit: drop the subject's oldest until within it.
  if (psmax) {
    for (;;) {
      auto [psi, found] = psim.Find(subject);
      if (!found || !psi || psi->total <= mmp) break;
      auto f = FirstSeqForSubject(subject);
      if (!f) return std::unexpected(f.error());
      if (*f == 0) break;
      auto r = RemoveMsg(*f, false, true);
      if (!r && r.error().code() != ErrorCode::kStoreMsgNotFound) return std::unexpected(r.error());
      if (r && !*r) break;
    }
    if (auto [psi, found] = psim.Find(subject); found && psi && psi->total == 1 && mmp == 1) {
      psi->fblk = psi->lblk;
    }
  }
  if (auto r = EnforceMsgLimit(); !r) return r;
  if (auto r = EnforceBytesLimit(); !r) return r;
  if (ttl > 0) {
    if (ttls) ttls->Add(seq, ts + ttl * kNanosPerSecond);
    // Counted whether or not the stream tracks TTLs now, so they can be
    // recovered should it start to.
    ++lmb->ttls;
  }
  if (ttls && ttl > 0) {
    ResetAgeChk(0);
  } else if (!age_chk && (info.config.max_age.count() > 0 || ttls)) {
    StartAgeChk();
  }
  TrackMsgSchedule(seq, subject, hdr, ts);
  return {};
}

// go: server/filestore.go:(*fileStore).skipMsg
Result<uint64_t> FileStore::Impl::SkipMsgLocked(uint64_t seq, bool no_interest) {
  if (auto r = CheckWritable(); !r) return std::unexpected(r.error());
  if (seq != state.last.seq + 1) {
    if (seq > 0) return MakeError(ErrorCode::kSequenceMismatch, "expected sequence does not match store");
    seq = state.last.seq + 1;
  }
  auto mb = CheckLastBlock(kEmptyRecordLen);
  if (!mb) return std::unexpected(mb.error());
  const bool update_time = no_interest || state.last.ts == 0;
  const int64_t ts = update_time ? NowNanos() : state.last.ts;
  if (auto r = (*mb)->SkipMsg(seq, ts, *mb == lmb); !r) {
    SetWriteErr(r.error());
    return std::unexpected(r.error());
  }
  state.last.seq = seq;
  if (update_time) state.last.ts = ts;
  if (state.msgs == 0) state.first = {seq, 0};
  if (seq == state.first.seq) state.first = {seq + 1, 0};
  ++dirty;
  return seq;
}

// go: server/filestore.go:(*fileStore).SkipMsgs
Result<void> FileStore::Impl::SkipMsgsLocked(uint64_t seq, uint64_t num) {
  if (auto r = CheckWritable(); !r) return r;
  if (num == 0) return MakeError(ErrorCode::kInvalidArgument, "no sequences to skip");
  if (seq != state.last.seq + 1) {
    if (seq > 0) return MakeError(ErrorCode::kSequenceMismatch, "expected sequence does not match store");
    seq = state.last.seq + 1;
  }
  // Past this many entries a delete map is not grown; a new block holds
  // the range as its empty prefix instead.
  constexpr uint64_t kMaxDeletes = 64 * 1024;
  MsgBlock* mb = lmb;
  const uint64_t msgs = mb ? mb->msgs : 0;
  const uint64_t num_deletes = num + (mb ? mb->dmap.Size() : 0);
  if (!mb || mb->placeholder || (num_deletes > kMaxDeletes && msgs > 0) ||
      (msgs > 0 && mb->rbytes + kEmptyRecordLen > fcfg.block_size)) {
    auto nb = NewMsgBlockForWrite();
    if (!nb) return std::unexpected(nb.error());
    mb = *nb;
  }
  const int64_t ts = state.last.ts != 0 ? state.last.ts : NowNanos();
  const uint64_t lseq = seq + num - 1;
  if (mb->msgs == 0) {
    mb->last = {lseq, ts};
    mb->first = {lseq + 1, 0};
  } else {
    for (uint64_t s = seq; s <= lseq; ++s) mb->dmap.Insert(s);
  }
  if (auto r = mb->WriteRecord(kEmptyRecordLen, lseq | kEraseBit, {}, {}, {}, ts, true); !r) {
    SetWriteErr(r.error());
    return r;
  }
  state.last.seq = lseq;
  if (state.last.ts == 0) state.last.ts = ts;
  if (state.msgs == 0) state.first = {lseq + 1, 0};
  ++dirty;
  return {};
}

// go: server/filestore.go:(*fileStore).firstSeqForSubj
Result<uint64_t> FileStore::Impl::FirstSeqForSubject(std::string_view subject) {
  if (blks.empty()) return uint64_t{0};
  uint32_t start = blks.front()->index();
  uint32_t stop = lmb->index();
  if (auto [psi, found] = psim.Find(subject); found && psi) {
    start = psi->fblk;
    stop = psi->lblk;
  }
  for (uint32_t i = start; i <= stop; ++i) {
    auto it = bim.find(i);
    if (it == bim.end()) continue;
    MsgBlock* mb = it->second;
    if (mb->closed || mb->placeholder) continue;
    std::optional<filestore::RebuildResult> rebuilt;
    auto fss = mb->EnsurePerSubjectInfo(&rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!fss) return std::unexpected(fss.error());
    TouchCache(mb);
    if (auto [ss, found] = (*fss)->Find(subject); found && ss) {
      if (ss->first_needs_update || ss->last_needs_update) {
        if (auto r = mb->RecalculateForSubject(subject, ss); !r) return std::unexpected(r.error());
      }
      if (i != start) {
        if (auto [psi, pf] = psim.Find(subject); pf && psi) psi->fblk = i;
      }
      return ss->first;
    }
  }
  return uint64_t{0};
}

// The loop both limits share: drop the oldest message (a whole first block
// when that alone is not enough) until the total is within max.
Result<void> FileStore::Impl::DropOldestWhileOver(uint64_t Totals::*total,
                                                  uint64_t MsgBlock::*per_block, uint64_t max) {
  while (state.*total > max) {
    if (!blks.empty() && state.*total - blks.front().get()->*per_block > max) {
      if (auto r = PurgeMsgBlock(blks.front().get()); !r) return r;
      continue;
    }
    auto removed = RemoveMsg(state.first.seq, false, true);
    if (!removed && removed.error().code() != ErrorCode::kStoreMsgNotFound) {
      return std::unexpected(removed.error());
    }
    if (!removed || !*removed) return RebuildFirst();
  }
  return {};
}

// go: server/filestore.go:(*fileStore).enforceMsgLimit
Result<void> FileStore::Impl::EnforceMsgLimit() {
  const auto& cfg = info.config;
  if (cfg.discard != DiscardPolicy::kOld || cfg.max_msgs <= 0) return {};
  return DropOldestWhileOver(&Totals::msgs, &MsgBlock::msgs, static_cast<uint64_t>(cfg.max_msgs));
}

// go: server/filestore.go:(*fileStore).enforceBytesLimit
Result<void> FileStore::Impl::EnforceBytesLimit() {
  const auto& cfg = info.config;
  if (cfg.discard != DiscardPolicy::kOld || cfg.max_bytes <= 0) return {};
  return DropOldestWhileOver(&Totals::bytes, &MsgBlock::bytes, static_cast<uint64_t>(cfg.max_bytes));
}

// go: server/filestore.go:(*fileStore).enforceMsgPerSubjectLimit
Result<void> FileStore::Impl::EnforceMsgPerSubjectLimit() {
  const auto& cfg = info.config;
  if (cfg.max_msgs_per <= 0) return {};
  const auto max = static_cast<uint64_t>(cfg.max_msgs_per);
  std::vector<std::string> over;
  psim.IterFast([&](std::string_view subj, SubjectBlocks* psi) {
    if (psi->total > max) over.emplace_back(subj);
    return true;
  });
  for (const auto& subj : over) {
    for (;;) {
      auto [psi, found] = psim.Find(subj);
      if (!found || !psi || psi->total <= max) break;
      auto f = FirstSeqForSubject(subj);
      if (!f) return std::unexpected(f.error());
      if (*f == 0) break;
      auto r = RemoveMsg(*f, false, true);
      if (!r && r.error().code() != ErrorCode::kStoreMsgNotFound) return std::unexpected(r.error());
      if (r && !*r) break;
    }
  }
  return {};
}

// go: server/filestore.go:(*fileStore).rebuildFirst
Result<void> FileStore::Impl::RebuildFirst() {
  if (blks.empty()) return {};
  MsgBlock* fmb = blks.front().get();
  auto r = fmb->RebuildState();
  if (!r) return std::unexpected(r.error());
  if (fmb->msgs == 0 && blks.size() > 1) {
    if (auto f = ForceRemoveMsgBlock(fmb); !f) return f;
  }
  SelectNextFirst();
  RebuildStateLocked(r->lost);
  return {};
}

// go: server/filestore.go:(*fileStore).checkAndFlushLastBlock
Result<void> FileStore::Impl::CheckAndFlushLastBlock() {
  if (!lmb || lmb->placeholder) return {};
  if (lmb->WriteError()) return std::unexpected(*lmb->WriteError());
  return lmb->FlushPending();
}

}  // namespace natscpp::store
