// Tests of the small file-store helpers. Go has no unit tests of its own
// for these (its file-store tests reach them); these check them directly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "util/block_buffers.h"
#include "util/disk_io.h"
#include "util/file_io.h"
#include "util/filestore_constants.h"
#include "util/friendly_bytes.h"
#include "util/msg_size.h"
#include "util/varint.h"
#include "../golden_store.h"

namespace natscpp::store {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Varint, MatchesGoEncoding) {
  // Values and encodings as Go's binary.AppendUvarint writes them.
  struct Case {
    uint64_t v;
    std::vector<uint8_t> enc;
  };
  const Case cases[] = {{0, {0x00}},
                        {1, {0x01}},
                        {127, {0x7f}},
                        {128, {0x80, 0x01}},
                        {300, {0xac, 0x02}},
                        {~0ull, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}}};
  for (const Case& c : cases) {
    std::vector<uint8_t> b;
    util::AppendUvarint(b, c.v);
    EXPECT_EQ(b, c.enc) << c.v;
    EXPECT_EQ(util::UvarintLen(c.v), c.enc.size());
    const auto r = util::ReadUvarint(b);
    EXPECT_EQ(r.value, c.v);
    EXPECT_EQ(r.n, static_cast<int>(c.enc.size()));
  }
  // Zig-zag: -1 -> 1, 1 -> 2, -64 -> 127.
  for (const auto& [v, first] : std::vector<std::pair<int64_t, uint8_t>>{{-1, 1}, {1, 2}, {-64, 127}}) {
    std::vector<uint8_t> b;
    util::AppendVarint(b, v);
    EXPECT_EQ(b[0], first);
    EXPECT_EQ(util::ReadVarint(b).value, v);
  }
}

TEST(Varint, RejectsTruncatedAndOverflowingInput) {
  const std::vector<uint8_t> truncated = {0x80, 0x80};
  EXPECT_EQ(util::ReadUvarint(truncated).n, 0);
  EXPECT_EQ(util::ReadUvarint({}).n, 0);
  const std::vector<uint8_t> overflow = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  EXPECT_LT(util::ReadUvarint(overflow).n, 0);
  const std::vector<uint8_t> eleven(11, 0x80);
  EXPECT_LT(util::ReadUvarint(eleven).n, 0);
}

TEST(MsgSize, RecordSizesFollowTheRecordLayout) {
  // 22-byte header + subject + payload + 8-byte checksum.
  EXPECT_EQ(FileStoreMsgSizeRaw(3, 0, 10), 22u + 3 + 10 + 8);
  // With headers, their 4-byte length too.
  EXPECT_EQ(FileStoreMsgSizeRaw(3, 5, 10), 22u + 3 + 4 + 5 + 10 + 8);
  EXPECT_EQ(FileStoreMsgSize("foo", 0, 0), 33u);
  EXPECT_EQ(FileStoreMsgSizeEstimate(3, 100), 30u + 3 + 4 + 100);
  EXPECT_FALSE(IsFileStoreMsgTooLarge(1024));
  EXPECT_FALSE(IsFileStoreMsgTooLarge(kRecordLenBadThreshold));
  EXPECT_TRUE(IsFileStoreMsgTooLarge(kRecordLenBadThreshold + 1));
  EXPECT_TRUE(IsFileStoreMsgTooLarge(kHeaderBit | 10));
}

TEST(MsgSize, DynBlkSize) {
  EXPECT_EQ(DynBlkSize(true, 0, false), kDefaultLargeBlockSize);
  EXPECT_EQ(DynBlkSize(false, 0, false), kDefaultMediumBlockSize);
  EXPECT_EQ(DynBlkSize(true, 0, true), kMaximumEncryptedBlockSize);
  EXPECT_EQ(DynBlkSize(true, 1000, false), kFileStoreMinBlkSize);
  EXPECT_EQ(DynBlkSize(true, 1024LL * 1024 * 1024, false), kFileStoreMaxBlkSize);
  EXPECT_EQ(DynBlkSize(true, 1024LL * 1024 * 1024, true), kMaximumEncryptedBlockSize);
  EXPECT_EQ(DynBlkSize(true, 10LL * 1024 * 1024, false), kDefaultMediumBlockSize);
}

TEST(BlockBuffers, TiersAndRecycling) {
  std::vector<uint8_t> tiny = GetMsgBlockBuf(100);
  EXPECT_TRUE(tiny.empty());
  EXPECT_EQ(tiny.capacity(), kDefaultTinyBlockSize);
  EXPECT_EQ(GetMsgBlockBuf(kDefaultTinyBlockSize + 1).capacity(), kDefaultSmallBlockSize);
  EXPECT_EQ(GetMsgBlockBuf(kDefaultLargeBlockSize).capacity(), kDefaultLargeBlockSize);
  EXPECT_EQ(GetMsgBlockBuf(kDefaultLargeBlockSize + 5).capacity(), kDefaultLargeBlockSize + 5);

  const size_t before = PooledMsgBlockBufs(kDefaultTinyBlockSize);
  tiny.push_back(7);
  const uint8_t* data = tiny.data();
  RecycleMsgBlockBuf(std::move(tiny));
  ASSERT_EQ(PooledMsgBlockBufs(kDefaultTinyBlockSize), before + 1);
  std::vector<uint8_t> again = GetMsgBlockBuf(10);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.data(), data);  // the same buffer came back
  // Odd sizes are not pooled.
  std::vector<uint8_t> odd;
  odd.reserve(12345);
  RecycleMsgBlockBuf(std::move(odd));
  EXPECT_EQ(PooledMsgBlockBufs(12345), 0u);
}

