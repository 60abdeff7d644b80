#include "crypto/key_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <utility>

namespace natscpp::store::crypto {
namespace {

Result<void> CheckKeyFileSize(std::span<const uint8_t> key_file, size_t min) {
  if (key_file.size() < min) {
    return MakeError(ErrorCode::kCrypto, "encryption bad key size: key file has " +
                                             std::to_string(key_file.size()) +
                                             " bytes, need at least " + std::to_string(min));
  }
  return {};
}

Error NoEncryption() { return Error(ErrorCode::kCrypto, "encryption not enabled"); }

// The configured cipher's counterpart, tried when the configured one fails
// (a store written before a cipher change). Anything other than AES maps to
// ChaCha, as the zero value does in Go.
StoreCipher OtherCipher(StoreCipher c) {
  return c == StoreCipher::kChaCha ? StoreCipher::kAes : StoreCipher::kChaCha;
}

}  // namespace

// go: server/jetstream.go:(*Server).jsKeyGen
KeyGenFn KeyGen(std::string_view jetstream_key, std::string_view info) {
  if (jetstream_key.empty()) {
    return {};
  }
  return [key = std::string(jetstream_key),
          info = std::string(info)](std::span<const uint8_t> context)
             -> Result<std::vector<uint8_t>> {
    std::vector<uint8_t> msg;
    msg.reserve(info.size() + context.size());
    msg.insert(msg.end(), info.begin(), info.end());
    msg.insert(msg.end(), context.begin(), context.end());
    std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int out_len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(),
             out.data(), &out_len) == nullptr) {
      return MakeError(ErrorCode::kCrypto, "hmac-sha256 failed");
    }
    out.resize(out_len);
    return out;
  };
}

std::string StreamKeyContext(std::string_view stream) { return std::string(stream); }

std::string BlockKeyContext(std::string_view stream, uint64_t block_index) {
  std::string s(stream);
  s += ':';
  s += std::to_string(block_index);
  return s;
}

std::string ConsumerKeyContext(std::string_view stream, std::string_view consumer) {
  std::string s(stream);
  s += '.';
  s += consumer;
  return s;
}

// go: server/filestore.go:(*fileStore).genEncryptionKeys
Result<EncryptionKeys> GenEncryptionKeys(const KeyGenFn& prf, StoreCipher cipher,
                                         std::string_view context) {
  if (!prf) {
    return std::unexpected(NoEncryption());
  }
  auto rb = prf(AsBytes(context));
  if (!rb) {
    return std::unexpected(rb.error());
  }
  auto kek = GenEncryptionKey(cipher, *rb);
  OPENSSL_cleanse(rb->data(), rb->size());
  if (!kek) {
    return std::unexpected(kek.error());
  }

  EncryptionKeys keys;
  keys.seed.resize(kSeedSize);
  RandomBytes(keys.seed);

  auto aek = GenEncryptionKey(cipher, keys.seed);
  if (!aek) {
    return std::unexpected(aek.error());
  }
  keys.aek = std::move(*aek);

  // The nonce doubles as the block keystream's nonce and leads the key file.
  const size_t ns = (*kek)->NonceSize();
  std::vector<uint8_t> nonce(ns);
  RandomBytes(nonce);

  auto bek = GenBlockEncryptionKey(cipher, keys.seed, nonce);
  if (!bek) {
    return std::unexpected(bek.error());
  }
  keys.bek = std::move(*bek);

  keys.encrypted.reserve(ns + keys.seed.size() + (*kek)->Overhead());
  keys.encrypted = nonce;
  if (auto ok = (*kek)->SealAppend(keys.encrypted, nonce, keys.seed, {}); !ok) {
    return std::unexpected(ok.error());
  }
  return keys;
}

