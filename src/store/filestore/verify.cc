// VerifyStreamDir: the stream's own files (meta.inf, meta.sum, meta.key)
// checked in the order the server's start-up recovery reads them
// (jetstream.go, stream directories), then msgs/ and obs/.
#include "natscpp/store/verify.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "util/file_io.h"
#include "crypto/highwayhash.h"
#include "filestore/verify_internal.h"
#include "util/hex.h"
#include "natscpp/store/stream_config.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

bool VerifyReport::Damaged() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.kind == FindingKind::kDamage; });
}

namespace filestore::verify {

Result<std::vector<uint8_t>> ReadWholeFile(const std::filesystem::path& path) {
  auto buf = store::ReadWholeFile(path);
  if (!buf && buf.error().code() == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound, path.string() + " does not exist");
  }
  return buf;
}

crypto::StoreCipher OtherCipher(crypto::StoreCipher c) {
  return c == crypto::StoreCipher::kAes ? crypto::StoreCipher::kChaCha : crypto::StoreCipher::kAes;
}

namespace {

std::string_view AsText(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// meta.sum holds the hex of the HH64 bytes as stored (little-endian).
std::string HexSum(const crypto::HashKey& key, std::span<const uint8_t> data) {
  crypto::Hash64Bytes sum{};
  crypto::PutHash64(crypto::HighwayHash64Sum(key, data), sum);
  return HexLower(sum);
}

// The account a stream belongs to, from .../ACCOUNT/streams/NAME.
std::optional<std::string> AccountFromPath(const std::filesystem::path& dir) {
  const auto streams = dir.parent_path();
  if (streams.filename() != "streams") return std::nullopt;
  auto account = streams.parent_path().filename().string();
  if (account.empty()) return std::nullopt;
  return account;
}

bool Exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

// Files in the stream directory that interrupted operations leave behind
// (FORMAT.md §2, transient names). The server cleans them up or ignores them.
void NoteLeftovers(const std::filesystem::path& dir, Findings& out) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name == "__new_msgs__") {
      out.Note(name, "leftover of an interrupted purge: the server finishes or undoes the purge on start-up");
    } else if (name == "__msgs__") {
      out.Note(name, "leftover of a purge or delete: the server removes it on start-up");
    } else if (name == "batches") {
      out.Note(name, "staging area of atomic batch publishes: the server removes it on start-up");
    } else if (name.ends_with(".tmp")) {
      out.Note(name, "leftover of an interrupted atomic write; the real file is unaffected");
    }
  }
}