TEST(DiskIo, ClampsAndCountsWaits) {
  EXPECT_EQ(DiskIoSemaphore(1).Cap(), DiskIoSemaphore::kMinConcurrentIos);
  EXPECT_EQ(DiskIoSemaphore(1 << 20).Cap(), DiskIoSemaphore::kMaxConcurrentIos);
  EXPECT_EQ(DiskIoSemaphore::Default().Cap(), DiskIoSemaphore::kDefaultConcurrentIos);

  DiskIoSemaphore d(4);
  for (int i = 0; i < 4; ++i) d.Acquire();
  EXPECT_EQ(d.waits(), 0u);
  std::atomic<bool> got{false};
  std::thread t([&] {
    d.Acquire();
    got = true;
    d.Release();
  });
  while (d.waiters() == 0) std::this_thread::yield();
  EXPECT_FALSE(got.load());
  d.Release();
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(d.waits(), 1u);
  EXPECT_GT(d.wait_nanos(), 0u);
  EXPECT_EQ(d.max_wait_nanos(), d.wait_nanos());
  d.CountWait(1);
  EXPECT_EQ(d.max_wait_nanos(), d.wait_nanos() - 1);
  for (int i = 0; i < 3; ++i) d.Release();
}

TEST(FileIo, WriteAtomicallyReplacesWholeFiles) {
  TempDir dir;
  const fs::path f = dir.path() / "meta.inf";
  const std::string a = "first", b = "second version";
  ASSERT_TRUE(WriteAtomically(DiskIoSemaphore::Default(), f,
                              std::span(reinterpret_cast<const uint8_t*>(a.data()), a.size()), kDefaultFilePerms,
                              false));
  EXPECT_EQ(Slurp(f), a);
  ASSERT_TRUE(WriteFileWithSync(DiskIoSemaphore::Default(), f,
                                std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size()), kDefaultFilePerms));
  EXPECT_EQ(Slurp(f), b);
  EXPECT_FALSE(fs::exists(f.string() + ".tmp"));
  // v2.14.5 writes its files 0600.
  EXPECT_EQ(fs::status(f).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST(FileIo, FailedWriteLeavesTheOldFile) {
  if (geteuid() == 0) {
    // root ignores directory permissions; use a missing directory instead.
    TempDir dir;
    const auto r = WriteAtomically(DiskIoSemaphore::Default(), dir.path() / "nope" / "x", {}, kDefaultFilePerms, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kIo);
    EXPECT_NE(r.error().message().find("nope"), std::string::npos);
    return;
  }
  TempDir dir;
  const fs::path f = dir.path() / "keep";
  std::ofstream(f) << "good";
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const auto r = WriteAtomically(DiskIoSemaphore::Default(), f, {}, kDefaultFilePerms, false);
  EXPECT_FALSE(r);
  EXPECT_EQ(Slurp(f), "good");
}

TEST(FileIo, ErrorsKeepTheSystemReason) {
  const Error full = IoError("/x", "write", ENOSPC);
  EXPECT_TRUE(IsOutOfSpaceError(full));
  EXPECT_FALSE(IsPermissionError(full));
  EXPECT_NE(full.message().find("No space left"), std::string::npos);
  EXPECT_TRUE(IsPermissionError(IoError("/x", "open", EACCES)));
  EXPECT_TRUE(IsPermissionError(IoError("/x", "open", EPERM)));
  EXPECT_FALSE(IsOutOfSpaceError(Error(ErrorCode::kCorrupt, "bad")));
  TempDir dir;
  const auto r = WriteAtomically(DiskIoSemaphore::Default(), dir.path() / "missing" / "f", {}, kDefaultFilePerms, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno(), ENOENT);
}

TEST(FileIo, RemoveAllWithRetry) {
  TempDir dir;
  fs::create_directories(dir.path() / "a" / "b");
  std::ofstream(dir.path() / "a" / "b" / "f") << "x";
  ASSERT_TRUE(RemoveAllWithRetry(DiskIoSemaphore::Default(), dir.path() / "a"));
  EXPECT_FALSE(fs::exists(dir.path() / "a"));
  // Removing what is not there is not an error, as with os.RemoveAll.
  EXPECT_TRUE(RemoveAllWithRetry(DiskIoSemaphore::Default(), dir.path() / "missing"));
}

TEST(FriendlyBytes, FormatsAsTheServerLogs) {
  EXPECT_EQ(FriendlyBytes(0), "0 B");
  EXPECT_EQ(FriendlyBytes(512), "512 B");
  EXPECT_EQ(FriendlyBytes(1023.5), "1023.5 B");
  EXPECT_EQ(FriendlyBytes(1024), "1.00 KB");
  EXPECT_EQ(FriendlyBytes(1536), "1.50 KB");
  EXPECT_EQ(FriendlyBytes(3.0 * 1024 * 1024 * 1024), "3.00 GB");
}

}  // namespace
}  // namespace natscpp::store
