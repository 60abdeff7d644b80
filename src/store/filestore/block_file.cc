#include "filestore/block_file.h"

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "filestore/record.h"
#include "util/file_io.h"
#include "s2/compression.h"

namespace natscpp::store::filestore {

// Follows msgBlock.decompressIfNeeded: only a leading cmp header marks a
// compressed block, and a malformed header is an error rather than data.
Result<std::vector<uint8_t>> DecompressIfNeeded(std::vector<uint8_t> buf) {
  s2::CompressionInfo meta;
  auto n = meta.UnmarshalMetadata(buf);
  if (!n) return std::unexpected(n.error());
  if (*n == 0) return buf;
  return s2::Decompress(meta.algorithm, std::span<const uint8_t>(buf).subspan(*n));
}

// The whole file is one keystream from offset 0 (FORMAT.md §5.2), so the
// keystream is generated fresh rather than reusing a positioned stream.
Result<std::vector<uint8_t>> DecodeBlock(std::vector<uint8_t> stored,
                                         const std::optional<BlockCipherParams>& cipher) {
  if (cipher && !stored.empty()) {
    auto bek = crypto::GenBlockEncryptionKey(cipher->cipher, cipher->seed, cipher->nonce);
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(stored); !r) return std::unexpected(r.error());
  }
  return DecompressIfNeeded(std::move(stored));
}

Result<std::vector<uint8_t>> LoadBlockPlaintext(const std::filesystem::path& path,
                                                const std::optional<BlockCipherParams>& cipher) {
  auto stored = ReadWholeFile(path);
  if (!stored) {
    if (stored.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "message block " + path.string() + " does not exist");
    }
    return std::unexpected(stored.error());
  }
  return DecodeBlock(std::move(*stored), cipher);
}

void DeletedSequences::Insert(uint64_t first, uint64_t last) {
  if (first > last) return;
  // Merge with any range that overlaps or touches [first, last].
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first || prev->second + 1 == first) {
      first = prev->first;
      last = std::max(last, prev->second);
      it = ranges_.erase(prev);
    }
  }
  while (it != ranges_.end() && (last == UINT64_MAX || it->first <= last + 1)) {
    last = std::max(last, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(first, last);
}

bool DeletedSequences::Contains(uint64_t seq) const {
  auto it = ranges_.upper_bound(seq);
  if (it == ranges_.begin()) return false;
  return std::prev(it)->second >= seq;
}

uint64_t DeletedSequences::Count() const {
  uint64_t n = 0;
  for (const auto& [f, l] : ranges_) n += l - f + 1;
  return n;
}

namespace {

// Scan state mirroring the block fields msgBlock.rebuildStateFromBufLocked
// recomputes, starting from an empty block (no index info).
class Scanner {
 public:
  explicit Scanner(BlockSummary& s) : s_(s) {}

  void Record(const RecordView& v, uint64_t offset) {
    s_.records.push_back(ScannedRecord{offset, v.length, v.seq, v.ts, v.erased, v.tombstone,
                                       v.has_headers});
    crypto::PutHash64(v.checksum, s_.last_checksum);

    if (v.tombstone) {
      s_.tombstones.push_back(v.seq);
      if (max_tombstone_seq_ == 0 || v.seq > max_tombstone_seq_) {
        max_tombstone_seq_ = v.seq;
        max_tombstone_ts_ = v.ts;
      }
      return;
    }
    const uint64_t seq = v.seq;
    const uint64_t fseq = s_.first_seq;
    if (seq == 0 || v.erased || seq < fseq) {
      if (seq >= fseq) {
        UpdateLast(seq, v.ts);
        if (s_.msgs == 0) {
          s_.first_seq = seq + 1;
          s_.first_ts = 0;
        } else {
          AddToDmap(seq);
        }
      }
      return;
    }
    if (first_needs_set_ && seq >= fseq) {
      s_.first_seq = seq;
      s_.first_ts = v.ts;
      first_needs_set_ = false;
    }
    // Repeated or lower sequences were already accounted for.
    if (seq <= last_) return;
    if (!s_.deleted.Contains(seq)) {
      ++s_.msgs;
      s_.bytes += v.length;
    }
    UpdateLast(seq, v.ts);
  }

  // An empty block takes its last sequence from its first, or both from the
  // highest tombstone when that is all it holds.
  void Finish() {
    if (s_.msgs != 0) return;
    if (s_.first_seq > 0) {
      s_.last_seq = s_.first_seq - 1;
    } else if (max_tombstone_seq_ > 0) {
      s_.first_seq = max_tombstone_seq_ + 1;
      s_.first_ts = 0;
      if (s_.last_seq == 0) {
        s_.last_seq = max_tombstone_seq_;
        s_.last_ts = max_tombstone_ts_;
      }
    }
  }

 private:
  void AddToDmap(uint64_t seq) {
    if (seq != 0) s_.deleted.Insert(seq, seq);
  }

  void UpdateLast(uint64_t seq, int64_t ts) {
    if (seq <= last_) return;
    // A forward jump inside a non-empty block is what compaction leaves.
    if (last_ > 0 && seq != last_ + 1 && s_.msgs != 0) {
      // Stored as one range: a hostile jump must not cost a step per sequence.
      s_.deleted.Insert(last_ + 1, seq - 1);
    }
    last_ = seq;
    s_.last_seq = seq;
    s_.last_ts = ts;
  }

  BlockSummary& s_;
  bool first_needs_set_ = true;
  uint64_t last_ = 0;
  uint64_t max_tombstone_seq_ = 0;
  int64_t max_tombstone_ts_ = 0;
};

}  // namespace

// The read-only part of msgBlock.rebuildStateFromBufLocked: the same walk
// and accounting, but a bad record is reported instead of truncated away.
BlockSummary ScanBlock(std::span<const uint8_t> plaintext, const crypto::HashKey& key) {
  BlockSummary s;
  s.raw_bytes = plaintext.size();
  Scanner scanner(s);
  size_t index = 0;
  while (index < plaintext.size()) {
    auto rec = ParseRecord(plaintext.subspan(index), key, /*verify_checksum=*/true);
    if (!rec) {
      s.bad_offset = index;
      s.bad_reason = rec.error().message();
      break;
    }
    scanner.Record(*rec, index);
    index += rec->length;
  }
  scanner.Finish();
  return s;
}

}  // namespace natscpp::store::filestore
