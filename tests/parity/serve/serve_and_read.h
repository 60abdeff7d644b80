// "Go reads ours": hands a stream directory to a real nats-server (Debian's
// 2.9.10 in CI) and reads back what it serves over the JetStream API. The
// directory is copied first, so the server's own start-up rewrites (index
// files, truncation) never touch the store under test.
#ifndef NATSCPP_TESTS_PARITY_SERVE_SERVE_AND_READ_H_
#define NATSCPP_TESTS_PARITY_SERVE_SERVE_AND_READ_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "js_api.h"
#include "server_process.h"

namespace natscpp::parity::serve {

// What the server reported for the stream.
struct ServedStream {
  std::string server_version;  // first line of `nats-server --version`
  Json config;                 // STREAM.INFO `config`
  Json state;                  // STREAM.INFO `state` (deleted details, subjects ">")
  // MSG.GET `message` for every stored sequence first_seq..last_seq, each
  // reduced to {seq, subject, time, hdrs, data} (hdrs/data base64, "" when
  // the server leaves them out).
  Json messages = Json::array();
  // Sequences in first_seq..last_seq that MSG.GET answered "no message
  // found" (10037).
  std::vector<uint64_t> not_found;
  std::string server_log;  // the server's whole output, for diagnosis
};

// The nats-server to use ($NATS_SERVER, else PATH, /usr/sbin,
// /usr/local/sbin), or nullopt with the reason in *why when there is none.
std::optional<std::filesystem::path> FindNatsServer(std::string* why = nullptr);

// Copies `stream_dir` (a stream's file store directory) to a fresh
// <tmp>/store/jetstream/$G/streams/<stream>/, starts `server_binary` on
// 127.0.0.1 with that store_dir (and `key`/`cipher` when `encryption` is
// set), reads STREAM.INFO and every message, and stops the server with
// SIGTERM. Throws GenError, with the server's log, when the server does not
// start, does not recover the stream, or a request fails.
ServedStream ServeAndRead(const std::filesystem::path& stream_dir, const std::string& stream,
                          const std::optional<Encryption>& encryption,
                          const std::filesystem::path& server_binary);

}  // namespace natscpp::parity::serve

#endif  // NATSCPP_TESTS_PARITY_SERVE_SERVE_AND_READ_H_
