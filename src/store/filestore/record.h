// One message-block record as it lies on disk (FORMAT.md §3.2, §3.3):
// rl(4) seq(8) ts(8) slen(2) subject [hlen(4) headers] payload checksum(8).
// rl carries hbit when a header section is present; seq carries ebit for
// erased/skipped records and tbit for tombstones. The checksum is HH64 with
// the block's key over the raw seq/ts bytes, subject, headers and payload.
#ifndef NATSCPP_STORE_FILESTORE_RECORD_H_
#define NATSCPP_STORE_FILESTORE_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/highwayhash.h"
#include "natscpp/store/error.h"

namespace natscpp::store::filestore {

// A parsed record. The spans point into the buffer given to ParseRecord.
struct RecordView {
  uint64_t seq = 0;  // ebit and tbit masked off
  int64_t ts = 0;
  bool erased = false;     // ebit: erased message or skip placeholder
  bool tombstone = false;  // tbit: "seq was removed"
  bool has_headers = false;  // hbit: a header section is present (possibly empty)
  std::span<const uint8_t> subject;
  std::span<const uint8_t> hdr;
  std::span<const uint8_t> msg;
  uint32_t length = 0;  // rl with hbit cleared: bytes the record occupies
  uint64_t checksum = 0;  // the stored trailing HH64
};

// The HH64 key of block `index` of `stream`: SHA-256 of "<stream>-<index>".
crypto::HashKey BlockHashKey(std::string_view stream, uint64_t index);

// Parses the record at the start of buf (buf may continue past it). Every
// length is checked against the buffer before it is used, with the same
// sanity rules the server applies when reading or rebuilding a block; with
// verify_checksum the stored HH64 must match. Failures are kCorrupt with a
// message naming the problem.
//
// With split_headers false the header length is not read: hdr stays empty
// and msg spans header section and payload. That is the framing the server
// checks while scanning a block; a bad header length only fails the one
// message when it is loaded, because the checksum does not cover it.
Result<RecordView> ParseRecord(std::span<const uint8_t> buf, const crypto::HashKey& key,
                               bool verify_checksum, bool split_headers = true);

// Appends one record with exactly the server's bytes. seq_with_flags may
// carry ebit/tbit; a non-empty hdr sets hbit and adds the header section.
// The caller keeps the record under the size limit (IsFileStoreMsgTooLarge).
void AppendRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq_with_flags,
                  int64_t ts, std::string_view subject, std::span<const uint8_t> hdr,
                  std::span<const uint8_t> msg);

// The 30-byte placeholder for a sequence consumed without a message.
void AppendSkipRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq,
                      int64_t ts);

// The 30-byte tombstone recording that `seq` (stored at ts) was removed.
void AppendTombstoneRecord(std::vector<uint8_t>& out, const crypto::HashKey& key, uint64_t seq,
                           int64_t ts);

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_RECORD_H_
