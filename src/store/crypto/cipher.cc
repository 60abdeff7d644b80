#include "crypto/cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>

namespace natscpp::store::crypto {
namespace {

// libsodium picks its implementations and seeds its generator here; safe to
// call from several threads, but once is enough.
void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A failure leaves libsodium on its portable code paths, which are still
    // correct, so there is nothing to report.
    [[maybe_unused]] const int rc = sodium_init();
  });
}

std::string SizeMessage(std::string_view what, size_t got) {
  std::string m(what);
  m += " (got ";
  m += std::to_string(got);
  m += " bytes)";
  return m;
}

struct EvpCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using EvpCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCtxDeleter>;

// EVP takes int lengths; larger buffers go through in slices.
constexpr size_t kEvpChunk = size_t{1} << 30;

bool ValidAesKeySize(size_t n) { return n == 16 || n == 24 || n == 32; }

const EVP_CIPHER* AesGcmFor(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    default:
      return EVP_aes_256_gcm();
  }
}

const EVP_CIPHER* AesCtrFor(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_ctr();
    case 24:
      return EVP_aes_192_ctr();
    default:
      return EVP_aes_256_ctr();
  }
}

// Key bytes that are wiped when the owner goes away.
class KeyBytes {
 public:
  explicit KeyBytes(std::span<const uint8_t> k) : size_(k.size()) {
    std::copy(k.begin(), k.end(), bytes_.begin());
  }
  ~KeyBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  KeyBytes(const KeyBytes&) = delete;
  KeyBytes& operator=(const KeyBytes&) = delete;

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return size_; }

 private:
  std::array<uint8_t, 32> bytes_{};
  size_t size_;
};

Result<void> CheckNonce(std::span<const uint8_t> nonce, size_t want, std::string_view who) {
  if (nonce.size() != want) {
    return MakeError(ErrorCode::kCrypto,
                     std::string(who) + ": nonce must be " + std::to_string(want) +
                         " bytes, got " + std::to_string(nonce.size()));
  }
  return {};
}

// XChaCha20-Poly1305 (x/crypto chacha20poly1305.NewX).
class XChaCha20Poly1305 final : public Aead {
 public:
  explicit XChaCha20Poly1305(std::span<const uint8_t> key) : key_(key) { EnsureSodium(); }

  StoreCipher Cipher() const override { return StoreCipher::kChaCha; }
  size_t NonceSize() const override { return crypto_aead_xchacha20poly1305_ietf_NPUBBYTES; }
  size_t Overhead() const override { return crypto_aead_xchacha20poly1305_ietf_ABYTES; }

  Result<void> SealAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                          std::span<const uint8_t> plaintext,
                          std::span<const uint8_t> ad) const override {
    if (auto ok = CheckNonce(nonce, NonceSize(), "xchacha20poly1305 seal"); !ok) {
      return ok;
    }
    const size_t old = dst.size();
    dst.resize(old + plaintext.size() + Overhead());
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(dst.data() + old, &clen, plaintext.data(),
                                                   plaintext.size(), ad.data(), ad.size(), nullptr,
                                                   nonce.data(), key_.data()) != 0) {
      dst.resize(old);
      return MakeError(ErrorCode::kCrypto, "xchacha20poly1305: seal failed");
    }
    dst.resize(old + static_cast<size_t>(clen));
    return {};
  }

  Result<void> OpenAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                          std::span<const uint8_t> ciphertext,
                          std::span<const uint8_t> ad) const override {
    if (auto ok = CheckNonce(nonce, NonceSize(), "xchacha20poly1305 open"); !ok) {
      return ok;
    }
    if (ciphertext.size() < Overhead()) {
      return MakeError(ErrorCode::kCrypto,
                       SizeMessage("xchacha20poly1305: ciphertext shorter than the tag",
                                   ciphertext.size()));
    }
    const size_t old = dst.size();
    dst.resize(old + ciphertext.size() - Overhead());
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst.data() + old, &mlen, nullptr,
                                                   ciphertext.data(), ciphertext.size(), ad.data(),
                                                   ad.size(), nonce.data(), key_.data()) != 0) {
      dst.resize(old);
      return MakeError(ErrorCode::kCrypto,
                       "xchacha20poly1305: message authentication failed (wrong key or corrupt "
                       "data)");
    }
    dst.resize(old + static_cast<size_t>(mlen));
    return {};
  }

 private:
  KeyBytes key_;
};

