// Rewriting a block with fewer records: without its deleted messages and
// stale tombstones (compaction), or without the records before a sequence
// (Compact's head reclaim).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "filestore/interior_deletes.h"
#include "filestore/msg_block.h"
#include "filestore/record.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore {

namespace {
// Below this a block is not compacted during a removal (Go: compactMinimum).
constexpr uint64_t kCompactMinimum = 2 * 1024 * 1024;
}  // namespace

// go: server/filestore.go:(*msgBlock).shouldCompactInline
bool MsgBlock::ShouldCompactInline() const {
  // A block compacted before must have lost half again since then, or every
  // removal would rewrite it.
  return rbytes > kCompactMinimum && bytes * 2 < rbytes && (cbytes == 0 || bytes * 2 < cbytes);
}

// go: server/filestore.go:(*msgBlock).shouldCompactSync
bool MsgBlock::ShouldCompactSync() const { return bytes * 2 < rbytes && !no_compact; }

// go: server/filestore.go:(*msgBlock).compactWithFloor
Result<void> MsgBlock::CompactWithFloor(uint64_t floor, InteriorDeletes* interior) {
  if (auto r = FlushPending(); !r) return r;
  if (auto r = LoadCache(nullptr); !r) return r;
  const std::vector<uint8_t>& buf = cache_->buf;
  std::vector<uint8_t> nbuf;
  nbuf.reserve(buf.size());

  const uint64_t fseq = first.seq;
  const uint64_t lseq = last.seq;
  bool first_set = false;
  uint64_t nlast = 0;
  uint64_t kept_msgs = 0;
  for (size_t index = 0; index < buf.size();) {
    // The same sanity checks as a rebuild; a block failing them is left
    // alone for the reader that will report it.
    auto rec = ParseRecord(std::span<const uint8_t>(buf).subspan(index), hkey_, false, false);
    if (!rec) return std::unexpected(rec.error());
    const uint8_t* raw = buf.data() + index;
    const uint32_t rl = rec->length;
    const uint64_t seq = rec->seq;
    if (rec->erased) {
      // Erased messages and skip placeholders go.
    } else if (rec->tombstone) {
      // A tombstone for an earlier block stays while it may still hide
      // one of that block's messages: at or above the floor and, when the
      // live delete maps are given, still marked deleted there.
      if (seq < fseq && seq >= floor && (interior == nullptr || interior->Exists(seq))) {
        nbuf.insert(nbuf.end(), raw, raw + rl);
      }
    } else if (seq != 0 && seq >= fseq && !dmap.Exists(seq)) {
      ++kept_msgs;
      nbuf.insert(nbuf.end(), raw, raw + rl);
      if (!first_set) {
        first_set = true;
        first.seq = seq;
      }
      if (seq >= nlast) {
        nlast = seq;
        last = {seq, rec->ts};
      }
    }
    index += rl;
  }

  const uint64_t old_rbytes = rbytes;
  // An emptied block is written empty, neither compressed nor encrypted.
  if (auto r = AtomicOverwrite(nbuf, !nbuf.empty()); !r) return r;
  if (rbytes == old_rbytes) {
    // Nothing freed: the sync pass stops trying until the block changes.
    no_compact = true;
  }
  cbytes = bytes;

  // Sequences that left the head or the tail of the block leave the
  // delete map with them.
  for (uint64_t seq = fseq; seq < first.seq; ++seq) dmap.Delete(seq);
  for (uint64_t seq = lseq; seq > last.seq; --seq) dmap.Delete(seq);
  if (kept_msgs == 0) {
    // Only tombstones (or nothing) remain.
    last = {fseq - 1, 0};
    dmap.Empty();
  }
  cache_.reset();
  return {};
}

Result<bool> MsgBlock::CutHeadBefore(uint64_t seq) {
  if (auto r = FlushPending(); !r) return std::unexpected(r.error());
  if (auto r = LoadCache(nullptr); !r) return std::unexpected(r.error());
  if (seq < cache_->fseq || seq - cache_->fseq >= cache_->idx.size()) return false;
  const uint32_t entry = cache_->idx[static_cast<size_t>(seq - cache_->fseq)];
  if (entry & kDeletedBit) return false;
  const size_t moff = entry & ~(kCheckedBit | kDeletedBit);
  if (moff >= cache_->buf.size()) return false;
  const bool compress = CompressedOnDisk();
  const std::vector<uint8_t> rest(cache_->buf.begin() + static_cast<ptrdiff_t>(moff), cache_->buf.end());
  CloseFd();
  std::vector<uint8_t> out;
  if (compress && env_->compression != s2::StoreCompression::kNone && !rest.empty()) {
    auto body = s2::Compress(env_->compression, rest);
    if (!body) return std::unexpected(body.error());
    s2::CompressionInfo meta{env_->compression, rest.size()};
    out = meta.MarshalMetadata();
    out.insert(out.end(), body->begin(), body->end());
  } else {
    out = rest;
  }
  if (keys_ && !plaintext_override_ && !out.empty()) {
    auto bek = FreshBlockStream();
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(out); !r) return std::unexpected(r.error());
  }
  // Written beside the block as <N>.new, then renamed over it.
  const auto tmp = env_->msgs_dir / (std::to_string(index_) + ".new");
  {
    UniqueFd fd(::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, kDefaultFilePerms));
    if (!fd) return std::unexpected(IoError(tmp, "create", errno));
    for (size_t off = 0; off < out.size();) {
      const ssize_t n = ::write(fd.get(), out.data() + off, out.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        return std::unexpected(IoError(tmp, "write", errno));
      }
      off += static_cast<size_t>(n);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, mfn_, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(IoError(mfn_, "replace", ec.value()));
  }
  fss_.reset();
  cache_.reset();
  rbytes = out.size();
  valid_len_.reset();
  compressed_on_disk_ = compress && env_->compression != s2::StoreCompression::kNone && !rest.empty();
  return true;
}

}  // namespace natscpp::store::filestore
