// parity_gen: writes golden sets (store.tar.zst + expect.json) by driving a
// real nats-server; see scenarios.h for the pipeline and golden/README.md
// for what the committed sets hold.
//
//   parity_gen --out DIR [--scenario NAME ...] [--nats-server PATH]
#include <nats/nats.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "scenarios.h"
#include "server_process.h"

namespace {

int Run(const std::string& out, std::vector<std::string> names, const std::optional<std::string>& server_path) {
  using namespace natscpp::parity;
  if (names.empty()) {
    for (const auto& s : AllScenarios()) names.push_back(s.name);
  }
  std::vector<const Scenario*> scenarios;
  for (const auto& name : names) {
    const Scenario* s = FindScenario(name);
    if (s == nullptr) {
      std::string known;
      for (const auto& k : AllScenarios()) known += (known.empty() ? "" : ", ") + k.name;
      throw GenError("unknown scenario '" + name + "' (known: " + known + ")");
    }
    scenarios.push_back(s);
  }
  GeneratorEnv env;
  env.server_binary = FindServerBinary(server_path);
  env.version_line = ServerVersionLine(env.server_binary);
  for (const Scenario* s : scenarios) {
    try {
      GenerateSet(*s, env, std::filesystem::path(out) / s->name);
    } catch (const GenError& e) {
      throw GenError("scenario " + s->name + ": " + e.what());
    }
    std::printf("parity_gen: %s -> %s/%s (%s)\n", s->name.c_str(), out.c_str(), s->name.c_str(),
                env.version_line.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes JetStream golden sets (store.tar.zst, expect.json) with a real nats-server"};
  std::string out;
  std::vector<std::string> names;
  std::optional<std::string> server_path;
  app.add_option("--out", out, "output directory; sets go to OUT/<scenario>/")->required();
  app.add_option("--scenario", names, "scenario to generate (repeatable; default: all)");
  app.add_option("--nats-server", server_path, "nats-server binary (default: $NATS_SERVER, then PATH)");
  CLI11_PARSE(app, argc, argv);

  int rc = 1;
  try {
    rc = Run(out, names, server_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parity_gen: %s\n", e.what());
    rc = 1;
  }
  nats_Close();
  return rc;
}