// AES-GCM with a 16-byte nonce (Go cipher.NewGCMWithNonceSize(block, 16)).
// A fresh EVP context per call keeps the object immutable and thread-safe.
class AesGcm16 final : public Aead {
 public:
  explicit AesGcm16(std::span<const uint8_t> key) : key_(key), evp_(AesGcmFor(key.size())) {}

  StoreCipher Cipher() const override { return StoreCipher::kAes; }
  size_t NonceSize() const override { return kAesGcmNonceSize; }
  size_t Overhead() const override { return kAeadTagSize; }

  Result<void> SealAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                          std::span<const uint8_t> plaintext,
                          std::span<const uint8_t> ad) const override {
    if (auto ok = CheckNonce(nonce, NonceSize(), "aes-gcm seal"); !ok) {
      return ok;
    }
    auto ctx = Init(nonce, /*encrypt=*/true);
    if (!ctx) {
      return MakeError(ErrorCode::kCrypto, "aes-gcm: cannot initialise cipher");
    }
    const size_t old = dst.size();
    dst.resize(old + plaintext.size() + Overhead());
    uint8_t* out = dst.data() + old;
    bool ok = AddAd(ctx.get(), ad, /*encrypt=*/true) &&
              Process(ctx.get(), plaintext, out, /*encrypt=*/true);
    int outl = 0;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), out + plaintext.size(), &outl) == 1 && outl == 0;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                                   out + plaintext.size()) == 1;
    if (!ok) {
      dst.resize(old);
      return MakeError(ErrorCode::kCrypto, "aes-gcm: seal failed");
    }
    return {};
  }

  Result<void> OpenAppend(std::vector<uint8_t>& dst, std::span<const uint8_t> nonce,
                          std::span<const uint8_t> ciphertext,
                          std::span<const uint8_t> ad) const override {
    if (auto ok = CheckNonce(nonce, NonceSize(), "aes-gcm open"); !ok) {
      return ok;
    }
    if (ciphertext.size() < Overhead()) {
      return MakeError(ErrorCode::kCrypto,
                       SizeMessage("aes-gcm: ciphertext shorter than the tag", ciphertext.size()));
    }
    auto ctx = Init(nonce, /*encrypt=*/false);
    if (!ctx) {
      return MakeError(ErrorCode::kCrypto, "aes-gcm: cannot initialise cipher");
    }
    const size_t body = ciphertext.size() - Overhead();
    // EVP wants a non-const tag pointer; copy it out.
    std::array<uint8_t, kAeadTagSize> tag{};
    std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), ciphertext.end(),
              tag.begin());
    const size_t old = dst.size();
    dst.resize(old + body);
    uint8_t* out = dst.data() + old;
    bool ok = AddAd(ctx.get(), ad, /*encrypt=*/false) &&
              Process(ctx.get(), ciphertext.first(body), out, /*encrypt=*/false);
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                                   tag.data()) == 1;
    int outl = 0;
    // Scratch for the final call: GCM writes nothing there, but a valid
    // pointer is required even when the body is empty.
    uint8_t final_scratch[kAesBlockSize];
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), final_scratch, &outl) == 1;
    if (!ok) {
      // Never hand back unauthenticated plaintext.
      OPENSSL_cleanse(out, body);
      dst.resize(old);
      return MakeError(ErrorCode::kCrypto,
                       "aes-gcm: message authentication failed (wrong key or corrupt data)");
    }
    return {};
  }

 private:
  EvpCtx Init(std::span<const uint8_t> nonce, bool encrypt) const {
    EvpCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
      return nullptr;
    }
    const int enc = encrypt ? 1 : 0;
    if (EVP_CipherInit_ex(ctx.get(), evp_, nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                            nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce.data(), enc) != 1) {
      return nullptr;
    }
    return ctx;
  }

  static bool AddAd(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> ad, bool encrypt) {
    for (size_t off = 0; off < ad.size(); off += kEvpChunk) {
      const int n = static_cast<int>(std::min(kEvpChunk, ad.size() - off));
      int outl = 0;
      const int rc = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &outl, ad.data() + off, n)
                             : EVP_DecryptUpdate(ctx, nullptr, &outl, ad.data() + off, n);
      if (rc != 1) {
        return false;
      }
    }
    return true;
  }

  static bool Process(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> in, uint8_t* out,
                      bool encrypt) {
    for (size_t off = 0; off < in.size(); off += kEvpChunk) {
      const int n = static_cast<int>(std::min(kEvpChunk, in.size() - off));
      int outl = 0;
      const int rc = encrypt ? EVP_EncryptUpdate(ctx, out + off, &outl, in.data() + off, n)
                             : EVP_DecryptUpdate(ctx, out + off, &outl, in.data() + off, n);
      if (rc != 1 || outl != n) {
        return false;
      }
    }
    return true;
  }

  KeyBytes key_;
  const EVP_CIPHER* evp_;
};

