#include "natscpp/store/state_codec.h"

#include <chrono>
#include <cmath>

#include "api/seqset_delete_block.h"
#include "avl/seqset.h"
#include "util/filestore_constants.h"
#include "util/varint.h"

namespace natscpp::store {
namespace {

using util::ReadUvarint;
using util::ReadVarint;

// Reads varints front to back; after the first failure every read returns
// 0 and failed() stays true, so a decoder checks once per section.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> buf, size_t pos) : buf_(buf), pos_(pos) {}

  uint64_t U64() {
    if (failed_ || pos_ >= buf_.size()) {
      failed_ = true;
      return 0;
    }
    const auto r = ReadUvarint(buf_.subspan(pos_));
    if (r.n <= 0) {
      failed_ = true;
      return 0;
    }
    pos_ += static_cast<size_t>(r.n);
    return r.value;
  }

  int64_t I64() {
    if (failed_ || pos_ >= buf_.size()) {
      failed_ = true;
      return 0;
    }
    const auto r = ReadVarint(buf_.subspan(pos_));
    if (r.n <= 0) {
      failed_ = true;
      return 0;
    }
    pos_ += static_cast<size_t>(r.n);
    return r.value;
  }

  bool failed() const { return failed_; }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }

 private:
  std::span<const uint8_t> buf_;
  size_t pos_;
  bool failed_ = false;
};

constexpr int64_t kNanosPerSecond = 1'000'000'000;

int64_t NowRoundedToSecond() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  // Go's Time.Round(time.Second): halfway values round up.
  return (ns + kNanosPerSecond / 2) / kNanosPerSecond;
}

}  // namespace

std::vector<uint8_t> EncodeConsumerState(const ConsumerState& state) {
  return EncodeConsumerState(state, NowRoundedToSecond());
}

// go: server/store.go:encodeConsumerState
std::vector<uint8_t> EncodeConsumerState(const ConsumerState& state, int64_t now_unix_seconds) {
  std::vector<uint8_t> buf;
  buf.reserve(kHdrLen + 6 * util::kMaxVarintLen64 + state.pending.size() * 3 * util::kMaxVarintLen64 +
              state.redelivered.size() * 2 * util::kMaxVarintLen64);
  buf.push_back(kFileStoreMagic);
  buf.push_back(2);
  util::AppendUvarint(buf, state.ack_floor.consumer);
  util::AppendUvarint(buf, state.ack_floor.stream);
  util::AppendUvarint(buf, state.delivered.consumer);
  util::AppendUvarint(buf, state.delivered.stream);
  util::AppendUvarint(buf, state.pending.size());

  // Sequences are stored relative to the ack floors, pending times in
  // seconds relative to the encoding time: small numbers, short varints.
  const uint64_t stream_floor = state.ack_floor.stream;
  const uint64_t consumer_floor = state.ack_floor.consumer;
  if (!state.pending.empty()) {
    util::AppendVarint(buf, now_unix_seconds);
    for (const auto& [sseq, p] : state.pending) {
      util::AppendUvarint(buf, sseq - stream_floor);
      util::AppendUvarint(buf, p.sequence - consumer_floor);
      util::AppendVarint(buf, now_unix_seconds - p.timestamp / kNanosPerSecond);
    }
  }
  // The redelivered count is always written, even when zero.
  util::AppendUvarint(buf, state.redelivered.size());
  for (const auto& [sseq, count] : state.redelivered) {
    util::AppendUvarint(buf, sseq - stream_floor);
    util::AppendUvarint(buf, count);
  }
  return buf;
}

// go: server/filestore.go:checkConsumerHeader
Result<uint8_t> CheckConsumerHeader(std::span<const uint8_t> hdr) {
  if (hdr.size() < 2 || hdr[0] != kFileStoreMagic) {
    return MakeError(ErrorCode::kCorrupt, "consumer state: bad header");
  }
  if (hdr[1] == 1 || hdr[1] == 2) return hdr[1];
  return MakeError(ErrorCode::kUnsupported, "consumer state: unsupported version: " + std::to_string(hdr[1]));
}

