#include "filestore/msg_block.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "filestore/block_file.h"
#include "filestore/record.h"
#include "headers/headers.h"
#include "sched/sdm.h"
#include "subject/subject.h"
#include "util/filestore_constants.h"
#include "util/file_io.h"
#include "util/msg_size.h"

namespace natscpp::store::filestore {

namespace {

Error DeletedMsg() { return Error(ErrorCode::kStoreMsgNotFound, "deleted message"); }
Error NotFound() { return Error(ErrorCode::kStoreMsgNotFound, "no message found"); }

Result<std::vector<uint8_t>> ReadNamedFile(const std::filesystem::path& path,
                                           std::string_view what) {
  auto buf = ReadWholeFile(path);
  if (!buf && buf.error().code() == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound, std::string(what) + " does not exist");
  }
  return buf;
}

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

crypto::StoreCipher OtherCipher(crypto::StoreCipher c) {
  return c == crypto::StoreCipher::kAes ? crypto::StoreCipher::kChaCha : crypto::StoreCipher::kAes;
}

// Message headers that make a block count a TTL or a schedule.
constexpr std::string_view kMessageTtlHeader = "Nats-TTL";
constexpr std::string_view kSchedulePatternHeader = "Nats-Schedule";

uint64_t NextBlockId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

// go: server/filestore.go:(*fileStore).initMsgBlock
MsgBlock::MsgBlock(const BlockEnv* env, uint32_t index)
    : env_(env),
      index_(index),
      mfn_(env->msgs_dir / (std::to_string(index) + ".blk")),
      hkey_(BlockHashKey(env->stream, index)),
      id_(NextBlockId()) {}

MsgBlock::~MsgBlock() {
  if (env_->host == nullptr) return;
  if (ctmr_) env_->host->RetireTimer(std::move(ctmr_));
  if (ftmr_) env_->host->RetireTimer(std::move(ftmr_));
}

std::unique_ptr<MsgBlock> MsgBlock::Placeholder(const BlockEnv* env, uint32_t index, MsgId last) {
  auto mb = std::make_unique<MsgBlock>(env, index);
  mb->placeholder = true;
  // Go's new write block carries the sequence only; a tombstone written
  // into it (the remembered last sequence) also carries its time.
  mb->first = {last.seq + 1, 0};
  mb->last = last;
  return mb;
}

std::string MsgBlock::FileName() const {
  return std::string(kMsgDir) + "/" + std::to_string(index_) + ".blk";
}

// go: server/filestore.go:(*fileStore).loadEncryptionForMsgBlock
Result<void> MsgBlock::LoadEncryption() {
  if (!env_->prf || plaintext_override_ || keys_) return {};
  const auto kfn = env_->msgs_dir / (std::to_string(index_) + ".key");
  const std::string name = std::string(kMsgDir) + "/" + std::to_string(index_) + ".key";
  auto ekey = ReadNamedFile(kfn, name);
  if (!ekey) return std::unexpected(ekey.error());
  if (ekey->size() < crypto::kMinBlkKeySize) {
    return MakeError(ErrorCode::kCrypto, name + ": encryption bad key size (" +
                                             std::to_string(ekey->size()) + " bytes)");
  }
  // The configured cipher first; the other one as Go's convertCipher tries.
  for (auto cipher : {env_->cipher, OtherCipher(env_->cipher)}) {
    auto keys = crypto::RecoverBlockKeys(env_->prf, cipher, env_->stream, index_, *ekey);
    if (keys) {
      keys_ = std::move(*keys);
      key_cipher_ = cipher;
      return {};
    }
  }
  return MakeError(ErrorCode::kCrypto, name + ": unable to recover keys (wrong key or cipher)");
}

Result<std::vector<uint8_t>> MsgBlock::ReadOnDisk() const { return ReadNamedFile(mfn_, FileName()); }

Result<std::vector<uint8_t>> MsgBlock::LoadDecrypted() {
  auto buf = ReadOnDisk();
  if (!buf) return std::unexpected(buf.error());
  if (env_->prf && !plaintext_override_ && !buf->empty()) {
    if (auto r = LoadEncryption(); !r) return std::unexpected(r.error());
    auto bek = crypto::GenBlockEncryptionKey(key_cipher_, keys_->seed, keys_->nonce);
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(*buf); !r) return std::unexpected(r.error());
  }
  return buf;
}

