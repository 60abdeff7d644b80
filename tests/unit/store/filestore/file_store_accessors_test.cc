// The small views of the store the server's tests read (last sequence,
// block, subject and consumer counts, cache use, lost data, utilization),
// and the storage updates a purge, compaction, truncation, reset, stop and
// delete hand to the stream layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "filestore/file_store_impl.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

FileStore::Impl& I(FileStore& fs) { return fs.ImplForTesting(); }

struct Update {
  int64_t msgs;
  int64_t bytes;
  uint64_t seq;
  std::string subject;
};

class FileStoreAccessors : public ::testing::Test {
 protected:
  std::filesystem::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }
  std::unique_ptr<FileStore> Open(uint64_t block_size = 0) {
    FileStoreConfig fcfg;
    fcfg.block_size = block_size;
    StreamConfig cfg;
    cfg.name = "zzz";
    cfg.storage = StorageType::kFile;
    cfg.subjects = {"foo", "bar", "foo.>"};
    auto fs = FileStore::Create(StreamDir(), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  // Records every storage update from now on.
  void Record(FileStore& fs) {
    fs.RegisterStorageUpdates([this](int64_t m, int64_t b, uint64_t seq, std::string_view subj) {
      updates_.push_back({m, b, seq, std::string(subj)});
    });
  }
  // The total each update reports, summed.
  std::pair<int64_t, int64_t> Sum() const {
    int64_t m = 0;
    int64_t b = 0;
    for (const auto& u : updates_) {
      m += u.msgs;
      b += u.bytes;
    }
    return {m, b};
  }
  std::vector<Update> updates_;
  TempDir dir_{"fsaccess"};
};

const std::string kMsg = "Hello World";
const uint64_t kSz = FileStoreMsgSize("foo", 0, kMsg.size());

}  // namespace

TEST_F(FileStoreAccessors, CountsAndSizes) {
  auto fs = Open(4 * kSz);
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->Type(), StorageType::kFile);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(i % 2 ? "foo" : "bar", {}, Bytes(kMsg), 0));
  auto& impl = I(*fs);
  EXPECT_EQ(impl.LastSeq(), 10u);
  EXPECT_EQ(impl.NumMsgBlocks(), 3);
  EXPECT_EQ(impl.NumSubjects(), 2);
  EXPECT_EQ(impl.NumConsumers(), 0);
  EXPECT_EQ(impl.SizeForSeq(3), FileStoreMsgSize("bar", 0, kMsg.size()));
  EXPECT_EQ(impl.SizeForSeq(0), 0u);
  EXPECT_EQ(impl.SizeForSeq(11), 0u);

  StoreMsg sm;
  auto m = impl.MsgForSeq(2, &sm);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)->subject, "foo");
  EXPECT_EQ((*m)->seq, 2u);
  EXPECT_FALSE(impl.MsgForSeq(11, &sm));

  // Interior removals land in the delete maps.
  ASSERT_TRUE(fs->RemoveMsg(2));
  ASSERT_TRUE(fs->RemoveMsg(6));
  EXPECT_EQ(impl.DmapEntries(), 2u);

  auto u = fs->GetUtilization();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->reported, fs->State().bytes);
  // Removed records (and tombstones) still take room on disk.
  EXPECT_GT(u->total, u->reported);

  // Reading a block that went out of the cache loads it again.
  const uint64_t loads = impl.CacheLoads();
  {
    std::lock_guard lock(impl.mu);
    impl.blks.front()->ClearCache();
  }
  EXPECT_EQ(impl.SizeForSeq(1), FileStoreMsgSize("bar", 0, kMsg.size()));
  EXPECT_GT(impl.CacheLoads(), loads);
  ASSERT_TRUE(fs->LoadMsg(1, &sm));
  EXPECT_GT(impl.CacheSize(), 0u);

  EXPECT_FALSE(impl.IsClosed());
  ASSERT_TRUE(fs->Stop());
  EXPECT_TRUE(impl.IsClosed());
}

