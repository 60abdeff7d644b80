// Cutting a block back to a sequence: the records after it leave the file
// (a plain block is truncated in place; a compressed or encrypted one is
// rewritten whole, uncompressed, with the keystream from the start so the
// bytes kept stay as they were), and the block's counts, checksum and
// per-subject state follow.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "filestore/msg_block.h"
#include "filestore/record.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"

namespace natscpp::store::filestore {

// go: server/filestore.go:(*msgBlock).truncate
Result<MsgBlock::Truncated> MsgBlock::Truncate(uint64_t tseq, int64_t ts,
                                               std::optional<RebuildResult>* rebuilt) {
  if (auto r = EnableForWriting(); !r) return std::unexpected(r.error());
  // Buffered records go to the file first, so the cache and the file agree.
  if (auto r = FlushPending(); !r) return std::unexpected(r.error());
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());

  // The new end of the file: where the record after tseq's slot starts
  // (tombstones between them stay), or the end of the buffer.
  const auto partial = [this](std::string why) {
    return MakeError(ErrorCode::kCorrupt, FileName() + ": partial cache: " + why);
  };
  if (tseq < cache_->fseq) return partial("slot below the cache");
  const size_t slot = static_cast<size_t>(tseq - cache_->fseq);
  if (slot >= cache_->idx.size()) return partial("slot past the cache index");
  const uint32_t bi = cache_->idx[slot];
  if (bi == kDeletedBit) return MakeError(ErrorCode::kStoreMsgNotFound, "deleted message");
  const uint64_t ri = bi & ~kCheckedBit;
  uint64_t rl = 0;
  for (size_t i = slot + 1; i < cache_->idx.size(); ++i) {
    const uint32_t ni = cache_->idx[i] & ~kCheckedBit;
    if (ni == kDeletedBit) continue;
    rl = ni - ri;
    break;
  }
  if (rl == 0) rl = cache_->buf.size() - ri;
  if (rl < kMsgHdrSize) {
    return MakeError(ErrorCode::kCorrupt,
                     FileName() + ": length too short for slot " + std::to_string(slot));
  }
  const uint64_t eof = ri + rl;

  // Take the messages after tseq out of the counts.
  Truncated out;
  bool check_dmap = !dmap.IsEmpty();
  StoreMsg sm;
  for (uint64_t seq = last.seq; seq > tseq; --seq) {
    if (check_dmap && dmap.Exists(seq)) {
      dmap.Delete(seq);
      check_dmap = !dmap.IsEmpty();
      continue;
    }
    if (auto m = CacheLookup(seq, &sm); m && msgs > 0) {
      uint64_t sz = FileStoreMsgSize(sm.subject, sm.hdr_len, sm.buf.size() - sm.hdr_len);
      --msgs;
      sz = std::min(sz, bytes);
      bytes -= sz;
      rbytes -= std::min(sz, rbytes);
      ++out.msgs;
      out.bytes += sz;
    }
  }
  const uint64_t kept_rbytes = rbytes;

  if (CompressedOnDisk() || (keys_ && !plaintext_override_)) {
    auto buf = LoadPlaintext();
    if (!buf) {
      return MakeError(buf.error().code(),
                       "failed to load block from disk: " + buf.error().message());
    }
    if (eof > buf->size() || eof < kChecksumSize) return partial("end past the block");
    buf->resize(static_cast<size_t>(eof));
    std::copy(buf->end() - kChecksumSize, buf->end(), lchk.begin());
    // Left uncompressed: this is the write block, which appends plain
    // records.
    if (auto r = AtomicOverwrite(*buf, false); !r) return std::unexpected(r.error());
    rbytes = kept_rbytes;
  } else if (writer_) {
    const int fd = writer_->fd.get();
    if (::ftruncate(fd, static_cast<off_t>(eof)) != 0) {
      return std::unexpected(IoError(mfn_, "truncate", errno));
    }
    if (::fsync(fd) != 0) return std::unexpected(IoError(mfn_, "sync", errno));
    writer_->wp = eof;
    need_sync_ = false;
    valid_len_.reset();
    std::array<uint8_t, 8> sum{};
    const off_t at = static_cast<off_t>(eof) - static_cast<off_t>(sum.size());
    if (at < 0 || ::pread(fd, sum.data(), sum.size(), at) != static_cast<ssize_t>(sum.size())) {
      return std::unexpected(IoError(mfn_, "read checksum", errno));
    }
    lchk = sum;
  } else {
    return MakeError(ErrorCode::kIo, "failed to truncate msg block " + std::to_string(index_) +
                                         ", file not open");
  }

  last = {tseq, ts};
  // The cache and the per-subject state are rebuilt from what is left.
  cache_.reset();
  fss_.reset();
  if (auto r = EnsurePerSubjectInfo(rebuilt); !r) return std::unexpected(r.error());
  if (auto r = LoadCache(rebuilt); !r) return std::unexpected(r.error());
  return out;
}

// go: server/filestore.go:(*msgBlock).tombsLocked
std::vector<MsgId> MsgBlock::Tombstones() {
  std::vector<MsgId> out;
  if (!cache_ && !LoadCache(nullptr)) return out;
  if (!cache_) return out;
  const std::span<const uint8_t> buf(cache_->buf);
  for (size_t index = 0; index + kMsgHdrSize <= buf.size();) {
    auto rec = ParseRecord(buf.subspan(index), hkey_, false, false);
    if (!rec) break;
    if (rec->tombstone) out.push_back({rec->seq, rec->ts});
    index += rec->length;
  }
  return out;
}

}  // namespace natscpp::store::filestore