// go: server/filestore.go:(*msgBlock).loadBlock
Result<std::vector<uint8_t>> MsgBlock::LoadPlaintext() {
  auto buf = LoadDecrypted();
  if (!buf) return std::unexpected(buf.error());
  auto plain = DecompressIfNeeded(std::move(*buf));
  if (!plain) {
    return MakeError(plain.error().code(), FileName() + ": " + plain.error().message());
  }
  if (valid_len_ && *valid_len_ < plain->size()) plain->resize(*valid_len_);
  return plain;
}

// go: server/filestore.go:(*msgBlock).lastChecksum
std::optional<std::array<uint8_t, 8>> MsgBlock::LastChecksum() {
  auto buf = LoadDecrypted();
  if (!buf) return std::nullopt;
  rbytes = buf->size();
  std::array<uint8_t, 8> sum{};
  if (buf->size() >= kChecksumSize) std::copy(buf->end() - kChecksumSize, buf->end(), sum.begin());
  return sum;
}

// go: server/filestore.go:(*msgBlock).rebuildStateLocked
Result<RebuildResult> MsgBlock::RebuildState() {
  cache_.reset();
  fss_.reset();
  auto stored = LoadDecrypted();
  const bool missing = !stored && stored.error().code() == ErrorCode::kNotFound;
  if (!stored && !missing) return std::unexpected(stored.error());
  if (missing || stored->empty()) {
    // Nothing to rebuild from: whatever the block claimed is lost.
    RebuildResult res;
    if (msgs > 0) {
      LostStreamData ld;
      ld.bytes = bytes;
      if (last.seq >= first.seq && last.seq - first.seq < kMaxBlockSlots) {
        for (uint64_t seq = first.seq; seq <= last.seq; ++seq) {
          if (!dmap.Exists(seq)) ld.msgs.push_back(seq);
        }
      }
      res.lost = std::move(ld);
      msgs = bytes = rbytes = 0;
      dmap.Empty();
      first.seq = last.seq + 1;
    }
    return res;
  }
  auto plain = DecompressIfNeeded(std::move(*stored));
  if (!plain) {
    return MakeError(plain.error().code(), FileName() + ": " + plain.error().message());
  }
  valid_len_.reset();
  return RebuildStateFromBuf(*plain);
}

