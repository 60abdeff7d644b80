// Decoding the legacy per-block index msgs/<N>.idx that servers before 2.10
// wrote (FORMAT.md §12.1, §12.2): byte 22 ‖ version ‖ uvarint msgs ‖ uvarint
// bytes ‖ uvarint first seq ‖ varint first ts ‖ uvarint last seq ‖ varint
// last ts ‖ uvarint dmap length ‖ 8-byte lchk ‖ delete map. The delete map
// is uvarint offsets from the first sequence in version 1 and an avl
// SequenceSet in version 2. Encrypted stores seal the whole file with the
// block's aek and the nonce of its key file (no nonce prefix).
#ifndef NATSCPP_STORE_FILESTORE_LEGACY_INDEX_H_
#define NATSCPP_STORE_FILESTORE_LEGACY_INDEX_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/cipher.h"
#include "natscpp/store/error.h"

namespace natscpp::store::filestore {

inline constexpr uint8_t kLegacyIndexMagic = 22;
inline constexpr uint8_t kLegacyIndexVersion = 1;     // dmap as uvarint offsets
inline constexpr uint8_t kLegacyIndexNewVersion = 2;  // dmap as avl SequenceSet

// Whether buf starts with an index header: magic 22, version 1 or 2.
bool IsLegacyIndexHeader(std::span<const uint8_t> buf);

struct LegacyIndex {
  uint8_t version = 0;
  // msgs, bytes, sequences and the dmap length have ebit cleared, as the
  // server reads every unsigned field of the file as a sequence.
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  int64_t first_ts = 0;
  uint64_t last_seq = 0;
  int64_t last_ts = 0;
  uint64_t dmap_len = 0;          // the stored count (msgs was checked against it)
  std::vector<uint64_t> deleted;  // the delete map, ascending, no duplicates
  std::array<uint8_t, 8> last_checksum{};  // lchk of the block when written
};

// Decodes a whole <N>.idx. aek and nonce are the block's AEAD and key-file
// nonce when the store is encrypted (aek null otherwise). Errors: kCrypto
// when the file does not open; kCorrupt for a bad header, a short file or
// inconsistent accounting (the cases where the server deletes the file);
// kBadEncoding for an undecodable version-2 delete map.
Result<LegacyIndex> DecodeLegacyIndex(std::span<const uint8_t> file, const crypto::Aead* aek,
                                      std::span<const uint8_t> nonce);

// The same, filling `out` the way the server fills the block: when a check
// fails, the fields assigned before it stay set (msgs through last_ts once
// the header is good, a failed varint giving 0, or -1 for the timestamp
// that failed; last_checksum once the accounting check passed; deleted
// only on success). The server's rebuild of the block then starts from
// those values, so a caller mirroring recoverMsgBlock needs them.
Result<void> ReadLegacyIndexInto(std::span<const uint8_t> file, const crypto::Aead* aek,
                                 std::span<const uint8_t> nonce, LegacyIndex& out);

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_LEGACY_INDEX_H_