// go: server/filestore.go:decodeConsumerState
Result<ConsumerState> DecodeConsumerState(std::span<const uint8_t> buf) {
  auto version = CheckConsumerHeader(buf);
  if (!version) return std::unexpected(version.error());
  const auto corrupt = [](std::string_view what) {
    return MakeError(ErrorCode::kCorrupt, "consumer state: " + std::string(what));
  };
  Reader r(buf, kHdrLen);
  ConsumerState state;
  state.ack_floor.consumer = r.U64();
  state.ack_floor.stream = r.U64();
  state.delivered.consumer = r.U64();
  state.delivered.stream = r.U64();
  if (r.failed()) return corrupt("truncated sequences");
  if (*version == 1) {
    // Version 1 stored delivered as the next to deliver, relative to the
    // ack floor.
    if (state.ack_floor.consumer > 1) state.delivered.consumer += state.ack_floor.consumer - 1;
    if (state.ack_floor.stream > 1) state.delivered.stream += state.ack_floor.stream - 1;
  }
  // A sequence with the top bit set would make the consumer roll backwards.
  constexpr uint64_t kHighBit = 1ull << 63;
  if ((state.ack_floor.stream & kHighBit) != 0 || (state.delivered.stream & kHighBit) != 0) {
    return corrupt("sequence out of range");
  }

  if (const uint64_t num_pending = r.U64(); num_pending > 0) {
    const int64_t mints = r.I64();
    for (uint64_t i = 0; i < num_pending; ++i) {
      uint64_t sseq = r.U64();
      uint64_t dseq = 0;
      if (*version == 2) dseq = r.U64();
      int64_t ts = r.I64();
      if (r.failed()) return corrupt("truncated pending entry");
      sseq += state.ack_floor.stream;
      if (sseq == 0) return corrupt("pending sequence 0");
      if (*version == 2) dseq += state.ack_floor.consumer;
      ts = *version == 1 ? (ts + mints) * kNanosPerSecond : (mints - ts) * kNanosPerSecond;
      state.pending[sseq] = Pending{dseq, ts};
    }
  }
  if (const uint64_t num_redelivered = r.U64(); num_redelivered > 0) {
    for (uint64_t i = 0; i < num_redelivered; ++i) {
      uint64_t seq = r.U64();
      const uint64_t count = r.U64();
      // Like Go, a short or zero entry is dropped rather than failing the
      // whole state (the counts are advisory).
      if (seq > 0 && count > 0) {
        seq += state.ack_floor.stream;
        state.redelivered[seq] = count;
      }
      if (r.failed()) break;
    }
  }
  return state;
}

// go: server/store.go:IsEncodedStreamState
bool IsEncodedStreamState(std::span<const uint8_t> buf) {
  return buf.size() >= kHdrLen && buf[0] == kStreamStateMagic && buf[1] == kStreamStateVersion;
}

// go: server/store.go:DecodeStreamState
Result<StreamReplicatedState> DecodeStreamState(std::span<const uint8_t> buf) {
  if (!IsEncodedStreamState(buf)) return MakeError(ErrorCode::kBadEncoding, "bad stream state encoding");
  const auto corrupt = [] { return MakeError(ErrorCode::kCorruptStreamState, "stream state snapshot is corrupt"); };
  Reader r(buf, kHdrLen);
  StreamReplicatedState ss;
  ss.msgs = r.U64();
  ss.bytes = r.U64();
  ss.first_seq = r.U64();
  ss.last_seq = r.U64();
  ss.failed = r.U64();
  if (r.failed()) return corrupt();
  if (r.U64() > 0) {
    while (r.pos() < buf.size()) {
      switch (buf[r.pos()]) {
        case kSeqSetMagic: {
          auto decoded = avl::Decode(buf.subspan(r.pos()));
          if (!decoded) return corrupt();
          r.Skip(decoded->consumed);
          ss.deleted.push_back(std::make_unique<SeqSetDeleteBlock>(std::move(decoded->set)));
          break;
        }
        case kRunLengthMagic: {
          r.Skip(1);
          const uint64_t first = r.U64();
          const uint64_t num = r.U64();
          if (r.failed()) return corrupt();
          ss.deleted.push_back(std::make_unique<DeleteRange>(first, num));
          break;
        }
        default:
          return corrupt();
      }
    }
  }
  return ss;
}

// go: server/store.go:runLengthEncodeLen
size_t RunLengthEncodeLen(uint64_t first, uint64_t num) {
  return 1 + util::UvarintLen(first) + util::UvarintLen(num);
}

// go: server/store.go:appendRunLength
void AppendRunLength(std::vector<uint8_t>& out, uint64_t first, uint64_t num) {
  out.push_back(kRunLengthMagic);
  util::AppendUvarint(out, first);
  util::AppendUvarint(out, num);
}

}  // namespace natscpp::store
