// Opening a stream directory for the tool and the parity tests: the
// command line's encryption settings turned into FileStore options.
#ifndef NATSCPP_JSSTORE_STORE_OPEN_H_
#define NATSCPP_JSSTORE_STORE_OPEN_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "natscpp/store/error.h"
#include "natscpp/store/file_store.h"
#include "natscpp/store/store_types.h"

namespace natscpp::jsstore {

struct StoreSettings {
  std::filesystem::path stream_dir;
  std::string key;              // empty: no encryption settings
  std::string cipher = "chacha";  // "chacha" or "aes"
  std::string account;          // empty: from the path .../ACCOUNT/streams/NAME
};

// "chacha" / "aes" (as the server's `cipher` option spells them) to the enum.
store::Result<store::StoreCipher> ParseCipher(std::string_view name);

store::Result<store::FileStoreOpenOptions> OpenOptionsFor(const StoreSettings& s);

// Opens read-only.
store::Result<std::unique_ptr<store::FileStore>> OpenStore(const StoreSettings& s);

// Calls f for every stored message matching filter ("" = all) at or after
// `from`, in sequence order, until f returns false. Fails on the first
// message that cannot be read.
store::Result<void> WalkMessages(store::FileStore& fs, std::string_view filter, uint64_t from,
                                 const std::function<bool(const store::StoreMsg&)>& f);

}  // namespace natscpp::jsstore

#endif  // NATSCPP_JSSTORE_STORE_OPEN_H_
