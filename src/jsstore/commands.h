// The jsstore subcommands. Each returns the process exit code: 0 ok,
// 2 the store could not be read (one line on stderr says which file and
// why); verify also returns 1 when it found damage.
#ifndef NATSCPP_JSSTORE_COMMANDS_H_
#define NATSCPP_JSSTORE_COMMANDS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "jsstore/store_open.h"

namespace natscpp::jsstore {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDamaged = 1;
inline constexpr int kExitUnreadable = 2;

struct DumpOptions {
  bool json = false;
  std::string subject;  // "" = every subject
  uint64_t from = 0;    // first sequence to show (0 = the first)
};

struct ImportOptions {
  std::string config_path;  // stream.json
  uint64_t block_size = 0;  // 0: the server's choice
  std::string compression = "none";
};

int RunInfo(const StoreSettings& s, bool json);
// Builds a new store from `dump --json` lines on standard input.
int RunImport(const StoreSettings& s, const ImportOptions& o);
int RunDump(const StoreSettings& s, const DumpOptions& d);
int RunConsumers(const StoreSettings& s, bool json);
// Built when the store library has natscpp/store/verify.h.
int RunVerify(const StoreSettings& s, bool json);

// Opens the store or prints "jsstore: <error>" on stderr and returns null.
std::unique_ptr<store::FileStore> OpenOrReport(const StoreSettings& s);
// Prints "jsstore: <what>: <error>" on stderr.
void ReportError(std::string_view what, const store::Error& e);

}  // namespace natscpp::jsstore

#endif  // NATSCPP_JSSTORE_COMMANDS_H_
