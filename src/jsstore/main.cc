// jsstore: offline inspection of a JetStream file-store stream directory
// (.../jetstream/ACCOUNT/streams/NAME), shown the way the Go server's
// JetStream API reports the same stream; `import` builds a new one.
#include <CLI/CLI.hpp>

#include <csignal>
#include <exception>
#include <iostream>

#include "jsstore/commands.h"
#include "jsstore/store_open.h"

namespace js = natscpp::jsstore;

namespace {

void AddStoreOptions(CLI::App* cmd, js::StoreSettings& s) {
  cmd->add_option("STREAM_DIR", s.stream_dir, "stream directory (.../jetstream/ACCOUNT/streams/NAME)")
      ->required();
  cmd->add_option("--key", s.key, "the server's JetStream encryption key (encrypted stores)");
  cmd->add_option("--cipher", s.cipher, "cipher of an encrypted store")
      ->check(CLI::IsMember({"chacha", "aes"}))
      ->capture_default_str();
  cmd->add_option("--account", s.account,
                  "account the stream belongs to (salts the key; default: ACCOUNT from the path)");
}

int Main(int argc, char** argv) {
  CLI::App app{"jsstore: read, check and build JetStream file-store stream directories offline"};
  app.require_subcommand(1);
  int rc = js::kExitOk;

  js::StoreSettings info_s;
  bool info_json = false;
  auto* info = app.add_subcommand("info", "stream config and state (STREAM.INFO's view)");
  AddStoreOptions(info, info_s);
  info->add_flag("--json", info_json, "one JSON object {\"config\": ..., \"state\": ...}");
  info->callback([&] { rc = js::RunInfo(info_s, info_json); });

  js::StoreSettings import_s;
  js::ImportOptions import_o;
  auto* imp = app.add_subcommand("import",
                                 "build a new stream directory from `dump --json` lines on stdin");
  AddStoreOptions(imp, import_s);
  imp->add_option("--config", import_o.config_path,
                  "stream.json: STREAM.INFO's response or its config object")
      ->required();
  imp->add_option("--block-size", import_o.block_size, "block size in bytes (default: the server's)");
  imp->add_option("--compression", import_o.compression, "block compression")
      ->check(CLI::IsMember({"none", "s2"}))
      ->capture_default_str();
  imp->callback([&] { rc = js::RunImport(import_s, import_o); });

  js::StoreSettings dump_s;
  js::DumpOptions dump_o;
  auto* dump = app.add_subcommand("dump", "every stored message in sequence order");
  AddStoreOptions(dump, dump_s);
  dump->add_flag("--json", dump_o.json, "JSON Lines of STREAM.MSG.GET's message object");
  dump->add_option("--subject", dump_o.subject, "only messages matching this subject (wildcards allowed)");
  dump->add_option("--from", dump_o.from, "start at this sequence");
  dump->callback([&] { rc = js::RunDump(dump_s, dump_o); });

  js::StoreSettings cons_s;
  bool cons_json = false;
  auto* cons = app.add_subcommand("consumers", "the stream's consumers (CONSUMER.INFO's view)");
  AddStoreOptions(cons, cons_s);
  cons->add_flag("--json", cons_json, "a JSON array of consumer objects");
  cons->callback([&] { rc = js::RunConsumers(cons_s, cons_json); });

#ifdef JSSTORE_HAVE_VERIFY
  js::StoreSettings ver_s;
  bool ver_json = false;
  auto* ver = app.add_subcommand(
      "verify", "check every file the server reads on start-up; exit 0 intact, 1 damage found, 2 unreadable");
  AddStoreOptions(ver, ver_s);
  ver->add_flag("--json", ver_json, "a JSON object {readable, damaged, findings: [...]}");
  ver->callback([&] { rc = js::RunVerify(ver_s, ver_json); });
#endif

  CLI11_PARSE(app, argc, argv);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // `jsstore dump | head`: a closed pipe ends the listing quietly (the
  // write fails and the walk stops) instead of killing the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "jsstore: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "jsstore: internal error\n";
  }
  return js::kExitUnreadable;
}
