// Encryption settings that differ from what is on disk, on a writable open:
// ports of the v2.14.5 tests in server/filestore_test.go around block key
// files and plaintext conversion, and our own checks that a plaintext store
// (ours or one v2.14.5 wrote) or one keyed with the other cipher converts to
// the configured cipher without losing a message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/key_file.h"
#include "filestore/file_store_impl.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;

constexpr std::string_view kKey = "dlc22";

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

std::string ReadStr(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteStr(const std::filesystem::path& p, const std::string& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

StreamConfig Cfg(std::string name = "zzz", std::vector<std::string> subjects = {"foo"}) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

FileStoreConfig Fcfg(std::optional<StoreCipher> cipher, uint64_t block_size = 0) {
  FileStoreConfig f;
  f.block_size = block_size;
  if (cipher) f.encryption = StoreEncryption{std::string(kKey), *cipher, ""};
  return f;
}

std::unique_ptr<FileStore> MustCreate(const std::filesystem::path& dir, const FileStoreConfig& fcfg,
                                      const StreamConfig& cfg) {
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

std::unique_ptr<FileStore> MustOpen(const std::filesystem::path& dir, bool read_only,
                                    std::optional<StoreCipher> cipher, uint64_t block_size = 0) {
  FileStoreOpenOptions o;
  o.read_only = read_only;
  if (cipher) o.encryption = StoreEncryption{std::string(kKey), *cipher, ""};
  o.config = Fcfg(cipher, block_size);
  auto fs = FileStore::Open(dir, o);
  EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
  return fs ? std::move(*fs) : nullptr;
}

// Go: fs.stop(false, false).
void StopWithoutState(FileStore& fs) {
  std::unique_lock lock(I(fs).mu);
  auto r = I(fs).StopLocked(false, false, lock);
  ASSERT_TRUE(r) << r.error().message();
}

// Every stored message: seq -> subject '\0' payload.
std::map<uint64_t, std::string> AllMsgs(FileStore& fs) {
  std::map<uint64_t, std::string> out;
  const auto st = fs.State();
  StoreMsg sm;
  for (uint64_t seq = st.first_seq; seq <= st.last_seq && seq != 0; ++seq) {
    if (auto m = fs.LoadMsg(seq, &sm); m) {
      out[seq] = sm.subject + '\0' + std::string(reinterpret_cast<const char*>(sm.buf.data()), sm.buf.size());
    }
  }
  return out;
}

// The two message maps are the same (reported briefly: sizes and the
// first sequence that differs).
::testing::AssertionResult SameMsgs(const std::map<uint64_t, std::string>& got,
                                    const std::map<uint64_t, std::string>& want) {
  if (got == want) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure() << "got " << got.size() << " messages, want "
                                         << want.size();
  for (const auto& [seq, body] : want) {
    auto it = got.find(seq);
    if (it == got.end()) return r << "; seq " << seq << " missing";
    if (it->second != body) return r << "; seq " << seq << " differs";
  }
  for (const auto& [seq, body] : got) {
    if (!want.contains(seq)) return r << "; extra seq " << seq;
  }
  return r;
}

std::vector<std::filesystem::path> Files(const std::filesystem::path& mdir, std::string_view ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(mdir)) {
    if (e.path().filename().string().ends_with(ext)) out.push_back(e.path());
  }
  return out;
}

uint32_t BlockIndexOf(const std::filesystem::path& blk) {
  return static_cast<uint32_t>(std::stoul(blk.stem().string()));
}

// Every block has a key file of `cipher`, meta.key opens with it, and no
// staged key is left behind.
void ExpectKeyedWith(const std::filesystem::path& dir, const std::string& stream,
                     StoreCipher cipher) {
  const auto prf = crypto::KeyGen(kKey, "$G");
  const auto c = cipher;
  auto mk = ReadStr(dir / "meta.key");
  std::vector<uint8_t> mkb(mk.begin(), mk.end());
  EXPECT_TRUE(crypto::RecoverAek(prf, c, crypto::StreamKeyContext(stream), mkb));
  EXPECT_FALSE(std::filesystem::exists(dir / "meta.key.cvt"));
  const auto blks = Files(dir / "msgs", ".blk");
  EXPECT_FALSE(blks.empty());
  for (const auto& b : blks) {
    auto k = ReadStr(b.parent_path() / (b.stem().string() + ".key"));
    std::vector<uint8_t> kb(k.begin(), k.end());
    EXPECT_TRUE(crypto::RecoverBlockKeys(prf, c, stream, BlockIndexOf(b), kb)) << b;
  }
  EXPECT_TRUE(Files(dir / "msgs", ".cvt").empty());
}

class FileStoreEncrypt : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir(std::string name = "zzz") const {
    return dir_.path() / "$G" / "streams" / name;
  }
  TempDir dir_{"fsenc"};
};

TEST_F(FileStoreEncrypt, TestFileStoreConvertToEncryptedDoesNotResurrectXoredCache) {
  std::string plaintext;
  for (int i = 0; i < 32; ++i) plaintext += "MARKER-PLAINTEXT-PAYLOAD-";
  {
    auto fs = MustCreate(StreamDir(), Fcfg(std::nullopt, 8192), Cfg());
    ASSERT_TRUE(fs);
    ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(plaintext), 0));
    ASSERT_TRUE(fs->Stop());
  }
  // Reopened with encryption, which converts the existing block.
  auto fs = MustCreate(StreamDir(), Fcfg(StoreCipher::kAes, 8192), Cfg());
  ASSERT_TRUE(fs);
  std::lock_guard lock(I(*fs).mu);
  MsgBlock* mb = I(*fs).lmb;
  ASSERT_NE(mb, nullptr);
  ASSERT_TRUE(mb->HasKeys());

  // The block on disk rewritten as plaintext, so the conversion has fresh
  // plaintext to encrypt.
  auto dec = mb->LoadDecrypted();
  ASSERT_TRUE(dec) << dec.error().message();
  WriteStr(mb->path(), std::string(dec->begin(), dec->end()));

  // A sentinel in the cache; the conversion must not leave it there.
  ASSERT_TRUE(mb->LoadCache(nullptr));
  ASSERT_NE(mb->CacheBufForTest(), nullptr);
  std::vector<uint8_t> sentinel;
  for (int i = 0; i < 64; ++i) sentinel.insert(sentinel.end(), {0xCA, 0xFE});
  *mb->CacheBufForTest() = sentinel;

  auto conv = mb->ConvertToEncrypted();
  ASSERT_TRUE(conv) << conv.error().message();

  if (mb->CacheBufForTest() != nullptr) {
    EXPECT_NE(*mb->CacheBufForTest(), sentinel);
  }
  mb->DropCache();
  ASSERT_TRUE(mb->LoadCache(nullptr));
  ASSERT_NE(mb->CacheBufForTest(), nullptr);
  EXPECT_NE(*mb->CacheBufForTest(), sentinel);
  // Ciphertext at the wrong keystream offset would read back as garbage
  // and the message would be gone.
  EXPECT_NE(mb->CacheSize(), 0u);
  StoreMsg sm;
  auto m = mb->Fetch(1, &sm, nullptr);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(Str(sm.msg()), plaintext);
  EXPECT_EQ(ReadStr(mb->path()).find("MARKER-PLAINTEXT"), std::string::npos);
}

