// Per-message TTLs and subject delete markers. Messages stored with a TTL
// go into a timing hash wheel by deadline; the age check (see
// file_store_expire.cc) removes them when it runs out. The wheel is saved
// as msgs/thw.db next to index.db, stamped with the sequence after the last
// one it covers, and recovered from it at open, the blocks past the stamp
// (only those that hold TTL'd messages) being rescanned for their Nats-TTL
// headers.
//
// With subject delete markers (subject_delete_marker_ttl) the removals are
// the stream layer's: the store asks it to remove a message, or, for the
// last message of a subject, hands it a marker message to store in its
// place. The pending proposals are tracked so none is made twice in a row.
#include <chrono>
#include <limits>
#include <string>

#include "filestore/file_store_impl.h"
#include "headers/headers.h"
#include "sched/stream_headers.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

using filestore::MsgBlock;

namespace {

constexpr int64_t kNoExpiry = std::numeric_limits<int64_t>::max();
constexpr int64_t kNanosPerSecond = 1'000'000'000;
// A proposal for the same sequence is not repeated within this time.
constexpr int64_t kSdmRepropose = 2 * kNanosPerSecond;
// The Nats-Marker-Reason of a marker left by max age or TTL expiry, and
// the Nats-Rollup value that replaces the subject's messages.
constexpr std::string_view kMarkerReasonMaxAge = "MaxAge";
constexpr std::string_view kMsgRollupSubject = "sub";

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A whole number of seconds as Go's time.Duration prints it ("1s",
// "1m30s", "2h0m0s").
std::string DurationSecondsString(int64_t secs) {
  if (secs == 0) return "0s";
  std::string out;
  const bool neg = secs < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(secs + 1)) + 1 : static_cast<uint64_t>(secs);
  const uint64_t h = u / 3600;
  const uint64_t m = (u / 60) % 60;
  const uint64_t s = u % 60;
  if (neg) out += '-';
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s) + "s";
  return out;
}

}  // namespace

int64_t FileStore::Impl::NextTtlExpiration() const {
  return ttls ? ttls->GetNextExpiration(kNoExpiry) : kNoExpiry;
}

// go: server/filestore.go:(*fileStore).recoverTTLState
Result<void> FileStore::Impl::RecoverTtlState() {
  const auto fn = dir / kMsgDir / kTtlStateFile;
  auto buf = ReadWholeFile(fn);
  if (!buf && buf.error().code() != ErrorCode::kNotFound) return std::unexpected(buf.error());

  ttls = std::make_unique<thw::HashWheel>();
  uint64_t ttlseq = 0;
  if (buf) {
    auto stamp = ttls->Decode(*buf);
    if (!stamp) {
      Note(std::string(kMsgDir) + "/" + std::string(kTtlStateFile),
           "error decoding TTL state: " + stamp.error().message());
      std::error_code ec;
      std::filesystem::remove(fn, ec);
      ttls = std::make_unique<thw::HashWheel>();
    } else {
      ttlseq = *stamp;
    }
  }
  if (ttlseq < state.first.seq) ttlseq = state.first.seq;

  if (state.msgs > 0 && ttlseq <= state.last.seq) {
    Note(std::string(kMsgDir) + "/" + std::string(kTtlStateFile),
         "TTL state is outdated; recovering with a linear scan (seq " + std::to_string(ttlseq) +
             " to " + std::to_string(state.last.seq) + ")");
    ScanMsgsFrom(ttlseq, &MsgBlock::ttls, [&](uint64_t seq, const store::StoreMsg& sm) {
      if (auto ttl = sched::GetMessageTTL(sm.hdr()); ttl && *ttl > 0) {
        ttls->Add(seq, sm.ts + *ttl * kNanosPerSecond);
      }
    });
  }
  ResetAgeChk(0);
  return {};
}

// The linear scan of the TTL and schedule recoveries: every message with
// headers from `from` to the last sequence, in the blocks whose `count`
// says they hold any; each block's cache is let go once it is passed.
void FileStore::Impl::ScanMsgsFrom(uint64_t from, uint64_t MsgBlock::*count,
                                   const std::function<void(uint64_t, const store::StoreMsg&)>& fn) {
  MsgBlock* mb = nullptr;
  uint64_t mblseq = 0;
  store::StoreMsg sm;
  for (uint64_t seq = from; seq <= state.last.seq; ++seq) {
    for (;;) {
      if (!mb) {
        // The block holding seq, or the next one; its scan starts at its
        // first sequence.
        mb = SelectMsgBlock(seq);
        if (!mb) break;
        seq = mb->first.seq;
        mblseq = mb->last.seq;
      }
      // A block that counts none is skipped whole.
      if (mb->*count == 0) seq = mb->last.seq + 1;
      if (seq > mblseq) {
        // Past this block's end: on to the next one, if any.
        mb->TryForceExpireCache();
        mb = nullptr;
        if (seq <= state.last.seq) continue;
      }
      break;
    }
    if (!mb) {
      if (seq > state.last.seq) break;
      continue;
    }
    std::optional<filestore::RebuildResult> rebuilt;
    auto loaded = mb->LoadCache(&rebuilt);
    AfterBlockRebuild(mb, rebuilt);
    if (!loaded) continue;
    TouchCache(mb);
    if (auto found = mb->CacheLookup(seq, &sm); found && sm.hdr_len > 0) fn(seq, sm);
  }
}

