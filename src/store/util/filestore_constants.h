// Constants of the file store's formats and sizing (filestore.go), shared
// by the areas that read or write its files. FORMAT.md names their uses.
#ifndef NATSCPP_STORE_UTIL_FILESTORE_CONSTANTS_H_
#define NATSCPP_STORE_UTIL_FILESTORE_CONSTANTS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace natscpp::store {

// First byte of the file store's binary state files (o.dat, legacy .idx,
// .fss) and of an avl SequenceSet encoding.
inline constexpr uint8_t kFileStoreMagic = 22;
inline constexpr uint8_t kFileStoreVersion = 1;
inline constexpr uint8_t kFileStoreNewVersion = 2;
inline constexpr size_t kHdrLen = 2;

// Record header: total length (4) + seq (8) + ts (8) + subject length (2).
inline constexpr size_t kMsgHdrSize = 22;
inline constexpr size_t kChecksumSize = 8;
inline constexpr size_t kEmptyRecordLen = kMsgHdrSize + kChecksumSize;
inline constexpr size_t kRecordHashSize = 8;

// Bits stolen from record lengths and sequences (FORMAT.md §3.2).
inline constexpr uint32_t kHeaderBit = 1u << 31;      // hbit: record has headers
inline constexpr uint64_t kEraseBit = 1ull << 63;     // ebit: erased/deleted record
inline constexpr uint64_t kTombstoneBit = 1ull << 62; // tbit: tombstone record
inline constexpr uint64_t kRecordLenBadThreshold = 32ull * 1024 * 1024;  // rlBadThresh

inline constexpr uint64_t kDefaultLargeBlockSize = 8ull * 1024 * 1024;
inline constexpr uint64_t kDefaultMediumBlockSize = 4ull * 1024 * 1024;
inline constexpr uint64_t kDefaultSmallBlockSize = 1ull * 1024 * 1024;
inline constexpr uint64_t kDefaultTinyBlockSize = 256ull * 1024;
inline constexpr uint64_t kMaximumEncryptedBlockSize = 2ull * 1024 * 1024;
inline constexpr uint64_t kMaxBlockSize = kDefaultLargeBlockSize;
inline constexpr uint64_t kFileStoreMinBlkSize = 32 * 1000;
inline constexpr uint64_t kFileStoreMaxBlkSize = kMaxBlockSize;
// Past this many subjects or interior deletes, only a forced write
// (a purge, Stop) writes index.db, and LoadNextMsg stops consulting the
// subject index for a wildcard (highCardinalityThreshold).
inline constexpr uint64_t kHighCardinalityThreshold = 1'000'000;

inline constexpr size_t kMinMetaKeySize = 64;
inline constexpr size_t kMinBlkKeySize = 64;

inline constexpr std::string_view kMsgDir = "msgs";
inline constexpr std::string_view kConsumerDir = "obs";
inline constexpr std::string_view kConsumerStateFile = "o.dat";
inline constexpr std::string_view kMetaFile = "meta.inf";
inline constexpr std::string_view kMetaFileSum = "meta.sum";
inline constexpr std::string_view kMetaFileKey = "meta.key";
inline constexpr std::string_view kStreamStateFile = "index.db";
inline constexpr std::string_view kTtlStateFile = "thw.db";
inline constexpr std::string_view kMsgSchedulingStateFile = "sched.db";

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_FILESTORE_CONSTANTS_H_