// go: server/filestore.go:(*msgBlock).rebuildStateFromBufLocked
RebuildResult MsgBlock::RebuildStateFromBuf(std::span<const uint8_t> buf) {
  RebuildResult res;
  const uint64_t start_last_seq = last.seq;
  msgs = bytes = 0;
  fss_.reset();
  last = {};
  bool first_needs_set = true;
  rbytes = buf.size();

  uint64_t max_tomb_seq = 0;
  int64_t max_tomb_ts = 0;
  uint64_t prev = 0;  // the highest sequence seen, to spot compaction gaps

  auto add_to_dmap = [this](uint64_t seq) {
    if (seq != 0) dmap.Insert(seq);
  };
  auto update_last = [&](uint64_t seq, int64_t ts) {
    if (seq <= prev) return;
    if (prev > 0 && seq != prev + 1 && msgs != 0) {
      // A gap no block could hold is not filled: marking it deleted one by
      // one would never end (the checksum key is public, so such a block is
      // easy to craft). The gap's sequences then simply have no record.
      if (seq - prev - 1 <= kMaxBlockSlots) {
        for (uint64_t d = prev + 1; d < seq; ++d) add_to_dmap(d);
      }
    }
    prev = seq;
    last = {seq, ts};
  };

  for (size_t index = 0; index < buf.size();) {
    auto rec = ParseRecord(buf.subspan(index), hkey_, /*verify_checksum=*/true,
                           /*split_headers=*/false);
    if (!rec) {
      // The server truncates the file here; a read-only view stops reading
      // at the same place instead.
      res.bad = Error(ErrorCode::kCorrupt, "malformed or corrupt message in " +
                                               std::to_string(index_) + ".blk at offset " +
                                               std::to_string(index) + ": " +
                                               rec.error().message());
      valid_len_ = index;
      LostStreamData ld;
      if (start_last_seq > last.seq && start_last_seq - last.seq <= kMaxBlockSlots) {
        for (uint64_t seq = last.seq + 1; seq <= start_last_seq; ++seq) ld.msgs.push_back(seq);
      }
      ld.bytes = buf.size() - index;
      res.lost = std::move(ld);
      break;
    }
    std::copy(buf.begin() + static_cast<std::ptrdiff_t>(index + rec->length - kRecordHashSize),
              buf.begin() + static_cast<std::ptrdiff_t>(index + rec->length), lchk.begin());
    const uint64_t raw_seq = LoadLe64(buf.data() + index + 4);
    const int64_t ts = rec->ts;
    const uint32_t rl = rec->length;

    if (raw_seq & kTombstoneBit) {
      const uint64_t seq = raw_seq & ~kTombstoneBit;
      res.tombstones.push_back(seq);
      if (max_tomb_seq == 0 || seq > max_tomb_seq) {
        max_tomb_seq = seq;
        max_tomb_ts = ts;
      }
      index += rl;
      continue;
    }

    const uint64_t fseq = first.seq;
    if (raw_seq == 0 || (raw_seq & kEraseBit) || raw_seq < fseq) {
      const uint64_t seq = raw_seq & ~kEraseBit;
      if (seq >= fseq) {
        update_last(seq, ts);
        if (msgs == 0) {
          first = {seq + 1, 0};
        } else if (seq != 0) {
          add_to_dmap(seq);
        }
      }
      index += rl;
      continue;
    }

    const uint64_t seq = raw_seq;
    if (first_needs_set && seq >= fseq) {
      first = {seq, ts};
      first_needs_set = false;
    }
    if (seq <= prev) {
      index += rl;
      continue;
    }
    if (!dmap.Exists(seq)) {
      ++msgs;
      bytes += rl;
    }
    update_last(seq, ts);
    index += rl;
  }

  // An empty block keeps its place in the sequence from its first sequence,
  // or from the newest tombstone when that is all it holds.
  if (msgs == 0) {
    if (first.seq > 0) {
      last.seq = first.seq - 1;
    } else if (max_tomb_seq > 0) {
      first = {max_tomb_seq + 1, 0};
      if (last.seq == 0) last = {max_tomb_seq, max_tomb_ts};
    }
  }
  return res;
}

Result<void> MsgBlock::LoadCache(std::optional<RebuildResult>* rebuilt) {
  if (CacheAlreadyLoaded()) return {};
  if (placeholder) return MakeError(ErrorCode::kStoreMsgNotFound, "empty block");
  // Records still buffered for the file go there first: the cache is
  // loaded from the file.
  if (auto r = FlushPending(); !r) return r;
  // Go retries the load after a rebuild; two rounds are enough here because
  // a rebuilt state always matches the records it came from.
  Error last_error(ErrorCode::kCorrupt, FileName() + ": no message cache");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto buf = LoadPlaintext();
    if (!buf) {
      if (buf.error().code() == ErrorCode::kNotFound) {
        auto r = RebuildState();
        if (!r) return std::unexpected(r.error());
        if (rebuilt) *rebuilt = std::move(*r);
      }
      return std::unexpected(buf.error());
    }
    const bool any = !buf->empty();
    auto idx = IndexCacheBuf(std::move(*buf));
    if (idx) {
      llts_ = AccessNanos();
      if (any) {
        ++cloads_;
        StartCacheExpireTimer();
      }
      return {};
    }
    if (idx.error().code() != ErrorCode::kCorruptStreamState) return idx;
    last_error = Error(ErrorCode::kCorrupt, idx.error().message());
    auto r = RebuildState();
    if (!r) return std::unexpected(r.error());
    if (rebuilt) *rebuilt = std::move(*r);
  }
  return std::unexpected(last_error);
}

