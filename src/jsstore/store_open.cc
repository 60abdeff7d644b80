#include "jsstore/store_open.h"

#include <cstdint>
#include <string>

#include "subject/subject.h"

namespace natscpp::jsstore {

store::Result<store::StoreCipher> ParseCipher(std::string_view name) {
  if (name == "chacha" || name == "chachapoly") return store::StoreCipher::kChaCha;
  if (name == "aes") return store::StoreCipher::kAes;
  return store::MakeError(store::ErrorCode::kInvalidArgument,
                          "unknown cipher \"" + std::string(name) + "\" (chacha or aes)");
}

store::Result<store::FileStoreOpenOptions> OpenOptionsFor(const StoreSettings& s) {
  store::FileStoreOpenOptions opts;
  opts.read_only = true;
  if (!s.key.empty()) {
    auto cipher = ParseCipher(s.cipher);
    if (!cipher) return std::unexpected(cipher.error());
    opts.encryption = store::StoreEncryption{s.key, *cipher, s.account};
  }
  return opts;
}

store::Result<std::unique_ptr<store::FileStore>> OpenStore(const StoreSettings& s) {
  auto opts = OpenOptionsFor(s);
  if (!opts) return std::unexpected(opts.error());
  return store::FileStore::Open(s.stream_dir, *opts);
}

store::Result<void> WalkMessages(store::FileStore& fs, std::string_view filter, uint64_t from,
                                 const std::function<bool(const store::StoreMsg&)>& f) {
  const bool all = filter.empty() || filter == ">";
  const std::string_view flt = all ? std::string_view() : filter;
  const bool wildcard = !all && store::subject::SubjectHasWildcard(filter);
  store::StoreMsg sm;
  uint64_t seq = from;
  while (true) {
    auto next = fs.LoadNextMsg(flt, wildcard, seq, &sm);
    if (!next) {
      if (next.error().Is(store::ErrorCode::kStoreEOF)) return {};
      return std::unexpected(next.error());
    }
    const store::StoreMsg& m = *next->msg;
    // A store going backwards would loop forever here.
    if (m.seq < seq) {
      return store::MakeError(store::ErrorCode::kCorrupt,
                              "store returned sequence " + std::to_string(m.seq) + " when asked for " +
                                  std::to_string(seq) + " or later");
    }
    if (!f(m) || m.seq == UINT64_MAX) return {};
    seq = m.seq + 1;
  }
}

}  // namespace natscpp::jsstore
