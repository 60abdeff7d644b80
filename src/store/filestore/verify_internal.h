// The parts of VerifyStreamDir (natscpp/store/verify.h), shared by its
// files: verify.cc (stream metadata, leftovers), verify_blocks.cc (msgs/)
// and verify_consumers.cc (obs/).
#ifndef NATSCPP_STORE_FILESTORE_VERIFY_INTERNAL_H_
#define NATSCPP_STORE_FILESTORE_VERIFY_INTERNAL_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/key_file.h"
#include "natscpp/store/error.h"
#include "natscpp/store/verify.h"

namespace natscpp::store::filestore::verify {

// What every part needs to know about the stream.
struct StreamContext {
  std::filesystem::path dir;
  // The name the server keys hashes and key derivation with: the config's
  // name when meta.inf decoded, else the directory name.
  std::string stream;
  crypto::KeyGenFn prf;  // empty: read the store as plaintext
  crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
  const crypto::Aead* aek = nullptr;  // the stream's, from meta.key (index.db)
};

// Collects findings into a report.
class Findings {
 public:
  explicit Findings(VerifyReport& report) : report_(report) {}
  void Damage(std::string file, std::optional<uint64_t> offset, std::string message) {
    report_.findings.push_back(Finding{FindingKind::kDamage, std::move(file), offset, std::move(message)});
  }
  void Note(std::string file, std::string message) {
    Note(std::move(file), std::nullopt, std::move(message));
  }
  void Note(std::string file, std::optional<uint64_t> offset, std::string message) {
    report_.findings.push_back(Finding{FindingKind::kNote, std::move(file), offset, std::move(message)});
  }

 private:
  VerifyReport& report_;
};

// Reads a whole file opened read-only; kNotFound when it does not exist.
Result<std::vector<uint8_t>> ReadWholeFile(const std::filesystem::path& path);

// The other cipher of the two a store may use (convertCipher tries both).
crypto::StoreCipher OtherCipher(crypto::StoreCipher c);

// msgs/: blocks and their keys, index.db, legacy .idx/.fss, thw.db, sched.db,
// leftovers.
void VerifyMessages(const StreamContext& ctx, Findings& out);

// obs/<consumer>/ for every consumer directory.
void VerifyConsumers(const StreamContext& ctx, Findings& out);

}  // namespace natscpp::store::filestore::verify

#endif  // NATSCPP_STORE_FILESTORE_VERIFY_INTERNAL_H_
