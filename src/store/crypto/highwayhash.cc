#include "crypto/highwayhash.h"

#include <openssl/sha.h>

#include <algorithm>
#include <string>
#include <vector>

#include <highwayhash/c_bindings.h>
#include <highwayhash/highwayhash_target.h>
#include <highwayhash/instruction_sets.h>

namespace natscpp::store::crypto {
namespace {

// The 32 key bytes as four little-endian lanes, as minio/highwayhash reads them.
std::array<uint64_t, 4> KeyLanes(const HashKey& key) {
  std::array<uint64_t, 4> lanes{};
  for (size_t lane = 0; lane < lanes.size(); ++lane) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) {
      v |= static_cast<uint64_t>(key[lane * 8 + i]) << (8 * i);
    }
    lanes[lane] = v;
  }
  return lanes;
}

}  // namespace

HashKey HashKeyFromString(std::string_view s) {
  HashKey key{};
  static_assert(SHA256_DIGEST_LENGTH == kHighwayHashKeySize);
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), key.data());
  return key;
}

HighwayHash64::Lanes HighwayHash64::ToLanes(const HashKey& key) {
  Lanes lanes{};
  const auto l = KeyLanes(key);
  std::copy(l.begin(), l.end(), lanes.k);
  return lanes;
}

HighwayHash64::HighwayHash64(const HashKey& key)
    : key_(key), lanes_(ToLanes(key)), cat_(lanes_.k) {}

void HighwayHash64::Update(std::span<const uint8_t> data) {
  if (!streaming_) {
    if (pending_.size() + data.size() <= kBufferLimit) {
      pending_.insert(pending_.end(), data.begin(), data.end());
      return;
    }
    // Too much to keep: switch to the incremental state for good.
    cat_.Append(reinterpret_cast<const char*>(pending_.data()), pending_.size());
    pending_.clear();
    streaming_ = true;
  }
  cat_.Append(reinterpret_cast<const char*>(data.data()), data.size());
}

void HighwayHash64::Reset() {
  cat_.Reset(lanes_.k);
  // clear() keeps the capacity, so a reused hasher does not reallocate.
  pending_.clear();
  streaming_ = false;
}

Result<HighwayHash64> HighwayHash64::New(std::span<const uint8_t> key) {
  if (key.size() != kHighwayHashKeySize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "highwayhash: key must be 32 bytes, got " + std::to_string(key.size()));
  }
  HashKey k{};
  std::copy(key.begin(), key.end(), k.begin());
  return HighwayHash64(k);
}

uint64_t HighwayHash64::Sum64() const {
  if (!streaming_) {
    return HighwayHash64Sum(key_, pending_);
  }
  // Finalizing consumes a copy of the state, so the caller can keep
  // appending; the reference API's Finalize is not const even though it
  // leaves the object as it was.
  auto copy = cat_;
  highwayhash::HHResult64 result = 0;
  copy.Finalize(&result);
  return result;
}

void HighwayHash64::Sum(Hash64Bytes& out) const { PutHash64(Sum64(), out); }

uint64_t HighwayHash64Sum(const HashKey& key, std::span<const uint8_t> data) {
  const auto lanes = KeyLanes(key);
  return ::HighwayHash64(lanes.data(), reinterpret_cast<const char*>(data.data()), data.size());
}

uint64_t HighwayHash64Sum(const HashKey& key,
                          std::initializer_list<std::span<const uint8_t>> fragments) {
  highwayhash::HHKey lanes;
  const auto l = KeyLanes(key);
  std::copy(l.begin(), l.end(), lanes);
  // A record has at most four pieces; keep the common case off the heap.
  constexpr size_t kInline = 8;
  highwayhash::StringView inline_views[kInline];
  std::vector<highwayhash::StringView> heap_views;
  highwayhash::StringView* views = inline_views;
  if (fragments.size() > kInline) {
    heap_views.resize(fragments.size());
    views = heap_views.data();
  }
  size_t n = 0;
  for (const auto& f : fragments) {
    views[n++] = highwayhash::StringView{reinterpret_cast<const char*>(f.data()), f.size()};
  }
  highwayhash::HHResult64 result = 0;
  highwayhash::InstructionSets::Run<highwayhash::HighwayHashCat>(lanes, views, n, &result);
  return result;
}

}  // namespace natscpp::store::crypto
