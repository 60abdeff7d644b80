// The cipher of an encrypted file store (Go: StoreCipher in filestore.go).
#ifndef NATSCPP_STORE_STORE_CIPHER_H_
#define NATSCPP_STORE_STORE_CIPHER_H_

namespace natscpp::store {

// The values are stored in configuration, so they keep Go's numbering.
enum class StoreCipher : int {
  kChaCha = 0,
  kAes = 1,
  kNoCipher = 2,
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_STORE_CIPHER_H_
