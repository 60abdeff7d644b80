// Message scheduling (server/scheduler.go): which stream message holds the
// current schedule of each subject, when each schedule fires next, and
// producing the messages to publish when schedules fire.
//
// Encoded form (msgs/sched.db, FORMAT.md §7): byte 1 ‖ uint64 LE count ‖
// uint64 LE stamp ‖ count × (uint16 LE subject length ‖ subject ‖ varint
// next fire time ns ‖ uvarint sequence).
#ifndef NATSCPP_STORE_SCHED_SCHEDULER_H_
#define NATSCPP_STORE_SCHED_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "headers/headers.h"
#include "natscpp/store/error.h"
#include "sched/go_time.h"
#include "thw/thw.h"

namespace natscpp::store::sched {

inline constexpr size_t kSchedHeaderLen = 17;  // version byte + two uint64s

// Go's error strings, carried as messages (codes: kBadEncoding).
inline constexpr const char* kErrMsgScheduleInvalidVersion = "msg scheduling: encoded version not known";
inline constexpr const char* kErrShortBuffer = "short buffer";
inline constexpr const char* kErrUnexpectedEOF = "unexpected EOF";

// The fields of a stored message that scheduling reads.
struct StoreMsg {
  std::string subj;
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> msg;
  uint64_t seq = 0;
  int64_t ts = 0;
};

// A message to publish when a schedule fires (Go's inMsg, the parts set
// here); seq is the schedule message's sequence, used for ordering.
struct InMsg {
  std::string subj;
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> msg;
  uint64_t seq = 0;
};

// The result of parsing a schedule pattern: when it fires, whether it
// repeats, and whether the pattern was valid.
struct ParsedMsgSchedule {
  Time next;
  bool repeat = false;
  bool ok = false;
};

// A one-shot timer (Go's *time.Timer from time.AfterFunc). The store owns
// the executor; scheduling only arms, re-arms and stops.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void Reset(int64_t fire_in_ns) = 0;
  virtual void Stop() = 0;
};
// Creates a timer that calls fn once after fire_in_ns (time.AfterFunc).
using AfterFunc = std::function<std::unique_ptr<Timer>(int64_t fire_in_ns, std::function<void()> fn)>;

// Not thread-safe: the owning store serialises calls under its lock, as
// in Go. The timer callback `run` is expected to take that lock, set
// running, call GetScheduledMessages, then clear running and the deadline
// and call ResetTimer.
class MsgScheduling {
 public:
  struct MsgSchedule {
    uint64_t seq = 0;
    int64_t ts = 0;
  };
  // Loads the message at seq (std::nullopt if gone).
  using LoadMsgFn = std::function<std::optional<StoreMsg>(uint64_t seq)>;
  // Loads the last message on subject (std::nullopt if none).
  using LoadLastFn = std::function<std::optional<StoreMsg>(std::string_view subj)>;

  // run is what the timer calls; without after_func no timer is armed
  // (the deadline bookkeeping still happens).
  explicit MsgScheduling(std::function<void()> run, AfterFunc after_func = {});

  // Tracks seq as subj's schedule, firing at ts, and re-arms the timer.
  void Add(uint64_t seq, const std::string& subj, int64_t ts);
  // Add without touching the timer (used while loading state).
  void Init(uint64_t seq, const std::string& subj, int64_t ts);
  // Moves subj's schedule to fire at ts.
  void Update(const std::string& subj, int64_t ts);
  void MarkInflight(const std::string& subj);
  bool IsInflight(const std::string& subj) const;
  void Remove(uint64_t seq);
  void RemoveSubject(const std::string& subj);
  void ClearInflight();
  // Arms the timer for the earliest schedule (no sooner than 250ms, never
  // later than an already armed deadline).
  void ResetTimer();

  // Messages for every schedule due now, ordered by schedule sequence.
  // Invalid or vanished schedules are dropped.
  std::vector<InMsg> GetScheduledMessages(const LoadMsgFn& load_msg, const LoadLastFn& load_last);

  std::vector<uint8_t> Encode(uint64_t high_seq) const;
  // Adds the encoded schedules; returns the stamp.
  Result<uint64_t> Decode(std::span<const uint8_t> b);

  bool running() const { return running_; }
  void set_running(bool running) { running_ = running; }
  int64_t deadline() const { return deadline_; }
  void set_deadline(int64_t deadline) { deadline_ = deadline; }
  const thw::HashWheel& ttls() const { return ttls_; }
  const std::unordered_map<std::string, MsgSchedule>& schedules() const { return schedules_; }
  const std::unordered_map<uint64_t, std::string>& seq_to_subj() const { return seq_to_subj_; }

 private:
  std::function<void()> run_;
  AfterFunc after_func_;
  thw::HashWheel ttls_;
  std::unique_ptr<Timer> timer_;
  bool running_ = false;
  int64_t deadline_ = 0;
  std::unordered_map<std::string, MsgSchedule> schedules_;
  std::unordered_map<uint64_t, std::string> seq_to_subj_;
  std::unordered_set<std::string> inflight_;
};

// Parses a Nats-Schedule pattern ("@at <RFC3339>", "@every <duration>",
// "@hourly" and friends, or a six-field cron) relative to ts (ns since
// epoch). loc (nullable) is the schedule's time zone, only valid for cron.
// An empty pattern is valid and yields the zero Time.
ParsedMsgSchedule ParseMsgSchedule(std::string_view pattern, const LocationPtr& loc, int64_t ts);

}  // namespace natscpp::store::sched

#endif  // NATSCPP_STORE_SCHED_SCHEDULER_H_
