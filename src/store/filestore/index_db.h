// Encoding and decoding msgs/index.db, the cached full stream state
// (FORMAT.md §6): body' ‖ HH64(SHA-256(stream), body'), where body' is the
// plaintext body or nonce ‖ aek.Seal(nonce, body) for an encrypted stream.
//
// EncodeFullState is the layout half of the server's state writer; locking,
// the dirty count and the file write belong to the store. DecodeFullState
// is the parsing half of the server's recovery from index.db. The
// checks that need the directory (the recorded last block exists and its
// last checksum still matches, no newer block files, every listed block on
// disk, recomputed totals equal) belong to the caller; see
// TrackingStateFromBlocks for the totals.
#ifndef NATSCPP_STORE_FILESTORE_INDEX_DB_H_
#define NATSCPP_STORE_FILESTORE_INDEX_DB_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "avl/seqset.h"
#include "crypto/cipher.h"
#include "natscpp/store/error.h"
#include "natscpp/store/go_time.h"

namespace natscpp::store::filestore {

inline constexpr uint8_t kFullStateMagic = 11;
inline constexpr uint8_t kFullStateMinVersion = 1;
inline constexpr uint8_t kFullStateVersion = 4;
// Anything shorter cannot hold a header, the totals and the trailer.
inline constexpr size_t kFullStateMinLen = 32;

// One entry of the per-subject index (psim). last_block equals first_block
// when versions 1-3 left it out (a subject with at most one message).
struct FullStateSubject {
  std::string subject;
  uint64_t total = 0;
  uint32_t first_block = 0;
  uint32_t last_block = 0;
};

// One message block as recorded. Timestamps are absolute (ns since the
// epoch): the file stores them relative to the stream's first time.
struct FullStateBlock {
  uint32_t index = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  int64_t first_ts = 0;
  uint64_t last_seq = 0;
  int64_t last_ts = 0;
  uint64_t num_deleted = 0;  // the stored count, which msgs is computed from
  uint64_t ttls = 0;         // version 2+, else 0
  uint64_t schedules = 0;    // version 3+, else 0
  avl::SequenceSet deleted;  // present when num_deleted > 0
  // last - first + 1 (modulo 2^64, as the server computes it), less
  // num_deleted when that is non-zero, floored at 0.
  uint64_t msgs = 0;
};

struct FullState {
  uint8_t version = 0;
  // Stream header totals. first_ts/last_ts are 0 for a zero time.
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  int64_t first_ts = 0;
  uint64_t last_seq = 0;
  int64_t last_ts = 0;
  // In file order; a subject listed twice keeps its first position and its
  // last values, as inserting into the server's subject tree does.
  std::vector<FullStateSubject> subjects;
  // The blocks the server keeps: entries with no messages are dropped
  // unless they are the final entry.
  std::vector<FullStateBlock> blocks;
  size_t dropped_blocks = 0;  // empty entries left out (the server marks the store dirty)
  uint32_t last_block_index = 0;  // the write block when the file was made
  std::array<uint8_t, 8> last_checksum{};  // its lchk then
};

// A time as the state file stores it: ns since the epoch, 0 for the zero
// time (whose Unix nanoseconds are out of range). Outside int64's range the
// nanoseconds wrap, as the server's computation does.
int64_t TimestampNormalized(const GoTime& t);

// Encodes a whole index.db as the server writes it today (version 4,
// whatever state.version says): header totals, the subjects in the order
// given (the store passes its subject tree's Match(">") order, as the
// server does), the blocks in the order given with their times made
// relative to state.first_ts, last_block_index and last_checksum. Per block
// the deleted count written is deleted.Size() (the server writes its dmap's
// size), so num_deleted and msgs are not read. With aek the body is sealed
// under a fresh random nonce (nonce ‖ Seal(body)); the HH64 trailer keyed
// with SHA-256(stream) always follows. Timestamps are taken as stored
// (already normalized: 0 for a zero time). Errors: kInvalidArgument for an
// empty subject (the file cannot represent one: the reader takes a zero
// length as an entry with nothing after it), kCrypto when sealing fails.
Result<std::vector<uint8_t>> EncodeFullState(const FullState& state, std::string_view stream,
                                             const crypto::Aead* aek);

// EncodeFullState piece by piece, for a writer that walks its own subject
// index and blocks rather than copying them into a FullState: the header
// totals (first_ts is also the base of the block times) and the subject
// count, then exactly that many AddSubject, BeginBlocks and as many
// AddBlock, then Finish. Same bytes as EncodeFullState.
class FullStateEncoder {
 public:
  // Only totals' header fields are read; `reserve` sizes the buffer.
  FullStateEncoder(const FullState& totals, uint64_t num_subjects, size_t reserve);
  // kInvalidArgument for an empty subject (see EncodeFullState).
  Result<void> AddSubject(std::string_view subject, uint64_t total, uint32_t first_block, uint32_t last_block);
  void BeginBlocks(uint64_t num_blocks);
  void AddBlock(uint32_t index, uint64_t bytes, uint64_t first_seq, int64_t first_ts, uint64_t last_seq,
                int64_t last_ts, uint64_t ttls, uint64_t schedules, const avl::SequenceSet& deleted);
  // The whole file: sealed with aek when given, then the HH64 trailer.
  Result<std::vector<uint8_t>> Finish(uint32_t last_block_index, const std::array<uint8_t, 8>& last_checksum,
                                      std::string_view stream, const crypto::Aead* aek) &&;

 private:
  int64_t base_time_;
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> scratch_;  // a block's encoded delete map
};

// Decodes a whole index.db. aek is the stream AEAD (from meta.key) or null;
// with it the body is opened, without it the body must be plaintext (a
// restored snapshot has a plaintext index.db and no meta.key). Errors:
// kCorruptStreamState for anything the server treats as a corrupt state
// file (it deletes those), kCrypto when the body does not open.
Result<FullState> DecodeFullState(std::span<const uint8_t> file, std::string_view stream,
                                  const crypto::Aead* aek);

// The stream totals the kept blocks add up to, ignoring timestamps except
// that a block with first_ts 0 cannot lower first_seq (updateTrackingState).
struct TrackingState {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};
TrackingState TrackingStateFromBlocks(std::span<const FullStateBlock> blocks);
// Adds one block to t, as TrackingStateFromBlocks does for each.
void UpdateTrackingState(TrackingState& t, uint64_t first_seq, int64_t first_ts, uint64_t last_seq,
                         uint64_t msgs, uint64_t bytes);

// Whether the header totals agree with the blocks (trackingStatesEqual):
// first_seq is compared only when the blocks' first_seq is above 1.
bool TrackingStatesEqual(const FullState& header, const TrackingState& blocks);

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_INDEX_DB_H_