TEST_F(FileStoreEncrypt, TestFileStoreEncryptedPurgeRecoveryAfterKeyRename) {
  FileStoreConfig fcfg = Fcfg(StoreCipher::kAes, 64 * 1024);
  fcfg.compression = StoreCompression::kNone;
  const auto cfg = Cfg("zzz", {});
  auto fs = MustCreate(StreamDir(), fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::string msg(8 * 1024, '\0');
  for (int i = 0; i < 1024; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(msg), 0));
  const auto baseline = fs->State();

  const auto sdir = StreamDir();
  const auto mdir = sdir / "msgs";
  const auto pre = sdir / "msgs.pre";
  std::filesystem::copy(mdir, pre, std::filesystem::copy_options::recursive);

  // A real purge makes a valid encrypted tombstone block and key.
  ASSERT_TRUE(fs->Purge());
  uint32_t tomb_idx = 0;
  {
    std::lock_guard lock(I(*fs).mu);
    tomb_idx = I(*fs).lmb->index();
  }
  StopWithoutState(*fs);
  fs.reset();

  const auto post = sdir / "msgs.post";
  std::filesystem::rename(mdir, post);
  std::filesystem::copy(pre, mdir, std::filesystem::copy_options::recursive);
  // Recovery from the block files, not from a fresh index.db.
  std::filesystem::remove_all(mdir / "index.db");

  const std::string tomb_blk = std::to_string(tomb_idx) + ".blk";
  const std::string tomb_key = std::to_string(tomb_idx) + ".key";
  std::filesystem::rename(post / tomb_blk, mdir / tomb_blk);
  const auto ndir = sdir / "__new_msgs__";
  std::filesystem::create_directories(ndir);
  // A crash after N.key moved into __new_msgs__, before N.blk did.
  std::filesystem::rename(post / tomb_key, ndir / tomb_key);

  fs = MustCreate(StreamDir(), fcfg, cfg);
  ASSERT_TRUE(fs);
  const auto state = fs->State();
  EXPECT_EQ(state.msgs, baseline.msgs);
  EXPECT_EQ(state.bytes, baseline.bytes);
  EXPECT_EQ(state.first_seq, baseline.first_seq);
  EXPECT_EQ(state.last_seq, baseline.last_seq);
  EXPECT_FALSE(std::filesystem::exists(mdir / tomb_blk)) << "rollback should remove " << tomb_blk;
  EXPECT_FALSE(std::filesystem::exists(ndir)) << "rollback should remove __new_msgs__";
}