TEST_F(FileStoreAccessors, LostDataAndExists) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  EXPECT_FALSE(I(*fs).LostData());
  {
    std::lock_guard lock(I(*fs).mu);
    I(*fs).ld = LostStreamData{{3, 7, 9}, 100};
  }
  auto ld = I(*fs).LostData();
  ASSERT_TRUE(ld);
  EXPECT_EQ(ld->msgs, (std::vector<uint64_t>{3, 7, 9}));
  EXPECT_EQ(ld->Exists(7), (std::pair<int, bool>{1, true}));
  EXPECT_EQ(ld->Exists(8), (std::pair<int, bool>{-1, false}));
  // A copy: the store's own is untouched.
  ld->msgs.clear();
  EXPECT_EQ(I(*fs).LostData()->msgs.size(), 3u);
  std::lock_guard lock(I(*fs).mu);
  I(*fs).RemoveFromLostData(7);
  EXPECT_EQ(I(*fs).ld->msgs, (std::vector<uint64_t>{3, 9}));
}

TEST_F(FileStoreAccessors, WriteTombstoneNoFlushAndCloseAll) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  auto& impl = I(*fs);
  {
    std::lock_guard lock(impl.mu);
    const size_t before = impl.lmb->PendingWriteSize();
    ASSERT_TRUE(impl.WriteTombstoneNoFlush(1, 1));
    // The tombstone waits in the write cache.
    EXPECT_GT(impl.lmb->PendingWriteSize(), before);
    // Closing the blocks writes what is pending.
    ASSERT_TRUE(impl.CloseAllMsgBlocks(true));
    EXPECT_EQ(impl.lmb->PendingWriteSize(), 0u);
  }
  // The file holds both records.
  const auto blk = StreamDir() / "msgs" / "1.blk";
  EXPECT_EQ(std::filesystem::file_size(blk), kSz + kEmptyRecordLen);
}

TEST_F(FileStoreAccessors, ConfigIsTheOneInForce) {
  auto fs = Open(4096);
  ASSERT_TRUE(fs);
  const FileStoreConfig c = fs->Config();
  EXPECT_EQ(c.block_size, 4096u);
  // The defaults the store filled in are reported, not zeros.
  EXPECT_GT(c.sync_interval.count(), 0);
  EXPECT_GT(c.cache_expire.count(), 0);
}

TEST_F(FileStoreAccessors, SyncFileAndDir) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  const auto fn = StreamDir() / "extra.dat";
  std::ofstream(fn) << "x";
  EXPECT_TRUE(SyncFileAndDir(DiskIoSemaphore::Default(), fn));
  // A file that is gone is nothing to sync.
  EXPECT_TRUE(SyncFileAndDir(DiskIoSemaphore::Default(), StreamDir() / "missing.dat"));
  // A directory cannot be opened for writing: an error naming it.
  auto dir = SyncFileAndDir(DiskIoSemaphore::Default(), StreamDir());
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message().find(StreamDir().string()), std::string::npos);
}

TEST_F(FileStoreAccessors, WriteFileWithOptionalSync) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  const auto fn = StreamDir() / "extra.dat";
  const std::vector<uint8_t> data{1, 2, 3, 4};
  ASSERT_TRUE(I(*fs).WriteFileWithOptionalSync(fn, data, 0600));
  std::ifstream in(fn, std::ios::binary);
  std::vector<uint8_t> back{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(back, data);
  EXPECT_FALSE(std::filesystem::exists(fn.string() + ".tmp"));
}

TEST_F(FileStoreAccessors, StorageUpdatesOnPurge) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  Record(*fs);
  auto p = fs->Purge();
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 5u);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0].msgs, -5);
  EXPECT_EQ(updates_[0].bytes, -static_cast<int64_t>(5 * kSz));
  EXPECT_EQ(updates_[0].seq, 0u);
  EXPECT_EQ(updates_[0].subject, "");
  // An empty store still tells (Go's purge always calls back).
  ASSERT_TRUE(fs->Purge());
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_EQ(updates_[1].msgs, 0);
}

