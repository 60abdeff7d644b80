// The file store: a stream's directory as the Go server lays it out
// (FORMAT.md §2), opened the way v2.14.5 opens it.
//
// This first part is the read side. A store opened read-only recovers its
// state exactly as the server would (index.db when it is valid, legacy .idx
// files where the server trusts them, a rebuild from the blocks otherwise,
// tombstones, torn tails) but keeps every conclusion in memory: it writes,
// renames and deletes nothing, and it neither expires messages nor enforces
// limits. It shows what is stored.
#ifndef NATSCPP_STORE_FILE_STORE_H_
#define NATSCPP_STORE_FILE_STORE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natscpp/store/consumer_config.h"
#include "natscpp/store/error.h"
#include "natscpp/store/go_time.h"
#include "natscpp/store/store_cipher.h"
#include "natscpp/store/store_types.h"
#include "natscpp/store/stream_config.h"
#include "natscpp/store/stream_store.h"

namespace natscpp::store {

// The server's JetStream encryption settings (`jetstream { key, cipher }`).
struct StoreEncryption {
  std::string key;
  StoreCipher cipher = StoreCipher::kChaCha;
  // The account whose streams these are; it salts the key derivation.
  // Empty means: take it from the path (.../ACCOUNT/streams/NAME).
  std::string account;
};

struct FileStoreOpenOptions {
  // Only read-only opening exists so far; the write path will add the
  // server's normal open.
  bool read_only = true;
  std::optional<StoreEncryption> encryption;
};

// Something recovery noticed and worked around, as the server would log it:
// a stale or unreadable index.db, a stale .idx, a torn block tail.
struct RecoveryNote {
  std::string file;     // relative to the stream directory
  std::string message;
};

// One consumer's stored view (obs/<name>/).
struct StoredConsumer {
  std::string name;
  GoTime created;
  ConsumerConfig config;
  ConsumerState state;
};

class FileStore {
 public:
  // Opens STREAM_DIR (.../jetstream/ACCOUNT/streams/NAME): meta.inf checked
  // against meta.sum and decrypted with meta.key when encrypted, then the
  // message state recovered. Fails with a message naming the file and the
  // cause; never modifies the directory when options.read_only.
  static Result<std::unique_ptr<FileStore>> Open(const std::filesystem::path& stream_dir,
                                                  const FileStoreOpenOptions& options);

  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;
  ~FileStore();

  // The stream's meta.inf: creation time and configuration.
  const FileStreamInfo& Info() const;
  const std::filesystem::path& Dir() const;

  // The full state: totals, first/last, deleted sequences (sorted), lost
  // data, consumer and subject counts (subjects map not filled). Past 16 M
  // deleted sequences only their count is given.
  StreamState State();
  // Totals without the deleted list.
  void FastState(StreamState* state);

  // The loads fill the caller's `sm` (kInvalidArgument when null) and
  // return it.
  // Message `seq` (0 = the first). kStoreMsgNotFound for a deleted or
  // missing sequence inside the stream, kStoreEOF past its end.
  Result<StoreMsg*> LoadMsg(uint64_t seq, StoreMsg* sm);
  // The first message at or after `start` whose subject matches `filter`
  // ("" or ">" for all; `wildcard` when filter has wildcards). On kStoreEOF
  // nothing more matches.
  Result<LoadedMsg> LoadNextMsg(std::string_view filter, bool wildcard, uint64_t start, StoreMsg* sm);
  // The newest message on `subject` (may be a wildcard; "" or ">" = last).
  Result<StoreMsg*> LoadLastMsg(std::string_view subject, StoreMsg* sm);
  // Messages per subject among those matching filter ("" = all).
  std::map<std::string, uint64_t> SubjectsTotals(std::string_view filter);
  // Count, first and last of the messages matching subject from seq on.
  Result<SimpleState> FilteredState(uint64_t seq, std::string_view subject);

  // Consumer directory names under obs/, sorted.
  std::vector<std::string> ConsumerNames() const;
  // Loads one consumer's config and state (read-only).
  Result<StoredConsumer> LoadConsumer(std::string_view name) const;

  // What recovery noticed (index.db not used, torn tails and the like).
  const std::vector<RecoveryNote>& RecoveryNotes() const;

  class Impl;

 private:
  explicit FileStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_FILE_STORE_H_