TEST_F(FileStoreEncrypt, TestFileStoreEncryptionKeyFileSyncedBySyncBlocks) {
  {
    auto fs = MustCreate(StreamDir("S1"), Fcfg(StoreCipher::kAes), Cfg("S1", {}));
    ASSERT_TRUE(fs);
    ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("Hello World"), 0));
    // The key file is written without a sync, so it waits for one.
    std::lock_guard lock(I(*fs).mu);
    MsgBlock* lmb = I(*fs).lmb;
    ASSERT_NE(lmb, nullptr);
    EXPECT_TRUE(lmb->NeedKeySyncForTest());
    EXPECT_TRUE(std::filesystem::exists(StreamDir("S1") / "msgs" /
                                        (std::to_string(lmb->index()) + ".key")));
    // A sync pass syncs the key file and clears the flag.
    I(*fs).SyncBlocks();
    EXPECT_FALSE(lmb->NeedKeySyncForTest());
  }
  // With SyncAlways the key file write is already synced.
  FileStoreConfig fcfg = Fcfg(StoreCipher::kAes);
  fcfg.sync_always = true;
  auto fs2 = MustCreate(StreamDir("S2"), fcfg, Cfg("S2", {}));
  ASSERT_TRUE(fs2);
  ASSERT_TRUE(fs2->StoreMsg("foo", {}, Bytes("Hello World"), 0));
  std::lock_guard lock(I(*fs2).mu);
  ASSERT_NE(I(*fs2).lmb, nullptr);
  EXPECT_FALSE(I(*fs2).lmb->NeedKeySyncForTest());
}

TEST_F(FileStoreEncrypt, TestFileStoreRestoreEncryptedWithNoKeyFuncFails) {
  const auto cfg = Cfg("zzz", {"zzz"});
  {
    auto fs = MustCreate(StreamDir(), Fcfg(StoreCipher::kAes), cfg);
    ASSERT_TRUE(fs);
    const std::string msg(100, 'X');
    for (int i = 0; i < 100; ++i) (void)fs->StoreMsg("zzz", {}, Bytes(msg), 0);
    ASSERT_TRUE(fs->Stop());
  }
  // Restoring with no key fails (Go: errNoMainKey).
  auto fs = FileStore::Create(StreamDir(), Fcfg(std::nullopt), cfg, GoTime::FromUnixNanos(1));
  ASSERT_FALSE(fs);
  EXPECT_NE(fs.error().message().find("no main key"), std::string::npos) << fs.error().message();
}

// A plaintext store of several blocks, one message removed.
std::map<uint64_t, std::string> MakePlainStore(const std::filesystem::path& dir) {
  auto fs = MustCreate(dir, Fcfg(std::nullopt, 1024), Cfg("zzz", {"foo.*"}));
  if (!fs) return {};
  for (int i = 1; i <= 60; ++i) {
    const std::string payload = "PLAINTEXT-MARK-" + std::to_string(i) + std::string(40, 'p');
    EXPECT_TRUE(fs->StoreMsg("foo." + std::to_string(i % 7), {}, Bytes(payload), 0));
  }
  EXPECT_TRUE(fs->RemoveMsg(10));
  auto all = AllMsgs(*fs);
  EXPECT_TRUE(fs->Stop());
  return all;
}