TEST_F(FileStoreAccessors, StorageUpdatesOnPurgeEx) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  ASSERT_TRUE(fs->StoreMsg("bar", {}, Bytes(kMsg), 0));
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  ASSERT_TRUE(fs->StoreMsg("bar", {}, Bytes(kMsg), 0));
  ASSERT_TRUE(fs->StoreMsg("bar", {}, Bytes(kMsg), 0));
  Record(*fs);
  // One message: its sequence and the subject asked for.
  auto p = fs->PurgeEx("foo", 0, 1);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 1u);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0].msgs, -1);
  EXPECT_EQ(updates_[0].bytes, -static_cast<int64_t>(kSz));
  EXPECT_EQ(updates_[0].seq, 1u);
  EXPECT_EQ(updates_[0].subject, "foo");
  // More: only the totals.
  p = fs->PurgeEx("bar", 0, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 3u);
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_EQ(updates_[1].msgs, -3);
  EXPECT_EQ(updates_[1].bytes, -static_cast<int64_t>(3 * kSz));
  EXPECT_EQ(updates_[1].seq, 0u);
  EXPECT_EQ(updates_[1].subject, "");
  EXPECT_EQ(fs->State().msgs, 1u);
}

TEST_F(FileStoreAccessors, StorageUpdatesOnCompactAndTruncate) {
  auto fs = Open(4 * kSz);
  ASSERT_TRUE(fs);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  Record(*fs);
  auto c = fs->Compact(4);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 3u);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0].msgs, -3);
  EXPECT_EQ(updates_[0].bytes, -static_cast<int64_t>(3 * kSz));
  // Nothing below: no update.
  ASSERT_TRUE(fs->Compact(2));
  EXPECT_EQ(updates_.size(), 1u);

  ASSERT_TRUE(fs->Truncate(8));
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_EQ(updates_[1].msgs, -2);
  EXPECT_EQ(updates_[1].bytes, -static_cast<int64_t>(2 * kSz));

  // Truncate(0) resets the store.
  ASSERT_TRUE(fs->Truncate(0));
  ASSERT_EQ(updates_.size(), 3u);
  EXPECT_EQ(updates_[2].msgs, -5);
  EXPECT_EQ(updates_[2].bytes, -static_cast<int64_t>(5 * kSz));
  const auto [m, b] = Sum();
  EXPECT_EQ(m, -10);
  EXPECT_EQ(b, -static_cast<int64_t>(10 * kSz));
  EXPECT_EQ(fs->State().msgs, 0u);
}

TEST_F(FileStoreAccessors, StorageUpdatesOnLimitsBlockPurge) {
  auto fs = Open(4 * kSz);
  ASSERT_TRUE(fs);
  Record(*fs);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  StreamConfig cfg = fs->Info().config;
  cfg.max_msgs = 2;
  ASSERT_TRUE(fs->UpdateConfig(cfg));
  EXPECT_EQ(fs->State().msgs, 2u);
  // Whole blocks and single messages alike are accounted for.
  const auto [m, b] = Sum();
  EXPECT_EQ(m, 2);
  EXPECT_EQ(b, static_cast<int64_t>(2 * kSz));
}

TEST_F(FileStoreAccessors, StorageUpdatesOnStopAndDelete) {
  auto fs = Open();
  ASSERT_TRUE(fs);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(kMsg), 0));
  Record(*fs);
  ASSERT_TRUE(fs->Stop());
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0].msgs, 0);
  EXPECT_EQ(updates_[0].bytes, -static_cast<int64_t>(3 * kSz));
  // A second stop is refused and says nothing.
  EXPECT_FALSE(fs->Stop());
  EXPECT_EQ(updates_.size(), 1u);
  // Deleting the stopped store drops the messages it still counts, once.
  (void)fs->Delete();
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_EQ(updates_[1].msgs, -3);
  EXPECT_EQ(updates_[1].bytes, -static_cast<int64_t>(3 * kSz));
  (void)fs->Delete();
  EXPECT_EQ(updates_.size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(StreamDir()));

  auto fs2 = Open();
  ASSERT_TRUE(fs2);
  ASSERT_TRUE(fs2->StoreMsg("foo", {}, Bytes(kMsg), 0));
  updates_.clear();
  Record(*fs2);
  ASSERT_TRUE(fs2->Delete());
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0].msgs, -1);
  EXPECT_EQ(updates_[0].bytes, -static_cast<int64_t>(kSz));
}

}  // namespace natscpp::store::testing
