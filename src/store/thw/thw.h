// Timing hash wheel (server/thw/thw.go): per-message expiry deadlines
// (message TTLs, schedules) bucketed into 4096 one-second slots by
// expiry time, so that finding what is due touches only the slots whose
// lowest deadline has passed. The wheel does not order entries within a
// slot and keeps no clock of its own: callers pass ns since the epoch.
//
// The class is header-only so that the areas using it (sched) need no
// link dependency on this one.
//
// Encoded form (msgs/thw.db, FORMAT.md §7): byte 1 ‖ uint64 LE count ‖
// uint64 LE stamp ‖ count × (varint expiry ns ‖ uvarint seq).
#ifndef NATSCPP_STORE_THW_THW_H_
#define NATSCPP_STORE_THW_THW_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "natscpp/store/error.h"
#include "util/varint.h"

namespace natscpp::store::thw {

inline constexpr int64_t kTickDuration = 1'000'000'000;  // one second in ns
inline constexpr int kWheelBits = 12;
inline constexpr int64_t kWheelSize = int64_t{1} << kWheelBits;
inline constexpr int64_t kWheelMask = kWheelSize - 1;
inline constexpr size_t kHeaderLen = 17;  // version byte + two uint64s

// Error messages carry Go's error strings so callers and tests can tell the
// sentinels apart (ErrTaskNotFound, ErrInvalidVersion, io.ErrShortBuffer,
// io.ErrUnexpectedEOF).
inline constexpr const char* kErrTaskNotFound = "thw: task not found";
inline constexpr const char* kErrInvalidVersion = "thw: encoded version not known";
inline constexpr const char* kErrShortBuffer = "short buffer";
inline constexpr const char* kErrUnexpectedEOF = "unexpected EOF";

struct HashWheelEntry {
  uint64_t seq = 0;
  int64_t expires = 0;
};

class HashWheel {
 public:
  // One bucket: sequence -> expiry, and the lowest expiry in it.
  struct Slot {
    std::unordered_map<uint64_t, int64_t> entries;
    int64_t lowest = std::numeric_limits<int64_t>::max();
  };

  // Called for each due entry; returning true removes (expires) it.
  using ExpireFn = std::function<bool(uint64_t seq, int64_t expires)>;

  HashWheel();

  // Schedules seq to expire at `expires` (ns since epoch); re-adding a
  // sequence to the same slot replaces its expiry.
  void Add(uint64_t seq, int64_t expires);
  // kNotFound (kErrTaskNotFound) when seq is not in expires' slot.
  Result<void> Remove(uint64_t seq, int64_t expires);
  Result<void> Update(uint64_t seq, int64_t old_expires, int64_t new_expires);

  // Offers every entry due now to fn.
  void ExpireTasks(const ExpireFn& fn);
  // As ExpireTasks with an explicit "now" (ns since epoch).
  void ExpireTasksAt(int64_t ts, const ExpireFn& fn);

  // The lowest expiry if it is before `before`, else INT64_MAX.
  int64_t GetNextExpiration(int64_t before) const;
  uint64_t Count() const;

  std::vector<uint8_t> Encode(uint64_t high_seq) const;
  // Replaces the slots with the encoded entries; returns the stamp.
  Result<uint64_t> Decode(std::span<const uint8_t> b);

  // The slot at pos (nullptr when empty); for tests and diagnostics.
  const Slot* SlotAt(size_t pos) const { return wheel_[pos].get(); }

 private:
  static int64_t GetPosition(int64_t expires);
  static std::shared_ptr<Slot> NewSlot();

  // Shared ownership lets ExpireTasksAt keep a slot alive while its
  // callback removes the slot's last entry (which frees it from the wheel).
  std::vector<std::shared_ptr<Slot>> wheel_;
  int64_t lowest_ = std::numeric_limits<int64_t>::max();
  uint64_t count_ = 0;
};

// go: server/thw/thw.go:NewHashWheel
inline HashWheel::HashWheel() : wheel_(static_cast<size_t>(kWheelSize)) {}

// go: server/thw/thw.go:(*HashWheel).getPosition
inline int64_t HashWheel::GetPosition(int64_t expires) {
  // Go's truncating division; the mask keeps negative times in range too.
  return (expires / kTickDuration) & kWheelMask;
}

// go: server/thw/thw.go:newSlot
inline std::shared_ptr<HashWheel::Slot> HashWheel::NewSlot() {
  return std::make_shared<Slot>();
}

// go: server/thw/thw.go:(*HashWheel).Add
inline void HashWheel::Add(uint64_t seq, int64_t expires) {
  const size_t pos = static_cast<size_t>(GetPosition(expires));
  if (!wheel_[pos]) wheel_[pos] = NewSlot();
  Slot& s = *wheel_[pos];
  const auto [it, inserted] = s.entries.insert_or_assign(seq, expires);
  (void)it;
  if (inserted) ++count_;
  if (expires < s.lowest) {
    s.lowest = expires;
    if (expires < lowest_) lowest_ = expires;
  }
}

// go: server/thw/thw.go:(*HashWheel).Remove
inline Result<void> HashWheel::Remove(uint64_t seq, int64_t expires) {
  const size_t pos = static_cast<size_t>(GetPosition(expires));
  Slot* s = wheel_[pos].get();
  if (s == nullptr || s->entries.erase(seq) == 0) {
    return MakeError(ErrorCode::kNotFound, kErrTaskNotFound);
  }
  --count_;
  // Lowest marks are left as they are (a stale low mark only costs an
  // extra scan); an emptied slot is released.
  if (s->entries.empty()) wheel_[pos].reset();
  return {};
}

// go: server/thw/thw.go:(*HashWheel).Update
inline Result<void> HashWheel::Update(uint64_t seq, int64_t old_expires, int64_t new_expires) {
  if (Result<void> r = Remove(seq, old_expires); !r) return r;
  Add(seq, new_expires);
  return {};
}

// go: server/thw/thw.go:(*HashWheel).ExpireTasks
inline void HashWheel::ExpireTasks(const ExpireFn& fn) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ExpireTasksAt(now, fn);
}