TEST_F(FileStoreEncrypt, PlaintextStoreEncryptedOnWritableOpen) {
  for (auto cipher : {StoreCipher::kChaCha, StoreCipher::kAes}) {
    SCOPED_TRACE(cipher == StoreCipher::kAes ? "AES" : "ChaCha");
    const auto dir = StreamDir(cipher == StoreCipher::kAes ? "zzz" : "zzz");
    std::filesystem::remove_all(dir);
    const auto want = MakePlainStore(dir);
    ASSERT_EQ(want.size(), 59u);
    ASSERT_GT(NumMsgBlocks(dir), 2);
    // Block 1 as plaintext, for the second round below.
    const std::string plain1 = ReadStr(dir / "msgs" / "1.blk");
    ASSERT_NE(plain1.find("PLAINTEXT-MARK-1"), std::string::npos);
    {
      auto fs = MustOpen(dir, false, cipher, 1024);
      ASSERT_TRUE(fs);
      EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
      ASSERT_TRUE(fs->Stop());
    }
    for (const auto& b : Files(dir / "msgs", ".blk")) {
      EXPECT_EQ(ReadStr(b).find("PLAINTEXT-MARK"), std::string::npos) << b;
    }
    ExpectKeyedWith(dir, "zzz", cipher);
    {
      auto ro = MustOpen(dir, true, cipher);
      ASSERT_TRUE(ro);
      EXPECT_TRUE(SameMsgs(AllMsgs(*ro), want));
      // index.db included: it was rewritten sealed.
      for (const auto& n : ro->RecoveryNotes()) ADD_FAILURE() << n.file << ": " << n.message;
    }
    // index.db now lists the blocks: a block left plaintext (a conversion
    // cut short) is found and converted on the next writable open too.
    WriteStr(dir / "msgs" / "1.blk", plain1);
    std::filesystem::remove(dir / "msgs" / "1.key");
    {
      auto fs = MustOpen(dir, false, cipher, 1024);
      ASSERT_TRUE(fs);
      EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
      ASSERT_TRUE(fs->Stop());
    }
    EXPECT_EQ(ReadStr(dir / "msgs" / "1.blk").find("PLAINTEXT-MARK"), std::string::npos);
    ExpectKeyedWith(dir, "zzz", cipher);
  }
}

TEST_F(FileStoreEncrypt, ChaChaStoreReopenedWithAesConverts) {
  const auto dir = StreamDir();
  std::map<uint64_t, std::string> want;
  {
    auto fs = MustCreate(dir, Fcfg(StoreCipher::kChaCha, 1024), Cfg("zzz", {"foo.*"}));
    ASSERT_TRUE(fs);
    for (int i = 1; i <= 40; ++i) {
      ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i % 5), {}, Bytes("chacha-" + std::to_string(i)), 0));
    }
    want = AllMsgs(*fs);
    ASSERT_TRUE(fs->Stop());
  }
  ExpectKeyedWith(dir, "zzz", StoreCipher::kChaCha);
  {
    auto fs = MustOpen(dir, false, StoreCipher::kAes, 1024);
    ASSERT_TRUE(fs);
    EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
    // New writes go under the new cipher too.
    ASSERT_TRUE(fs->StoreMsg("foo.1", {}, Bytes("aes-41"), 0));
    want = AllMsgs(*fs);
    ASSERT_TRUE(fs->Stop());
  }
  ExpectKeyedWith(dir, "zzz", StoreCipher::kAes);
  auto ro = MustOpen(dir, true, StoreCipher::kAes);
  ASSERT_TRUE(ro);
  EXPECT_TRUE(SameMsgs(AllMsgs(*ro), want));
  for (const auto& n : ro->RecoveryNotes()) {
    EXPECT_EQ(n.message.find("other cipher"), std::string::npos) << n.file << ": " << n.message;
  }
}

