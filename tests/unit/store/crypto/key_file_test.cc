// Key derivation and key-file wrapping (FORMAT.md §5.1), on generated keys.
// The Go-written stores are checked in golden_test.cc.
#include "crypto/key_file.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "test_util.h"

namespace natscpp::store::crypto {
namespace {

using testing::FromHex;
using testing::ToHex;

TEST(Crypto, KeyGenIsHmacSha256OverInfoThenContext) {
  EXPECT_FALSE(static_cast<bool>(KeyGen("", "$G")));

  // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for
  // nothing?"); the message is info ‖ context, so any split gives it.
  const std::string msg = "what do ya want for nothing?";
  for (size_t cut : {size_t{0}, size_t{5}, msg.size()}) {
    auto prf = KeyGen("Jefe", msg.substr(0, cut));
    ASSERT_TRUE(static_cast<bool>(prf));
    auto out = prf(AsBytes(std::string_view(msg).substr(cut)));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(ToHex(*out), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  // Different accounts give different keys for the same context.
  auto a = KeyGen("secret", "A")(AsBytes("ORDERS"));
  auto b = KeyGen("secret", "B")(AsBytes("ORDERS"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

TEST(Crypto, KeyContexts) {
  EXPECT_EQ(StreamKeyContext("ORDERS"), "ORDERS");
  EXPECT_EQ(BlockKeyContext("ORDERS", 17), "ORDERS:17");
  EXPECT_EQ(ConsumerKeyContext("ORDERS", "audit"), "ORDERS.audit");
}

TEST(Crypto, GenEncryptionKeysWrapAndUnwrap) {
  const auto prf = KeyGen("s3cr3t", "ACC");
  for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    SCOPED_TRACE(std::string(String(c)));
    const std::string ctx = BlockKeyContext("ORDERS", 3);
    auto keys = GenEncryptionKeys(prf, c, ctx);
    ASSERT_TRUE(keys.has_value()) << keys.error().message();
    const size_t ns = c == StoreCipher::kChaCha ? 24 : 16;
    EXPECT_EQ(keys->encrypted.size(), c == StoreCipher::kChaCha ? 72u : 64u);
    EXPECT_EQ(keys->seed.size(), 32u);
    ASSERT_NE(keys->aek, nullptr);
    ASSERT_NE(keys->bek, nullptr);
    EXPECT_EQ(keys->aek->Cipher(), c);
    EXPECT_EQ(keys->bek->Cipher(), c);

    // The key file opens with the same prf/context/cipher and gives back the
    // seed; its leading bytes are the block nonce.
    auto un = UnwrapKey(prf, c, ctx, keys->encrypted);
    ASSERT_TRUE(un.has_value()) << un.error().message();
    EXPECT_EQ(un->seed, keys->seed);
    EXPECT_EQ(un->nonce, std::vector<uint8_t>(keys->encrypted.begin(),
                                              keys->encrypted.begin() + static_cast<long>(ns)));

    // Recovered block keys match the generated ones.
    auto bk = RecoverBlockKeys(prf, c, "ORDERS", 3, keys->encrypted);
    ASSERT_TRUE(bk.has_value()) << bk.error().message();
    std::vector<uint8_t> a(200, 0), b(200, 0);
    ASSERT_TRUE(keys->bek->XorKeyStream(a).has_value());
    ASSERT_TRUE(bk->bek->XorKeyStream(b).has_value());
    EXPECT_EQ(a, b);
    auto sealed = SealWithRandomNonce(*keys->aek, std::vector<uint8_t>{1, 2, 3});
    ASSERT_TRUE(sealed.has_value());
    auto opened = OpenWithNoncePrefix(*bk->aek, *sealed);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, (std::vector<uint8_t>{1, 2, 3}));

    // Wrong context, key, account or cipher all fail cleanly.
    for (const auto& [p, cc, cx] :
         {std::tuple{prf, c, BlockKeyContext("ORDERS", 4)},
          std::tuple{KeyGen("other", "ACC"), c, ctx}, std::tuple{KeyGen("s3cr3t", "ACC2"), c, ctx},
          std::tuple{prf, c == StoreCipher::kAes ? StoreCipher::kChaCha : StoreCipher::kAes,
                     ctx}}) {
      auto r = UnwrapKey(p, cc, cx, keys->encrypted);
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
    // Two generations never share seed or nonce.
    auto again = GenEncryptionKeys(prf, c, ctx);
    ASSERT_TRUE(again.has_value());
    EXPECT_NE(again->seed, keys->seed);
    EXPECT_NE(again->encrypted, keys->encrypted);
  }
}

TEST(Crypto, KeyFileDamageFailsCleanly) {
  const auto prf = KeyGen("s3cr3t", "ACC");
  for (StoreCipher c : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    SCOPED_TRACE(std::string(String(c)));
    auto keys = GenEncryptionKeys(prf, c, "S");
    ASSERT_TRUE(keys.has_value());
    const auto& kf = keys->encrypted;
    for (size_t n = 0; n < kf.size(); ++n) {
      auto r = RecoverAek(prf, c, "S", std::span<const uint8_t>(kf).first(n));
      ASSERT_FALSE(r.has_value()) << n;
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
      if (n < kMinBlkKeySize) {
        EXPECT_NE(r.error().message().find("bad key size"), std::string::npos);
      }
    }
    for (size_t i = 0; i < kf.size(); ++i) {
      for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
        auto bad = kf;
        bad[i] ^= bit;
        auto r = RecoverAek(prf, c, "S", bad);
        ASSERT_FALSE(r.has_value()) << i;
        EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
      }
    }
    // Trailing bytes make the tag check fail too.
    auto longer = kf;
    longer.push_back(0);
    EXPECT_FALSE(RecoverAek(prf, c, "S", longer).has_value());
  }
}

TEST(Crypto, NoPrfMeansNoEncryption) {
  const KeyGenFn none;
  auto g = GenEncryptionKeys(none, StoreCipher::kChaCha, "S");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().message(), "encryption not enabled");
  auto u = UnwrapKey(none, StoreCipher::kChaCha, "S", std::vector<uint8_t>(72));
  ASSERT_FALSE(u.has_value());
  EXPECT_EQ(u.error().message(), "encryption not enabled");
  auto d = DecryptMeta(StoreCipher::kChaCha, std::vector<uint8_t>(72), std::vector<uint8_t>(80),
                       none, none, "S");
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message(), "encryption not enabled");
  // An unknown cipher is refused when generating.
  auto k = GenEncryptionKeys(KeyGen("k", "A"), StoreCipher::kNoCipher, "S");
  ASSERT_FALSE(k.has_value());
  EXPECT_EQ(k.error().message(), "unknown cipher");
}

// Builds meta.key and a sealed meta.inf the way the file store writes them.
struct SealedMeta {
  std::vector<uint8_t> key_file;
  std::vector<uint8_t> sealed;
};
SealedMeta MakeMeta(const KeyGenFn& prf, StoreCipher c, std::string_view stream,
                    std::string_view json) {
  auto keys = GenEncryptionKeys(prf, c, stream);
  EXPECT_TRUE(keys.has_value());
  auto sealed = SealWithRandomNonce(*keys->aek, AsBytes(json));
  EXPECT_TRUE(sealed.has_value());
  return {keys->encrypted, *sealed};
}

TEST(Crypto, DecryptMetaTriesBothCiphersThenOldKey) {
  const std::string json = R"({"name":"ORDERS"})";
  const auto cur = KeyGen("current", "$G");
  const auto old = KeyGen("previous", "$G");
  const KeyGenFn none;
  for (StoreCipher written : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    const StoreCipher other =
        written == StoreCipher::kChaCha ? StoreCipher::kAes : StoreCipher::kChaCha;
    SCOPED_TRACE(std::string(String(written)));
    const auto m = MakeMeta(cur, written, "ORDERS", json);

    // Configured as written: first candidate.
    auto d = DecryptMeta(written, m.key_file, m.sealed, cur, none, "ORDERS");
    ASSERT_TRUE(d.has_value()) << d.error().message();
    EXPECT_EQ(std::string(d->plain.begin(), d->plain.end()), json);
    EXPECT_EQ(d->cipher, written);
    EXPECT_FALSE(d->converted);
    EXPECT_FALSE(d->used_old_key);

    // Configured with the other cipher: found on the second try.
    d = DecryptMeta(other, m.key_file, m.sealed, cur, old, "ORDERS");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->cipher, written);
    EXPECT_TRUE(d->converted);
    EXPECT_FALSE(d->used_old_key);

    // Written with the old key: only found through old_prf.
    const auto mo = MakeMeta(old, written, "ORDERS", json);
    auto no_old = DecryptMeta(written, mo.key_file, mo.sealed, cur, none, "ORDERS");
    ASSERT_FALSE(no_old.has_value());
    EXPECT_EQ(no_old.error().message(), "unable to recover keys");
    for (StoreCipher configured : {written, other}) {
      d = DecryptMeta(configured, mo.key_file, mo.sealed, cur, old, "ORDERS");
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->cipher, written);
      EXPECT_TRUE(d->converted);
      EXPECT_TRUE(d->used_old_key);
    }

    // Wrong stream name (context), short key file, damaged meta.inf.
    EXPECT_FALSE(DecryptMeta(written, m.key_file, m.sealed, cur, old, "OTHER").has_value());
    auto short_key = DecryptMeta(written, std::span<const uint8_t>(m.key_file).first(63),
                                 m.sealed, cur, old, "ORDERS");
    ASSERT_FALSE(short_key.has_value());
    EXPECT_EQ(short_key.error().code(), ErrorCode::kCrypto);
    for (size_t n = 0; n < m.sealed.size(); n += 3) {
      auto r = DecryptMeta(written, m.key_file, std::span<const uint8_t>(m.sealed).first(n), cur,
                           old, "ORDERS");
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kCrypto);
    }
    auto flipped = m.sealed;
    flipped[flipped.size() / 2] ^= 4;
    EXPECT_FALSE(DecryptMeta(written, m.key_file, flipped, cur, old, "ORDERS").has_value());
  }
}

}  // namespace
}  // namespace natscpp::store::crypto
