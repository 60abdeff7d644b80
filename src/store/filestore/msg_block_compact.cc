// Rewriting a block without the records before a sequence (Compact's
// head reclaim).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "filestore/msg_block.h"
#include "filestore/record.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore {

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
