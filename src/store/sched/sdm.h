// Subject delete markers (server/sdm.go): bookkeeping of removals and
// markers proposed but not yet applied, so a message is not proposed twice
// and the "last message of its subject" decision stays stable.
#ifndef NATSCPP_STORE_SCHED_SDM_H_
#define NATSCPP_STORE_SCHED_SDM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "headers/headers.h"

namespace natscpp::store::sched {

// One pending sequence.
struct SDMBySeq {
  bool last = false;  // it was the last message of its subject
  int64_t ts = 0;     // when its removal or marker was last proposed (ns)
};

// Go's methods tolerate a nil *SDMMeta; C++ callers hold the object (or
// check their pointer) instead.
class SDMMeta {
 public:
  SDMMeta();

  // Forgets everything.
  void Empty();
  // Records seq of subj as pending and returns whether it was the last
  // message of subj; a sequence already pending keeps its first answer.
  bool TrackPending(uint64_t seq, const std::string& subj, bool last);
  // Drops seq and one pending count of subj.
  void RemoveSeqAndSubject(uint64_t seq, const std::string& subj);

  const std::unordered_map<std::string, uint64_t>& totals() const { return totals_; }
  const std::unordered_map<uint64_t, SDMBySeq>& pending() const { return pending_; }
  // The file store refreshes a pending entry's time in place.
  std::unordered_map<uint64_t, SDMBySeq>& pending() { return pending_; }

 private:
  std::unordered_map<std::string, uint64_t> totals_;  // pending count per subject
  std::unordered_map<uint64_t, SDMBySeq> pending_;
};

// Whether hdr marks a subject delete marker: a Nats-Marker-Reason header,
// or a KV purge (KV-Operation: PURGE).
bool IsSubjectDeleteMarker(headers::ByteView hdr);

}  // namespace natscpp::store::sched

#endif  // NATSCPP_STORE_SCHED_SDM_H_