// go: server/filestore.go:(*msgBlock).indexCacheBuf
Result<void> MsgBlock::IndexCacheBuf(std::vector<uint8_t> buf) {
  const auto corrupt = [this](std::string why) {
    return MakeError(ErrorCode::kCorruptStreamState, FileName() + ": " + why);
  };
  const uint64_t fseq = first.seq;
  const uint64_t lseq = last.seq;
  if (fseq > lseq + 1) return corrupt("first sequence past last");
  // A slot per sequence: a range no block of this size could have written
  // is corrupt state, not something to allocate for.
  if (lseq + 1 - fseq > kMaxBlockSlots) return corrupt("sequence range too large for one block");

  auto cache = std::make_unique<Cache>();
  cache->idx.reserve(static_cast<size_t>(
      std::min<uint64_t>(lseq + 1 - fseq, buf.size() / kEmptyRecordLen + 1)));
  const bool pop_fss = fss_ == nullptr;
  auto fss = pop_fss ? std::make_unique<SubjectStates>() : nullptr;
  uint64_t nttls = 0;
  uint64_t nschedules = 0;
  uint64_t seen_first = 0;
  uint64_t seen_last = 0;
  const std::span<const uint8_t> all(buf);

  for (size_t index = 0; index < buf.size();) {
    auto rec = ParseRecord(all.subspan(index), hkey_, /*verify_checksum=*/false,
                           /*split_headers=*/false);
    if (!rec) return corrupt("corrupt record at offset " + std::to_string(index));
    const uint32_t rl = rec->length;
    if (rec->tombstone) {
      index += rl;
      continue;
    }
    const uint64_t seq = rec->seq;
    const bool erased = rec->erased;
    if (seq <= seen_last) {
      index += rl;
      continue;
    }
    if (seq >= fseq) {
      if (seq > lseq) return corrupt("record past the block's last sequence");
      seen_last = seq;
      if (seen_first == 0) {
        seen_first = seq;
        if (fseq != seen_first) return corrupt("first sequence does not match");
      }
      // Holes (compaction gaps) are deleted sequences.
      for (uint64_t d = fseq + cache->idx.size(); d < seq; ++d) {
        cache->idx.push_back(kDeletedBit);
        if (d != 0) dmap.Insert(d);
      }
      cache->idx.push_back(static_cast<uint32_t>(index));
      if (erased && seq != 0 && !dmap.Exists(seq)) {
        return corrupt("erased message " + std::to_string(seq) + " missing from delete map");
      }
      if (pop_fss && !rec->subject.empty() && !erased && !dmap.Exists(seq)) {
        const std::string_view subj(reinterpret_cast<const char*>(rec->subject.data()),
                                    rec->subject.size());
        auto [ss, found] = fss->Find(subj);
        if (found && ss) {
          ++ss->msgs;
          ss->last = seq;
          ss->last_needs_update = false;
        } else {
          fss->Insert(subj, SimpleState{.msgs = 1, .first = seq, .last = seq});
        }
      }
      if (rec->has_headers) {
        // A record whose header length is bad counts nothing, as in Go.
        auto full = ParseRecord(all.subspan(index), hkey_, false, true);
        if (full && !full->hdr.empty()) {
          if (headers::SliceHeader(kMessageTtlHeader, full->hdr)) ++nttls;
          if (headers::SliceHeader(kSchedulePatternHeader, full->hdr)) ++nschedules;
        }
      }
    }
    index += rl;
  }
  if (cache->idx.size() != lseq + 1 - fseq || (seen_first > 0 && fseq != seen_first) ||
      (seen_last > 0 && lseq != seen_last)) {
    return corrupt("records do not match the block's sequence range");
  }
  cache->buf = std::move(buf);
  cache->fseq = fseq;
  cache_ = std::move(cache);
  if (pop_fss) fss_ = std::move(fss);
  ttls = nttls;
  schedules = nschedules;
  return {};
}

// go: server/filestore.go:(*msgBlock).fetchMsgEx
Result<StoreMsg*> MsgBlock::Fetch(uint64_t seq, StoreMsg* sm,
                                  std::optional<RebuildResult>* rebuilt, bool* expire_ok) {
  const uint64_t fseq = first.seq;
  const uint64_t lseq = last.seq;
  if (expire_ok) *expire_ok = false;
  if (seq < fseq || seq > lseq) return std::unexpected(NotFound());
  const auto scan_ends = [&](uint64_t prev) {
    return (seq == lseq && prev == seq - 1) || (seq == fseq && prev == seq + 1);
  };
  if (dmap.Exists(seq)) {
    // Kept up as the lookup would, so a scan over deletes still counts.
    const uint64_t prev = llseq_;
    if (llseq_ == 0 || seq < llseq_ || seq == llseq_ + 1 || seq == llseq_ - 1) llseq_ = seq;
    if (expire_ok) *expire_ok = scan_ends(prev);
    return std::unexpected(DeletedMsg());
  }
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());
  const uint64_t prev = llseq_;
  auto m = CacheLookup(seq, sm);
  if (m && expire_ok) *expire_ok = scan_ends(prev);
  return m;
}