// XChaCha20 (24-byte nonce) or IETF ChaCha20 (12-byte nonce), as x/crypto's
// chacha20.NewUnauthenticatedCipher. x/crypto runs IETF ChaCha20 on the
// HChaCha20 subkey with nonce 0⁴ ‖ nonce[16:24]; libsodium's XChaCha20 uses
// the original 64-bit-counter layout on the same subkey with nonce[16:24].
// The two agree while the block counter fits in 32 bits (the first 256 GiB),
// which is all x/crypto allows anyway.
class ChaChaStream final : public BlockStream {
 public:
  ChaChaStream(std::span<const uint8_t> key, std::span<const uint8_t> nonce)
      : key_(key), nonce_len_(nonce.size()) {
    EnsureSodium();
    std::copy(nonce.begin(), nonce.end(), nonce_.begin());
  }
  ~ChaChaStream() override { sodium_memzero(block_.data(), block_.size()); }

  StoreCipher Cipher() const override { return StoreCipher::kChaCha; }
  uint64_t Offset() const override { return offset_; }

  Result<void> Seek(uint64_t offset) override {
    if (offset / kBlock > kMaxBlocks) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "chacha20: offset " + std::to_string(offset) +
                           " is past the end of the keystream");
    }
    offset_ = offset;
    return {};
  }

  Result<void> XorKeyStream(std::span<uint8_t> buf) override {
    if (buf.empty()) {
      return {};
    }
    const uint64_t end_blocks = (offset_ + buf.size() + kBlock - 1) / kBlock;
    if (offset_ + buf.size() < offset_ || end_blocks > kMaxBlocks + 1) {
      return MakeError(ErrorCode::kInvalidArgument, "chacha20: keystream exhausted");
    }
    size_t done = 0;
    // Finish a block started by an earlier call (or a Seek into a block).
    if (const size_t skip = static_cast<size_t>(offset_ % kBlock); skip != 0) {
      block_.fill(0);
      Xor(block_.data(), kBlock, offset_ / kBlock);
      const size_t take = std::min(kBlock - skip, buf.size());
      for (size_t i = 0; i < take; ++i) {
        buf[i] ^= block_[skip + i];
      }
      done = take;
      offset_ += take;
    }
    if (done < buf.size()) {
      // offset_ is block aligned here; a trailing partial block is fine.
      Xor(buf.data() + done, buf.size() - done, offset_ / kBlock);
      offset_ += buf.size() - done;
    }
    return {};
  }

 private:
  static constexpr size_t kBlock = 64;
  // x/crypto's 32-bit block counter.
  static constexpr uint64_t kMaxBlocks = std::numeric_limits<uint32_t>::max();

  void Xor(uint8_t* p, size_t n, uint64_t counter) const {
    if (nonce_len_ == kXChaChaNonceSize) {
      crypto_stream_xchacha20_xor_ic(p, p, n, nonce_.data(), counter, key_.data());
    } else {
      crypto_stream_chacha20_ietf_xor_ic(p, p, n, nonce_.data(), static_cast<uint32_t>(counter),
                                         key_.data());
    }
  }

  KeyBytes key_;
  std::array<uint8_t, kXChaChaNonceSize> nonce_{};
  size_t nonce_len_;
  uint64_t offset_ = 0;
  std::array<uint8_t, kBlock> block_{};
};

