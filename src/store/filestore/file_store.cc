// Opening a stream directory: the stream's meta files as the server checks
// them on start (jetstream.go), then the file store's own recovery.
#include "natscpp/store/file_store.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/consumer_file_store.h"
#include "filestore/file_store_impl.h"
#include "util/file_io.h"
#include "util/hex.h"
#include "util/filestore_constants.h"

namespace natscpp::store {

namespace {


// The stream key kept aside while a writable open re-keys the stream.
constexpr std::string_view kMetaKeyStash = "meta.key.cvt";

std::string Hex(uint64_t v) {
  crypto::Hash64Bytes b{};
  crypto::PutHash64(v, b);
  return HexLower(b);
}

Error OpenError(ErrorCode code, std::string_view file, std::string_view cause) {
  return Error(code, std::string(file) + ": " + std::string(cause));
}

// A consumer name taken from the caller must name a directory under obs/
// and nothing else.
bool SafeConsumerName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// go: server/filestore.go:(*fileStore).recoverAEK
Result<void> RecoverStreamAek(FileStore::Impl& impl, crypto::StoreCipher cipher,
                              std::span<const uint8_t> key_file) {
  auto aek = crypto::RecoverAek(impl.prf, cipher, crypto::StreamKeyContext(impl.info.config.name),
                                key_file);
  if (!aek) {
    return std::unexpected(OpenError(ErrorCode::kCrypto, kMetaFileKey,
                                     "cannot recover the stream key: " + aek.error().message()));
  }
  impl.aek = std::move(*aek);
  impl.cipher = cipher;
  return {};
}

}  // namespace

FileStore::FileStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// A writable store not stopped yet is stopped here, index.db included, so
// dropping the handle never loses what was stored.
FileStore::~FileStore() {
  if (impl_ && !impl_->read_only && !impl_->closed) {
    {
      // The owner's callbacks may not outlive it: a store dropped without
      // Stop tells no one.
      std::lock_guard lock(impl_->mu);
      impl_->scb = nullptr;
    }
    (void)Stop();
  }
}

// The stream's meta files as jetstream.go checks them before it creates
// the store: meta.inf against meta.sum, decrypted with meta.key.
static Result<std::unique_ptr<FileStore::Impl>> LoadStreamMeta(
    const std::filesystem::path& stream_dir, const FileStoreOpenOptions& options) {
  auto impl = std::make_unique<FileStore::Impl>();
  std::error_code ec;
  std::filesystem::path dir = stream_dir.lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  if (!std::filesystem::is_directory(dir, ec)) {
    return std::unexpected(OpenError(ErrorCode::kNotFound, dir.string(),
                                     "not a directory"));
  }
  impl->dir = dir;
  const std::string dir_name = dir.filename().string();

  // meta.inf must be there with a matching meta.sum (the server skips the
  // stream otherwise).
  auto meta = ReadFileIfExists(dir / kMetaFile);
  if (!meta) {
    return std::unexpected(OpenError(ErrorCode::kNotFound, kMetaFile,
                                     "missing: " + dir.string() + " is not a stream directory"));
  }
  auto sum = ReadFileIfExists(dir / kMetaFileSum);
  if (!sum) return std::unexpected(OpenError(ErrorCode::kNotFound, kMetaFileSum, "missing"));
  const auto hkey = crypto::HashKeyFromString(dir_name);
  const std::string want = Hex(crypto::HighwayHash64Sum(hkey, {std::span<const uint8_t>(*meta)}));
  if (std::string(sum->begin(), sum->end()) != want) {
    return std::unexpected(OpenError(ErrorCode::kCorrupt, kMetaFileSum,
                                     "checksum does not match meta.inf (expected " + want + ")"));
  }

  // Encrypted stores have meta.key; the key derivation is salted with the
  // account, which the path names.
  std::vector<uint8_t> plain = *meta;
  auto key_file = ReadFileIfExists(dir / kMetaFileKey);
  // A cipher conversion a crash interrupted kept the key that sealed
  // meta.inf aside (see FileStore::Open).
  auto stashed_key = ReadFileIfExists(dir / kMetaKeyStash);
  if (!key_file && stashed_key) key_file = stashed_key;
  crypto::StoreCipher cipher = crypto::StoreCipher::kNoCipher;
  if (key_file) {
    if (!options.encryption || options.encryption->key.empty()) {
      return std::unexpected(OpenError(
          ErrorCode::kCrypto, kMetaFileKey,
          "the store is encrypted: give the server's JetStream key and cipher"));
    }
    std::string account = options.encryption->account;
    if (account.empty()) {
      const auto streams = dir.parent_path();
      if (streams.filename() != "streams") {
        return std::unexpected(OpenError(
            ErrorCode::kInvalidArgument, dir.string(),
            "cannot tell the account from the path (.../ACCOUNT/streams/NAME); give it"));
      }
      account = streams.parent_path().filename().string();
    }
    impl->prf = crypto::KeyGen(options.encryption->key, account);
    auto dm = crypto::DecryptMeta(options.encryption->cipher, *key_file, *meta, impl->prf, {},
                                  dir_name);
    if (!dm && stashed_key && *stashed_key != *key_file) {
      auto alt = crypto::DecryptMeta(options.encryption->cipher, *stashed_key, *meta, impl->prf,
                                     {}, dir_name);
      if (alt) {
        dm = std::move(alt);
        key_file = stashed_key;
      }
    }
    if (!dm) {
      return std::unexpected(OpenError(ErrorCode::kCrypto, kMetaFileKey,
                                       "cannot decrypt meta.inf (wrong key, cipher or account): " +
                                           dm.error().message()));
    }
    plain = std::move(dm->plain);
    cipher = dm->cipher;
    if (dm->converted) {
      impl->Note(std::string(kMetaFileKey),
                 "sealed with the other cipher; the server would re-key the stream");
    }
  } else if (options.encryption && !options.encryption->key.empty()) {
    impl->Note(std::string(kMetaFileKey),
               "missing: the store is plaintext (the server would encrypt it on open)");
  }

  const std::string_view json(reinterpret_cast<const char*>(plain.data()), plain.size());
  auto fsi = DecodeFileStreamInfo(json, JsonMode::kStrict);
  if (!fsi) {
    auto lenient = DecodeFileStreamInfo(json, JsonMode::kLenient);
    if (!lenient) {
      return std::unexpected(OpenError(ErrorCode::kCorrupt, kMetaFile,
                                       "cannot decode the stream configuration: " +
                                           fsi.error().message()));
    }
    impl->Note(std::string(kMetaFile), "fields v2.14.5 does not know (" + fsi.error().message() +
                                           "); the server would keep the stream offline");
    fsi = std::move(lenient);
  }
  impl->info = std::move(*fsi);
  const auto& cfg = impl->info.config;
  if (cfg.name.empty()) {
    return std::unexpected(OpenError(ErrorCode::kCorrupt, kMetaFile, "stream name missing"));
  }
  if (cfg.storage != StorageType::kFile) {
    return std::unexpected(OpenError(ErrorCode::kInvalidArgument, kMetaFile,
                                     "not a file-storage stream"));
  }
  if (cfg.name != dir_name) {
    impl->Note(std::string(kMetaFile), "stream name \"" + cfg.name +
                                           "\" differs from the directory name");
  }

  if (key_file) {
    if (auto r = RecoverStreamAek(*impl, cipher, *key_file); !r) return std::unexpected(r.error());
  } else {
    impl->prf = {};
  }
  impl->env.msgs_dir = dir / kMsgDir;
  impl->env.stream = cfg.name;
  impl->env.prf = impl->prf;
  impl->env.cipher = impl->cipher;
  return impl;
}

Result<std::unique_ptr<FileStore>> FileStore::Open(const std::filesystem::path& stream_dir,
                                                    const FileStoreOpenOptions& options) {
  FileStoreOpenOptions effective = options;
  if (!options.read_only && options.config.encryption) {
    effective.encryption = options.config.encryption;
  }
  auto loaded = LoadStreamMeta(stream_dir, effective);
  if (!loaded) return std::unexpected(loaded.error());
  auto impl = std::move(*loaded);
  if (!options.read_only) {
    FileStoreConfig fcfg = options.config;
    if (!fcfg.encryption) fcfg.encryption = options.encryption;
    // A stream sealed with the other cipher is re-keyed with the configured
    // one as the server does it: meta.key goes and the store writes a new
    // one. The old key waits in meta.key.cvt (synced) until the store is
    // open, so a crash in between still opens meta.inf, and comes back if
    // the store fails to open.
    const auto key_path = impl->dir / kMetaFileKey;
    const auto stash_path = impl->dir / kMetaKeyStash;
    std::error_code ec;
    const bool rekey = fcfg.encryption && impl->prf && impl->cipher != fcfg.encryption->cipher;
    if (rekey) {
      if (!std::filesystem::exists(stash_path, ec)) {
        auto old_key = ReadWholeFile(key_path);
        if (!old_key) return std::unexpected(old_key.error());
        if (auto r = WriteAtomically(DiskIoSemaphore::Default(), stash_path, *old_key,
                                     kDefaultFilePerms, true);
            !r) {
          return std::unexpected(r.error());
        }
      }
      std::filesystem::remove(key_path, ec);
      if (ec) return std::unexpected(IoError(key_path, "remove", ec.value()));
    }
    auto fs = Create(impl->dir, fcfg, impl->info.config, impl->info.created);
    if (!fs && rekey) {
      // A meta.key written by the store may or may not go with meta.inf:
      // then the stash stays for the next open to try.
      if (std::filesystem::exists(key_path, ec)) return fs;
      if (auto old_key = ReadFileIfExists(stash_path)) {
        if (WriteAtomically(DiskIoSemaphore::Default(), key_path, *old_key, kDefaultFilePerms,
                            true)) {
          std::filesystem::remove(stash_path, ec);
        }
      }
      return fs;
    }
    if (fs) std::filesystem::remove(stash_path, ec);
    return fs;
  }
  std::unique_ptr<FileStore> fs(new FileStore(std::move(impl)));
  std::error_code ec;
  for (const auto& name : fs->ConsumerNames()) {
    if (std::filesystem::exists(fs->impl_->dir / kConsumerDir / name / kMetaFile, ec)) {
      ++fs->impl_->num_consumers;
    }
  }
  if (auto r = fs->impl_->Recover(); !r) return std::unexpected(r.error());
  return fs;
}

const FileStreamInfo& FileStore::Info() const { return impl_->info; }
const std::filesystem::path& FileStore::Dir() const { return impl_->dir; }
StreamState FileStore::State() { return impl_->State(); }
void FileStore::FastState(StreamState* state) { impl_->FastState(state); }
// Go allocates a message when given none; here the caller owns it.
static Error NullMsg() { return Error(ErrorCode::kInvalidArgument, "no store::StoreMsg given"); }

Result<store::StoreMsg*> FileStore::LoadMsg(uint64_t seq, store::StoreMsg* sm) {
  if (!sm) return std::unexpected(NullMsg());
  return impl_->LoadMsg(seq, sm);
}
Result<LoadedMsg> FileStore::LoadNextMsg(std::string_view filter, bool wildcard, uint64_t start,
                                         store::StoreMsg* sm) {
  if (!sm) return std::unexpected(NullMsg());
  return impl_->LoadNextMsg(filter, wildcard, start, sm);
}
Result<store::StoreMsg*> FileStore::LoadLastMsg(std::string_view subject, store::StoreMsg* sm) {
  if (!sm) return std::unexpected(NullMsg());
  return impl_->LoadLastMsg(subject, sm);
}
std::map<std::string, uint64_t> FileStore::SubjectsTotals(std::string_view filter) {
  return impl_->SubjectsTotals(filter);
}
Result<SimpleState> FileStore::FilteredState(uint64_t seq, std::string_view subject) {
  return impl_->FilteredState(seq, subject);
}
const std::vector<RecoveryNote>& FileStore::RecoveryNotes() const { return impl_->notes; }

std::vector<std::string> FileStore::ConsumerNames() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(impl_->dir / kConsumerDir, ec)) {
    if (e.is_directory(ec)) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<StoredConsumer> FileStore::LoadConsumer(std::string_view name) const {
  if (!SafeConsumerName(name)) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid consumer name \"" + std::string(name) + "\"");
  }
  const auto odir = impl_->dir / kConsumerDir / std::string(name);
  auto cfs = filestore::ConsumerFileStore::OpenReadOnly(odir, impl_->info.config.name, impl_->prf,
                                                        impl_->cipher);
  if (!cfs) return std::unexpected(cfs.error());
  auto st = (*cfs)->State();
  if (!st) return std::unexpected(st.error());
  StoredConsumer out;
  out.name = (*cfs)->Info().name.empty() ? std::string(name) : (*cfs)->Info().name;
  out.created = (*cfs)->Info().created;
  out.config = (*cfs)->Info().config;
  out.state = std::move(*st);
  return out;
}

}  // namespace natscpp::store
