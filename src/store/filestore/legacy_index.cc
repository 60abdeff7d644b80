#include "filestore/legacy_index.h"

#include <algorithm>
#include <string>
#include <utility>

#include "avl/seqset.h"
#include "util/filestore_constants.h"
#include "util/varint.h"

namespace natscpp::store::filestore {

namespace {

std::unexpected<Error> Corrupt(std::string what) {
  return MakeError(ErrorCode::kCorrupt, "legacy index file: " + std::move(what));
}

}  // namespace

// go: server/filestore.go:checkNewHeader
bool IsLegacyIndexHeader(std::span<const uint8_t> buf) {
  return buf.size() >= 2 && buf[0] == kLegacyIndexMagic &&
         (buf[1] == kLegacyIndexVersion || buf[1] == kLegacyIndexNewVersion);
}

// go: server/filestore.go:(*msgBlock).readIndexInfo
Result<void> ReadLegacyIndexInto(std::span<const uint8_t> file, const crypto::Aead* aek,
                                 std::span<const uint8_t> nonce, LegacyIndex& idx) {
  std::vector<uint8_t> plain;
  std::span<const uint8_t> buf = file;
  if (aek != nullptr) {
    if (nonce.size() != aek->NonceSize()) {
      return MakeError(ErrorCode::kCrypto, "legacy index file: block nonce has " +
                                               std::to_string(nonce.size()) + " bytes, cipher needs " +
                                               std::to_string(aek->NonceSize()));
    }
    auto opened = aek->Open(nonce, file);
    if (!opened) {
      return MakeError(ErrorCode::kCrypto,
                       "legacy index file: cannot decrypt: " + opened.error().message());
    }
    plain = std::move(*opened);
    buf = plain;
  }

  if (!IsLegacyIndexHeader(buf)) return Corrupt("bad index file");
  idx.version = buf[1];

  // Every unsigned field goes through the same reader, which clears ebit;
  // the first failure makes it return 0 from then on.
  size_t pos = 2;
  bool ok = true;
  auto read_seq = [&]() -> uint64_t {
    if (!ok) return 0;
    const auto r = util::ReadUvarint(buf.subspan(pos));
    if (r.n <= 0) {
      ok = false;
      return 0;
    }
    pos += static_cast<size_t>(r.n);
    return r.value & ~kEraseBit;
  };
  auto read_ts = [&]() -> int64_t {
    if (!ok) return 0;
    const auto r = util::ReadVarint(buf.subspan(pos));
    if (r.n <= 0) {
      ok = false;
      return -1;
    }
    pos += static_cast<size_t>(r.n);
    return r.value;
  };

  idx.msgs = read_seq();
  idx.bytes = read_seq();
  idx.first_seq = read_seq();
  idx.first_ts = read_ts();
  idx.last_seq = read_seq();
  idx.last_ts = read_ts();
  idx.dmap_len = read_seq();
  if (!ok || buf.size() - pos < idx.last_checksum.size()) return Corrupt("short index file");
  // Unsigned arithmetic wraps exactly as the server's does.
  if (idx.msgs != (idx.last_seq - idx.first_seq + 1) - idx.dmap_len) {
    return Corrupt("accounting inconsistent");
  }
  std::copy_n(buf.begin() + static_cast<std::ptrdiff_t>(pos), idx.last_checksum.size(),
              idx.last_checksum.begin());
  pos += idx.last_checksum.size();

  if (idx.dmap_len > 0) {
    if (idx.version == kLegacyIndexNewVersion) {
      auto dmap = avl::Decode(buf.subspan(pos));
      if (!dmap) {
        return MakeError(ErrorCode::kBadEncoding,
                         "legacy index file: could not decode avl dmap: " + dmap.error().message());
      }
      dmap->set.Range([&](uint64_t seq) {
        idx.deleted.push_back(seq);
        return true;
      });
    } else {
      // Offsets from the first sequence; a 0 (or the end of the file) ends
      // the list early, leaving the entries read so far.
      for (uint64_t i = 0; i < idx.dmap_len; ++i) {
        const uint64_t off = read_seq();
        if (off == 0) break;
        idx.deleted.push_back(off + idx.first_seq);
      }
      std::sort(idx.deleted.begin(), idx.deleted.end());
      idx.deleted.erase(std::unique(idx.deleted.begin(), idx.deleted.end()), idx.deleted.end());
    }
  }
  return {};
}

Result<LegacyIndex> DecodeLegacyIndex(std::span<const uint8_t> file, const crypto::Aead* aek,
                                      std::span<const uint8_t> nonce) {
  LegacyIndex idx;
  if (auto r = ReadLegacyIndexInto(file, aek, nonce, idx); !r) return std::unexpected(r.error());
  return idx;
}

}  // namespace natscpp::store::filestore
