// Sizes of file-store records and blocks (filestore.go).
#ifndef NATSCPP_STORE_UTIL_MSG_SIZE_H_
#define NATSCPP_STORE_UTIL_MSG_SIZE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace natscpp::store {

// Bytes a record takes on disk: header, subject, optional header block
// (with its 4-byte length), payload and the 8-byte checksum.
uint64_t FileStoreMsgSizeRaw(size_t subject_len, size_t header_len, size_t msg_len);
uint64_t FileStoreMsgSize(std::string_view subject, size_t header_len, size_t msg_len);
// Upper bound for a message on `subject_len` with at most `max_payload`.
uint64_t FileStoreMsgSizeEstimate(size_t subject_len, size_t max_payload);
// True when a record length cannot be represented safely on disk.
bool IsFileStoreMsgTooLarge(uint64_t record_len);

// The block size the file store picks for a stream: a quarter of a byte
// limit (rounded, clamped), else by retention, capped for encrypted stores
// (whose writes re-encrypt whole blocks).
uint64_t DynBlkSize(bool limits_retention, int64_t max_bytes, bool encrypted);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_MSG_SIZE_H_
