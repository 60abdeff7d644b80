// Key derivation and key files of an encrypted file store (FORMAT.md §5.1).
//
// The server turns its configured JetStream key into a PRF per account
// (KeyGen). For every protected asset a random 32-byte seed is drawn and
// stored wrapped in a key file: nonce ‖ kek.Seal(nonce, seed) with
// kek = AEAD(prf(context)). The seed keys the asset's AEAD (aek) and, for
// message blocks, the block keystream (bek) together with the stored nonce.
//
// This header holds only the pure key handling; reading and writing the
// files themselves belongs to the file store.
#ifndef NATSCPP_STORE_CRYPTO_KEY_FILE_H_
#define NATSCPP_STORE_CRYPTO_KEY_FILE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/cipher.h"
#include "natscpp/store/error.h"

namespace natscpp::store::crypto {

// Key files shorter than this are rejected before any decryption is tried
// (the smaller, AES, layout is 16 + 32 + 16 bytes).
inline constexpr size_t kMinMetaKeySize = 64;
inline constexpr size_t kMinBlkKeySize = 64;

// A key encryption key generator: context bytes → key bytes. An empty
// function means "encryption not enabled", as a nil keyGen does in Go.
using KeyGenFn = std::function<Result<std::vector<uint8_t>>(std::span<const uint8_t> context)>;

// The server's PRF for one account: HMAC-SHA256 keyed with the JetStream key
// string over info ‖ context (info is the account name for stream and
// consumer stores). Returns an empty function when jetstream_key is empty.
KeyGenFn KeyGen(std::string_view jetstream_key, std::string_view info);

// Context strings given to the PRF (FORMAT.md §5.1 table).
std::string StreamKeyContext(std::string_view stream);                       // meta.key
std::string BlockKeyContext(std::string_view stream, uint64_t block_index);  // msgs/<N>.key
std::string ConsumerKeyContext(std::string_view stream,
                               std::string_view consumer);                    // obs/<c>/meta.key

// Everything generated for one new asset.
struct EncryptionKeys {
  std::unique_ptr<Aead> aek;         // asset AEAD keyed with the seed
  std::unique_ptr<BlockStream> bek;  // block keystream (seed, nonce) at offset 0
  std::vector<uint8_t> seed;         // 32 random bytes
  std::vector<uint8_t> encrypted;    // key file contents: nonce ‖ kek.Seal(nonce, seed)
};

// Draws a new seed and nonce for the asset named by context and wraps the
// seed with the key derived from prf(context).
Result<EncryptionKeys> GenEncryptionKeys(const KeyGenFn& prf, StoreCipher cipher,
                                         std::string_view context);

// A key file opened: the seed and the nonce stored in front of it (the
// block keystream's nonce for msgs/<N>.key).
struct UnwrappedKey {
  std::vector<uint8_t> seed;
  std::vector<uint8_t> nonce;
};

// Opens a key file with prf(context) under the given cipher. Fails with
// kCrypto when the file is shorter than 64 bytes, when prf is empty, or when
// the key, cipher or file is wrong (authentication failure).
Result<UnwrappedKey> UnwrapKey(const KeyGenFn& prf, StoreCipher cipher, std::string_view context,
                               std::span<const uint8_t> key_file);

// The asset AEAD of a stream (meta.key) or consumer (obs/<c>/meta.key).
Result<std::unique_ptr<Aead>> RecoverAek(const KeyGenFn& prf, StoreCipher cipher,
                                         std::string_view context,
                                         std::span<const uint8_t> key_file);

// The keys of message block N from msgs/<N>.key: aek, and bek at offset 0.
struct BlockKeys {
  std::unique_ptr<Aead> aek;
  std::unique_ptr<BlockStream> bek;
  std::vector<uint8_t> seed;
  std::vector<uint8_t> nonce;
};
Result<BlockKeys> RecoverBlockKeys(const KeyGenFn& prf, StoreCipher cipher,
                                   std::string_view stream, uint64_t block_index,
                                   std::span<const uint8_t> key_file);

// Result of DecryptMeta: the plaintext meta.inf (JSON), the cipher and key
// that opened it, and whether that differs from the configured cipher/key
// (the caller then re-keys the stream with the configured ones).
struct DecryptedMeta {
  std::vector<uint8_t> plain;
  StoreCipher cipher = StoreCipher::kChaCha;
  bool used_old_key = false;
  bool converted = false;
};

// Decrypts a stream's sealed meta.inf given its meta.key. Tries the current
// key with the configured cipher, then with the other cipher, then the old
// key (if old_prf is set) with both. context is the stream name.
Result<DecryptedMeta> DecryptMeta(StoreCipher cipher, std::span<const uint8_t> meta_key,
                                  std::span<const uint8_t> sealed_meta, const KeyGenFn& prf,
                                  const KeyGenFn& old_prf, std::string_view context);

}  // namespace natscpp::store::crypto

#endif  // NATSCPP_STORE_CRYPTO_KEY_FILE_H_
