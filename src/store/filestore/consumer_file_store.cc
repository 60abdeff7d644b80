#include "filestore/consumer_file_store.h"

#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "crypto/highwayhash.h"
#include "natscpp/store/state_codec.h"
#include "util/file_io.h"
#include "util/hex.h"

namespace natscpp::store::filestore {

namespace fs = std::filesystem;

namespace {

crypto::StoreCipher OtherCipher(crypto::StoreCipher c) {
  return c == crypto::StoreCipher::kAes ? crypto::StoreCipher::kChaCha : crypto::StoreCipher::kAes;
}

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

Result<std::vector<uint8_t>> ReadFile(const fs::path& p) {
  auto data = ReadWholeFile(p);
  if (!data && data.error().code() == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound, p.string() + " does not exist");
  }
  return data;
}


std::unexpected<Error> Prefixed(const Error& e, const fs::path& file, std::string_view what) {
  return std::unexpected(Error(e.code(), file.string() + ": " + std::string(what) + ": " + e.message(),
                               e.sys_errno()));
}

}  // namespace

// The reading side of the server's fileStore.ConsumerStore plus the
// consumer checks of its start-up recovery (jetstream.go); the store that
// also writes will carry the Go marker.
Result<std::unique_ptr<ConsumerFileStore>> ConsumerFileStore::OpenReadOnly(
    const fs::path& odir, std::string_view stream, const crypto::KeyGenFn& prf,
    crypto::StoreCipher cipher) {
  std::unique_ptr<ConsumerFileStore> o(new ConsumerFileStore());
  o->odir_ = odir;
  o->name_ = odir.filename().string();
  o->cipher_ = cipher;
  if (o->name_.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "consumer directory " + odir.string() + " has no name");
  }

  // The server's start-up scan skips a consumer without meta.inf or meta.sum.
  const fs::path meta = odir / kConsumerMetaFile;
  const fs::path sum = odir / kConsumerMetaSumFile;
  const fs::path key_file = odir / kConsumerMetaKeyFile;
  auto stored_meta = ReadFile(meta);
  if (!stored_meta) return Prefixed(stored_meta.error(), meta, "missing consumer metafile");
  auto stored_sum = ReadFile(sum);
  if (!stored_sum) return Prefixed(stored_sum.error(), sum, "missing consumer checksum");
  {
    crypto::HighwayHash64 hh(crypto::HashKeyFromString(std::string(stream) + "/" + o->name_));
    hh.Update(*stored_meta);
    const std::string want = HexLower(hh.Sum());
    o->meta_sum_matches_ =
        std::string_view(reinterpret_cast<const char*>(stored_sum->data()), stored_sum->size()) == want;
  }

  const std::string context = crypto::ConsumerKeyContext(stream, o->name_);
  std::vector<uint8_t> plain_meta = std::move(*stored_meta);
  const bool has_key = Exists(key_file);
  if (has_key) {
    auto ekey = ReadFile(key_file);
    if (!ekey) return Prefixed(ekey.error(), key_file, "cannot read consumer key");
    if (!prf) {
      return MakeError(ErrorCode::kCrypto, key_file.string() +
                                               ": consumer is encrypted but no encryption key is configured");
    }
    if (ekey->size() < crypto::kMinBlkKeySize) {
      return MakeError(ErrorCode::kCrypto, key_file.string() + ": encryption bad key size (" +
                                               std::to_string(ekey->size()) + " bytes)");
    }
    // meta.inf is opened the way the stream recovery opens it (either
    // cipher); the state key the way the consumer store does (configured
    // cipher, then the other one as its cipher conversion would).
    auto dm = crypto::DecryptMeta(cipher, *ekey, plain_meta, prf, {}, context);
    if (!dm) return Prefixed(dm.error(), meta, "cannot decrypt consumer metafile");
    plain_meta = std::move(dm->plain);
    auto aek = crypto::RecoverAek(prf, cipher, context, *ekey);
    if (!aek) {
      aek = crypto::RecoverAek(prf, OtherCipher(cipher), context, *ekey);
      if (!aek) return Prefixed(aek.error(), key_file, "cannot open consumer key");
      o->cipher_ = OtherCipher(cipher);
      // The conversion reads o.dat before anything else and fails without it.
      if (!Exists(odir / kConsumerStateFile)) {
        return MakeError(ErrorCode::kNotFound, (odir / kConsumerStateFile).string() +
                                                   ": needed to convert the consumer's cipher");
      }
    }
    o->aek_ = std::move(*aek);
  }

  const std::string_view json(reinterpret_cast<const char*>(plain_meta.data()), plain_meta.size());
  auto info = DecodeFileConsumerInfo(json, JsonMode::kStrict);
  if (!info) {
    std::string cause = info.error().message();
    if (!has_key && prf) cause += " (no meta.key: if the consumer is encrypted its key file is missing)";
    // A meta.inf that only decodes leniently makes the server show the
    // consumer offline rather than run it.
    const bool lenient_ok = DecodeFileConsumerInfo(json, JsonMode::kLenient).has_value();
    return MakeError(lenient_ok ? ErrorCode::kUnsupported : ErrorCode::kBadEncoding,
                     meta.string() + ": " + (lenient_ok ? "consumer config error: " : "cannot decode: ") +
                         cause);
  }
  o->info_ = std::move(*info);

  if (auto r = o->LoadState(); !r) return std::unexpected(r.error());
  return o;
}

// go: server/filestore.go:(*consumerFileStore).loadState
Result<void> ConsumerFileStore::LoadState() {
  const fs::path ifn = odir_ / kConsumerStateFile;
  auto buf = ReadFile(ifn);
  if (!buf) {
    if (buf.error().code() == ErrorCode::kNotFound) return {};
    return std::unexpected(buf.error());
  }
  if (buf->empty()) return {};
  std::vector<uint8_t> plain = std::move(*buf);
  if (aek_) {
    auto opened = crypto::OpenWithNoncePrefix(*aek_, plain);
    if (!opened) return Prefixed(opened.error(), ifn, "cannot decrypt consumer state");
    plain = std::move(*opened);
  }
  auto st = DecodeConsumerState(plain);
  if (!st) return Prefixed(st.error(), ifn, "cannot decode consumer state");
  state_ = std::move(*st);
  return {};
}

// go: server/filestore.go:(*consumerFileStore).HasState
bool ConsumerFileStore::HasState() const {
  if (state_.delivered.consumer != 0 || state_.delivered.stream != 0) return true;
  return Exists(odir_ / kConsumerStateFile);
}

// go: server/filestore.go:(*consumerFileStore).State
Result<ConsumerState> ConsumerFileStore::State() const { return state_; }

}  // namespace natscpp::store::filestore