// AES-CTR with the whole 16-byte IV as a big-endian counter, as Go's
// cipher.NewCTR and OpenSSL's CTR mode both increment it.
class AesCtrStream final : public BlockStream {
 public:
  AesCtrStream(std::span<const uint8_t> key, std::span<const uint8_t> iv)
      : key_(key), evp_(AesCtrFor(key.size())) {
    std::copy(iv.begin(), iv.end(), iv_.begin());
  }

  StoreCipher Cipher() const override { return StoreCipher::kAes; }
  uint64_t Offset() const override { return offset_; }

  Result<void> Seek(uint64_t offset) override {
    // Counter block for keystream block offset/16: iv + offset/16, carrying
    // through all 128 bits.
    std::array<uint8_t, kAesBlockSize> counter = iv_;
    uint64_t add = offset / kAesBlockSize;
    unsigned carry = 0;
    for (size_t i = kAesBlockSize; i-- > 0;) {
      const unsigned sum = static_cast<unsigned>(counter[i]) + static_cast<unsigned>(add & 0xff) +
                           carry;
      counter[i] = static_cast<uint8_t>(sum);
      carry = sum >> 8;
      add >>= 8;
    }
    EvpCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), evp_, nullptr, key_.data(), counter.data()) != 1) {
      return MakeError(ErrorCode::kCrypto, "aes-ctr: cannot initialise cipher");
    }
    ctx_ = std::move(ctx);
    offset_ = offset - offset % kAesBlockSize;
    // Consume the part of the block before the target byte; OpenSSL keeps
    // the rest of that block's keystream for the next call.
    if (const size_t skip = static_cast<size_t>(offset % kAesBlockSize); skip != 0) {
      std::array<uint8_t, kAesBlockSize> scratch{};
      if (auto ok = XorKeyStream(std::span<uint8_t>(scratch.data(), skip)); !ok) {
        return ok;
      }
    }
    return {};
  }

  Result<void> XorKeyStream(std::span<uint8_t> buf) override {
    if (!ctx_) {
      if (auto ok = Seek(0); !ok) {
        return ok;
      }
    }
    for (size_t off = 0; off < buf.size(); off += kEvpChunk) {
      const int n = static_cast<int>(std::min(kEvpChunk, buf.size() - off));
      int outl = 0;
      if (EVP_EncryptUpdate(ctx_.get(), buf.data() + off, &outl, buf.data() + off, n) != 1 ||
          outl != n) {
        return MakeError(ErrorCode::kCrypto, "aes-ctr: keystream failed");
      }
      offset_ += static_cast<uint64_t>(n);
    }
    return {};
  }

 private:
  KeyBytes key_;
  const EVP_CIPHER* evp_;
  std::array<uint8_t, kAesBlockSize> iv_{};
  EvpCtx ctx_;
  uint64_t offset_ = 0;
};

}  // namespace

// go: server/filestore.go:(StoreCipher).String
std::string_view String(StoreCipher cipher) {
  switch (cipher) {
    case StoreCipher::kChaCha:
      return "ChaCha20-Poly1305";
    case StoreCipher::kAes:
      return "AES-GCM";
    case StoreCipher::kNoCipher:
      return "None";
  }
  return "Unknown StoreCipher";
}

