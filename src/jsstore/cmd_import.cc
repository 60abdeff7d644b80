#include <fstream>
#include <iostream>
#include <sstream>

#include "jsstore/commands.h"
#include "jsstore/import.h"

namespace natscpp::jsstore {

int RunImport(const StoreSettings& s, const ImportOptions& o) {
  std::ifstream cfg(o.config_path, std::ios::binary);
  if (!cfg) {
    ReportError(o.config_path, store::Error(store::ErrorCode::kNotFound, "cannot read the stream configuration"));
    return kExitUnreadable;
  }
  std::stringstream text;
  text << cfg.rdbuf();
  auto info = ParseStreamJson(text.str());
  if (!info) {
    ReportError(o.config_path, info.error());
    return kExitUnreadable;
  }
  store::FileStoreConfig fcfg;
  fcfg.block_size = o.block_size;
  fcfg.compression = o.compression == "s2" ? store::StoreCompression::kS2 : store::StoreCompression::kNone;
  auto stats = ImportMessages(s, *info, fcfg, std::cin);
  if (!stats) {
    ReportError(s.stream_dir.string(), stats.error());
    return kExitUnreadable;
  }
  std::cerr << "jsstore: imported " << stats->messages << " messages (" << stats->skipped
            << " deleted sequences), last sequence " << stats->last_seq << "\n";
  return kExitOk;
}

}  // namespace natscpp::jsstore
