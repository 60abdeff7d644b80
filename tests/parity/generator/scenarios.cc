#include "scenarios.h"

#include <algorithm>
#include <fstream>
#include <thread>

namespace natscpp::parity {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAccount = "$G";

// A crash that came too late: every publish had been acknowledged, so the
// kill caught nothing in flight. The scenario is run again.
class NotInFlight : public GenError {
 public:
  using GenError::GenError;
};

// --- traffic -----------------------------------------------------------

// A small JSON body whose size varies with i: {"order":i,"sku":...,"note":...}.
std::string Payload(uint64_t i, size_t note_len) {
  std::string note;
  for (size_t k = 0; k < note_len; ++k) note += static_cast<char>('a' + (i + 9 + k) % 26);
  return "{\"order\":" + std::to_string(i) + ",\"sku\":\"SKU-" + std::to_string(i * 919 % 1000) +
         "\",\"note\":\"" + note + "\"}";
}

Json CreateStream(Connection& conn, Json config) {
  const std::string name = config["name"].get<std::string>();
  config["storage"] = "file";
  config["num_replicas"] = 1;
  return conn.Request("$JS.API.STREAM.CREATE." + name, config);
}

// A durable pull consumer with explicit acks (2.9 API: DURABLE.CREATE).
void CreateDurable(Connection& conn, const std::string& stream, const std::string& durable,
                   const std::string& filter = "") {
  Json config = {{"durable_name", durable}, {"deliver_policy", "all"}, {"ack_policy", "explicit"}};
  if (!filter.empty()) config["filter_subject"] = filter;
  conn.Request("$JS.API.CONSUMER.DURABLE.CREATE." + stream + "." + durable,
               Json{{"stream_name", stream}, {"config", config}});
}

// Removes a message, leaving its bytes in the block.
void DeleteMsg(Connection& conn, const std::string& stream, uint64_t seq) {
  Json r = conn.Request("$JS.API.STREAM.MSG.DELETE." + stream, Json{{"seq", seq}, {"no_erase", true}});
  if (r.value("success", false) != true) throw GenError("delete " + std::to_string(seq) + ": " + r.dump());
}

// Secure delete: the server overwrites the record in place (erased bit,
// zero timestamp, random bytes). no_erase false is also the default.
void EraseMsg(Connection& conn, const std::string& stream, uint64_t seq) {
  Json r = conn.Request("$JS.API.STREAM.MSG.DELETE." + stream, Json{{"seq", seq}, {"no_erase", false}});
  if (r.value("success", false) != true) throw GenError("erase " + std::to_string(seq) + ": " + r.dump());
}

Json StreamState(Connection& conn, const std::string& stream) {
  return conn.Request("$JS.API.STREAM.INFO." + stream, Json::object())["state"];
}

// --- scenarios ---------------------------------------------------------

// Many subjects, headers on every fifth message, interior deletes and two
// consumers: `audit` acks a prefix and leaves a tail pending, `billing`
// (filtered) acks every other message and NAKs some, so the fresh open
// sees pending and redelivered entries.
std::string DriveOrders(Connection& conn, ServerProcess&, const std::string& stream) {
  CreateStream(conn, {{"name", stream}, {"subjects", Json::array({"orders.>"})}});
  CreateDurable(conn, stream, "audit");
  CreateDurable(conn, stream, "billing", "orders.eu.>");
  static constexpr const char* kRegions[] = {"eu", "us", "apac"};
  for (uint64_t i = 1; i <= 400; ++i) {
    const std::string subject = std::string("orders.") + kRegions[i % 3] + "." + std::to_string(i % 17);
    Headers headers;
    if (i % 5 == 0) headers = {{"Nats-Msg-Id", "id-" + std::to_string(i)}, {"X-Trace", "t" + std::to_string(i % 3)}};
    conn.Publish(subject, Payload(i, 3 + i % 6), headers);
  }
  for (uint64_t seq : std::initializer_list<uint64_t>{1, 2, 50, 51, 52, 200, 399}) DeleteMsg(conn, stream, seq);

  for (const auto& m : conn.Pull(stream, "audit", 150)) conn.Ack(m);
  conn.Pull(stream, "audit", 20);  // left pending

  auto billing = conn.Pull(stream, "billing", 60);
  for (size_t k = 0; k < billing.size(); ++k) {
    if (k % 2 == 0) conn.Ack(billing[k]);
    else if (k < 6) conn.Ack(billing[k], "-NAK");  // redelivered by the next pull
  }
  conn.Flush();
  conn.Pull(stream, "billing", 5);  // three redeliveries, two new
  conn.Flush();
  return "";
}

// Small max_bytes, so 2.9.10 picks its smallest block size (dynBlkSize)
// and the store spans several blocks; the byte limit drops the oldest
// messages, a subject purge and scattered deletes leave holes.
std::string DriveEvents(Connection& conn, ServerProcess&, const std::string& stream) {
  CreateStream(conn, {{"name", stream}, {"subjects", Json::array({"ev.*"})}, {"max_bytes", 80000}, {"discard", "old"}});
  uint64_t i = 1;
  auto publish = [&](uint64_t n) {
    for (uint64_t end = i + n; i < end; ++i) conn.Publish("ev." + std::to_string(i % 40), Payload(i, 40 + i % 80));
  };
  publish(1200);
  Json purged = conn.Request("$JS.API.STREAM.PURGE." + stream, Json{{"filter", "ev.7"}});
  if (purged.value("success", false) != true) throw GenError("purge ev.7: " + purged.dump());
  Json state = StreamState(conn, stream);
  const uint64_t first = state["first_seq"].get<uint64_t>();
  const uint64_t last = state["last_seq"].get<uint64_t>();
  for (uint64_t seq = first + 3; seq < last; seq += 23) {
    if (seq % 40 != 7) DeleteMsg(conn, stream, seq);  // ev.7 is already purged
  }
  publish(100);
  return "";
}

// A KV bucket's stream: one message per key, keys overwritten, delete and
// purge markers, and erased (securely deleted) current values.
std::string DriveKv(Connection& conn, ServerProcess&, const std::string& stream) {
  CreateStream(conn, {{"name", stream},
                      {"subjects", Json::array({"$KV.cfg.>"})},
                      {"max_msgs_per_subject", 1},
                      {"discard", "new"},
                      {"allow_rollup_hdrs", true},
                      {"deny_delete", false}});
  std::vector<uint64_t> latest(60, 0);
  for (uint64_t i = 1; i <= 600; ++i) {
    const uint64_t key = (i * 7) % 60;
    latest[key] = conn.Publish("$KV.cfg.key" + std::to_string(key), Payload(i, 2 + i % 5))["seq"].get<uint64_t>();
  }
  conn.Publish("$KV.cfg.key5", "", {{"KV-Operation", "DEL"}});
  conn.Publish("$KV.cfg.key6", "", {{"KV-Operation", "PURGE"}, {"Nats-Rollup", "sub"}});
  for (size_t key : std::initializer_list<size_t>{10, 20, 33}) EraseMsg(conn, stream, latest[key]);
  return "";
}

// Sync traffic and a consumer with pending acks, one delete, then an async
// wave: the server is SIGKILLed once part of the wave is acknowledged, with
// the rest still in flight.
std::string DriveCrash(Connection& conn, ServerProcess& server, const std::string& stream) {
  CreateStream(conn, {{"name", stream}, {"subjects", Json::array({"crash.>"})}});
  CreateDurable(conn, stream, "c1");
  for (uint64_t i = 1; i <= 200; ++i) conn.Publish("crash." + std::to_string(i % 9), Payload(i, 8 + i % 8));
  DeleteMsg(conn, stream, 100);
  auto pulled = conn.Pull(stream, "c1", 120);
  for (size_t k = 0; k < pulled.size(); k += 2) conn.Ack(pulled[k]);
  conn.Flush();
  // Give the server's background flushers time to write the consumer state
  // (o.dat), so what the crash loses is the wave, not a random part of it.
  std::this_thread::sleep_for(1500ms);

  // The wave is handed to the client library without waiting, and the
  // server is killed from the ack callback the moment the 100th PubAck of
  // the wave arrives: by then the server has stored at least those, and
  // the rest is in its buffers, the sockets or the client's buffer.
  constexpr uint64_t kWave = 600;
  constexpr uint64_t kKillAtAck = 100;
  AsyncPublisher wave(conn);
  wave.OnAckCount(kKillAtAck, [&server] { server.SendKill(); });
  for (uint64_t i = 201; i < 201 + kWave && !wave.hook_fired(); ++i) {
    wave.Publish("crash." + std::to_string(i % 9), Payload(i, 8 + i % 8));
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!wave.hook_fired() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  server.Kill();
  if (!wave.hook_fired()) throw GenError("crash wave: fewer than " + std::to_string(kKillAtAck) + " PubAcks in 10 s");
  const uint64_t acked_at_kill = kKillAtAck;
  if (wave.errors() != 0) throw GenError("crash wave: " + std::to_string(wave.errors()) + " publishes were refused");
  if (acked_at_kill >= wave.sent()) throw NotInFlight("crash wave: every publish was acknowledged before the kill");
  return "before the kill 200 messages were published and acknowledged one by one (then seq 100 was deleted "
         "and c1 fetched 120, acking every other one); then " + std::to_string(wave.sent()) +
         " more were sent without waiting and the server was killed when the " + std::to_string(acked_at_kill) +
         "th of their PubAcks arrived";
}

// --- recording ---------------------------------------------------------

// The `message` object of MSG.GET in the shared sets' shape (hdrs and data
// always present, "" when empty), or null if the sequence is not stored.
Json GetMessage(Connection& conn, const std::string& stream, uint64_t seq) {
  Json r = conn.RequestUnchecked("$JS.API.STREAM.MSG.GET." + stream, Json{{"seq", seq}});
  if (r.contains("error")) {
    // 10037 = JSNoMessageFoundErr: a deleted or never-recovered sequence.
    if (r["error"].value("err_code", 0) == 10037) return nullptr;
    throw GenError("MSG.GET " + stream + " " + std::to_string(seq) + ": " + ApiError(r));
  }
  const Json& m = r.at("message");
  return Json{{"seq", m.at("seq")},
              {"subject", m.at("subject")},
              {"time", m.at("time")},
              {"hdrs", m.value("hdrs", "")},
              {"data", m.value("data", "")}};
}

Json ConsumerView(Connection& conn, const std::string& stream) {
  std::vector<std::string> names;
  for (uint64_t offset = 0;;) {
    Json page = conn.Request("$JS.API.CONSUMER.NAMES." + stream, Json{{"offset", offset}});
    const Json& batch = page["consumers"];
    if (!batch.is_array()) break;
    for (const auto& n : batch) names.push_back(n.get<std::string>());
    offset += batch.size();
    if (batch.empty() || offset >= page.value("total", uint64_t{0})) break;
  }
  std::sort(names.begin(), names.end());
  Json out = Json::array();
  for (const auto& name : names) {
    Json info = conn.Request("$JS.API.CONSUMER.INFO." + stream + "." + name, Json::object());
    out.push_back(Json{{"name", info.at("name")},
                       {"config", info.at("config")},
                       {"delivered", info.at("delivered")},
                       {"ack_floor", info.at("ack_floor")},
                       {"num_ack_pending", info.at("num_ack_pending")},
                       {"num_redelivered", info.at("num_redelivered")},
                       {"num_pending", info.at("num_pending")}});
  }
  return out;
}

// Opens `store_dir` with a fresh server and records its view.
Json RecordView(const Scenario& scenario, const GeneratorEnv& env, const fs::path& store_dir,
                const fs::path& work_dir) {
  ServerProcess server({env.server_binary, store_dir, scenario.encryption}, work_dir);
  Connection conn(server.url());
  // The stream may be recovered a moment after the port opens.
  Json info = conn.RequestWithRetry("$JS.API.STREAM.INFO." + scenario.stream,
                                    Json{{"deleted_details", true}, {"subjects_filter", ">"}}, 15s);
  Json view;
  view["config"] = info.at("config");
  view["state"] = info.at("state");
  Json messages = Json::array();
  const uint64_t first = info["state"].value("first_seq", uint64_t{0});
  const uint64_t last = info["state"].value("last_seq", uint64_t{0});
  if (info["state"].value("messages", uint64_t{0}) > 0) {
    for (uint64_t seq = first; seq <= last; ++seq) {
      if (Json m = GetMessage(conn, scenario.stream, seq); !m.is_null()) messages.push_back(std::move(m));
    }
  }
  if (messages.size() != info["state"].value("messages", uint64_t{0})) {
    throw GenError("fresh open of " + scenario.name + ": state says " + info["state"]["messages"].dump() +
                   " messages, MSG.GET found " + std::to_string(messages.size()));
  }
  view["messages"] = std::move(messages);
  view["consumers"] = ConsumerView(conn, scenario.stream);
  server.Terminate();
  return view;
}

// Cuts the newest msgs/<N>.blk 7 bytes short: inside the last record's
// 8-byte checksum, so the record is torn whatever its length.
void TearNewestBlock(const fs::path& stream_dir) {
  fs::path newest;
  uint64_t newest_index = 0;
  for (const auto& entry : fs::directory_iterator(stream_dir / "msgs")) {
    const fs::path& p = entry.path();
    if (p.extension() != ".blk") continue;
    const std::string stem = p.stem().string();
    if (stem.empty() || !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    const uint64_t index = std::stoull(stem);
    if (newest.empty() || index > newest_index) {
      newest = p;
      newest_index = index;
    }
  }
  if (newest.empty()) throw GenError("torn: no block file under " + (stream_dir / "msgs").string());
  const auto size = fs::file_size(newest);
  if (size < 64) throw GenError("torn: " + newest.string() + " is too small to cut (" + std::to_string(size) + " bytes)");
  fs::resize_file(newest, size - 7);
}

std::string VersionNumber(const std::string& version_line) {
  const auto v = version_line.rfind('v');
  return v == std::string::npos ? version_line : version_line.substr(v + 1);
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw GenError("cannot write " + path.string());
}

}  // namespace

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario> kScenarios = {
      {"basic", "ORDERS", std::nullopt, Ending::kCleanShutdown, &DriveOrders},
      {"multiblock", "EVENTS", std::nullopt, Ending::kCleanShutdown, &DriveEvents},
      {"kv", "KV_cfg", std::nullopt, Ending::kCleanShutdown, &DriveKv},
      {"chacha", "ORDERS", Encryption{"parity-secret-1", "chacha"}, Ending::kCleanShutdown, &DriveOrders},
      {"aes", "EVENTS", Encryption{"parity-secret-2", "aes"}, Ending::kCleanShutdown, &DriveEvents},
      {"crash", "CRASH", std::nullopt, Ending::kCrash, &DriveCrash},
      {"torn", "CRASH", std::nullopt, Ending::kTornCrash, &DriveCrash},
  };
  return kScenarios;
}

const Scenario* FindScenario(const std::string& name) {
  for (const auto& s : AllScenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {

void GenerateSetOnce(const Scenario& scenario, const GeneratorEnv& env, const fs::path& out_dir) {
  TempDir tmp;
  const fs::path writer_dir = tmp.path() / "writer";
  const fs::path reader_dir = tmp.path() / "reader";
  fs::create_directories(writer_dir / "store");
  fs::create_directories(reader_dir / "store");
  const std::string stream_dir = std::string("jetstream/") + kAccount + "/streams/" + scenario.stream;

  // 1. Write the store with a live server.
  std::string drive_note;
  {
    ServerProcess server({env.server_binary, writer_dir / "store", scenario.encryption}, writer_dir);
    {
      Connection conn(server.url());
      conn.RequestWithRetry("$JS.API.INFO", Json::object(), 10s);
      drive_note = scenario.drive(conn, server, scenario.stream);
    }
    if (scenario.ending == Ending::kCleanShutdown) server.Terminate();
    else if (server.running()) throw GenError(scenario.name + ": the crash scenario left the server running");
  }
  if (!fs::is_directory(writer_dir / "store" / stream_dir)) {
    throw GenError(scenario.name + ": the server wrote no " + stream_dir);
  }
  if (scenario.ending == Ending::kTornCrash) TearNewestBlock(writer_dir / "store" / stream_dir);

  // 2. Pack the jetstream tree, paths relative to store_dir.
  const fs::path archive = tmp.path() / "store.tar.zst";
  RunCommand({"tar", "--zstd", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-cf",
              archive.string(), "-C", (writer_dir / "store").string(), "jetstream"});

  // 3. Open an extracted copy with a fresh server and record its view.
  RunCommand({"tar", "--zstd", "-xf", archive.string(), "-C", (reader_dir / "store").string()});
  Json view = RecordView(scenario, env, reader_dir / "store", reader_dir);

  Json expect;
  expect["server_version"] = VersionNumber(env.version_line);
  expect["scenario"] = scenario.name;
  expect["stream"] = scenario.stream;
  expect["account"] = kAccount;
  expect["stream_dir"] = stream_dir;
  expect["recovered_by"] = env.version_line;
  expect["encryption"] = scenario.encryption
                             ? Json{{"key", scenario.encryption->key}, {"cipher", scenario.encryption->cipher}}
                             : Json(nullptr);
  if (scenario.ending == Ending::kCrash) {
    expect["note"] = "store.tar.zst is the directory as SIGKILL left it; this is what the same server recovered "
                     "from it; " + drive_note;
  } else if (scenario.ending == Ending::kTornCrash) {
    expect["note"] = "store.tar.zst is the directory after SIGKILL with the newest block cut inside its last "
                     "record; this is what the same server recovered from it; " + drive_note;
  }
  expect["config"] = std::move(view["config"]);
  expect["state"] = std::move(view["state"]);
  expect["messages"] = std::move(view["messages"]);
  expect["consumers"] = std::move(view["consumers"]);

  // 4. Publish both files together: staged, then renamed into place.
  fs::create_directories(out_dir);
  const fs::path staged_json = out_dir / ".expect.json.tmp";
  const fs::path staged_tar = out_dir / ".store.tar.zst.tmp";
  WriteFile(staged_json, expect.dump(1));
  fs::copy_file(archive, staged_tar, fs::copy_options::overwrite_existing);
  fs::rename(staged_tar, out_dir / "store.tar.zst");
  fs::rename(staged_json, out_dir / "expect.json");
}

}  // namespace

void GenerateSet(const Scenario& scenario, const GeneratorEnv& env, const fs::path& out_dir) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    try {
      GenerateSetOnce(scenario, env, out_dir);
      return;
    } catch (const NotInFlight& e) {
      if (attempt == kAttempts) throw GenError(std::string(e.what()) + " (" + std::to_string(kAttempts) + " tries)");
    }
  }
}

}  // namespace natscpp::parity
