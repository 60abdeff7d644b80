#include "filestore/index_db.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "crypto/highwayhash.h"
#include "subject/subject.h"
#include "util/varint.h"

namespace natscpp::store::filestore {

namespace {

// Sequential reader with the server's failure convention: the first bad
// varint poisons the reader, later reads return 0, and the caller checks
// ok() at the points where the server checks.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> buf, size_t pos) : buf_(buf), pos_(pos) {}

  uint64_t U64() {
    if (!ok_) return 0;
    const auto r = util::ReadUvarint(buf_.subspan(pos_));
    if (r.n <= 0) {
      ok_ = false;
      return 0;
    }
    pos_ += static_cast<size_t>(r.n);
    return r.value;
  }
  int64_t I64() {
    if (!ok_) return 0;
    const auto r = util::ReadVarint(buf_.subspan(pos_));
    if (r.n <= 0) {
      ok_ = false;
      return 0;
    }
    pos_ += static_cast<size_t>(r.n);
    return r.value;
  }
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }
  std::span<const uint8_t> rest() const { return buf_.subspan(pos_); }
  void Skip(size_t n) { pos_ += n; }

 private:
  std::span<const uint8_t> buf_;
  size_t pos_;
  bool ok_ = true;
};

std::unexpected<Error> Corrupt(std::string what) {
  return MakeError(ErrorCode::kCorruptStreamState, "index.db: " + std::move(what));
}

// Go adds int64 timestamps with wrap-around; do the same without UB.
int64_t AddWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

int64_t SubWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace

// go: server/filestore.go:timestampNormalized
int64_t TimestampNormalized(const GoTime& t) {
  if (t.IsZero()) return 0;
  // Go's UnixNano is sec*1e9 + nsec in wrapping int64 arithmetic; do the
  // same (GoTime::UnixNanos saturates instead).
  return static_cast<int64_t>(static_cast<uint64_t>(t.unix_sec) * 1'000'000'000u +
                              static_cast<uint64_t>(static_cast<int64_t>(t.nsec)));
}

FullStateEncoder::FullStateEncoder(const FullState& totals, uint64_t num_subjects, size_t reserve)
    : base_time_(totals.first_ts) {
  buf_.reserve(std::max(reserve, size_t{2 + 8 * util::kMaxVarintLen64}));
  buf_.push_back(kFullStateMagic);
  buf_.push_back(kFullStateVersion);
  util::AppendUvarint(buf_, totals.msgs);
  util::AppendUvarint(buf_, totals.bytes);
  util::AppendUvarint(buf_, totals.first_seq);
  util::AppendVarint(buf_, totals.first_ts);
  util::AppendUvarint(buf_, totals.last_seq);
  util::AppendVarint(buf_, totals.last_ts);
  util::AppendUvarint(buf_, num_subjects);
}

Result<void> FullStateEncoder::AddSubject(std::string_view subject, uint64_t total, uint32_t first_block,
                                          uint32_t last_block) {
  if (subject.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "index.db: empty subject in subject index");
  }
  util::AppendUvarint(buf_, subject.size());
  buf_.insert(buf_.end(), subject.begin(), subject.end());
  util::AppendUvarint(buf_, total);
  util::AppendUvarint(buf_, first_block);
  util::AppendUvarint(buf_, last_block);  // version 4 writes it for every subject
  return {};
}

void FullStateEncoder::BeginBlocks(uint64_t num_blocks) { util::AppendUvarint(buf_, num_blocks); }

void FullStateEncoder::AddBlock(uint32_t index, uint64_t bytes, uint64_t first_seq, int64_t first_ts,
                                uint64_t last_seq, int64_t last_ts, uint64_t ttls, uint64_t schedules,
                                const avl::SequenceSet& deleted) {
  util::AppendUvarint(buf_, index);
  util::AppendUvarint(buf_, bytes);
  util::AppendUvarint(buf_, first_seq);
  // Block times are relative to the stream's first time, which is 0 for a
  // zero time (the block times then stay absolute).
  util::AppendVarint(buf_, SubWrap(first_ts, base_time_));
  util::AppendUvarint(buf_, last_seq);
  util::AppendVarint(buf_, SubWrap(last_ts, base_time_));
  const uint64_t num_deleted = deleted.Size();
  util::AppendUvarint(buf_, num_deleted);
  util::AppendUvarint(buf_, ttls);
  util::AppendUvarint(buf_, schedules);
  if (num_deleted > 0) {
    scratch_ = deleted.Encode(std::move(scratch_));
    buf_.insert(buf_.end(), scratch_.begin(), scratch_.end());
  }
}