Result<std::vector<uint8_t>> Aead::Seal(std::span<const uint8_t> nonce,
                                        std::span<const uint8_t> plaintext,
                                        std::span<const uint8_t> ad) const {
  std::vector<uint8_t> out;
  out.reserve(plaintext.size() + Overhead());
  if (auto ok = SealAppend(out, nonce, plaintext, ad); !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

Result<std::vector<uint8_t>> Aead::Open(std::span<const uint8_t> nonce,
                                        std::span<const uint8_t> ciphertext,
                                        std::span<const uint8_t> ad) const {
  std::vector<uint8_t> out;
  if (auto ok = OpenAppend(out, nonce, ciphertext, ad); !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

Result<void> BlockStream::XorKeyStream(std::span<uint8_t> dst, std::span<const uint8_t> src) {
  if (dst.size() < src.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "keystream: output (" + std::to_string(dst.size()) +
                         " bytes) smaller than input (" + std::to_string(src.size()) + " bytes)");
  }
  if (!src.empty() && dst.data() != src.data()) {
    std::memmove(dst.data(), src.data(), src.size());
  }
  return XorKeyStream(dst.first(src.size()));
}

// go: server/filestore.go:genEncryptionKey
Result<std::unique_ptr<Aead>> GenEncryptionKey(StoreCipher cipher, std::span<const uint8_t> seed) {
  switch (cipher) {
    case StoreCipher::kChaCha:
      if (seed.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("chacha20poly1305: bad key length, want 32", seed.size()));
      }
      return std::make_unique<XChaCha20Poly1305>(seed);
    case StoreCipher::kAes:
      if (!ValidAesKeySize(seed.size())) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("crypto/aes: invalid key size, want 16, 24 or 32",
                                     seed.size()));
      }
      return std::make_unique<AesGcm16>(seed);
    case StoreCipher::kNoCipher:
      break;
  }
  return MakeError(ErrorCode::kCrypto, "unknown cipher");
}

// go: server/filestore.go:genBlockEncryptionKey
Result<std::unique_ptr<BlockStream>> GenBlockEncryptionKey(StoreCipher cipher,
                                                           std::span<const uint8_t> seed,
                                                           std::span<const uint8_t> nonce) {
  switch (cipher) {
    case StoreCipher::kChaCha:
      if (seed.size() != crypto_stream_xchacha20_KEYBYTES) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("chacha20: wrong key size, want 32", seed.size()));
      }
      if (nonce.size() != kXChaChaNonceSize && nonce.size() != kChaChaIetfNonceSize) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("chacha20: wrong nonce size, want 12 or 24", nonce.size()));
      }
      return std::make_unique<ChaChaStream>(seed, nonce);
    case StoreCipher::kAes:
      if (!ValidAesKeySize(seed.size())) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("crypto/aes: invalid key size, want 16, 24 or 32",
                                     seed.size()));
      }
      if (nonce.size() != kAesBlockSize) {
        return MakeError(ErrorCode::kCrypto,
                         SizeMessage("aes-ctr: IV length must equal the block size (16)",
                                     nonce.size()));
      }
      return std::make_unique<AesCtrStream>(seed, nonce);
    case StoreCipher::kNoCipher:
      break;
  }
  return MakeError(ErrorCode::kCrypto, "unknown cipher");
}

void RandomBytes(std::span<uint8_t> out) {
  if (out.empty()) {
    return;
  }
  EnsureSodium();
  randombytes_buf(out.data(), out.size());
}

Result<std::vector<uint8_t>> SealWithRandomNonce(const Aead& aead,
                                                 std::span<const uint8_t> plaintext) {
  if (aead.NonceSize() > kXChaChaNonceSize) {
    return MakeError(ErrorCode::kCrypto, "unsupported nonce size");
  }
  std::vector<uint8_t> out(aead.NonceSize());
  out.reserve(aead.NonceSize() + plaintext.size() + aead.Overhead());
  RandomBytes(out);
  // The nonce is copied so the span does not point into the growing vector.
  std::array<uint8_t, kXChaChaNonceSize> nonce{};
  std::copy(out.begin(), out.end(), nonce.begin());
  if (auto ok = aead.SealAppend(out, std::span<const uint8_t>(nonce.data(), aead.NonceSize()),
                                plaintext, {});
      !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

Result<std::vector<uint8_t>> OpenWithNoncePrefix(const Aead& aead,
                                                 std::span<const uint8_t> sealed) {
  const size_t ns = aead.NonceSize();
  if (sealed.size() < ns + aead.Overhead()) {
    return MakeError(ErrorCode::kCrypto,
                     SizeMessage("sealed data too short for nonce and tag", sealed.size()));
  }
  return aead.Open(sealed.first(ns), sealed.subspan(ns));
}

}  // namespace natscpp::store::crypto
