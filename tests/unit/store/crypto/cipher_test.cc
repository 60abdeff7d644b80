// Ciphers of the encrypted file store: published known answers where they
// exist for the exact construction, independent cross-checks otherwise.
#include "crypto/cipher.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace natscpp::store::crypto {
namespace {

using testing::FromHex;
using testing::ToHex;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// draft-irtf-cfrg-xchacha-03, A.3.1 (AEAD_XCHACHA20_POLY1305).
const char* kXcKey = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
const char* kXcAeadNonce = "404142434445464748494a4b4c4d4e4f5051525354555657";
const char* kXcAad = "50515253c0c1c2c3c4c5c6c7";
const char* kXcSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";
const char* kXcAeadCiphertext =
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e";
const char* kXcAeadTag = "c0875924c1c7987947deafd8780acf49";

// draft-irtf-cfrg-xchacha-03, A.3.2 (XChaCha20): the ciphertext starts at
// keystream block 1 (byte 64).
const char* kXcStreamNonce = "404142434445464748494a4b4c4d4e4f5051525354555658";
const char* kXcStreamPlain =
    "5468652064686f6c65202870726f6e6f756e6365642022646f6c652229206973"
    "20616c736f206b6e6f776e2061732074686520417369617469632077696c6420"
    "646f672c2072656420646f672c20616e642077686973746c696e6720646f672e"
    "2049742069732061626f7574207468652073697a65206f662061204765726d61"
    "6e20736865706865726420627574206c6f6f6b73206d6f7265206c696b652061"
    "206c6f6e672d6c656767656420666f782e205468697320686967686c7920656c"
    "757369766520616e6420736b696c6c6564206a756d70657220697320636c6173"
    "736966696564207769746820776f6c7665732c20636f796f7465732c206a6163"
    "6b616c732c20616e6420666f78657320696e20746865207461786f6e6f6d6963"
    "2066616d696c792043616e696461652e";
const char* kXcStreamCipher =
    "7d0a2e6b7f7c65a236542630294e063b7ab9b555a5d5149aa21e4ae1e4fbce87"
    "ecc8e08a8b5e350abe622b2ffa617b202cfad72032a3037e76ffdcdc4376ee05"
    "3a190d7e46ca1de04144850381b9cb29f051915386b8a710b8ac4d027b8b050f"
    "7cba5854e028d564e453b8a968824173fc16488b8970cac828f11ae53cabd201"
    "12f87107df24ee6183d2274fe4c8b1485534ef2c5fbc1ec24bfc3663efaa08bc"
    "047d29d25043532db8391a8a3d776bf4372a6955827ccb0cdd4af403a7ce4c63"
    "d595c75a43e045f0cce1f29c8b93bd65afc5974922f214a40b7c402cdb91ae73"
    "c0b63615cdad0480680f16515a7ace9d39236464328a37743ffc28f4ddb324f4"
    "d0f5bbdc270c65b1749a6efff1fbaa09536175ccd29fb9e6057b307320d31683"
    "8a9c71f70b5b5907a66f7ea49aadc409";

// NIST SP 800-38A F.5.5 CTR-AES256.Encrypt.
const char* kCtrKey = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const char* kCtrIv = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const char* kCtrPlain =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const char* kCtrCipher =
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6";

// RFC 8439 §2.4.2: IETF ChaCha20, block counter 1.
const char* kRfcKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* kRfcNonce = "000000000000004a00000000";
const char* kRfcCipher =
    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
    "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
    "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
    "5af90bbf74a35be6b40b8eedf2785e42874d";

std::unique_ptr<BlockStream> MustStream(StoreCipher c, const std::vector<uint8_t>& key,
                                        const std::vector<uint8_t>& nonce) {
  auto s = GenBlockEncryptionKey(c, key, nonce);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return s ? std::move(*s) : nullptr;
}

// Applies a stream to data starting at `start`, in pieces cut at random
// points, each piece either continuing or re-seeking to its own offset.
std::vector<uint8_t> XorInPieces(BlockStream& s, std::vector<uint8_t> data, uint64_t start,
                                 std::mt19937_64& rng) {
  EXPECT_TRUE(s.Seek(start).has_value());
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 80);
    if (rng() % 3 == 0) {
      EXPECT_TRUE(s.Seek(start + pos).has_value());
    }
    EXPECT_EQ(s.Offset(), start + pos);
    EXPECT_TRUE(s.XorKeyStream(std::span<uint8_t>(data).subspan(pos, n)).has_value());
    pos += n;
  }
  EXPECT_EQ(s.Offset(), start + data.size());
  return data;
}