// go: server/filestore.go:(*msgBlock).cacheLookupEx
Result<StoreMsg*> MsgBlock::CacheLookup(uint64_t seq, StoreMsg* sm) {
  if (last.seq + 1 == first.seq || seq < first.seq || seq > last.seq) {
    return std::unexpected(NotFound());
  }
  // The linear scan tracker follows reads one after another, either way.
  if (llseq_ == 0 || seq < llseq_ || seq == llseq_ + 1 || seq == llseq_ - 1) llseq_ = seq;
  if (dmap.Exists(seq)) {
    llts_ = AccessNanos();
    return std::unexpected(DeletedMsg());
  }
  if (!cache_ || cache_->fseq == 0 || cache_->idx.empty() || cache_->buf.empty()) {
    if (cache_) TryForceExpireCache();
    return MakeError(ErrorCode::kCorrupt, FileName() + ": no message cache");
  }
  if (seq < cache_->fseq) return MakeError(ErrorCode::kCorrupt, FileName() + ": partial cache");
  const size_t slot = static_cast<size_t>(seq - cache_->fseq);
  if (slot >= cache_->idx.size()) return std::unexpected(NotFound());
  const uint32_t entry = cache_->idx[slot];
  if (entry & kDeletedBit) return std::unexpected(DeletedMsg());
  llts_ = AccessNanos();
  const bool checked = (entry & kCheckedBit) != 0;
  const size_t off = entry & ~(kCheckedBit | kDeletedBit);
  if (off >= cache_->buf.size()) {
    return MakeError(ErrorCode::kCorrupt, FileName() + ": partial cache");
  }
  auto rec = ParseRecord(std::span<const uint8_t>(cache_->buf).subspan(off), hkey_, !checked);
  if (!rec) {
    return MakeError(ErrorCode::kCorrupt, "malformed or corrupt message in " +
                                              std::to_string(index_) + ".blk: " +
                                              rec.error().message());
  }
  if (rec->erased || rec->seq == 0) return std::unexpected(DeletedMsg());
  if (rec->seq != seq) {
    ClearCacheAndOffset();
    return MakeError(ErrorCode::kCorrupt, "sequence numbers for cache load did not match, " +
                                              std::to_string(seq) + " vs " +
                                              std::to_string(rec->seq));
  }
  if (!checked) cache_->idx[slot] = entry | kCheckedBit;
  sm->subject.assign(reinterpret_cast<const char*>(rec->subject.data()), rec->subject.size());
  sm->SetData(rec->hdr, rec->msg);
  sm->seq = seq;
  sm->ts = rec->ts;
  return sm;
}

// go: server/filestore.go:(*msgBlock).ensurePerSubjectInfoLoaded
Result<MsgBlock::SubjectStates*> MsgBlock::EnsurePerSubjectInfo(
    std::optional<RebuildResult>* rebuilt) {
  if (fss_) {
    lsts_ = AccessNanos();
    return fss_.get();
  }
  if (msgs == 0 || placeholder) {
    fss_ = std::make_unique<SubjectStates>();
    return fss_.get();
  }
  if (cache_) {
    // The state went without the cache: rebuilt from the cache's records.
    auto fss = std::make_unique<SubjectStates>();
    StoreMsg sm;
    for (uint64_t seq = first.seq; seq <= last.seq && seq != 0; ++seq) {
      if (dmap.Exists(seq)) continue;
      auto m = CacheLookup(seq, &sm);
      if (!m) {
        if (m.error().code() == ErrorCode::kStoreMsgNotFound) continue;
        ClearCacheAndOffset();
        return std::unexpected(m.error());
      }
      if (sm.subject.empty()) continue;
      if (auto [ss, found] = fss->Find(sm.subject); found && ss) {
        ++ss->msgs;
        ss->last = seq;
        ss->last_needs_update = false;
      } else {
        fss->Insert(sm.subject, SimpleState{.msgs = 1, .first = seq, .last = seq});
      }
    }
    fss_ = std::move(fss);
  }
  // Indexing the cache builds the per-subject state as it goes.
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());
  if (!fss_) fss_ = std::make_unique<SubjectStates>();
  if (fss_->Size() > 0) {
    // The expiry timer runs for the state just built.
    llts_ = AccessNanos();
    lsts_ = llts_;
    StartCacheExpireTimer();
  }
  return fss_.get();
}

