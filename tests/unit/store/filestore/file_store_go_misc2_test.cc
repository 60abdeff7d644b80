// Ports of v2.14.5 tests in server/filestore_test.go: the per-subject
// state after a secure erase, a failed per-subject rebuild leaving nothing
// half built, and loads after the write block was closed under the store.
// Where Go reaches into a block (fs.lmb, mb.cache, mb.fss) these do the
// same through FileStore::ImplForTesting and the block's test hooks.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

using filestore::MsgBlock;

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

StreamConfig Stream(std::string name, std::vector<std::string> subjects) {
  StreamConfig c;
  c.name = std::move(name);
  c.storage = StorageType::kFile;
  c.subjects = std::move(subjects);
  return c;
}

class FileStoreGoMisc2 : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }
  std::unique_ptr<FileStore> Open(const StreamConfig& cfg, FileStoreConfig fcfg = {}) {
    auto fs = FileStore::Create(StreamDir(), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  TempDir dir_{"fsmisc2"};
};

}  // namespace

// Go runs this through a server (publish, secure delete, stream info with
// a subjects filter); the stream info's subject counts come straight from
// the file store, so the store is driven directly: EraseMsg is the secure
// delete, State/SubjectsTotals(">") the stream info.
TEST_F(FileStoreGoMisc2, TestJetStreamFileStoreSubjectsRemovedAfterSecureErase) {
  auto fs = Open(Stream("TEST", {"test.*"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("test.1", {}, Bytes("msg1"), 0));
  ASSERT_TRUE(fs->StoreMsg("test.2", {}, Bytes("msg2"), 0));
  ASSERT_TRUE(fs->StoreMsg("test.3", {}, Bytes("msg3"), 0));

  EXPECT_EQ(fs->State().num_subjects, 3);
  EXPECT_EQ(fs->SubjectsTotals(">").size(), 3u);

  auto erased = fs->EraseMsg(1);
  ASSERT_TRUE(erased) << erased.error().message();
  EXPECT_TRUE(*erased);

  EXPECT_EQ(fs->State().num_subjects, 2);
  const auto totals = fs->SubjectsTotals(">");
  EXPECT_EQ(totals.size(), 2u);
  EXPECT_FALSE(totals.contains("test.1"));
  ASSERT_TRUE(totals.contains("test.2"));
  ASSERT_TRUE(totals.contains("test.3"));
  EXPECT_EQ(totals.at("test.2"), 1u);
  EXPECT_EQ(totals.at("test.3"), 1u);
}

TEST_F(FileStoreGoMisc2, TestFileStoreGeneratePerSubjectInfoFssNilOnError) {
  auto fs = Open(Stream("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("hello"), 0));

  std::lock_guard lock(I(*fs).mu);
  MsgBlock* mb = I(*fs).lmb;
  ASSERT_NE(mb, nullptr);

  // A loaded cache, so the rebuild reads it rather than the file.
  std::optional<filestore::RebuildResult> rebuilt;
  ASSERT_TRUE(mb->LoadCache(&rebuilt));
  ASSERT_TRUE(mb->CacheLoaded());

  // Zeroed records: the lookups fail as bad messages.
  std::vector<uint8_t>* buf = mb->CacheBufForTest();
  ASSERT_NE(buf, nullptr);
  std::fill(buf->begin(), buf->end(), uint8_t{0});

  // No per-subject state, so it is rebuilt from the cache.
  mb->DropSubjectState();

  // The rebuild fails on the corrupt cache.
  auto fss = mb->EnsurePerSubjectInfo(nullptr);
  EXPECT_FALSE(fss);

  // Nothing half built stays behind, so the next call rebuilds again.
  EXPECT_EQ(mb->fss(), nullptr);
  // And the cache is gone, so the retry reads the file.
  EXPECT_FALSE(mb->CacheLoaded());
}

TEST_F(FileStoreGoMisc2, TestFileStoreErrPartialLoadOnSyncClose) {
  FileStoreConfig fcfg;
  fcfg.block_size = 500;
  auto fs = Open(Stream("zzz", {"*"}), fcfg);
  ASSERT_TRUE(fs);

  // A record of 50 bytes, so 10 to a block.
  const std::string msg(19, 'A');

  // Half the block.
  for (const char* subj : {"A", "B", "C", "D", "E"}) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));

  // What the sync timer closing the write block does: the cache, the
  // flush loop and the file all go.
  uint32_t index = 0;
  {
    std::lock_guard lock(I(*fs).mu);
    MsgBlock* lmb = I(*fs).lmb;
    ASSERT_NE(lmb, nullptr);
    index = lmb->index();
    lmb->TryExpireCache();
    lmb->ClearCacheAndOffset();
    lmb->CloseFd();
  }
  fs->StopFlusherForTest(index);

  ASSERT_TRUE(fs->StoreMsg("Z", {}, Bytes(msg), 0));
  StoreMsg sm;
  auto r = fs->LoadMsg(1, &sm);
  EXPECT_TRUE(r) << r.error().message();
}

}  // namespace natscpp::store::testing