TEST(Crypto, StoreCipherString) {
  EXPECT_EQ(static_cast<int>(StoreCipher::kChaCha), 0);
  EXPECT_EQ(static_cast<int>(StoreCipher::kAes), 1);
  EXPECT_EQ(static_cast<int>(StoreCipher::kNoCipher), 2);
  EXPECT_EQ(String(StoreCipher::kChaCha), "ChaCha20-Poly1305");
  EXPECT_EQ(String(StoreCipher::kAes), "AES-GCM");
  EXPECT_EQ(String(StoreCipher::kNoCipher), "None");
  EXPECT_EQ(String(static_cast<StoreCipher>(3)), "Unknown StoreCipher");
  EXPECT_EQ(String(static_cast<StoreCipher>(-1)), "Unknown StoreCipher");
}

TEST(Crypto, XChaCha20Poly1305DraftVector) {
  auto aead = GenEncryptionKey(StoreCipher::kChaCha, FromHex(kXcKey));
  ASSERT_TRUE(aead.has_value());
  EXPECT_EQ((*aead)->Cipher(), StoreCipher::kChaCha);
  EXPECT_EQ((*aead)->NonceSize(), 24u);
  EXPECT_EQ((*aead)->Overhead(), 16u);

  const auto nonce = FromHex(kXcAeadNonce);
  const auto aad = FromHex(kXcAad);
  const auto plain = Bytes(kXcSunscreen);
  ASSERT_EQ(plain.size(), 114u);
  auto sealed = (*aead)->Seal(nonce, plain, aad);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(ToHex(*sealed), std::string(kXcAeadCiphertext) + kXcAeadTag);

  auto opened = (*aead)->Open(nonce, *sealed, aad);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, plain);

  // Without the associated data (the store never uses any) it must fail.
  auto no_ad = (*aead)->Open(nonce, *sealed);
  ASSERT_FALSE(no_ad.has_value());
  EXPECT_EQ(no_ad.error().code(), ErrorCode::kCrypto);
}

TEST(Crypto, XChaCha20DraftKeystream) {
  const auto key = FromHex(kXcKey);
  const auto nonce = FromHex(kXcStreamNonce);
  const auto plain = FromHex(kXcStreamPlain);
  const auto want = FromHex(kXcStreamCipher);
  ASSERT_EQ(plain.size(), 304u);
  ASSERT_EQ(want.size(), 304u);

  // Continuing after 64 bytes of keystream.
  auto s = MustStream(StoreCipher::kChaCha, key, nonce);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Cipher(), StoreCipher::kChaCha);
  std::vector<uint8_t> prefix(64);
  ASSERT_TRUE(s->XorKeyStream(prefix).has_value());
  std::vector<uint8_t> buf = plain;
  ASSERT_TRUE(s->XorKeyStream(buf).has_value());
  EXPECT_EQ(ToHex(buf), ToHex(want));

  // Seeking straight to byte 64, and in random pieces.
  auto s2 = MustStream(StoreCipher::kChaCha, key, nonce);
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(ToHex(XorInPieces(*s2, plain, 64, rng)), ToHex(want));
  }
  // Any sub-range lines up with the same keystream bytes.
  for (int round = 0; round < 50; ++round) {
    const size_t a = rng() % plain.size();
    const size_t b = a + rng() % (plain.size() - a + 1);
    std::vector<uint8_t> part(plain.begin() + static_cast<std::ptrdiff_t>(a),
                              plain.begin() + static_cast<std::ptrdiff_t>(b));
    ASSERT_TRUE(s2->Seek(64 + a).has_value());
    ASSERT_TRUE(s2->XorKeyStream(part).has_value());
    EXPECT_TRUE(std::equal(part.begin(), part.end(),
                           want.begin() + static_cast<std::ptrdiff_t>(a)));
  }
}

TEST(Crypto, ChaCha20IetfRfc8439Keystream) {
  // A 12-byte nonce gives plain IETF ChaCha20, as x/crypto does.
  const auto plain = Bytes(kXcSunscreen);
  auto s = MustStream(StoreCipher::kChaCha, FromHex(kRfcKey), FromHex(kRfcNonce));
  ASSERT_NE(s, nullptr);
  std::mt19937_64 rng(8);
  EXPECT_EQ(ToHex(XorInPieces(*s, plain, 64, rng)), kRfcCipher);
}