// go: server/filestore.go:(*msgBlock).recalculateForSubj
Result<void> MsgBlock::RecalculateForSubject(std::string_view subject, SimpleState* ss) {
  if (auto r = LoadCache(nullptr); !r) return r;
  StoreMsg sm;
  if (ss->first_needs_update) {
    uint64_t found = 0;
    for (uint64_t seq = std::max(ss->first, first.seq); seq <= last.seq; ++seq) {
      auto m = CacheLookup(seq, &sm);
      if (m && sm.subject == subject) {
        found = seq;
        break;
      }
    }
    if (found) ss->first = found;
    ss->first_needs_update = false;
  }
  if (ss->last_needs_update) {
    uint64_t found = 0;
    for (uint64_t seq = std::min(ss->last, last.seq); seq >= first.seq && seq > 0; --seq) {
      auto m = CacheLookup(seq, &sm);
      if (m && sm.subject == subject) {
        found = seq;
        break;
      }
    }
    if (found) ss->last = found;
    ss->last_needs_update = false;
  }
  return {};
}

// go: server/filestore.go:(*msgBlock).removeSeqPerSubject
uint64_t MsgBlock::RemoveSeqPerSubject(std::string_view subject, uint64_t seq) {
  if (!fss_) return 0;
  auto [ss, found] = fss_->Find(subject);
  if (!found || !ss) return 0;
  if (env_->sdm && env_->sdm->pending().contains(seq)) {
    env_->sdm->RemoveSeqAndSubject(seq, std::string(subject));
  }
  if (ss->msgs == 1) {
    fss_->Delete(subject);
    return 0;
  }
  --ss->msgs;
  if (ss->msgs == 1) {
    if (!ss->last_needs_update && seq != ss->last) {
      ss->first = ss->last;
      ss->first_needs_update = false;
      return ss->msgs;
    }
    if (!ss->first_needs_update && seq != ss->first) {
      ss->last = ss->first;
      ss->last_needs_update = false;
      return ss->msgs;
    }
  }
  ss->first_needs_update = seq == ss->first || ss->first_needs_update;
  ss->last_needs_update = seq == ss->last || ss->last_needs_update;
  return ss->msgs;
}

// go: server/filestore.go:(*msgBlock).selectNextFirst
void MsgBlock::SelectNextFirst() {
  uint64_t seq = first.seq + 1;
  for (; seq <= last.seq; ++seq) {
    if (!dmap.Exists(seq)) break;
    dmap.Delete(seq);
  }
  first.seq = seq;
  if (seq > last.seq) {
    first.ts = 0;
    return;
  }
  StoreMsg sm;
  auto m = Fetch(seq, &sm, nullptr);
  first.ts = m ? sm.ts : 0;
}