Result<UnwrappedKey> UnwrapKey(const KeyGenFn& prf, StoreCipher cipher, std::string_view context,
                               std::span<const uint8_t> key_file) {
  if (!prf) {
    return std::unexpected(NoEncryption());
  }
  if (auto ok = CheckKeyFileSize(key_file, kMinBlkKeySize); !ok) {
    return std::unexpected(ok.error());
  }
  auto rb = prf(AsBytes(context));
  if (!rb) {
    return std::unexpected(rb.error());
  }
  auto kek = GenEncryptionKey(cipher, *rb);
  OPENSSL_cleanse(rb->data(), rb->size());
  if (!kek) {
    return std::unexpected(kek.error());
  }
  const size_t ns = (*kek)->NonceSize();
  auto seed = (*kek)->Open(key_file.first(ns), key_file.subspan(ns));
  if (!seed) {
    return MakeError(ErrorCode::kCrypto, "cannot unwrap key for \"" + std::string(context) +
                                             "\" with " + std::string(String(cipher)) + ": " +
                                             seed.error().message());
  }
  UnwrappedKey out;
  out.seed = std::move(*seed);
  out.nonce.assign(key_file.begin(), key_file.begin() + static_cast<std::ptrdiff_t>(ns));
  return out;
}

Result<std::unique_ptr<Aead>> RecoverAek(const KeyGenFn& prf, StoreCipher cipher,
                                         std::string_view context,
                                         std::span<const uint8_t> key_file) {
  auto key = UnwrapKey(prf, cipher, context, key_file);
  if (!key) {
    return std::unexpected(key.error());
  }
  auto aek = GenEncryptionKey(cipher, key->seed);
  OPENSSL_cleanse(key->seed.data(), key->seed.size());
  return aek;
}

Result<BlockKeys> RecoverBlockKeys(const KeyGenFn& prf, StoreCipher cipher,
                                   std::string_view stream, uint64_t block_index,
                                   std::span<const uint8_t> key_file) {
  auto key = UnwrapKey(prf, cipher, BlockKeyContext(stream, block_index), key_file);
  if (!key) {
    return std::unexpected(key.error());
  }
  BlockKeys out;
  auto aek = GenEncryptionKey(cipher, key->seed);
  if (!aek) {
    return std::unexpected(aek.error());
  }
  auto bek = GenBlockEncryptionKey(cipher, key->seed, key->nonce);
  if (!bek) {
    return std::unexpected(bek.error());
  }
  out.aek = std::move(*aek);
  out.bek = std::move(*bek);
  out.seed = std::move(key->seed);
  out.nonce = std::move(key->nonce);
  return out;
}

// go: server/jetstream.go:(*Server).decryptMeta
Result<DecryptedMeta> DecryptMeta(StoreCipher cipher, std::span<const uint8_t> meta_key,
                                  std::span<const uint8_t> sealed_meta, const KeyGenFn& prf,
                                  const KeyGenFn& old_prf, std::string_view context) {
  if (meta_key.size() < kMinMetaKeySize) {
    return MakeError(ErrorCode::kCrypto, "encryption bad key size: meta.key has " +
                                             std::to_string(meta_key.size()) + " bytes");
  }
  if (!prf) {
    return std::unexpected(NoEncryption());
  }
  struct Candidate {
    const KeyGenFn* prf;
    StoreCipher cipher;
    bool old;
  };
  std::vector<Candidate> candidates = {{&prf, cipher, false}, {&prf, OtherCipher(cipher), false}};
  if (old_prf) {
    candidates.push_back({&old_prf, cipher, true});
    candidates.push_back({&old_prf, OtherCipher(cipher), true});
  }

  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    auto rb = (*c.prf)(AsBytes(context));
    if (!rb) {
      continue;
    }
    auto kek = GenEncryptionKey(c.cipher, *rb);
    OPENSSL_cleanse(rb->data(), rb->size());
    if (!kek) {
      continue;
    }
    const size_t ns = (*kek)->NonceSize();
    auto seed = (*kek)->Open(meta_key.first(ns), meta_key.subspan(ns));
    if (!seed) {
      continue;
    }
    auto aek = GenEncryptionKey(c.cipher, *seed);
    OPENSSL_cleanse(seed->data(), seed->size());
    if (!aek || (*aek)->NonceSize() != ns) {
      continue;
    }
    // A sealed meta.inf too short to hold the nonce cannot be this key's.
    if (sealed_meta.size() < ns) {
      continue;
    }
    auto plain = (*aek)->Open(sealed_meta.first(ns), sealed_meta.subspan(ns));
    if (!plain) {
      continue;
    }
    DecryptedMeta out;
    out.plain = std::move(*plain);
    out.cipher = c.cipher;
    out.used_old_key = c.old;
    out.converted = i > 0;
    return out;
  }
  return MakeError(ErrorCode::kCrypto, "unable to recover keys");
}

}  // namespace natscpp::store::crypto
