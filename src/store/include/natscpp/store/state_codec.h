// The binary encodings of store state that other components persist or
// replicate: consumer state (o.dat) and the replicated stream state.
#ifndef NATSCPP_STORE_STATE_CODEC_H_
#define NATSCPP_STORE_STATE_CODEC_H_

#include <cstdint>
#include <span>
#include <vector>

#include "natscpp/store/error.h"
#include "natscpp/store/store_types.h"

namespace natscpp::store {

// Consumer state, version 2 (the o.dat body before any encryption).
// Pending timestamps are kept to the second, relative to `now_unix_seconds`
// (Go uses the current time, rounded to the second).
std::vector<uint8_t> EncodeConsumerState(const ConsumerState& state);
std::vector<uint8_t> EncodeConsumerState(const ConsumerState& state, int64_t now_unix_seconds);

// Decodes versions 1 and 2. Corrupt input gives kCorrupt; an unknown
// version kUnsupported.
Result<ConsumerState> DecodeConsumerState(std::span<const uint8_t> buf);
// The version of a consumer-state header (1 or 2).
Result<uint8_t> CheckConsumerHeader(std::span<const uint8_t> hdr);

// Replicated stream state (FORMAT.md §11).
bool IsEncodedStreamState(std::span<const uint8_t> buf);
Result<StreamReplicatedState> DecodeStreamState(std::span<const uint8_t> buf);

// Run-length delete records: byte 33, uvarint first, uvarint count.
size_t RunLengthEncodeLen(uint64_t first, uint64_t num);
void AppendRunLength(std::vector<uint8_t>& out, uint64_t first, uint64_t num);

inline constexpr uint8_t kStreamStateMagic = 42;
inline constexpr uint8_t kStreamStateVersion = 1;
inline constexpr uint8_t kRunLengthMagic = 33;
inline constexpr uint8_t kSeqSetMagic = 22;

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_STATE_CODEC_H_
