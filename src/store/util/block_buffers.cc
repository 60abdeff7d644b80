#include "util/block_buffers.h"

#include <array>
#include <mutex>

#include "util/filestore_constants.h"

namespace natscpp::store {
namespace {

constexpr std::array<size_t, 4> kTiers = {kDefaultTinyBlockSize, kDefaultSmallBlockSize,
                                          kDefaultMediumBlockSize, kDefaultLargeBlockSize};
// Enough for a few blocks being loaded at once per tier, bounded so idle
// pools hold at most ~50 MiB.
constexpr size_t kMaxPooledPerTier = 4;

struct Pools {
  std::mutex mu;
  std::array<std::vector<std::vector<uint8_t>>, kTiers.size()> tiers;
};

Pools& GetPools() {
  static Pools pools;
  return pools;
}

int TierOf(size_t capacity) {
  for (size_t i = 0; i < kTiers.size(); ++i) {
    if (kTiers[i] == capacity) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

// go: server/filestore.go:getMsgBlockBuf
std::vector<uint8_t> GetMsgBlockBuf(size_t size) {
  for (size_t i = 0; i < kTiers.size(); ++i) {
    if (size > kTiers[i]) continue;
    Pools& p = GetPools();
    {
      std::lock_guard lock(p.mu);
      if (!p.tiers[i].empty()) {
        std::vector<uint8_t> buf = std::move(p.tiers[i].back());
        p.tiers[i].pop_back();
        buf.clear();
        return buf;
      }
    }
    std::vector<uint8_t> buf;
    buf.reserve(kTiers[i]);
    return buf;
  }
  std::vector<uint8_t> buf;
  buf.reserve(size);
  return buf;
}

// go: server/filestore.go:recycleMsgBlockBuf
void RecycleMsgBlockBuf(std::vector<uint8_t>&& buf) {
  const int tier = TierOf(buf.capacity());
  if (tier < 0) return;  // not one of ours: let it be freed
  Pools& p = GetPools();
  std::lock_guard lock(p.mu);
  auto& pool = p.tiers[static_cast<size_t>(tier)];
  if (pool.size() < kMaxPooledPerTier) pool.push_back(std::move(buf));
}

size_t PooledMsgBlockBufs(size_t capacity) {
  const int tier = TierOf(capacity);
  if (tier < 0) return 0;
  Pools& p = GetPools();
  std::lock_guard lock(p.mu);
  return p.tiers[static_cast<size_t>(tier)].size();
}

}  // namespace natscpp::store
