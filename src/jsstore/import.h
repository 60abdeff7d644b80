// Building a stream directory from messages: the store configuration as
// STREAM.INFO reports it and messages in `jsstore dump --json` lines, kept
// with their sequence and time. Sequences missing from the input become
// deleted sequences, laid down as skip records so that every server from
// 2.9 on shows the same first sequence and deleted list.
#ifndef NATSCPP_JSSTORE_IMPORT_H_
#define NATSCPP_JSSTORE_IMPORT_H_

#include <cstdint>
#include <istream>
#include <string_view>

#include "jsstore/store_open.h"
#include "natscpp/store/error.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/stream_config.h"

namespace natscpp::jsstore {

struct ImportStats {
  uint64_t messages = 0;
  uint64_t skipped = 0;  // sequences recorded as deleted
  uint64_t last_seq = 0;
};

// Decodes stream.json: a STREAM.INFO response (its "config" and "created")
// or a bare config object. Unknown fields are tolerated; the storage must
// be "file".
store::Result<store::FileStreamInfo> ParseStreamJson(std::string_view json);

// Creates `s.stream_dir` (which must not hold a stream yet) and stores
// every line of `lines`. Line numbers name the offending line on error;
// sequences must increase.
store::Result<ImportStats> ImportMessages(const StoreSettings& s, const store::FileStreamInfo& info,
                                          store::FileStoreConfig fcfg, std::istream& lines);

}  // namespace natscpp::jsstore

#endif  // NATSCPP_JSSTORE_IMPORT_H_