TEST_F(FileStoreEncrypt, InterruptedStreamRekeyIsSettled) {
  const auto dir = StreamDir();
  std::map<uint64_t, std::string> want;
  {
    auto fs = MustCreate(dir, Fcfg(StoreCipher::kChaCha, 1024), Cfg("zzz", {"foo.*"}));
    ASSERT_TRUE(fs);
    for (int i = 1; i <= 20; ++i) {
      ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i % 3), {}, Bytes("m-" + std::to_string(i)), 0));
    }
    want = AllMsgs(*fs);
    ASSERT_TRUE(fs->Stop());
  }
  // A crash while re-keying the stream to AES: meta.key gone, the old key
  // kept aside, meta.inf still sealed with it.
  std::filesystem::rename(dir / "meta.key", dir / "meta.key.cvt");
  {
    auto ro = MustOpen(dir, true, StoreCipher::kAes);
    ASSERT_TRUE(ro);
    EXPECT_TRUE(SameMsgs(AllMsgs(*ro), want));
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "meta.key.cvt"));  // a read-only open writes nothing
  {
    auto fs = MustOpen(dir, false, StoreCipher::kAes, 1024);
    ASSERT_TRUE(fs);
    EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
    ASSERT_TRUE(fs->Stop());
  }
  ExpectKeyedWith(dir, "zzz", StoreCipher::kAes);
  auto ro = MustOpen(dir, true, StoreCipher::kAes);
  ASSERT_TRUE(ro);
  EXPECT_TRUE(SameMsgs(AllMsgs(*ro), want));
}

TEST_F(FileStoreEncrypt, InterruptedBlockConversionIsSettled) {
  const auto dir = StreamDir();
  const auto want = MakePlainStore(dir);
  ASSERT_FALSE(want.empty());
  const auto mdir = dir / "msgs";
  const std::string plain1 = ReadStr(mdir / "1.blk");
  {
    auto fs = MustOpen(dir, false, StoreCipher::kAes, 1024);
    ASSERT_TRUE(fs);
    ASSERT_TRUE(fs->Stop());
  }
  // A crash after the block was replaced, before its key took the old
  // key's place: the staged key is the one that reads it.
  std::filesystem::rename(mdir / "1.key", mdir / "1.key.cvt");
  std::filesystem::remove(mdir / "index.db");
  {
    auto fs = MustOpen(dir, false, StoreCipher::kAes, 1024);
    ASSERT_TRUE(fs);
    EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
    ASSERT_TRUE(fs->Stop());
  }
  ExpectKeyedWith(dir, "zzz", StoreCipher::kAes);
  // A crash before the block was replaced: plaintext block, staged key.
  std::filesystem::copy_file(mdir / "1.key", mdir / "1.key.cvt");
  std::filesystem::remove(mdir / "1.key");
  WriteStr(mdir / "1.blk", plain1);
  std::filesystem::remove(mdir / "index.db");
  {
    auto fs = MustOpen(dir, false, StoreCipher::kAes, 1024);
    ASSERT_TRUE(fs);
    EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
    ASSERT_TRUE(fs->Stop());
  }
  EXPECT_EQ(ReadStr(mdir / "1.blk").find("PLAINTEXT-MARK"), std::string::npos);
  ExpectKeyedWith(dir, "zzz", StoreCipher::kAes);
}

TEST_F(FileStoreEncrypt, GoldenPlainStoreEncryptedOnWritableOpen) {
  const auto set = SharedDir() / "golden" / "2.14.5" / "multiblock";
  if (!std::filesystem::exists(set / "store.tar.zst")) GTEST_SKIP() << "no golden set " << set;
  const auto expect = nlohmann::json::parse(ReadAll(set / "expect.json"));
  ASSERT_TRUE(expect["encryption"].is_null());
  ASSERT_TRUE(ExtractTarZst(set / "store.tar.zst", dir_.path()));
  const auto dir = dir_.path() / expect["stream_dir"].get<std::string>();
  const std::string stream = expect["stream"].get<std::string>();
  std::map<uint64_t, std::string> want;
  {
    auto ro = MustOpen(dir, true, std::nullopt);
    ASSERT_TRUE(ro);
    want = AllMsgs(*ro);
    EXPECT_EQ(want.size(), expect["state"]["messages"].get<uint64_t>());
  }
  ASSERT_FALSE(want.empty());
  {
    auto fs = MustOpen(dir, false, StoreCipher::kChaCha);
    ASSERT_TRUE(fs);
    EXPECT_TRUE(SameMsgs(AllMsgs(*fs), want));
    ASSERT_TRUE(fs->Stop());
  }
  ExpectKeyedWith(dir, stream, StoreCipher::kChaCha);
  auto ro = MustOpen(dir, true, StoreCipher::kChaCha);
  ASSERT_TRUE(ro);
  EXPECT_TRUE(SameMsgs(AllMsgs(*ro), want));
  for (const auto& n : ro->RecoveryNotes()) ADD_FAILURE() << n.file << ": " << n.message;
}

}  // namespace
}  // namespace natscpp::store::testing