// go: server/filestore.go:(*fileStore).writeTTLState
Result<void> FileStore::Impl::WriteTtlState() {
  if (!ttls) return {};
  const auto fn = dir / kMsgDir / kTtlStateFile;
  // Stamped with the sequence after the last: the wheel holds every TTL
  // below it.
  const std::vector<uint8_t> buf = ttls->Encode(state.last.seq + 1);
  return WriteFileWithOptionalSync(fn, buf, kDefaultFilePerms);
}

// go: server/filestore.go:(*fileStore).shouldProcessSdm
std::pair<bool, bool> FileStore::Impl::ShouldProcessSdm(uint64_t seq, const std::string& subj) {
  std::lock_guard lock(mu);
  return ShouldProcessSdmLocked(seq, subj);
}

// go: server/filestore.go:(*fileStore).shouldProcessSdmLocked
std::pair<bool, bool> FileStore::Impl::ShouldProcessSdmLocked(uint64_t seq, const std::string& subj) {
  auto subject_msgs = [&]() -> uint64_t {
    auto [psi, found] = psim.Find(subj);
    return found && psi ? psi->total : 0;
  };
  auto pending_for = [&]() -> uint64_t {
    const auto it = sdm.totals().find(subj);
    return it == sdm.totals().end() ? 0 : it->second;
  };

  if (auto it = sdm.pending().find(seq); it != sdm.pending().end()) {
    sched::SDMBySeq p = it->second;
    // Proposed recently: not again yet.
    if (NowNanos() - p.ts < kSdmRepropose) return {p.last, false};
    // It was the last of its subject; messages stored since make it not.
    if (p.last) {
      // Unsigned, as the counts are in the server.
      const uint64_t remaining = subject_msgs() - pending_for();
      if (remaining > 0) p.last = false;
    }
    it->second = sched::SDMBySeq{p.last, NowNanos()};
    return {p.last, true};
  }

  const uint64_t msgs = subject_msgs();
  if (msgs == 0) return {false, true};
  const uint64_t remaining = msgs - pending_for();
  return {sdm.TrackPending(seq, subj, remaining == 1), true};
}

// go: server/filestore.go:(*fileStore).handleRemovalOrSdm
void FileStore::Impl::HandleRemovalOrSdm(uint64_t seq, const std::string& subj, bool sdm_marker,
                                         int64_t sdm_ttl) {
  if (sdm_marker) {
    std::string hdr;
    hdr.reserve(128);
    hdr += headers::kHdrLine;
    hdr += std::string(headers::kJSMarkerReason) + ": " + std::string(kMarkerReasonMaxAge) + "\r\n";
    hdr += std::string(headers::kJSMessageTTL) + ": " + DurationSecondsString(sdm_ttl) + "\r\n";
    hdr += std::string(headers::kJSMsgRollup) + ": " + std::string(kMsgRollupSubject) + "\r\n";
    hdr += headers::kCrLf;
    InMsg msg;
    msg.subject = subj;
    msg.hdr.assign(hdr.begin(), hdr.end());
    ProcessJetStreamMsgHandler cb;
    {
      std::lock_guard lock(mu);
      cb = pmsgcb;
    }
    if (cb) cb(std::move(msg));
  } else {
    StorageRemoveMsgHandler cb;
    {
      std::lock_guard lock(mu);
      cb = rmcb;
    }
    if (cb) cb(seq);
  }
}

void FileStore::Impl::FireStorageUpdate(int64_t msgs, int64_t bytes, uint64_t seq,
                                        std::string_view subj) {
  if (!scb) return;
  // Called with mu held and kept held: the C++ callers walk the block list
  // by reference, which a store running meanwhile could reallocate. The
  // lock is recursive, so the callback may call back into the store.
  const std::string subject(subj);
  scb(msgs, bytes, seq, subject);
}

// go: server/filestore.go:(*fileStore).RegisterStorageUpdates
void FileStore::RegisterStorageUpdates(StorageUpdateHandler cb) {
  std::lock_guard lock(impl_->mu);
  impl_->scb = std::move(cb);
}

// go: server/filestore.go:(*fileStore).RegisterStorageRemoveMsg
void FileStore::RegisterStorageRemoveMsg(StorageRemoveMsgHandler cb) {
  std::lock_guard lock(impl_->mu);
  impl_->rmcb = std::move(cb);
}

// go: server/filestore.go:(*fileStore).RegisterProcessJetStreamMsg
void FileStore::RegisterProcessJetStreamMsg(ProcessJetStreamMsgHandler cb) {
  std::lock_guard lock(impl_->mu);
  impl_->pmsgcb = std::move(cb);
}

}  // namespace natscpp::store