TEST(Crypto, AesCtrSp80038aF55) {
  const auto key = FromHex(kCtrKey);
  const auto iv = FromHex(kCtrIv);
  const auto plain = FromHex(kCtrPlain);
  auto s = MustStream(StoreCipher::kAes, key, iv);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Cipher(), StoreCipher::kAes);

  std::vector<uint8_t> buf = plain;
  ASSERT_TRUE(s->XorKeyStream(buf).has_value());
  EXPECT_EQ(ToHex(buf), kCtrCipher);

  // The counter ...feff → ...ff00 carries into the next byte; pieces and
  // seeks must land on the same keystream.
  std::mt19937_64 rng(9);
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(ToHex(XorInPieces(*s, plain, 0, rng)), kCtrCipher);
  }
  // Decryption is the same operation.
  auto d = MustStream(StoreCipher::kAes, key, iv);
  std::vector<uint8_t> back = FromHex(kCtrCipher);
  std::vector<uint8_t> out(back.size());
  ASSERT_TRUE(d->XorKeyStream(out, back).has_value());
  EXPECT_EQ(out, plain);
}

// Keystream of AES-CTR computed independently: AES-ECB of each counter
// block, the counter being the IV plus the block number as a 128-bit
// big-endian integer.
std::vector<uint8_t> ReferenceCtrKeystream(const std::vector<uint8_t>& key,
                                           const std::vector<uint8_t>& iv, size_t blocks) {
  std::vector<uint8_t> counters;
  std::vector<uint8_t> ctr = iv;
  for (size_t b = 0; b < blocks; ++b) {
    counters.insert(counters.end(), ctr.begin(), ctr.end());
    for (size_t i = 16; i-- > 0;) {
      if (++ctr[i] != 0) break;
    }
  }
  std::vector<uint8_t> out(counters.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n1 = 0, n2 = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_256_ecb(), nullptr, key.data(), nullptr), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &n1, counters.data(),
                              static_cast<int>(counters.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + n1, &n2), 1);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}

TEST(Crypto, AesCtrFullWidthCounterCarry) {
  const auto key = FromHex(kCtrKey);
  // Low 64 bits all ones: the counter must carry into the high half (Go
  // increments all 16 bytes), and all ones wraps to zero.
  for (const char* iv_hex : {"0123456789abcdeffffffffffffffffd", "fffffffffffffffffffffffffffffffe",
                             "00000000000000000000000000000000"}) {
    SCOPED_TRACE(iv_hex);
    const auto iv = FromHex(iv_hex);
    const size_t blocks = 8;
    const auto want = ReferenceCtrKeystream(key, iv, blocks);
    ASSERT_EQ(want.size(), blocks * 16);
    auto s = MustStream(StoreCipher::kAes, key, iv);
    ASSERT_NE(s, nullptr);
    std::mt19937_64 rng(10);
    for (int round = 0; round < 10; ++round) {
      EXPECT_EQ(ToHex(XorInPieces(*s, std::vector<uint8_t>(want.size()), 0, rng)), ToHex(want));
    }
    for (int round = 0; round < 40; ++round) {
      const size_t a = rng() % want.size();
      const size_t n = rng() % (want.size() - a + 1);
      std::vector<uint8_t> part(n);
      ASSERT_TRUE(s->Seek(a).has_value());
      ASSERT_TRUE(s->XorKeyStream(part).has_value());
      EXPECT_TRUE(std::equal(part.begin(), part.end(),
                             want.begin() + static_cast<std::ptrdiff_t>(a)));
    }
  }
}