Result<std::vector<uint8_t>> FullStateEncoder::Finish(uint32_t last_block_index,
                                                      const std::array<uint8_t, 8>& last_checksum,
                                                      std::string_view stream, const crypto::Aead* aek) && {
  util::AppendUvarint(buf_, last_block_index);
  buf_.insert(buf_.end(), last_checksum.begin(), last_checksum.end());
  std::vector<uint8_t> buf = std::move(buf_);
  if (aek != nullptr) {
    auto sealed = crypto::SealWithRandomNonce(*aek, buf);
    if (!sealed) {
      return MakeError(ErrorCode::kCrypto,
                       "index.db: cannot encrypt stream state: " + sealed.error().message());
    }
    buf = std::move(*sealed);
  }
  std::array<uint8_t, crypto::kHighwayHash64Size> trailer;
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(stream), buf), trailer);
  buf.insert(buf.end(), trailer.begin(), trailer.end());
  return buf;
}

// The layout half of the server's fileStore._writeFullState (which also
// takes the locks, skips high-cardinality states, checks the tracking state
// and writes the file: the store's job). Byte for byte what it writes for
// the same state; only the nonce of a sealed body differs.
Result<std::vector<uint8_t>> EncodeFullState(const FullState& state, std::string_view stream,
                                             const crypto::Aead* aek) {
  // An upper bound, so the body is allocated once (the server guesses the
  // dmaps from earlier runs; their exact sizes are cheap to get here).
  size_t subject_bytes = 0;
  for (const auto& s : state.subjects) subject_bytes += s.subject.size();
  size_t want = 2 + 7 * util::kMaxVarintLen64 + subject_bytes +
                state.subjects.size() * 4 * util::kMaxVarintLen64 + util::kMaxVarintLen64 +
                state.blocks.size() * 9 * util::kMaxVarintLen64 + util::kMaxVarintLen64 +
                2 * crypto::kHighwayHash64Size;
  for (const auto& b : state.blocks) {
    if (!b.deleted.IsEmpty()) want += b.deleted.EncodeLen();
  }
  FullStateEncoder enc(state, state.subjects.size(), want);
  for (const auto& s : state.subjects) {
    if (auto r = enc.AddSubject(s.subject, s.total, s.first_block, s.last_block); !r) {
      return std::unexpected(r.error());
    }
  }
  enc.BeginBlocks(state.blocks.size());
  for (const auto& b : state.blocks) {
    enc.AddBlock(b.index, b.bytes, b.first_seq, b.first_ts, b.last_seq, b.last_ts, b.ttls, b.schedules,
                 b.deleted);
  }
  return std::move(enc).Finish(state.last_block_index, state.last_checksum, stream, aek);
}

