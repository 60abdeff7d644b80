#include "serve_and_read.h"

#include <fstream>
#include <sstream>

namespace natscpp::parity::serve {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// MSG.GET's "no message found" (JSNoMessageFoundErr).
constexpr int kNoMessageFound = 10037;
// A served range wider than this is a broken state, not something to walk.
constexpr uint64_t kMaxRange = 1'000'000;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<fs::path> FindNatsServer(std::string* why) {
  try {
    return FindServerBinary(std::nullopt);
  } catch (const GenError& e) {
    if (why != nullptr) *why = e.what();
    return std::nullopt;
  }
}

ServedStream ServeAndRead(const fs::path& stream_dir, const std::string& stream,
                          const std::optional<Encryption>& encryption, const fs::path& server_binary) {
  ServedStream out;
  out.server_version = ServerVersionLine(server_binary);

  TempDir tmp;
  const fs::path store_dir = tmp.path() / "store";
  const fs::path target = store_dir / "jetstream" / "$G" / "streams" / stream;
  fs::create_directories(target.parent_path());
  fs::copy(stream_dir, target, fs::copy_options::recursive);

  const fs::path log = tmp.path() / "server.log";
  try {
    ServerProcess server({server_binary, store_dir, encryption}, tmp.path());
    Connection conn(server.url());
    // The stream is recovered a moment after the port opens.
    Json info = conn.RequestWithRetry("$JS.API.STREAM.INFO." + stream,
                                      Json{{"deleted_details", true}, {"subjects_filter", ">"}}, 15s);
    out.config = info.at("config");
    out.state = info.at("state");
    const uint64_t first = out.state.value("first_seq", uint64_t{0});
    const uint64_t last = out.state.value("last_seq", uint64_t{0});
    if (first != 0 && last >= first) {
      if (last - first >= kMaxRange) {
        throw GenError("served range " + std::to_string(first) + ".." + std::to_string(last) + " is too wide");
      }
      for (uint64_t seq = first; seq <= last; ++seq) {
        Json r = conn.RequestUnchecked("$JS.API.STREAM.MSG.GET." + stream, Json{{"seq", seq}});
        if (r.contains("error")) {
          if (r["error"].value("err_code", 0) == kNoMessageFound) {
            out.not_found.push_back(seq);
            continue;
          }
          throw GenError("MSG.GET " + stream + " " + std::to_string(seq) + ": " + ApiError(r));
        }
        const Json& m = r.at("message");
        out.messages.push_back(Json{{"seq", m.at("seq")},
                                    {"subject", m.at("subject")},
                                    {"time", m.at("time")},
                                    {"hdrs", m.value("hdrs", "")},
                                    {"data", m.value("data", "")}});
      }
    }
    server.Terminate();
  } catch (const GenError& e) {
    throw GenError(std::string(e.what()) + "\n--- nats-server log ---\n" + ReadAll(log));
  }
  out.server_log = ReadAll(log);
  return out;
}

}  // namespace natscpp::parity::serve