TEST(Crypto, AesGcm16RoundTripAndTamper) {
  std::vector<uint8_t> key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 3 + 1);
  auto aead = GenEncryptionKey(StoreCipher::kAes, key);
  ASSERT_TRUE(aead.has_value());
  EXPECT_EQ((*aead)->Cipher(), StoreCipher::kAes);
  EXPECT_EQ((*aead)->NonceSize(), 16u);
  EXPECT_EQ((*aead)->Overhead(), 16u);

  std::vector<uint8_t> nonce(16);
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(0xa0 + i);
  for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{100},
                     size_t{4096}}) {
    SCOPED_TRACE(len);
    std::vector<uint8_t> plain(len);
    for (size_t i = 0; i < len; ++i) plain[i] = static_cast<uint8_t>(i ^ 0x5a);
    auto sealed = (*aead)->Seal(nonce, plain);
    ASSERT_TRUE(sealed.has_value());
    ASSERT_EQ(sealed->size(), len + 16);
    // Not the identity on the body.
    if (len >= 16) {
      EXPECT_FALSE(std::equal(plain.begin(), plain.end(), sealed->begin()));
    }
    auto opened = (*aead)->Open(nonce, *sealed);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, plain);

    // Any flipped bit in ciphertext or tag is rejected.
    for (size_t i = 0; i < sealed->size(); i += std::max<size_t>(1, sealed->size() / 37)) {
      auto bad = *sealed;
      bad[i] ^= 0x01;
      auto r = (*aead)->Open(nonce, bad);
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
    // Another nonce or key is rejected.
    auto other_nonce = nonce;
    other_nonce[15] ^= 0x80;
    EXPECT_FALSE((*aead)->Open(other_nonce, *sealed).has_value());
    auto other_key = key;
    other_key[0] ^= 1;
    auto other = GenEncryptionKey(StoreCipher::kAes, other_key);
    ASSERT_TRUE(other.has_value());
    EXPECT_FALSE((*other)->Open(nonce, *sealed).has_value());
    // Truncated input is rejected, never read past.
    for (size_t cut = 0; cut < sealed->size(); cut += std::max<size_t>(1, sealed->size() / 11)) {
      auto r = (*aead)->Open(nonce, std::span<const uint8_t>(*sealed).first(cut));
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
  }

  // The 16-byte nonce really is used as 16 bytes (not truncated to 12):
  // nonces differing only in the last four bytes give different output.
  auto n2 = nonce;
  n2[13] ^= 0xff;
  std::vector<uint8_t> plain(32, 0x11);
  EXPECT_NE(*(*aead)->Seal(nonce, plain), *(*aead)->Seal(n2, plain));

  // Associated data is authenticated.
  std::vector<uint8_t> ad = {1, 2, 3};
  auto with_ad = (*aead)->Seal(nonce, plain, ad);
  ASSERT_TRUE(with_ad.has_value());
  EXPECT_TRUE((*aead)->Open(nonce, *with_ad, ad).has_value());
  EXPECT_FALSE((*aead)->Open(nonce, *with_ad).has_value());
}

TEST(Crypto, AeadAppendLeavesDestinationOnFailure) {
  for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    SCOPED_TRACE(std::string(String(c)));
    auto aead = GenEncryptionKey(c, std::vector<uint8_t>(32, 7));
    ASSERT_TRUE(aead.has_value());
    std::vector<uint8_t> nonce((*aead)->NonceSize(), 3);
    std::vector<uint8_t> dst = {9, 9, 9};
    auto sealed = (*aead)->Seal(nonce, std::vector<uint8_t>(40, 1));
    ASSERT_TRUE(sealed.has_value());
    ASSERT_TRUE((*aead)->SealAppend(dst, nonce, std::vector<uint8_t>(40, 1), {}).has_value());
    ASSERT_EQ(dst.size(), 3 + 40 + 16u);
    EXPECT_TRUE(std::equal(sealed->begin(), sealed->end(), dst.begin() + 3));

    std::vector<uint8_t> out = {5};
    auto bad = *sealed;
    bad.back() ^= 1;
    EXPECT_FALSE((*aead)->OpenAppend(out, nonce, bad, {}).has_value());
    EXPECT_EQ(out, std::vector<uint8_t>{5});
    ASSERT_TRUE((*aead)->OpenAppend(out, nonce, *sealed, {}).has_value());
    EXPECT_EQ(out.size(), 41u);
    EXPECT_EQ(out[0], 5);
  }
}

