#include "jsstore/consumer_view.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace natscpp::jsstore {
namespace {

// The consumer's in-memory sequences (o.sseq, o.dseq, o.asflr, o.adflr and
// the pending and redelivered maps), as consumer.go keeps them.
struct Live {
  uint64_t sseq = 0;  // next stream sequence to deliver
  uint64_t dseq = 0;  // next consumer sequence
  uint64_t asflr = 0;
  uint64_t adflr = 0;
  std::map<uint64_t, store::Pending> pending;
  std::map<uint64_t, uint64_t> rdc;
  bool known = true;  // false when the start depends on what we do not model
};

std::vector<std::string> Filters(const store::ConsumerConfig& cfg) {
  if (!cfg.filter_subjects.empty()) return cfg.filter_subjects;
  return {cfg.filter_subject};  // "" = every subject
}

// State after a stream that lost data ends below what the consumer saw
// (consumer.go reconcileStateWithStream).
void Reconcile(Live& o, uint64_t last_seq) {
  if (o.asflr > last_seq) {
    o.asflr = last_seq;
    o.adflr = o.dseq > 0 ? o.dseq - 1 : 0;
    o.pending.clear();
    o.rdc.clear();
  }
  std::erase_if(o.pending, [&](const auto& kv) { return kv.first > last_seq; });
  std::erase_if(o.rdc, [&](const auto& kv) { return kv.first > last_seq; });
  if (o.pending.empty()) {
    o.sseq = o.asflr + 1;
    o.dseq = o.adflr + 1;
    return;
  }
  uint64_t max_sseq = 0;
  uint64_t max_dseq = 0;
  for (const auto& [sseq, p] : o.pending) {
    max_sseq = std::max(max_sseq, sseq);
    max_dseq = std::max(max_dseq, p.sequence);
  }
  o.sseq = max_sseq + 1;
  o.dseq = max_dseq + 1;
}

// A consumer with no o.dat starts where its deliver policy says
// (consumer.go selectStartingSeqNo, for the single-server case).
void SelectStart(Live& o, store::FileStore& fs, const store::ConsumerConfig& cfg, const store::StreamState& ss) {
  using store::DeliverPolicy;
  if (cfg.opt_start_seq != 0) {
    o.sseq = cfg.opt_start_seq;
  } else if (cfg.deliver_policy == DeliverPolicy::kAll) {
    o.sseq = ss.first_seq;
  } else if (cfg.deliver_policy == DeliverPolicy::kLast) {
    if (cfg.filter_subject.empty() && cfg.filter_subjects.empty()) {
      o.sseq = ss.last_seq;
    } else {
      for (const std::string& f : Filters(cfg)) {
        auto fst = fs.FilteredState(1, f);
        if (fst && fst->last > o.sseq) o.sseq = fst->last;
      }
    }
  } else if (cfg.deliver_policy == DeliverPolicy::kLastPerSubject &&
             fs.Info().config.max_msgs_per == 1) {
    o.sseq = ss.first_seq;
  } else if (cfg.deliver_policy == DeliverPolicy::kNew) {
    o.sseq = ss.last_seq + 1;
  } else {
    o.known = false;  // last_per_subject skip lists, by_start_time lookups
    return;
  }
  const bool clamp = cfg.direct || cfg.opt_start_seq == 0;
  if (ss.first_seq == 0 && clamp) {
    o.sseq = 1;
  } else if (o.sseq > ss.last_seq && clamp) {
    o.sseq = ss.last_seq + 1;
  } else if (o.sseq < ss.first_seq) {
    o.sseq = ss.first_seq;
  }
  o.dseq = 1;
  o.adflr = 0;
  o.asflr = o.sseq > 0 ? o.sseq - 1 : 0;
}

// Messages matching the filters from o.sseq on, capped as the server caps
// them (consumer.go calculateNumPending, checkNumPending).
uint64_t NumPending(const Live& o, store::FileStore& fs, const store::ConsumerConfig& cfg,
                    const store::StreamState& ss) {
  if (o.sseq > ss.last_seq) return 0;
  uint64_t n = 0;
  for (const std::string& f : Filters(cfg)) {
    auto fst = fs.FilteredState(o.sseq, f);
    if (fst) n += fst->msgs;
  }
  const uint64_t start = std::max<uint64_t>(o.sseq, 1);
  return std::min({n, ss.msgs, ss.last_seq - start + 1});
}

}  // namespace

RecoveredConsumer RecoverConsumerView(store::FileStore& fs, const store::StoredConsumer& c) {
  store::StreamState ss;
  fs.FastState(&ss);
  const store::ConsumerConfig& cfg = c.config;

  Live o;
  std::error_code ec;
  const bool has_state = c.state.delivered.consumer != 0 || c.state.delivered.stream != 0 ||
                         std::filesystem::exists(fs.Dir() / "obs" / c.name / "o.dat", ec);
  if (has_state) {
    o.sseq = c.state.delivered.stream + 1;
    o.dseq = c.state.delivered.consumer + 1;
    o.asflr = c.state.ack_floor.stream;
    o.adflr = c.state.ack_floor.consumer;
    o.pending = c.state.pending;
    o.rdc = c.state.redelivered;
    // Redelivery counts for messages no longer in the stream are dropped.
    std::erase_if(o.rdc, [&](const auto& kv) { return kv.first < ss.first_seq; });
    if (ss.last_seq < o.sseq - 1) Reconcile(o, ss.last_seq);
  } else {
    SelectStart(o, fs, cfg, ss);
  }

  RecoveredConsumer r;
  if (!o.known) {
    r.delivered = c.state.delivered;
    r.ack_floor = c.state.ack_floor;
    return r;
  }
  r.delivered = {o.dseq > 0 ? o.dseq - 1 : 0, o.sseq > 0 ? o.sseq - 1 : 0};
  r.ack_floor = {o.adflr, o.asflr};
  r.num_ack_pending = o.pending.size();
  // With a single delivery allowed the server does not report redeliveries.
  r.num_redelivered = cfg.max_deliver == 1 ? 0 : o.rdc.size();
  if (cfg.deliver_policy != store::DeliverPolicy::kLastPerSubject) r.num_pending = NumPending(o, fs, cfg, ss);
  return r;
}

store::Result<Json> ConsumerJson(store::FileStore& fs, const store::StoredConsumer& c) {
  auto config = ConsumerConfigJson(c.config);
  if (!config) return std::unexpected(config.error());
  auto created = store::FormatRfc3339Nano(c.created);
  if (!created) return std::unexpected(created.error());
  const RecoveredConsumer r = RecoverConsumerView(fs, c);

  Json j = Json::object();
  j["stream_name"] = fs.Info().config.name;
  j["name"] = c.name;
  j["created"] = *created;
  j["config"] = std::move(*config);
  j["delivered"] = Json{{"consumer_seq", r.delivered.consumer}, {"stream_seq", r.delivered.stream}};
  j["ack_floor"] = Json{{"consumer_seq", r.ack_floor.consumer}, {"stream_seq", r.ack_floor.stream}};
  j["num_ack_pending"] = r.num_ack_pending;
  j["num_redelivered"] = r.num_redelivered;
  if (r.num_pending) j["num_pending"] = *r.num_pending;
  return j;
}

}  // namespace natscpp::jsstore
