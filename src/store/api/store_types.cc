#include "natscpp/store/store_types.h"

namespace natscpp::store {

void StoreMsg::SetData(std::span<const uint8_t> header, std::span<const uint8_t> payload) {
  buf.assign(header.begin(), header.end());
  buf.insert(buf.end(), payload.begin(), payload.end());
  hdr_len = header.size();
}

// go: server/store.go:(*StoreMsg).copy
void StoreMsg::CopyFrom(const StoreMsg& other) {
  if (this == &other) return;
  subject = other.subject;
  buf.assign(other.buf.begin(), other.buf.end());
  hdr_len = other.hdr_len;
  seq = other.seq;
  ts = other.ts;
}

// go: server/filestore.go:(*LostStreamData).exists
std::pair<int, bool> LostStreamData::Exists(uint64_t seq) const {
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (msgs[i] == seq) return {static_cast<int>(i), true};
  }
  return {-1, false};
}

// go: server/store.go:(*StoreMsg).clear
void StoreMsg::Clear() {
  subject.clear();
  buf.clear();
  hdr_len = 0;
  seq = 0;
  ts = 0;
}

// go: server/store.go:(*DeleteRange).State
DeleteBlock::Summary DeleteRange::State() const {
  // The last deleted sequence is first + num - 1 (first itself when empty).
  const uint64_t after_first = num_ > 0 ? num_ - 1 : 0;
  return {first_, first_ + after_first, num_};
}

// go: server/store.go:(*DeleteRange).Range
void DeleteRange::Range(const std::function<bool(uint64_t)>& f) const {
  for (uint64_t seq = first_; seq < first_ + num_; ++seq) {
    if (!f(seq)) return;
  }
}

// go: server/store.go:(DeleteSlice).State
DeleteBlock::Summary DeleteSlice::State() const {
  if (seqs_.empty()) return {};
  return {seqs_.front(), seqs_.back(), seqs_.size()};
}

// go: server/store.go:(DeleteSlice).Range
void DeleteSlice::Range(const std::function<bool(uint64_t)>& f) const {
  for (uint64_t seq : seqs_) {
    if (!f(seq)) return;
  }
}

// go: server/store.go:(DeleteBlocks).NumDeleted
uint64_t NumDeleted(const DeleteBlocks& blocks) {
  uint64_t total = 0;
  for (const auto& b : blocks) total += b->State().num;
  return total;
}

}  // namespace natscpp::store