// go: server/filestore.go:(*msgBlock).firstMatching
Result<StoreMsg*> MsgBlock::FirstMatching(std::string_view filter, bool wildcard, uint64_t start,
                                          StoreMsg* sm,
                                          const std::vector<std::string>& stream_subjects,
                                          std::optional<RebuildResult>* rebuilt) {
  bool is_all = filter.empty() || filter == ">";
  auto fss = EnsurePerSubjectInfo(rebuilt);
  if (!fss) return std::unexpected(fss.error());
  if (filter.empty()) {
    filter = ">";
    wildcard = true;
  }
  if (!is_all && (*fss)->Size() == 1) {
    if (!wildcard) {
      is_all = (*fss)->Find(filter).second;
    } else {
      (*fss)->Match(filter, [&](std::string_view, SimpleState*) { is_all = true; });
    }
    if (!is_all) return std::unexpected(NotFound());
  }
  uint64_t fseq = std::max(start, first.seq);
  const uint64_t lseq = last.seq;

  subject::TokenVec filter_tokens;
  if (wildcard) subject::TokenizeSubjectIntoSlice(filter_tokens, filter);
  auto matches = [&](std::string_view subj) {
    if (is_all) return true;
    if (!wildcard) return subj == filter;
    subject::TokenVec tokens;
    subject::TokenizeSubjectIntoSlice(tokens, subj);
    return subject::IsSubsetMatchTokenized(tokens.span(), filter_tokens.span());
  };

  const bool linear = is_all || (wildcard && stream_subjects.size() == 1 &&
                                 stream_subjects[0] == filter);
  if (!linear) {
    // Jump to the first candidate the per-subject state knows of.
    uint64_t candidate = lseq + 1;
    Result<void> ierr;
    auto consider = [&](std::string_view subj, SimpleState* ss) {
      if (!ierr) return;
      if (ss->first_needs_update || ss->last_needs_update) {
        ierr = RecalculateForSubject(subj, ss);
        if (!ierr) return;
      }
      if (start <= ss->last) candidate = std::min(candidate, std::max(start, ss->first));
    };
    if (wildcard) {
      (*fss)->Match(filter, consider);
    } else if (auto [ss, found] = (*fss)->Find(filter); found && ss) {
      consider(filter, ss);
    }
    if (!ierr) return std::unexpected(ierr.error());
    fseq = std::max(fseq, candidate);
  }
  if (fseq > lseq) return std::unexpected(NotFound());
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());
  for (uint64_t seq = fseq; seq <= lseq; ++seq) {
    if (dmap.Exists(seq)) continue;
    auto m = CacheLookup(seq, sm);
    if (!m) {
      // Only a lost cache stops the walk; a message that fails its checks
      // is passed over as the server does.
      if (!cache_) return std::unexpected(m.error());
      continue;
    }
    if (matches(sm->subject)) return sm;
  }
  return std::unexpected(NotFound());
}

// go: server/filestore.go:(*msgBlock).filteredPendingLocked
Result<SimpleState> MsgBlock::FilteredPending(std::string_view filter, bool wildcard,
                                              uint64_t sseq,
                                              std::optional<RebuildResult>* rebuilt) {
  SimpleState out;
  const bool is_all = filter.empty() || filter == ">";
  // Everything from before this block: the block's own totals.
  if (is_all && sseq <= first.seq) return SimpleState{.msgs = msgs, .first = first.seq, .last = last.seq};
  if (filter.empty()) {
    filter = ">";
    wildcard = true;
  }
  auto fss = EnsurePerSubjectInfo(rebuilt);
  if (!fss) return std::unexpected(fss.error());
  bool partial = false;
  Result<void> ierr;
  auto update = [&](std::string_view subj, SimpleState* ss) {
    if (!ierr || partial) return;
    if (ss->first_needs_update || ss->last_needs_update) {
      ierr = RecalculateForSubject(subj, ss);
      if (!ierr) return;
    }
    if (sseq <= ss->first) {
      out.msgs += ss->msgs;
      if (out.first == 0 || ss->first < out.first) out.first = ss->first;
      out.last = std::max(out.last, ss->last);
    } else if (sseq <= ss->last) {
      partial = true;  // matches straddle sseq: count message by message
    }
  };
  if (!wildcard) {
    if (auto [ss, found] = (*fss)->Find(filter); found && ss) update(filter, ss);
  } else {
    (*fss)->Match(filter, update);
  }
  if (!ierr) return std::unexpected(ierr.error());
  if (!partial) return out;

  out = {};
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());
  subject::TokenVec filter_tokens;
  if (wildcard) subject::TokenizeSubjectIntoSlice(filter_tokens, filter);
  StoreMsg sm;
  for (uint64_t seq = sseq; seq <= last.seq && seq != 0; ++seq) {
    if (!CacheLookup(seq, &sm)) continue;
    bool match = is_all;
    if (!match && wildcard) {
      subject::TokenVec tokens;
      subject::TokenizeSubjectIntoSlice(tokens, sm.subject);
      match = subject::IsSubsetMatchTokenized(tokens.span(), filter_tokens.span());
    } else if (!match) {
      match = sm.subject == filter;
    }
    if (!match) continue;
    ++out.msgs;
    if (out.first == 0 || seq < out.first) out.first = seq;
    out.last = std::max(out.last, seq);
  }
  return out;
}

}  // namespace natscpp::store::filestore