// The stream-level part of the verification; returns false when the store
// cannot be read at all.
bool VerifyMeta(const std::filesystem::path& dir, std::string dir_name,
                       const VerifyOptions& options, StreamContext& ctx,
                       std::unique_ptr<crypto::Aead>& aek, Findings& out) {
  const auto meta_file = dir / kMetaFile;
  const auto sum_file = dir / kMetaFileSum;
  const auto key_file = dir / kMetaFileKey;
  const bool has_meta = Exists(meta_file);
  if (!has_meta && !Exists(dir / kMsgDir)) {
    out.Damage("", std::nullopt, "not a stream directory: neither meta.inf nor msgs/ is there");
    return false;
  }

  ctx.stream = dir_name;
  std::optional<std::vector<uint8_t>> meta;
  if (!has_meta) {
    out.Damage(std::string(kMetaFile), std::nullopt,
               "missing: the server does not recover a stream directory without it");
  } else if (auto r = ReadWholeFile(meta_file); !r) {
    out.Damage(std::string(kMetaFile), std::nullopt, "cannot be read: " + r.error().message());
  } else {
    meta = std::move(*r);
  }

  // meta.sum: the hex HH64 of meta.inf as stored, keyed with SHA-256 of
  // the directory name (which is what the server hashes, not the config).
  if (meta) {
    auto sum = ReadWholeFile(sum_file);
    if (!sum) {
      out.Damage(std::string(kMetaFileSum), std::nullopt,
                 (sum.error().Is(ErrorCode::kNotFound) ? std::string("missing")
                                                       : "cannot be read: " + sum.error().message()) +
                     ": the server does not recover the stream without it");
    } else {
      const auto want = HexSum(crypto::HashKeyFromString(dir_name), *meta);
      if (AsText(*sum) != want) {
        out.Damage(std::string(kMetaFileSum), std::nullopt,
                   "checksum mismatch: meta.sum holds \"" + std::string(AsText(*sum)) +
                       "\" but meta.inf hashes to \"" + want +
                       "\": the server does not recover the stream");
      }
    }
  }

  // Encryption. The key derivation is salted with the account.
  std::string account;
  if (options.encryption && !options.encryption->key.empty()) {
    account = options.encryption->account;
    if (account.empty()) {
      auto a = AccountFromPath(dir);
      if (!a) {
        out.Damage("", std::nullopt,
                   "cannot tell the account from the path (expected .../ACCOUNT/streams/" + dir_name +
                       "); give the account with the key");
        return false;
      }
      account = *a;
    }
    ctx.prf = crypto::KeyGen(options.encryption->key, account);
    ctx.cipher = options.encryption->cipher;
  }

  std::optional<std::vector<uint8_t>> plain;
  if (Exists(key_file)) {
    if (!ctx.prf) {
      out.Damage(std::string(kMetaFileKey), std::nullopt,
                 "meta.key is present, so the stream is encrypted, but no JetStream key was given");
      return false;
    }
    auto key = ReadWholeFile(key_file);
    if (!key) {
      out.Damage(std::string(kMetaFileKey), std::nullopt, "cannot be read: " + key.error().message());
      return false;
    }
    if (key->size() < crypto::kMinMetaKeySize) {
      // The blocks have their own key files, so they can still be checked.
      out.Damage(std::string(kMetaFileKey), std::nullopt,
                 "too short (" + std::to_string(key->size()) + " bytes, at least " +
                     std::to_string(crypto::kMinMetaKeySize) +
                     "): the server does not recover the stream");
    } else {
      const auto ctx_name = crypto::StreamKeyContext(dir_name);
      auto opened = crypto::RecoverAek(ctx.prf, ctx.cipher, ctx_name, *key);
      if (!opened) {
        opened = crypto::RecoverAek(ctx.prf, OtherCipher(ctx.cipher), ctx_name, *key);
        if (opened) {
          out.Note(std::string(kMetaFileKey),
                   "opens with the " + std::string(crypto::String(OtherCipher(ctx.cipher))) +
                       " cipher, not the configured " + std::string(crypto::String(ctx.cipher)) +
                       ": the server converts the stream to the configured cipher");
          ctx.cipher = OtherCipher(ctx.cipher);
        }
      }
      if (!opened) {
        out.Damage(std::string(kMetaFileKey), std::nullopt,
                   "meta.key does not open with the given key for account \"" + account +
                       "\" (wrong key, account or cipher?): nothing in the stream can be decrypted");
        return false;
      }
      aek = std::move(*opened);
      ctx.aek = aek.get();
      if (meta) {
        auto p = crypto::OpenWithNoncePrefix(*aek, *meta);
        if (!p) {
          out.Damage(std::string(kMetaFile), std::nullopt,
                     "does not decrypt with the stream key from meta.key: " + p.error().message());
        } else {
          plain = std::move(*p);
        }
      }
    }
  } else if (meta) {
    const bool is_json = DecodeFileStreamInfo(AsText(*meta), JsonMode::kLenient).has_value();
    if (ctx.prf && is_json) {
      out.Note(std::string(kMetaFile),
               "the stream is not encrypted (no meta.key, plaintext meta.inf) although a key was "
               "given: the server would encrypt it on start-up; checked as plaintext");
      ctx.prf = {};
    } else if (ctx.prf) {
      out.Damage(std::string(kMetaFileKey), std::nullopt,
                 "missing, and meta.inf is not plaintext JSON: the key that sealed meta.inf is lost");
    }
    if (is_json || !ctx.prf) plain = *meta;
  }

  if (plain) {
    auto info = DecodeFileStreamInfo(AsText(*plain), JsonMode::kStrict);
    if (!info) {
      auto lenient = DecodeFileStreamInfo(AsText(*plain), JsonMode::kLenient);
      if (lenient) {
        out.Damage(std::string(kMetaFile), std::nullopt,
                   "does not decode strictly (" + info.error().message() +
                       "): the server keeps the stream offline");
        if (!lenient->config.name.empty()) ctx.stream = lenient->config.name;
      } else {
        out.Damage(std::string(kMetaFile), std::nullopt,
                   "is not a stream configuration: " + info.error().message());
      }
    } else if (info->config.name != dir_name) {
      out.Damage(std::string(kMetaFile), std::nullopt,
                 "names stream \"" + info->config.name + "\" but the directory is \"" + dir_name + "\"");
      if (!info->config.name.empty()) ctx.stream = info->config.name;
    }
  }
  return true;
}

}  // namespace
}  // namespace filestore::verify

VerifyReport VerifyStreamDir(const std::filesystem::path& stream_dir, const VerifyOptions& options) {
  using namespace filestore::verify;
  VerifyReport report;
  Findings out(report);

  std::error_code ec;
  auto dir = std::filesystem::absolute(stream_dir, ec).lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    out.Damage("", std::nullopt, "not a directory: " + stream_dir.string());
    report.readable = false;
    return report;
  }

  StreamContext ctx;
  ctx.dir = dir;
  std::unique_ptr<crypto::Aead> aek;
  if (!VerifyMeta(dir, dir.filename().string(), options, ctx, aek, out)) {
    report.readable = false;
    return report;
  }
  VerifyMessages(ctx, out);
  VerifyConsumers(ctx, out);
  NoteLeftovers(dir, out);
  return report;
}

}  // namespace natscpp::store