// go: server/thw/thw.go:(*HashWheel).expireTasks
inline void HashWheel::ExpireTasksAt(int64_t ts, const ExpireFn& fn) {
  if (lowest_ > ts) return;

  int64_t global_lowest = std::numeric_limits<int64_t>::max();
  std::vector<std::pair<uint64_t, int64_t>> snapshot;
  for (size_t pos = 0; pos < wheel_.size(); ++pos) {
    std::shared_ptr<Slot> s = wheel_[pos];
    if (!s || s->lowest > ts) {
      if (s && s->lowest < global_lowest) global_lowest = s->lowest;
      continue;
    }

    // The callback may remove (or add) entries of this very slot, so walk
    // a copy and skip entries that are gone by the time they come up, as a
    // Go map range does.
    snapshot.assign(s->entries.begin(), s->entries.end());
    int64_t slot_lowest = std::numeric_limits<int64_t>::max();
    for (const auto& [seq, unused] : snapshot) {
      (void)unused;
      const auto it = s->entries.find(seq);
      if (it == s->entries.end()) continue;
      const int64_t expires = it->second;
      if (expires <= ts && fn(seq, expires)) {
        if (s->entries.erase(seq) != 0) --count_;
        continue;
      }
      if (expires < slot_lowest) slot_lowest = expires;
    }

    if (s->entries.empty()) {
      wheel_[pos].reset();
    } else {
      s->lowest = slot_lowest;
      if (slot_lowest < global_lowest) global_lowest = slot_lowest;
    }
  }
  lowest_ = global_lowest;
}

// go: server/thw/thw.go:(*HashWheel).GetNextExpiration
inline int64_t HashWheel::GetNextExpiration(int64_t before) const {
  if (lowest_ < before) return lowest_;
  return std::numeric_limits<int64_t>::max();
}

// go: server/thw/thw.go:(*HashWheel).Count
inline uint64_t HashWheel::Count() const { return count_; }

// go: server/thw/thw.go:(*HashWheel).Encode
inline std::vector<uint8_t> HashWheel::Encode(uint64_t high_seq) const {
  std::vector<uint8_t> b;
  b.reserve(kHeaderLen + static_cast<size_t>(count_) * 2 * util::kMaxVarintLen64);
  b.push_back(1);  // version
  for (uint64_t v : {count_, high_seq}) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  for (const std::shared_ptr<Slot>& s : wheel_) {
    if (!s) continue;
    for (const auto& [seq, ts] : s->entries) {
      util::AppendVarint(b, ts);
      util::AppendUvarint(b, seq);
    }
  }
  return b;
}

// go: server/thw/thw.go:(*HashWheel).Decode
inline Result<uint64_t> HashWheel::Decode(std::span<const uint8_t> b) {
  if (b.size() < kHeaderLen) return MakeError(ErrorCode::kBadEncoding, kErrShortBuffer);
  if (b[0] != 1) return MakeError(ErrorCode::kBadEncoding, kErrInvalidVersion);
  auto le64 = [&](size_t off) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[off + static_cast<size_t>(i)]) << (8 * i);
    return v;
  };
  wheel_.assign(static_cast<size_t>(kWheelSize), nullptr);
  lowest_ = std::numeric_limits<int64_t>::max();
  // Like Go, the count is not reset: Decode is meant for a fresh wheel.
  const uint64_t count = le64(1);
  const uint64_t stamp = le64(9);
  b = b.subspan(kHeaderLen);
  // The claimed count is never trusted for allocation; the loop ends at
  // the first truncated entry.
  for (uint64_t i = 0; i < count; ++i) {
    const util::SignedVarintRead ts = util::ReadVarint(b);
    if (ts.n <= 0) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    const util::VarintRead v = util::ReadUvarint(b.subspan(static_cast<size_t>(ts.n)));
    if (v.n <= 0) return MakeError(ErrorCode::kBadEncoding, kErrUnexpectedEOF);
    Add(v.value, ts.value);
    b = b.subspan(static_cast<size_t>(ts.n + v.n));
  }
  return stamp;
}

}  // namespace natscpp::store::thw

#endif  // NATSCPP_STORE_THW_THW_H_
