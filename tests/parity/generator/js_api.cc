#include "js_api.h"

#include <nats/nats.h>

#include <memory>
#include <thread>

#include "server_process.h"

namespace natscpp::parity {

namespace {

using namespace std::chrono_literals;

// Each request waits this long for its reply.
constexpr int64_t kRequestTimeoutMs = 2000;

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using SubPtr = std::unique_ptr<natsSubscription, SubDeleter>;

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

void Check(natsStatus s, const std::string& what) {
  if (s != NATS_OK) throw GenError(what + ": " + natsStatus_GetText(s));
}

std::string NewInbox() {
  natsInbox* inbox = nullptr;
  Check(natsInbox_Create(&inbox), "natsInbox_Create");
  std::string out(inbox);
  natsInbox_Destroy(inbox);
  return out;
}

std::string MsgData(const natsMsg* m) {
  return std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
}

MsgPtr NewMsg(const std::string& subject, const char* reply, const std::string& data) {
  natsMsg* m = nullptr;
  Check(natsMsg_Create(&m, subject.c_str(), reply, data.data(), static_cast<int>(data.size())),
        "natsMsg_Create " + subject);
  return MsgPtr(m);
}

}  // namespace

std::string ApiError(const Json& reply) {
  if (!reply.is_object() || !reply.contains("error")) return "";
  const Json& e = reply["error"];
  std::string out = "code " + (e.contains("code") ? e["code"].dump() : std::string("?"));
  if (e.contains("err_code")) out += " err_code " + e["err_code"].dump();
  if (e.contains("description")) out += ": " + e["description"].get<std::string>();
  return out;
}

Connection::Connection(const std::string& url, std::chrono::milliseconds timeout) {
  natsOptions* raw_opts = nullptr;
  Check(natsOptions_Create(&raw_opts), "natsOptions_Create");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw_opts);
  Check(natsOptions_SetURL(raw_opts, url.c_str()), "natsOptions_SetURL");
  Check(natsOptions_SetAllowReconnect(raw_opts, false), "natsOptions_SetAllowReconnect");
  Check(natsOptions_SetTimeout(raw_opts, kRequestTimeoutMs), "natsOptions_SetTimeout");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    natsStatus s = natsConnection_Connect(&nc_, raw_opts);
    if (s == NATS_OK) return;
    nc_ = nullptr;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw GenError("cannot connect to " + url + ": " + natsStatus_GetText(s));
    }
    std::this_thread::sleep_for(50ms);
  }
}

Connection::~Connection() {
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

Json Connection::Send(natsMsg* msg, const std::string& subject, bool check_error) {
  natsMsg* raw_reply = nullptr;
  natsStatus s = natsConnection_RequestMsg(&raw_reply, nc_, msg, kRequestTimeoutMs);
  if (s != NATS_OK) throw GenError("request " + subject + ": " + natsStatus_GetText(s));
  MsgPtr reply(raw_reply);
  const std::string data = MsgData(reply.get());
  Json parsed = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw GenError("request " + subject + ": reply is not JSON: " + data.substr(0, 200));
  if (std::string err = ApiError(parsed); check_error && !err.empty()) throw GenError("request " + subject + ": " + err);
  return parsed;
}

Json Connection::Request(const std::string& subject, const Json& body) {
  MsgPtr msg = NewMsg(subject, nullptr, body.dump());
  return Send(msg.get(), subject, /*check_error=*/true);
}

Json Connection::RequestUnchecked(const std::string& subject, const Json& body) {
  MsgPtr msg = NewMsg(subject, nullptr, body.dump());
  return Send(msg.get(), subject, /*check_error=*/false);
}

Json Connection::RequestWithRetry(const std::string& subject, const Json& body,
                                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      return Request(subject, body);
    } catch (const GenError&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(100ms);
  }
}

