// A consumer directory obs/<name>/ opened read-only (FORMAT.md §9): its
// meta.inf (FileConsumerInfo JSON, optionally sealed), meta.sum, meta.key
// and o.dat (consumer state, optionally sealed). Opening follows what the
// server does when it recovers a consumer at start-up; nothing is written,
// so the conversions the server would make on the way (re-keying a
// consumer sealed with the other cipher, sealing a plaintext consumer of an
// encrypted store) are left undone and the data is read as found.
#ifndef NATSCPP_STORE_FILESTORE_CONSUMER_FILE_STORE_H_
#define NATSCPP_STORE_FILESTORE_CONSUMER_FILE_STORE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/cipher.h"
#include "crypto/key_file.h"
#include "natscpp/store/consumer_config.h"
#include "natscpp/store/error.h"
#include "natscpp/store/store_types.h"

namespace natscpp::store::filestore {

// File names inside a consumer directory.
inline constexpr std::string_view kConsumerMetaFile = "meta.inf";
inline constexpr std::string_view kConsumerMetaSumFile = "meta.sum";
inline constexpr std::string_view kConsumerMetaKeyFile = "meta.key";
inline constexpr std::string_view kConsumerStateFile = "o.dat";

class ConsumerFileStore {
 public:
  // odir = <stream dir>/obs/<name>; stream is the stream's name; prf is the
  // account's key generator (empty when the server has no JetStream key)
  // and cipher the configured one. Fails, naming the file and the cause,
  // when meta.inf or meta.sum is missing, meta.key is present but cannot be
  // used (no key configured, too short, wrong key), meta.inf does not
  // decrypt or does not decode strictly, or o.dat does not decrypt or decode.
  static Result<std::unique_ptr<ConsumerFileStore>> OpenReadOnly(
      const std::filesystem::path& odir, std::string_view stream, const crypto::KeyGenFn& prf,
      crypto::StoreCipher cipher);

  ConsumerFileStore(const ConsumerFileStore&) = delete;
  ConsumerFileStore& operator=(const ConsumerFileStore&) = delete;

  const FileConsumerInfo& Info() const { return info_; }
  const std::string& Name() const { return name_; }  // the directory name
  bool Encrypted() const { return aek_ != nullptr; }
  // The cipher that opened the consumer's key (may differ from the
  // configured one; the server would then re-key the consumer).
  crypto::StoreCipher Cipher() const { return cipher_; }
  // Whether meta.sum holds the HH64 (key SHA-256("<stream>/<name>")) of the
  // stored meta.inf. The server only requires meta.sum to exist for a
  // consumer, so a mismatch is reported here rather than failing the open.
  bool MetaSumMatches() const { return meta_sum_matches_; }

  // Whether there is consumer state: loaded with a delivered position, or
  // an o.dat on disk.
  bool HasState() const;

  // The state loaded from o.dat at open; an empty state when o.dat is
  // absent or empty.
  Result<ConsumerState> State() const;

 private:
  ConsumerFileStore() = default;

  Result<void> LoadState();

  std::filesystem::path odir_;
  std::string name_;
  FileConsumerInfo info_;
  std::unique_ptr<crypto::Aead> aek_;
  crypto::StoreCipher cipher_ = crypto::StoreCipher::kChaCha;
  bool meta_sum_matches_ = false;
  ConsumerState state_;
};

}  // namespace natscpp::store::filestore

#endif  // NATSCPP_STORE_FILESTORE_CONSUMER_FILE_STORE_H_
