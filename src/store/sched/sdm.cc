#include "sched/sdm.h"

#include <algorithm>

#include "sched/go_time.h"

namespace natscpp::store::sched {

// go: server/sdm.go:newSDMMeta
SDMMeta::SDMMeta() {
  // Go sizes both maps for one entry, the common case.
  totals_.reserve(1);
  pending_.reserve(1);
}

// go: server/sdm.go:isSubjectDeleteMarker
bool IsSubjectDeleteMarker(headers::ByteView hdr) {
  const auto reason = headers::SliceHeader(headers::kJSMarkerReason, hdr);
  if (reason && !reason->empty()) return true;
  const auto op = headers::SliceHeader(headers::kKVOperation, hdr);
  const std::string_view op_value = op ? headers::AsString(*op) : std::string_view();
  return op_value == headers::kKVOperationValuePurge;
}

// go: server/sdm.go:(*SDMMeta).empty
void SDMMeta::Empty() {
  totals_.clear();
  pending_.clear();
}

// go: server/sdm.go:(*SDMMeta).trackPending
bool SDMMeta::TrackPending(uint64_t seq, const std::string& subj, bool last) {
  if (const auto it = pending_.find(seq); it != pending_.end()) return it->second.last;
  pending_[seq] = SDMBySeq{last, NowUnixNano()};
  totals_[subj]++;
  return last;
}

// go: server/sdm.go:(*SDMMeta).removeSeqAndSubject
void SDMMeta::RemoveSeqAndSubject(uint64_t seq, const std::string& subj) {
  if (pending_.erase(seq) == 0) return;
  const auto it = totals_.find(subj);
  if (it == totals_.end()) return;
  if (it->second <= 1) {
    totals_.erase(it);
  } else {
    --it->second;
  }
}

}  // namespace natscpp::store::sched