TEST(Crypto, WrongSizesAreErrors) {
  // Unknown cipher.
  for (StoreCipher c : {StoreCipher::kNoCipher, static_cast<StoreCipher>(9)}) {
    auto a = GenEncryptionKey(c, std::vector<uint8_t>(32));
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code(), ErrorCode::kCrypto);
    EXPECT_EQ(a.error().message(), "unknown cipher");
    auto b = GenBlockEncryptionKey(c, std::vector<uint8_t>(32), std::vector<uint8_t>(24));
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().message(), "unknown cipher");
  }
  // Seed sizes: ChaCha takes only 32; AES takes 16, 24 or 32 as aes.NewCipher.
  for (size_t n : {size_t{0}, size_t{16}, size_t{31}, size_t{33}}) {
    EXPECT_FALSE(GenEncryptionKey(StoreCipher::kChaCha, std::vector<uint8_t>(n)).has_value());
    EXPECT_FALSE(GenBlockEncryptionKey(StoreCipher::kChaCha, std::vector<uint8_t>(n),
                                       std::vector<uint8_t>(24))
                     .has_value());
  }
  for (size_t n : {size_t{0}, size_t{15}, size_t{20}, size_t{33}}) {
    EXPECT_FALSE(GenEncryptionKey(StoreCipher::kAes, std::vector<uint8_t>(n)).has_value());
  }
  for (size_t n : {size_t{16}, size_t{24}, size_t{32}}) {
    auto a = GenEncryptionKey(StoreCipher::kAes, std::vector<uint8_t>(n, 1));
    ASSERT_TRUE(a.has_value());
    std::vector<uint8_t> nonce(16, 2);
    auto s = (*a)->Seal(nonce, std::vector<uint8_t>(10, 3));
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE((*a)->Open(nonce, *s).has_value());
    EXPECT_TRUE(GenBlockEncryptionKey(StoreCipher::kAes, std::vector<uint8_t>(n, 1), nonce)
                    .has_value());
  }
  // Nonce sizes.
  for (size_t n : {size_t{0}, size_t{8}, size_t{16}, size_t{23}, size_t{25}}) {
    EXPECT_FALSE(GenBlockEncryptionKey(StoreCipher::kChaCha, std::vector<uint8_t>(32),
                                       std::vector<uint8_t>(n))
                     .has_value());
  }
  for (size_t n : {size_t{0}, size_t{12}, size_t{15}, size_t{17}, size_t{24}}) {
    EXPECT_FALSE(GenBlockEncryptionKey(StoreCipher::kAes, std::vector<uint8_t>(32),
                                       std::vector<uint8_t>(n))
                     .has_value());
  }
  for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    auto a = GenEncryptionKey(c, std::vector<uint8_t>(32));
    ASSERT_TRUE(a.has_value());
    for (size_t n : {size_t{0}, size_t{12}, (*a)->NonceSize() - 1, (*a)->NonceSize() + 1}) {
      std::vector<uint8_t> nonce(n);
      auto s = (*a)->Seal(nonce, std::vector<uint8_t>(4));
      ASSERT_FALSE(s.has_value());
      EXPECT_EQ(s.error().code(), ErrorCode::kCrypto);
      EXPECT_FALSE((*a)->Open(nonce, std::vector<uint8_t>(40)).has_value());
    }
    // Shorter than a tag.
    std::vector<uint8_t> nonce((*a)->NonceSize());
    for (size_t n = 0; n < 16; ++n) {
      auto r = (*a)->Open(nonce, std::vector<uint8_t>(n));
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
  }
  // Keystream output smaller than input.
  auto s = GenBlockEncryptionKey(StoreCipher::kAes, std::vector<uint8_t>(32),
                                 std::vector<uint8_t>(16));
  ASSERT_TRUE(s.has_value());
  std::vector<uint8_t> src(10), dst(9);
  auto r = (*s)->XorKeyStream(dst, src);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->Offset(), 0u);
}

TEST(Crypto, ChaChaStreamLimitIsAnError) {
  // x/crypto's block counter is 32 bits; the stream ends after 2^32 blocks.
  auto s = GenBlockEncryptionKey(StoreCipher::kChaCha, std::vector<uint8_t>(32),
                                 std::vector<uint8_t>(24));
  ASSERT_TRUE(s.has_value());
  const uint64_t end = (uint64_t{1} << 32) * 64;
  EXPECT_TRUE((*s)->Seek(end - 64).has_value());
  std::vector<uint8_t> last(64);
  EXPECT_TRUE((*s)->XorKeyStream(last).has_value());
  std::vector<uint8_t> more(1);
  auto r = (*s)->XorKeyStream(more);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(more[0], 0);
  EXPECT_FALSE((*s)->Seek(end).has_value());
  EXPECT_FALSE((*s)->Seek(UINT64_MAX).has_value());
}

TEST(Crypto, SealWithRandomNonceRoundTrip) {
  for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    SCOPED_TRACE(std::string(String(c)));
    auto a = GenEncryptionKey(c, std::vector<uint8_t>(32, 0x42));
    ASSERT_TRUE(a.has_value());
    const auto plain = Bytes("{\"name\":\"ORDERS\"}");
    auto s1 = SealWithRandomNonce(**a, plain);
    auto s2 = SealWithRandomNonce(**a, plain);
    ASSERT_TRUE(s1.has_value());
    ASSERT_TRUE(s2.has_value());
    EXPECT_EQ(s1->size(), (*a)->NonceSize() + plain.size() + 16);
    EXPECT_NE(*s1, *s2);  // fresh nonces
    auto o = OpenWithNoncePrefix(**a, *s1);
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(*o, plain);
    for (size_t cut = 0; cut < s1->size(); ++cut) {
      auto r = OpenWithNoncePrefix(**a, std::span<const uint8_t>(*s1).first(cut));
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
  }
}

TEST(Crypto, RandomBytesVary) {
  std::vector<uint8_t> a(32), b(32);
  RandomBytes(a);
  RandomBytes(b);
  EXPECT_NE(a, b);
  RandomBytes({});
}

}  // namespace
}  // namespace natscpp::store::crypto
