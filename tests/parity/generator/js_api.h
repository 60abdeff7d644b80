// A thin client of the JetStream API over nats.c: raw `$JS.API.*` requests
// with JSON bodies, publishes that wait for their PubAck, pull-consumer
// fetches and acks. Every request has a timeout and every reply is checked
// for an `error` object; any failure throws GenError.
#ifndef NATSCPP_TESTS_PARITY_GENERATOR_JS_API_H_
#define NATSCPP_TESTS_PARITY_GENERATOR_JS_API_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;

namespace natscpp::parity {

// Insertion-ordered, so the server's field order survives into expect.json.
using Json = nlohmann::ordered_json;

using Headers = std::vector<std::pair<std::string, std::string>>;

// A message fetched from a pull consumer; `reply` is its $JS.ACK subject.
struct PulledMsg {
  std::string subject;
  std::string reply;
  std::string data;
};

class Connection {
 public:
  // Connects to `url`, retrying until `timeout` (the server may still be
  // starting). Reconnects are off: a dead server must fail requests.
  Connection(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `body` to `subject` and returns the parsed reply; throws when there
  // is no reply within the request timeout or the reply has an `error`.
  Json Request(const std::string& subject, const Json& body);
  // Request() that returns an `error` reply instead of throwing on it
  // (transport failures still throw).
  Json RequestUnchecked(const std::string& subject, const Json& body);
  // Like Request(), but retries while JetStream is not answering yet
  // (timeouts, "no responders", JetStream-not-enabled errors).
  Json RequestWithRetry(const std::string& subject, const Json& body, std::chrono::milliseconds timeout);

  // Publishes to a stream's subject and returns the PubAck ({stream, seq}).
  Json Publish(const std::string& subject, const std::string& data, const Headers& headers = {});

  // Fetches exactly `batch` messages of durable pull consumer `durable`.
  std::vector<PulledMsg> Pull(const std::string& stream, const std::string& durable, int batch);
  // Acknowledges a pulled message ("+ACK", "-NAK", ...), without a reply.
  void Ack(const PulledMsg& msg, const std::string& kind = "+ACK");
  // Waits until the server has processed everything sent so far.
  void Flush();

  __natsConnection* raw() { return nc_; }

 private:
  Json Send(__natsMsg* msg, const std::string& subject, bool check_error);

  __natsConnection* nc_ = nullptr;
};

// Publishes without waiting: PubAcks arrive on a private inbox and are
// counted. Used for the crash scenario, where the server dies with
// publishes still in flight.
class AsyncPublisher {
 public:
  explicit AsyncPublisher(Connection& conn);
  ~AsyncPublisher();
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;

  // Calls `hook` once, on the client's callback thread, when the n-th
  // PubAck arrives: the moment the crash scenario kills the server.
  void OnAckCount(uint64_t n, std::function<void()> hook);
  // Queues one publish; never waits for its ack.
  void Publish(const std::string& subject, const std::string& data);
  // True once the OnAckCount hook has run.
  bool hook_fired() const { return hook_fired_.load(); }
  // PubAcks received so far (error replies are not counted).
  uint64_t acked() const { return acked_.load(); }
  uint64_t errors() const { return errors_.load(); }
  uint64_t sent() const { return sent_; }

 private:
  static void OnAck(__natsConnection* nc, __natsSubscription* sub, __natsMsg* msg, void* closure);

  Connection& conn_;
  __natsSubscription* sub_ = nullptr;
  std::string inbox_prefix_;
  uint64_t sent_ = 0;
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> errors_{0};
  uint64_t hook_at_ = 0;
  std::function<void()> hook_;
  std::atomic<bool> hook_fired_{false};
};

// The JetStream error of a reply, formatted "code N err_code M: description",
// or "" if `reply` has none.
std::string ApiError(const Json& reply);

}  // namespace natscpp::parity

#endif  // NATSCPP_TESTS_PARITY_GENERATOR_JS_API_H_