Json Connection::Publish(const std::string& subject, const std::string& data, const Headers& headers) {
  MsgPtr msg = NewMsg(subject, nullptr, data);
  for (const auto& [k, v] : headers) {
    Check(natsMsgHeader_Set(msg.get(), k.c_str(), v.c_str()), "natsMsgHeader_Set " + k);
  }
  Json ack = Send(msg.get(), subject, /*check_error=*/true);
  if (!ack.contains("seq")) throw GenError("publish " + subject + ": reply is not a PubAck: " + ack.dump());
  return ack;
}

std::vector<PulledMsg> Connection::Pull(const std::string& stream, const std::string& durable, int batch) {
  const std::string inbox = NewInbox();
  natsSubscription* raw_sub = nullptr;
  Check(natsConnection_SubscribeSync(&raw_sub, nc_, inbox.c_str()), "subscribe " + inbox);
  SubPtr sub(raw_sub);
  const std::string subject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + durable;
  Json req = {{"batch", batch}, {"expires", kRequestTimeoutMs * 1'000'000}};
  MsgPtr msg = NewMsg(subject, inbox.c_str(), req.dump());
  Check(natsConnection_PublishMsg(nc_, msg.get()), "publish " + subject);
  std::vector<PulledMsg> out;
  while (static_cast<int>(out.size()) < batch) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, sub.get(), kRequestTimeoutMs);
    if (s != NATS_OK) {
      throw GenError("pull " + stream + "/" + durable + ": got " + std::to_string(out.size()) + " of " +
                     std::to_string(batch) + " messages: " + natsStatus_GetText(s));
    }
    MsgPtr m(raw);
    const char* reply = natsMsg_GetReply(m.get());
    if (reply == nullptr || *reply == '\0') {
      // A status message (404 no messages, 408 timeout) ends the batch early.
      const char* status = nullptr;
      natsMsgHeader_Get(m.get(), "Status", &status);
      throw GenError("pull " + stream + "/" + durable + ": status " + (status != nullptr ? status : "?") +
                     " after " + std::to_string(out.size()) + " of " + std::to_string(batch) + " messages");
    }
    out.push_back({natsMsg_GetSubject(m.get()), reply, MsgData(m.get())});
  }
  return out;
}

void Connection::Ack(const PulledMsg& msg, const std::string& kind) {
  Check(natsConnection_Publish(nc_, msg.reply.c_str(), kind.data(), static_cast<int>(kind.size())),
        "ack " + msg.reply);
}

void Connection::Flush() { Check(natsConnection_FlushTimeout(nc_, kRequestTimeoutMs), "flush"); }

AsyncPublisher::AsyncPublisher(Connection& conn) : conn_(conn), inbox_prefix_(NewInbox() + ".") {
  natsSubscription* raw_sub = nullptr;
  Check(natsConnection_Subscribe(&raw_sub, conn_.raw(), (inbox_prefix_ + "*").c_str(), &AsyncPublisher::OnAck, this),
        "subscribe " + inbox_prefix_ + "*");
  sub_ = raw_sub;
  // The subscription must be known to the server before the first ack.
  conn_.Flush();
}

AsyncPublisher::~AsyncPublisher() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

void AsyncPublisher::OnAckCount(uint64_t n, std::function<void()> hook) {
  hook_at_ = n;
  hook_ = std::move(hook);
}

void AsyncPublisher::Publish(const std::string& subject, const std::string& data) {
  const std::string reply = inbox_prefix_ + std::to_string(sent_);
  MsgPtr msg = NewMsg(subject, reply.c_str(), data);
  Check(natsConnection_PublishMsg(conn_.raw(), msg.get()), "publish " + subject);
  ++sent_;
}

void AsyncPublisher::OnAck(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<AsyncPublisher*>(closure);
  Json ack = Json::parse(MsgData(msg), nullptr, false);
  if (!ack.is_discarded() && ack.contains("seq") && !ack.contains("error")) {
    if (self->acked_.fetch_add(1) + 1 == self->hook_at_ && self->hook_) {
      self->hook_();
      self->hook_fired_.store(true);
    }
  } else {
    self->errors_.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

}  // namespace natscpp::parity
