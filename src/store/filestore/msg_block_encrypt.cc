// A block whose encryption differs from what the writable store is
// configured with: keyed with the other cipher, or plaintext (no key file)
// in a store that now has a key. Both are rewritten under new keys of the
// configured cipher when the store opens.
//
// Crash safety. The new key goes to msgs/<N>.key.cvt (synced) first, then
// the block is replaced through a synced temporary and a rename, and only
// then does the staged key take the place of <N>.key. At every point the
// block on disk opens with one of the two key files (or reads as plaintext
// when there is no <N>.key): the next writable open sees the staged key,
// keeps whichever of the two reads the block, and finishes or undoes the
// conversion.
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/msg_block.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore {

namespace {

crypto::StoreCipher Other(crypto::StoreCipher c) {
  return c == crypto::StoreCipher::kAes ? crypto::StoreCipher::kChaCha : crypto::StoreCipher::kAes;
}

}  // namespace

// go: server/filestore.go:(*msgBlock).checkAndLoadEncryption
Result<void> MsgBlock::CheckAndLoadEncryption() {
  if (!env_->prf || plaintext_override_) return {};
  if (env_->read_only) return LoadEncryption();
  if (keys_ && key_cipher_ == env_->cipher) return {};
  if (auto r = ResolveInterruptedConversion(); !r) return r;
  auto loaded = LoadEncryption();
  if (!loaded) {
    // No key file: a store being converted to encryption.
    if (loaded.error().code() != ErrorCode::kNotFound) return loaded;
    return ConvertToEncrypted();
  }
  if (key_cipher_ != env_->cipher) return ConvertCipher();
  return {};
}

// How many leading bytes of the stored block `raw` parse as records when
// read with the given keys (none: as plaintext).
static size_t ValidPrefix(const BlockEnv* env, uint32_t index, std::vector<uint8_t> raw,
                          const crypto::BlockKeys* keys, crypto::StoreCipher cipher) {
  if (raw.empty()) return 0;
  if (keys) {
    auto bek = crypto::GenBlockEncryptionKey(cipher, keys->seed, keys->nonce);
    if (!bek || !(*bek)->XorKeyStream(raw)) return 0;
  }
  auto plain = DecompressIfNeeded(std::move(raw));
  if (!plain) return 0;
  MsgBlock scratch(env, index);
  auto res = scratch.RebuildStateFromBuf(*plain);
  if (!res.bad) return plain->size();
  // A torn tail still counts what came before it.
  return std::min(plain->size(), static_cast<size_t>(res.lost ? plain->size() - res.lost->bytes
                                                               : 0));
}

// The prefix read with the best of the two ciphers for a key file.
static size_t ValidPrefixWithKeyFile(const BlockEnv* env, uint32_t index,
                                     const std::vector<uint8_t>& raw,
                                     const std::vector<uint8_t>& key_file) {
  size_t best = 0;
  for (auto c : {env->cipher, Other(env->cipher)}) {
    auto keys = crypto::RecoverBlockKeys(env->prf, c, env->stream, index, key_file);
    if (keys) best = std::max(best, ValidPrefix(env, index, raw, &*keys, c));
  }
  return best;
}

Result<void> MsgBlock::ResolveInterruptedConversion() {
  const auto base = env_->msgs_dir / std::to_string(index_);
  auto kfn = base;
  kfn += ".key";
  auto staged_fn = kfn;
  staged_fn += ".cvt";
  std::error_code ec;
  if (!std::filesystem::exists(staged_fn, ec)) return {};
  auto staged = ReadWholeFile(staged_fn);
  if (!staged) return std::unexpected(staged.error());
  auto raw = ReadFileIfExists(mfn_);
  size_t current = 0;
  size_t next = 0;
  if (raw && !raw->empty()) {
    if (auto cur = ReadFileIfExists(kfn)) {
      current = ValidPrefixWithKeyFile(env_, index_, *raw, *cur);
    } else {
      current = ValidPrefix(env_, index_, *raw, nullptr, crypto::StoreCipher::kNoCipher);
    }
    next = ValidPrefixWithKeyFile(env_, index_, *raw, *staged);
  }
  keys_.reset();
  key_cipher_ = crypto::StoreCipher::kNoCipher;
  if (next <= current) {
    // The block was not replaced: the staged key goes.
    std::filesystem::remove(staged_fn, ec);
    if (ec) return std::unexpected(IoError(staged_fn, "remove", ec.value()));
    return {};
  }
  // The block was replaced: its key takes the old one's place.
  if (std::rename(staged_fn.c_str(), kfn.c_str()) != 0) {
    return std::unexpected(IoError(kfn, "rename", errno));
  }
  return SyncDir(kfn);
}

Result<void> MsgBlock::RekeyAndRewrite(std::span<const uint8_t> plain) {
  auto fresh = NewBlockKeys();
  if (!fresh) return std::unexpected(fresh.error());
  crypto::BlockKeys keys = std::move(fresh->keys);

  auto kfn = env_->msgs_dir / (std::to_string(index_) + ".key");
  auto staged_fn = kfn;
  staged_fn += ".cvt";
  // 1. The new key, staged and synced.
  if (auto r = WriteAtomically(DiskIoSemaphore::Default(), staged_fn, fresh->key_file,
                               kDefaultFilePerms, true);
      !r) {
    return r;
  }
  // 2. The block under the new key, through a synced temporary and a
  // rename. Whatever was cached came from the old bytes and goes.
  cache_.reset();
  keys_ = std::move(keys);
  key_cipher_ = env_->cipher;
  plaintext_override_ = false;
  if (auto r = AtomicOverwrite(plain, /*allow_compress=*/false); !r) {
    // The rename may or may not have happened: the contents decide.
    (void)ResolveInterruptedConversion();
    return r;
  }
  // 3. The staged key in place.
  if (std::rename(staged_fn.c_str(), kfn.c_str()) != 0) {
    return std::unexpected(IoError(kfn, "rename", errno));
  }
  if (auto r = SyncDir(kfn); !r) return r;
  need_key_sync_ = false;
  return {};
}

// go: server/filestore.go:(*msgBlock).convertCipher
Result<void> MsgBlock::ConvertCipher() {
  if (!env_->prf || env_->read_only || !keys_ || key_cipher_ == env_->cipher) return {};
  auto raw = ReadWholeFile(mfn_);
  if (!raw) return std::unexpected(raw.error());
  if (!raw->empty()) {
    auto bek = crypto::GenBlockEncryptionKey(key_cipher_, keys_->seed, keys_->nonce);
    if (!bek) return std::unexpected(bek.error());
    if (auto r = (*bek)->XorKeyStream(*raw); !r) return r;
  }
  auto plain = DecompressIfNeeded(std::move(*raw));
  if (!plain) return MakeError(plain.error().code(), FileName() + ": " + plain.error().message());
  if (!plain->empty()) {
    MsgBlock scratch(env_, index_);
    auto res = scratch.RebuildStateFromBuf(*plain);
    if (res.bad && (!res.lost || res.lost->bytes >= plain->size())) {
      return MakeError(ErrorCode::kCorrupt,
                       FileName() + ": does not read with the key of its key file");
    }
  }
  return RekeyAndRewrite(*plain);
}

// go: server/filestore.go:(*msgBlock).convertToEncrypted
Result<void> MsgBlock::ConvertToEncrypted() {
  if (!env_->prf || env_->read_only) return {};
  auto raw = ReadWholeFile(mfn_);
  if (!raw) return std::unexpected(raw.error());
  const auto not_plain = [this] {
    return MakeError(ErrorCode::kCorrupt, std::string(kMsgDir) + "/" + std::to_string(index_) +
                                              ".key: missing key file for an encrypted block");
  };
  auto plain = DecompressIfNeeded(std::move(*raw));
  if (!plain) return std::unexpected(not_plain());
  if (!plain->empty()) {
    // Only a block that reads as records is plaintext; one that does not
    // is an encrypted block whose key is gone, and stays as it is.
    MsgBlock scratch(env_, index_);
    auto res = scratch.RebuildStateFromBuf(*plain);
    if (res.bad && (!res.lost || res.lost->bytes >= plain->size())) {
      return std::unexpected(not_plain());
    }
  }
  return RekeyAndRewrite(*plain);
}

}  // namespace natscpp::store::filestore