// The parsing half of the server's fileStore.recoverFullState; the checks
// against the directory stay with the recovery driver, which carries the
// Go marker.
Result<FullState> DecodeFullState(std::span<const uint8_t> file, std::string_view stream,
                                  const crypto::Aead* aek) {
  if (file.size() < kFullStateMinLen) {
    return Corrupt("stream state too short (" + std::to_string(file.size()) + " bytes)");
  }
  const auto stored = file.first(file.size() - crypto::kHighwayHash64Size);
  const auto trailer = file.last<crypto::kHighwayHash64Size>();
  const uint64_t sum = crypto::HighwayHash64Sum(crypto::HashKeyFromString(stream), stored);
  if (sum != crypto::GetHash64(trailer)) return Corrupt("stream state checksum did not match");

  std::vector<uint8_t> plain;
  std::span<const uint8_t> buf = stored;
  if (aek != nullptr) {
    // The server leaves the file in place when it cannot be opened: it may
    // be the key that is wrong, not the file.
    auto opened = crypto::OpenWithNoncePrefix(*aek, stored);
    if (!opened) {
      return MakeError(ErrorCode::kCrypto,
                       "index.db: cannot decrypt stream state: " + opened.error().message());
    }
    plain = std::move(*opened);
    buf = plain;
  }

  if (buf.size() < 2 || buf[0] != kFullStateMagic || buf[1] < kFullStateMinVersion ||
      buf[1] > kFullStateVersion) {
    return Corrupt("stream state magic and version mismatch");
  }
  FullState st;
  st.version = buf[1];
  Reader r(buf, 2);

  st.msgs = r.U64();
  st.bytes = r.U64();
  st.first_seq = r.U64();
  const int64_t base_time = r.I64();
  st.first_ts = base_time;
  st.last_seq = r.U64();
  st.last_ts = r.I64();

  // Counts are converted to a signed int as the server does, so a count
  // with the top bit set means "none". Once the reader fails nothing more
  // can be read, so the loops stop there; the failure is reported below.
  const auto num_subjects = static_cast<int64_t>(r.U64());
  std::unordered_map<std::string, size_t> seen;
  for (int64_t i = 0; i < num_subjects && r.ok(); ++i) {
    const auto lsubj = static_cast<int64_t>(r.U64());
    if (lsubj <= 0) continue;  // an empty subject entry carries nothing else
    if (static_cast<uint64_t>(lsubj) > r.remaining()) {
      return Corrupt("stream state bad subject len (" + std::to_string(lsubj) + ")");
    }
    const auto raw = r.rest().first(static_cast<size_t>(lsubj));
    std::string subj(reinterpret_cast<const char*>(raw.data()), raw.size());
    if (!subject::IsValidSubject(subj, true)) return Corrupt("stream state corrupt subject detected");
    r.Skip(raw.size());
    FullStateSubject e;
    e.total = r.U64();
    e.first_block = static_cast<uint32_t>(r.U64());
    e.last_block = (e.total > 1 || st.version >= 4) ? static_cast<uint32_t>(r.U64()) : e.first_block;
    e.subject = std::move(subj);
    if (auto it = seen.find(e.subject); it != seen.end()) {
      st.subjects[it->second] = std::move(e);
    } else {
      seen.emplace(e.subject, st.subjects.size());
      st.subjects.push_back(std::move(e));
    }
  }

  const uint64_t num_blocks = r.U64();
  const auto last_entry = static_cast<int64_t>(num_blocks - 1);
  for (int64_t i = 0; i < static_cast<int64_t>(num_blocks); ++i) {
    FullStateBlock b;
    b.index = static_cast<uint32_t>(r.U64());
    b.bytes = r.U64();
    b.first_seq = r.U64();
    const int64_t fts = r.I64();
    b.last_seq = r.U64();
    const int64_t lts = r.I64();
    b.num_deleted = r.U64();
    if (st.version >= 2) b.ttls = r.U64();
    if (st.version >= 3) b.schedules = r.U64();
    if (!r.ok()) return Corrupt("truncated block entry " + std::to_string(i));
    // Block times are relative to the stream's first time even when that
    // is the zero time (stored as 0, so they are then absolute).
    b.first_ts = AddWrap(fts, base_time);
    b.last_ts = AddWrap(lts, base_time);
    b.msgs = b.last_seq - b.first_seq + 1;
    if (b.num_deleted > 0) {
      auto dmap = avl::Decode(r.rest());
      if (!dmap) {
        return Corrupt("stream state error decoding avl dmap of block " +
                       std::to_string(b.index) + ": " + dmap.error().message());
      }
      b.deleted = std::move(dmap->set);
      b.msgs = b.msgs > b.num_deleted ? b.msgs - b.num_deleted : 0;
      r.Skip(dmap->consumed);
    }
    if (b.msgs > 0 || i == last_entry) {
      st.blocks.push_back(std::move(b));
    } else {
      ++st.dropped_blocks;
    }
  }

  st.last_block_index = static_cast<uint32_t>(r.U64());
  // The server slices the buffer here before checking for an earlier
  // failure (and would fault on it); test the failure first.
  if (!r.ok() || r.remaining() < st.last_checksum.size()) {
    return Corrupt("stream state has no checksum present");
  }
  const auto lchk = r.rest().first(st.last_checksum.size());
  std::copy(lchk.begin(), lchk.end(), st.last_checksum.begin());
  return st;
}

// go: server/filestore.go:updateTrackingState
void UpdateTrackingState(TrackingState& t, uint64_t first_seq, int64_t first_ts, uint64_t last_seq,
                         uint64_t msgs, uint64_t bytes) {
  if (t.first_seq == 0 || (first_seq < t.first_seq && first_ts != 0)) t.first_seq = first_seq;
  if (last_seq > t.last_seq) t.last_seq = last_seq;
  t.msgs += msgs;
  t.bytes += bytes;
}

TrackingState TrackingStateFromBlocks(std::span<const FullStateBlock> blocks) {
  TrackingState t;
  for (const auto& b : blocks) UpdateTrackingState(t, b.first_seq, b.first_ts, b.last_seq, b.msgs, b.bytes);
  return t;
}

// go: server/filestore.go:trackingStatesEqual
bool TrackingStatesEqual(const FullState& header, const TrackingState& blocks) {
  const bool same = header.msgs == blocks.msgs && header.last_seq == blocks.last_seq &&
                    header.bytes == blocks.bytes;
  if (blocks.first_seq > 1) return same && header.first_seq == blocks.first_seq;
  return same;
}

}  // namespace natscpp::store::filestore
