// The golden-set scenarios and the pipeline that turns one into a set:
// drive a live server, stop it (cleanly or with SIGKILL), pack its store as
// store.tar.zst, then open a copy with a fresh server and record what that
// server reports as expect.json (the layout of ../shared/golden/README.md).
#ifndef NATSCPP_TESTS_PARITY_GENERATOR_SCENARIOS_H_
#define NATSCPP_TESTS_PARITY_GENERATOR_SCENARIOS_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "js_api.h"
#include "server_process.h"

namespace natscpp::parity {

// How the writing server ends.
enum class Ending {
  kCleanShutdown,  // SIGTERM: index files written, consumer state flushed
  kCrash,          // SIGKILL in the middle of a publish wave
  kTornCrash,      // kCrash, then the newest block cut inside its last record
};

struct Scenario {
  std::string name;
  std::string stream;
  std::optional<Encryption> encryption;
  Ending ending = Ending::kCleanShutdown;
  // Creates the stream and its consumers and writes the traffic. Crash
  // scenarios kill `server` themselves (while publishes are in flight) and
  // return what they saw, which goes into the set's note.
  std::string (*drive)(Connection& conn, ServerProcess& server, const std::string& stream) = nullptr;
};

// Every scenario, in the order the sets are listed in golden/README.md.
const std::vector<Scenario>& AllScenarios();
const Scenario* FindScenario(const std::string& name);

// What every scenario run shares: the server binary and its version line.
struct GeneratorEnv {
  std::filesystem::path server_binary;
  std::string version_line;  // "nats-server: v2.9.10"
};

// Writes out_dir/store.tar.zst and out_dir/expect.json for `scenario`
// (out_dir is created; existing files are replaced only on success).
void GenerateSet(const Scenario& scenario, const GeneratorEnv& env, const std::filesystem::path& out_dir);

}  // namespace natscpp::parity

#endif  // NATSCPP_TESTS_PARITY_GENERATOR_SCENARIOS_H_
