#include "filestore/record.h"

#include <algorithm>
#include <array>
#include <string>

#include "util/filestore_constants.h"

namespace natscpp::store::filestore {
namespace {

uint64_t LoadLe(std::span<const uint8_t> b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[off + i]) << (8 * i);
  return v;
}

void StoreLe(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

// Follows fileStore.hashKeyForBlock and the key set-up of initMsgBlock: the
// key is the SHA-256 of the block's name, not the name itself.
crypto::HashKey BlockHashKey(std::string_view stream, uint64_t index) {
  std::string name(stream);
  name += '-';
  name += std::to_string(index);
  return crypto::HashKeyFromString(name);
}

// The checks are the union of those in msgBlock.msgFromBufEx and
// rebuildStateFromBufLocked, in their order: lengths first, then the
// checksum, then the header length (which the checksum does not cover).
Result<RecordView> ParseRecord(std::span<const uint8_t> buf, const crypto::HashKey& key,
                               bool verify_checksum, bool split_headers) {
  if (buf.size() < kMsgHdrSize) {
    return MakeError(ErrorCode::kCorrupt, "short record header (" + std::to_string(buf.size()) +
                                              " bytes, need " + std::to_string(kMsgHdrSize) + ")");
  }
  const uint32_t raw_rl = static_cast<uint32_t>(LoadLe(buf, 0, 4));
  const bool has_headers = (raw_rl & kHeaderBit) != 0;
  const uint32_t rl = raw_rl & ~kHeaderBit;
  const size_t slen = static_cast<size_t>(LoadLe(buf, 20, 2));
  if (rl < kEmptyRecordLen || rl > kRecordLenBadThreshold) {
    return MakeError(ErrorCode::kCorrupt, "bad record length " + std::to_string(rl));
  }
  // rl >= 30, so dlen - 8 cannot underflow.
  const size_t body = rl - kMsgHdrSize - kRecordHashSize;  // subject [+hlen+hdr] + payload
  const size_t shlen = slen + (has_headers ? 4 : 0);
  if (shlen > body) {
    return MakeError(ErrorCode::kCorrupt, "subject/header length " + std::to_string(shlen) +
                                              " overruns record of length " + std::to_string(rl));
  }
  if (rl > buf.size()) {
    return MakeError(ErrorCode::kCorrupt, "record of length " + std::to_string(rl) +
                                              " runs past the buffer (" +
                                              std::to_string(buf.size()) + " bytes)");
  }

  const auto rec = buf.first(rl);
  const auto seq_ts = rec.subspan(4, 16);
  RecordView v;
  v.length = rl;
  v.has_headers = has_headers;
  v.subject = rec.subspan(kMsgHdrSize, slen);
  // Header bytes and payload are contiguous; the checksum covers them as one.
  const size_t content_off = kMsgHdrSize + shlen;
  const auto content = rec.subspan(content_off, body - shlen);
  v.checksum = crypto::GetHash64(rec.last<kRecordHashSize>());
  if (verify_checksum &&
      crypto::HighwayHash64Sum(key, {seq_ts, v.subject, content}) != v.checksum) {
    return MakeError(ErrorCode::kCorrupt, "invalid checksum");
  }
  if (has_headers && split_headers) {
    const size_t hlen = static_cast<size_t>(LoadLe(rec, kMsgHdrSize + slen, 4));
    if (hlen > content.size()) {
      return MakeError(ErrorCode::kCorrupt, "header length " + std::to_string(hlen) +
                                                " overruns record of length " + std::to_string(rl));
    }
    v.hdr = content.first(hlen);
    v.msg = content.subspan(hlen);
  } else {
    v.msg = content;
  }
  const uint64_t raw_seq = LoadLe(rec, 4, 8);
  v.erased = (raw_seq & kEraseBit) != 0;
  v.tombstone = (raw_seq & kTombstoneBit) != 0;
  v.seq = raw_seq & ~(kEraseBit | kTombstoneBit);
  v.ts = static_cast<int64_t>(LoadLe(rec, 12, 8));
  return v;
}

// The byte layout of msgBlock.writeMsgRecordLocked.
void AppendRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq_with_flags,
                  int64_t ts, std::string_view subject, std::span<const uint8_t> hdr,
                  std::span<const uint8_t> msg) {
  const bool has_headers = !hdr.empty();
  const size_t rl = kMsgHdrSize + subject.size() + (has_headers ? 4 + hdr.size() : 0) +
                    msg.size() + kRecordHashSize;
  const size_t start = out.size();
  out.resize(start + kMsgHdrSize);
  uint8_t* h = out.data() + start;
  uint32_t l = static_cast<uint32_t>(rl);
  if (has_headers) l |= kHeaderBit;
  StoreLe(h, l, 4);
  StoreLe(h + 4, seq_with_flags, 8);
  StoreLe(h + 12, static_cast<uint64_t>(ts), 8);
  StoreLe(h + 20, static_cast<uint16_t>(subject.size()), 2);
  std::array<uint8_t, 16> seq_ts{};
  std::copy(h + 4, h + 20, seq_ts.begin());

  const auto subj = Bytes(subject);
  out.insert(out.end(), subj.begin(), subj.end());
  if (has_headers) {
    uint8_t hl[4];
    StoreLe(hl, static_cast<uint32_t>(hdr.size()), 4);
    out.insert(out.end(), hl, hl + 4);
    out.insert(out.end(), hdr.begin(), hdr.end());
  }
  out.insert(out.end(), msg.begin(), msg.end());
  crypto::Hash64Bytes sum{};
  crypto::PutHash64(crypto::HighwayHash64Sum(key, {seq_ts, subj, hdr, msg}), sum);
  out.insert(out.end(), sum.begin(), sum.end());
}

// The record msgBlock.skipMsg writes: no subject, no payload, ebit set.
void AppendSkipRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq,
                      int64_t ts) {
  AppendRecord(out, key, seq | kEraseBit, ts, {}, {}, {});
}

// The record msgBlock.writeTombstone writes: no subject, no payload, tbit set.
void AppendTombstoneRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq,
                           int64_t ts) {
  AppendRecord(out, key, seq | kTombstoneBit, ts, {}, {}, {});
}

}  // namespace natscpp::store::filestore
