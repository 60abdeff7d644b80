// The ciphers of an encrypted file store (FORMAT.md §5).
//
// Two kinds of objects come out of a 32-byte seed:
//  * an AEAD ("aek"/"kek"): XChaCha20-Poly1305 for StoreCipher::kChaCha,
//    AES-GCM with a 16-byte nonce for StoreCipher::kAes. It seals key files,
//    meta.inf, index.db and consumer state as nonce ‖ ciphertext ‖ tag.
//  * a block keystream ("bek"): XChaCha20 or AES-CTR. A whole msgs/<N>.blk
//    file is the plaintext XOR one keystream, so appends continue the stream
//    at the current file length (Seek).
//
// Both must produce exactly the bytes Go's x/crypto and crypto/cipher do;
// the constructions are checked against published vectors and against
// stores written by the Go server (tests/unit/store/crypto).
#ifndef NATSCPP_STORE_CRYPTO_CIPHER_H_
#define NATSCPP_STORE_CRYPTO_CIPHER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "natscpp/store/error.h"
#include "natscpp/store/store_cipher.h"

namespace natscpp::store::crypto {

// The public enum (natscpp/store/store_cipher.h), under the name the
// crypto code has always used.
using StoreCipher = ::natscpp::store::StoreCipher;

// Human-readable cipher name, as the server logs it.
std::string_view String(StoreCipher cipher);

inline constexpr size_t kSeedSize = 32;           // asset key seed (genEncryptionKeys)
inline constexpr size_t kXChaChaNonceSize = 24;   // XChaCha20(-Poly1305)
inline constexpr size_t kChaChaIetfNonceSize = 12;
inline constexpr size_t kAesGcmNonceSize = 16;    // Go uses the AES block size
inline constexpr size_t kAesBlockSize = 16;
inline constexpr size_t kAeadTagSize = 16;

// Authenticated encryption with associated data, shaped like Go's
// cipher.AEAD. Objects are immutable after construction and safe to use from
// several threads at once.
class Aead {
 public:
  virtual ~Aead() = default;

  virtual StoreCipher Cipher() const = 0;
  virtual size_t NonceSize() const = 0;
  // Bytes added by sealing (the tag).
  virtual size_t Overhead() const = 0;

  // Appends ciphertext ‖ tag to dst. nonce must be NonceSize() bytes;
  // plaintext and ad must not point into dst.
  virtual Result<void> SealAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> plaintext,
                                  std::span<const uint8_t> ad) const = 0;

  // Authenticates and appends the plaintext to dst; on failure dst is left
  // as it was and the error is ErrorCode::kCrypto.
  virtual Result<void> OpenAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> ciphertext,
                                  std::span<const uint8_t> ad) const = 0;

  Result<std::vector<uint8_t>> Seal(std::span<const uint8_t> nonce,
                                    std::span<const uint8_t> plaintext,
                                    std::span<const uint8_t> ad = {}) const;
  Result<std::vector<uint8_t>> Open(std::span<const uint8_t> nonce,
                                    std::span<const uint8_t> ciphertext,
                                    std::span<const uint8_t> ad = {}) const;
};

// A keystream XORed over a byte range, shaped like Go's cipher.Stream but
// able to jump to any byte offset of the stream. Not thread-safe (it has a
// position), as in Go.
class BlockStream {
 public:
  virtual ~BlockStream() = default;

  virtual StoreCipher Cipher() const = 0;

  // XORs the keystream over buf in place and advances the position.
  virtual Result<void> XorKeyStream(std::span<uint8_t> buf) = 0;

  // Positions the stream so the next byte XORed is keystream byte `offset`.
  virtual Result<void> Seek(uint64_t offset) = 0;

  // Keystream byte index of the next byte to be XORed.
  virtual uint64_t Offset() const = 0;

  // dst = src XOR keystream; dst must be at least as long as src and may be
  // the same memory as src.
  Result<void> XorKeyStream(std::span<uint8_t> dst, std::span<const uint8_t> src);
};

// AEAD keyed with seed for the given cipher (XChaCha20-Poly1305 needs a
// 32-byte key; AES accepts 16, 24 or 32 bytes as Go's aes.NewCipher does).
Result<std::unique_ptr<Aead>> GenEncryptionKey(StoreCipher cipher, std::span<const uint8_t> seed);

// Block keystream keyed with seed and nonce, starting at offset 0: XChaCha20
// (24-byte nonce; a 12-byte nonce gives IETF ChaCha20, as in x/crypto) or
// AES-CTR over the 16-byte nonce as a 128-bit big-endian counter.
Result<std::unique_ptr<BlockStream>> GenBlockEncryptionKey(StoreCipher cipher,
                                                           std::span<const uint8_t> seed,
                                                           std::span<const uint8_t> nonce);

// Cryptographically secure random bytes (nonces, seeds).
void RandomBytes(std::span<uint8_t> out);

// nonce ‖ aead.Seal(nonce, plaintext) with a fresh random nonce: the layout
// of sealed meta.inf, index.db bodies and consumer o.dat.
Result<std::vector<uint8_t>> SealWithRandomNonce(const Aead& aead,
                                                 std::span<const uint8_t> plaintext);

// Inverse of SealWithRandomNonce: splits off the nonce and opens the rest.
Result<std::vector<uint8_t>> OpenWithNoncePrefix(const Aead& aead,
                                                 std::span<const uint8_t> sealed);

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace natscpp::store::crypto

#endif  // NATSCPP_STORE_CRYPTO_CIPHER_H_
