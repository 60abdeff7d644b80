// Read-only access to message-block files msgs/<N>.blk: turning the stored
// bytes into the record plaintext (FORMAT.md §4, §5.2) and scanning the
// records into a block summary (FORMAT.md §3.4). Nothing here writes to or
// truncates a file; repairing a torn block belongs to the caller.
#ifndef NATSCPP_STORE_FILESTORE_BLOCK_FILE_H_
#define NATSCPP_STORE_FILESTORE_BLOCK_FILE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "natscpp/store/error.h"

namespace natscpp::store::filestore {

// The block keystream parameters: the cipher, and the seed and nonce the
// caller unwrapped from msgs/<N>.key (crypto::RecoverBlockKeys).
struct BlockCipherParams {
  crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
  std::span<const uint8_t> seed;
  std::span<const uint8_t> nonce;
};

// Strips a cmp compression header and decompresses; a block without the
// header is returned unchanged.
Result<std::vector<uint8_t>> DecompressIfNeeded(std::vector<uint8_t> buf);

// Stored block bytes → record plaintext: XOR with the keystream from offset
// 0 when cipher is given, then DecompressIfNeeded.
Result<std::vector<uint8_t>> DecodeBlock(std::vector<uint8_t> stored,
                                         const std::optional<BlockCipherParams>& cipher);

// Reads the file at path and decodes it as DecodeBlock does.
Result<std::vector<uint8_t>> LoadBlockPlaintext(const std::filesystem::path& path,
                                                const std::optional<BlockCipherParams>& cipher);

// A block's delete map: sequences inside its range without a live record.
// Kept as merged ranges so a gap costs one entry however long it is.
class DeletedSequences {
 public:
  void Insert(uint64_t first, uint64_t last);  // inclusive; ignored when first > last
  bool Contains(uint64_t seq) const;
  uint64_t Count() const;
  bool Empty() const { return ranges_.empty(); }
  const std::map<uint64_t, uint64_t>& Ranges() const { return ranges_; }  // first → last

 private:
  std::map<uint64_t, uint64_t> ranges_;
};

// One record met while scanning.
struct ScannedRecord {
  uint64_t offset = 0;  // in the plaintext
  uint32_t length = 0;
  uint64_t seq = 0;  // flags masked off
  int64_t ts = 0;
  bool erased = false;
  bool tombstone = false;
  bool has_headers = false;
};

// What a scan of one block's plaintext found.
struct BlockSummary {
  std::vector<ScannedRecord> records;  // every valid record, in file order
  uint64_t first_seq = 0;
  int64_t first_ts = 0;
  uint64_t last_seq = 0;
  int64_t last_ts = 0;
  uint64_t msgs = 0;   // live message records
  uint64_t bytes = 0;  // their on-disk sizes (FileStoreMsgSize)
  uint64_t raw_bytes = 0;  // plaintext length
  std::vector<uint64_t> tombstones;  // sequences named by tombstones, in file order
  DeletedSequences deleted;  // erased records and in-block gaps (the block's dmap)
  std::array<uint8_t, 8> last_checksum{};  // lchk: checksum of the last valid record
  // Set when a record fails; the scan stops there and nothing after it counts.
  std::optional<uint64_t> bad_offset;
  std::string bad_reason;
};

// Scans the plaintext of a block with its HH64 key, verifying every
// checksum, with the rules of a rebuild from scratch (no index info).
BlockSummary ScanBlock(std::span<const uint8_t> plaintext, const crypto::HashKey& key);

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_BLOCK_FILE_H_
