#include "util/msg_size.h"

#include "util/filestore_constants.h"

namespace natscpp::store {

// go: server/filestore.go:fileStoreMsgSizeRaw
uint64_t FileStoreMsgSizeRaw(size_t subject_len, size_t header_len, size_t msg_len) {
  if (header_len == 0) return kMsgHdrSize + subject_len + msg_len + kChecksumSize;
  // A header block adds its 4-byte length in front of it.
  return kMsgHdrSize + subject_len + 4 + header_len + msg_len + kChecksumSize;
}

// go: server/filestore.go:fileStoreMsgSize
uint64_t FileStoreMsgSize(std::string_view subject, size_t header_len, size_t msg_len) {
  return FileStoreMsgSizeRaw(subject.size(), header_len, msg_len);
}

// go: server/filestore.go:fileStoreMsgSizeEstimate
uint64_t FileStoreMsgSizeEstimate(size_t subject_len, size_t max_payload) {
  return kEmptyRecordLen + subject_len + 4 + max_payload;
}

// go: server/filestore.go:isFileStoreMsgTooLarge
bool IsFileStoreMsgTooLarge(uint64_t record_len) {
  return (record_len & kHeaderBit) != 0 || record_len > kRecordLenBadThreshold;
}

// go: server/filestore.go:dynBlkSize
uint64_t DynBlkSize(bool limits_retention, int64_t max_bytes, bool encrypted) {
  if (max_bytes > 0) {
    int64_t blk = max_bytes / 4 + 1;  // 25% overhead
    if (const int64_t m = blk % 100; m != 0) blk += 100 - m;
    uint64_t size;
    if (blk <= static_cast<int64_t>(kFileStoreMinBlkSize)) {
      size = kFileStoreMinBlkSize;
    } else if (blk >= static_cast<int64_t>(kFileStoreMaxBlkSize)) {
      size = kFileStoreMaxBlkSize;
    } else {
      // Go settles on the medium size for everything in between.
      size = kDefaultMediumBlockSize;
    }
    if (encrypted && size > kMaximumEncryptedBlockSize) size = kMaximumEncryptedBlockSize;
    return size;
  }
  if (encrypted) return kMaximumEncryptedBlockSize;
  return limits_retention ? kDefaultLargeBlockSize : kDefaultMediumBlockSize;
}

}  // namespace natscpp::store
