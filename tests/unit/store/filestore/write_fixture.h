// The six store permutations Go's testFileStoreAllPermutations runs (no
// cipher, ChaCha, AES × no compression, S2), as a parameterized fixture
// with a fresh stream directory per test.
#ifndef NATSCPP_TESTS_UNIT_STORE_FILESTORE_WRITE_FIXTURE_H_
#define NATSCPP_TESTS_UNIT_STORE_FILESTORE_WRITE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../golden_store.h"
#include "natscpp/store/file_store.h"

namespace natscpp::store::testing {

struct Permutation {
  bool encrypted = false;
  StoreCipher cipher = StoreCipher::kNoCipher;
  StoreCompression compression = StoreCompression::kNone;
};

inline std::vector<Permutation> AllPermutations() {
  std::vector<Permutation> out;
  for (auto c : {StoreCipher::kNoCipher, StoreCipher::kChaCha, StoreCipher::kAes}) {
    for (auto z : {StoreCompression::kNone, StoreCompression::kS2}) {
      out.push_back({c != StoreCipher::kNoCipher, c, z});
    }
  }
  return out;
}

inline std::string PermutationName(const ::testing::TestParamInfo<Permutation>& info) {
  std::string c = !info.param.encrypted                      ? "NoCipher"
                  : info.param.cipher == StoreCipher::kChaCha ? "ChaCha"
                                                              : "AES";
  return c + (info.param.compression == StoreCompression::kS2 ? "_S2" : "_None");
}

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string Str(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// numMsgBlocks as seen on disk: the N.blk files under msgs/ (Go's tests
// count the store's blocks in memory; ours see only the files).
inline int NumMsgBlocks(const std::filesystem::path& stream_dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(stream_dir / "msgs", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.ends_with(".blk") &&
        name.find_first_not_of("0123456789") == name.size() - 4) {
      ++n;
    }
  }
  return n;
}

// reflect.DeepEqual on two StreamStates.
inline void ExpectSameState(const StreamState& a, const StreamState& b) {
  EXPECT_EQ(a.msgs, b.msgs);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.first_seq, b.first_seq);
  EXPECT_EQ(a.first_time, b.first_time);
  EXPECT_EQ(a.last_seq, b.last_seq);
  EXPECT_EQ(a.last_time, b.last_time);
  EXPECT_EQ(a.num_subjects, b.num_subjects);
  EXPECT_EQ(a.subjects, b.subjects);
  EXPECT_EQ(a.num_deleted, b.num_deleted);
  EXPECT_EQ(a.deleted, b.deleted);
  EXPECT_EQ(a.lost.has_value(), b.lost.has_value());
  if (a.lost && b.lost) {
    EXPECT_EQ(a.lost->msgs, b.lost->msgs);
    EXPECT_EQ(a.lost->bytes, b.lost->bytes);
  }
  EXPECT_EQ(a.consumers, b.consumers);
}

// Instantiated once for the whole test program, at the end of
// file_store_write_test.cc; TEST_Ps in other files run under it too.
class FileStorePermutations : public ::testing::TestWithParam<Permutation> {
 protected:
  // Go's tests key encrypted stores with this string.
  static constexpr std::string_view kTestKey = "dlc22";

  std::filesystem::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }

  FileStoreConfig Fcfg(uint64_t block_size = 0) const {
    FileStoreConfig f;
    f.block_size = block_size;
    f.compression = GetParam().compression;
    if (GetParam().encrypted) f.encryption = StoreEncryption{std::string(kTestKey), GetParam().cipher, ""};
    return f;
  }
  static StreamConfig Cfg(std::string name = "zzz", std::vector<std::string> subjects = {"foo", "bar", "foo.>"}) {
    StreamConfig c;
    c.name = std::move(name);
    c.subjects = std::move(subjects);
    c.storage = StorageType::kFile;
    return c;
  }
  std::unique_ptr<FileStore> Create(const FileStoreConfig& fcfg, const StreamConfig& cfg) {
    auto fs = FileStore::Create(StreamDir(), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  // Reopens the directory for reading only, as a separate reader would.
  std::unique_ptr<FileStore> OpenReadOnly() {
    FileStoreOpenOptions o;
    if (GetParam().encrypted) o.encryption = StoreEncryption{std::string(kTestKey), GetParam().cipher, ""};
    auto fs = FileStore::Open(StreamDir(), o);
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }

  TempDir dir_{"fswrite"};
};

}  // namespace natscpp::store::testing

#endif  // NATSCPP_TESTS_UNIT_STORE_FILESTORE_WRITE_FIXTURE_H_
