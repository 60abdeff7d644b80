// Recycled block buffers (filestore.go's blkPool tiers): loading a block
// needs a buffer of up to 8 MiB, and reusing them keeps steady block loads
// from allocating.
#ifndef NATSCPP_STORE_UTIL_BLOCK_BUFFERS_H_
#define NATSCPP_STORE_UTIL_BLOCK_BUFFERS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace natscpp::store {

// An empty buffer whose capacity is the smallest tier (256 KiB, 1, 4 or
// 8 MiB) holding `size` bytes, from the pool when one is there; larger
// requests get a buffer of exactly `size` capacity.
std::vector<uint8_t> GetMsgBlockBuf(size_t size);

// Returns a buffer to its tier's pool. Buffers of other capacities are
// freed, as are buffers past the pool's bound (Go's pools are drained by
// its GC; ours keep a few per tier).
void RecycleMsgBlockBuf(std::vector<uint8_t>&& buf);

// Buffers currently pooled for the tier of `capacity` (for tests).
size_t PooledMsgBlockBufs(size_t capacity);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_BLOCK_BUFFERS_H_
