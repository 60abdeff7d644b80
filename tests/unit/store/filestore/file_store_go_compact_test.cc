// Ports of the v2.14.5 PurgeEx and Compact tests in
// server/filestore_test.go. The ones Go runs under
// testFileStoreAllPermutations are TEST_P on FileStorePermutations
// (instantiated in file_store_write_test.cc); the others use the plain
// FileStoreGoCompact fixture. Where Go reaches into the store, these look
// at what it leaves on disk instead:
//   - numMsgBlocks / len(fs.blks): the N.blk files in msgs/;
//   - a block's rbytes: the size of its N.blk file (only where Go itself
//     compares sizes, i.e. no cipher and no compression);
//   - forceWriteFullState / writeFullState: Stop, which writes index.db,
//     and reopening the store.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

namespace fsys = std::filesystem;

std::vector<fsys::path> BlockFiles(const fsys::path& stream_dir) {
  std::vector<fsys::path> out;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(stream_dir / "msgs", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.ends_with(".blk") &&
        name.find_first_not_of("0123456789") == name.size() - 4) {
      out.push_back(e.path());
    }
  }
  return out;
}


uint64_t TotalBlockFileBytes(const fsys::path& stream_dir) {
  uint64_t n = 0;
  for (const auto& p : BlockFiles(stream_dir)) n += fsys::file_size(p);
  return n;
}

fsys::path IndexDb(const fsys::path& stream_dir) { return stream_dir / "msgs" / "index.db"; }

std::vector<char> ReadAll(const fsys::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const fsys::path& p, const std::vector<char>& buf) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}


std::vector<uint8_t> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  std::mt19937_64 rng(std::random_device{}());
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

StreamConfig Named(std::string name, std::vector<std::string> subjects = {}) {
  StreamConfig c;
  c.name = std::move(name);
  c.subjects = std::move(subjects);
  c.storage = StorageType::kFile;
  return c;
}

// A plain (no cipher, no compression) store for the tests Go runs once.
class FileStoreGoCompact : public ::testing::Test {
 protected:
  fsys::path StreamDir() const { return dir_.path() / "$G" / "streams" / "zzz"; }
  std::unique_ptr<FileStore> Create(const FileStoreConfig& fcfg, const StreamConfig& cfg) {
    auto fs = FileStore::Create(StreamDir(), fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(fs) << (fs ? "" : fs.error().message());
    return fs ? std::move(*fs) : nullptr;
  }
  static FileStoreConfig Fcfg(uint64_t block_size = 0) {
    FileStoreConfig f;
    f.block_size = block_size;
    return f;
  }
  TempDir dir_{"fsgocompact"};
};

TEST_P(FileStorePermutations, TestFileStoreCompact) {
  const auto fcfg = Fcfg(350);
  auto fs = Create(fcfg, Named("zzz"));
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, 10u);
  auto n = fs->Compact(6);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 5u);
  EXPECT_EQ(state.first_seq, 6u);
  // Compact past the last also resets first.
  n = fs->Compact(100);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(fs->State().first_seq, 100u);
  ASSERT_TRUE(fs->Stop());

  fs = Create(fcfg, Named("zzz"));
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->State().first_seq, 100u);
}

TEST_P(FileStorePermutations, TestFileStoreCompactMsgCountBug) {
  auto fs = Create(Fcfg(), Named("zzz"));
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "Hello World";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(fs->State().msgs, 10u);
  // Erase 2, 3, 4; remove 7, 8, 9.
  for (uint64_t seq : {2, 3, 4}) ASSERT_TRUE(fs->EraseMsg(seq));
  for (uint64_t seq : {7, 8, 9}) ASSERT_TRUE(fs->RemoveMsg(seq));
  auto n = fs->Compact(6);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 2u);  // 1 and 5
  EXPECT_EQ(fs->State().msgs, 2u);
}

TEST_P(FileStorePermutations, TestFileStorePurgeExKeepOneBug) {
  auto fs = Create(Fcfg(128), Named("zzz", {"*"}));
  ASSERT_TRUE(fs);
  const std::string fill(128, 'X');
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes("META"), 0));
  ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes(fill), 0));
  ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes("META"), 0));
  ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes(fill), 0));

  auto fss = fs->FilteredState(1, "A");
  ASSERT_TRUE(fss) << fss.error().message();
  EXPECT_EQ(fss->msgs, 2u);
  auto n = fs->PurgeEx("A", 0, 1);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
  fss = fs->FilteredState(1, "A");
  ASSERT_TRUE(fss) << fss.error().message();
  EXPECT_EQ(fss->msgs, 1u);
}

TEST_P(FileStorePermutations, TestFileStoreCompactReclaimHeadSpace) {
  const auto fcfg = Fcfg(4 * 1024 * 1024);
  const auto cfg = Named("zzz", {"*"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  // Random payload so corruption would show.
  const std::vector<uint8_t> msg = RandomBytes(64 * 1024);
  const std::string subj = "z";
  // ~63 messages in the first block, ~37 in the second.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, msg, 0));

  const bool plain = !GetParam().encrypted && GetParam().compression == StoreCompression::kNone;
  const uint64_t rl = FileStoreMsgSize(subj, 0, msg.size());
  // Go checks each block's rbytes against its file size and that its first
  // and last messages load intact. Here: every live message loads intact,
  // and without cipher or compression the blocks on disk hold exactly the
  // live messages (the removed head was reclaimed, no tombstones).
  auto check_blocks = [&](int num_blocks) {
    EXPECT_EQ(NumMsgBlocks(StreamDir()), num_blocks);
    const StreamState st = fs->State();
    store::StoreMsg smv;
    for (uint64_t seq = st.first_seq; seq <= st.last_seq; ++seq) {
      auto sm = fs->LoadMsg(seq, &smv);
      ASSERT_TRUE(sm) << seq << ": " << sm.error().message();
      EXPECT_TRUE(std::ranges::equal((*sm)->msg(), msg)) << "message " << seq << " differs";
    }
    if (plain) {
      EXPECT_EQ(TotalBlockFileBytes(StreamDir()), st.msgs * rl);
    }
  };

  check_blocks(2);
  ASSERT_TRUE(fs->Compact(33));
  check_blocks(2);
  ASSERT_TRUE(fs->Compact(85));
  check_blocks(1);
  ASSERT_TRUE(fs->StoreMsg(subj, {}, msg, 0));
  check_blocks(1);

  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  check_blocks(1);
  ASSERT_TRUE(fs->StoreMsg(subj, {}, msg, 0));
}

TEST_P(FileStorePermutations, TestFileStorePurgeExWithSubject) {
  const auto fcfg = Fcfg(1000);
  const auto cfg = Named("TEST", {"foo.>"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::vector<uint8_t> payload(20);
  ASSERT_TRUE(fs->StoreMsg("foo.0", {}, payload, 0));
  constexpr uint64_t kTotal = 200;
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_TRUE(fs->StoreMsg("foo.1", {}, payload, 0));
  ASSERT_TRUE(fs->StoreMsg("foo.2", {}, Bytes("xxxxxx"), 0));

  // Have index.db on disk before the purge (Go: forceWriteFullState).
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const fsys::path sfile = IndexDb(StreamDir());
  const std::vector<char> buf = ReadAll(sfile);
  ASSERT_FALSE(buf.empty());

  auto p = fs->PurgeEx("foo.1", 0, 0);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, kTotal);
  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 2u);
  EXPECT_EQ(before.first_seq, 1u);

  // The same state after a restart.
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  {
    SCOPED_TRACE("restart");
    ExpectSameState(fs->State(), before);
  }

  // And without index.db: the purge's tombstones must hold.
  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(fsys::remove(sfile));
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  {
    SCOPED_TRACE("without index.db");
    ExpectSameState(fs->State(), before);
  }

  // And with the index.db from before the purge (a crash right after it).
  ASSERT_TRUE(fs->Stop());
  WriteAll(sfile, buf);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  {
    SCOPED_TRACE("old index.db");
    ExpectSameState(fs->State(), before);
  }
}

TEST_P(FileStorePermutations, TestFileStorePurgeExNoTombsOnBlockRemoval) {
  const auto fcfg = Fcfg(1000);
  const auto cfg = Named("TEST", {"foo.>"});
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const std::vector<uint8_t> payload(20);
  constexpr uint64_t kTotal = 100;
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_TRUE(fs->StoreMsg("foo.1", {}, payload, 0));
  ASSERT_TRUE(fs->StoreMsg("foo.2", {}, payload, 0));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 6);

  // Have index.db on disk before the purge (Go: forceWriteFullState).
  ASSERT_TRUE(fs->Stop());
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  const fsys::path sfile = IndexDb(StreamDir());
  const std::vector<char> buf = ReadAll(sfile);
  ASSERT_FALSE(buf.empty());

  // Removes whole blocks; no tombstones needed for them.
  auto p = fs->PurgeEx("foo.1", 0, 0);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, kTotal);
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 101u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);

  // The old index.db back: recovery must still get it right.
  (void)fs->Stop();
  WriteAll(sfile, buf);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 101u);
}

TEST_P(FileStorePermutations, TestFileStoreDoubleCompactWithWriteInBetweenEncryptedBug) {
  auto fs = Create(Fcfg(), Named("zzz"));
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "ouch";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  auto n = fs->Compact(5);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(fs->State().last_seq, 5u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  n = fs->Compact(10);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(fs->State().last_seq, 10u);
}

TEST_P(FileStorePermutations, TestFileStoreCompactAllWithDanglingLMB) {
  auto fs = Create(Fcfg(), Named("zzz", {"foo"}));
  ASSERT_TRUE(fs);
  const std::string subj = "foo", msg = "ZZ";
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  ASSERT_TRUE(fs->RemoveMsg(100));
  auto purged = fs->Compact(100);
  ASSERT_TRUE(purged) << purged.error().message();
  EXPECT_EQ(*purged, 99u);
  auto r = fs->StoreMsg(subj, {}, Bytes(msg), 0);
  ASSERT_TRUE(r) << r.error().message();
}

TEST_P(FileStorePermutations, TestFileStoreStreamCompactMultiBlockSubjectInfo) {
  auto fs = Create(Fcfg(128), Named("zzz", {"foo.*"}));
  ASSERT_TRUE(fs);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("Hello World"), 0));
  }
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 500);
  // Throws whole blocks away from the front.
  auto deleted = fs->Compact(501);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(*deleted, 500u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 250);
  // The subject counts followed.
  EXPECT_EQ(fs->State().num_subjects, 500);
}

TEST_F(FileStoreGoCompact, TestFileStoreKeepWithDeletedMsgsBug) {
  auto fs = Create(Fcfg(), Named("zzz", {"*"}));
  ASSERT_TRUE(fs);
  const std::string msg(19, 'A');
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->StoreMsg("A", {}, Bytes(msg), 0));
    ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes(msg), 0));
  }
  auto n = fs->PurgeEx("A", 0, 0);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  // Purge with keep.
  n = fs->PurgeEx("", 0, 2);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 3u);
}

// testFileStoreFullStatePurge; Go's full-recovery variant also calls
// rebuildState on the reopened store, which has no counterpart here (the
// reopen without index.db is itself a rebuild from the blocks).
void FullStatePurge(const fsys::path& dir, bool check_full_recovery,
                    const std::function<std::unique_ptr<FileStore>()>& create) {
  auto fs = create();
  ASSERT_TRUE(fs);
  // An internal record length of 50 bytes: 2 messages per block.
  const std::string subj = "A", msg(19, 'A');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));

  auto restart_and_compare = [&](const StreamState& state, const char* what) {
    ASSERT_TRUE(fs->Stop());
    if (check_full_recovery) {
      ASSERT_TRUE(fsys::remove(IndexDb(dir)));
    }
    fs = create();
    ASSERT_TRUE(fs);
    SCOPED_TRACE(what);
    ExpectSameState(state, fs->State());
  };

  auto n = fs->Purge();
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 10u);
  restart_and_compare(fs->State(), "after purge");

  // Ten more, some B some C.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs->StoreMsg("B", {}, Bytes(msg), 0));
    ASSERT_TRUE(fs->StoreMsg("C", {}, Bytes(msg), 0));
  }
  n = fs->PurgeEx("B", 0, 0);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  restart_and_compare(fs->State(), "after PurgeEx B");

  // Purge with keep.
  n = fs->PurgeEx("", 0, 2);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 3u);
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 2u);
  EXPECT_EQ(state.first_seq, 18u);
  EXPECT_EQ(state.last_seq, 20u);
  restart_and_compare(state, "after PurgeEx keep 2");

  // A purge with no full state must still keep the first sequence.
  n = fs->Purge();
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 2u);
  restart_and_compare(fs->State(), "after second purge");
}

TEST_P(FileStorePermutations, TestFileStoreFullStatePurge) {
  const auto fcfg = Fcfg(132);  // room for tombstones
  const auto cfg = Named("zzz", {"*"});
  FullStatePurge(StreamDir(), false, [&] { return Create(fcfg, cfg); });
}

TEST_P(FileStorePermutations, TestFileStoreFullStatePurgeFullRecovery) {
  const auto fcfg = Fcfg(132);  // room for tombstones
  const auto cfg = Named("zzz", {"*"});
  FullStatePurge(StreamDir(), true, [&] { return Create(fcfg, cfg); });
}

TEST_F(FileStoreGoCompact, TestFileStoreCompactAndPSIMWhenDeletingBlocks) {
  auto fs = Create(Fcfg(512), Named("zzz", {"*"}));
  ASSERT_TRUE(fs);
  const std::string subj = "A";
  std::string msg;
  for (int i = 0; i < 33; ++i) msg += "ABC";  // ~100 bytes
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fs->StoreMsg(subj, {}, Bytes(msg), 0));
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 4);

  // Leaves one.
  auto n = fs->Compact(10);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 9u);
  EXPECT_EQ(NumMsgBlocks(StreamDir()), 1);
  // Go reads psim's total (1) and its block range (1..4, left as it was);
  // only the total can be seen from outside.
  const auto totals = fs->SubjectsTotals(subj);
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals.at(subj), 1u);
}

TEST_F(FileStoreGoCompact, TestFileStoreWriteFullStateAfterPurgeEx) {
  const auto cfg = Named("zzz", {"foo.*"});
  auto fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i), {}, Bytes("abc"), 0));
  for (uint64_t seq : {8, 9, 10}) ASSERT_TRUE(fs->RemoveMsg(seq));

  auto n = fs->PurgeEx(">", 8, 0);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 7u);
  StreamState ss;
  fs->FastState(&ss);
  EXPECT_EQ(ss.first_seq, 11u);
  EXPECT_EQ(ss.last_seq, 10u);

  // Writing the full state must not reset it (Stop writes index.db; the
  // reopened store reads it back).
  ASSERT_TRUE(fs->Stop());
  fs = Create(Fcfg(), cfg);
  ASSERT_TRUE(fs);
  fs->FastState(&ss);
  EXPECT_EQ(ss.first_seq, 11u);
  EXPECT_EQ(ss.last_seq, 10u);
}

// Go's table also has a Truncate case (not in this store's API) and ends
// each case with rebuildState (no counterpart; the reopen without index.db
// rebuilds from the blocks).
TEST_P(FileStorePermutations, TestFileStoreRecoverAfterRemoveOperation) {
  struct Case {
    const char* title;
    std::function<void(FileStore*)> action;
    std::function<void(const StreamState&)> validate;
  };
  const std::vector<Case> tests = {
      {"None", [](FileStore*) {},
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 4u);
         EXPECT_EQ(s.first_seq, 1u);
         EXPECT_EQ(s.last_seq, 4u);
       }},
      {"RemoveMsg",
       [](FileStore* fs) {
         auto r = fs->RemoveMsg(1);
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_TRUE(*r);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 3u);
         EXPECT_EQ(s.first_seq, 2u);
         EXPECT_EQ(s.last_seq, 4u);
       }},
      {"EraseMsg",
       [](FileStore* fs) {
         auto r = fs->EraseMsg(1);
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_TRUE(*r);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 3u);
         EXPECT_EQ(s.first_seq, 2u);
         EXPECT_EQ(s.last_seq, 4u);
       }},
      {"Purge",
       [](FileStore* fs) {
         auto r = fs->Purge();
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_EQ(*r, 4u);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 0u);
         EXPECT_EQ(s.first_seq, 5u);
         EXPECT_EQ(s.last_seq, 4u);
       }},
      {"PurgeEx-0",
       [](FileStore* fs) {
         auto r = fs->PurgeEx("foo.0", 0, 0);
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_EQ(*r, 2u);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 2u);
         EXPECT_EQ(s.first_seq, 2u);
         EXPECT_EQ(s.last_seq, 4u);
         EXPECT_EQ(s.num_deleted, 1);
       }},
      {"PurgeEx-1",
       [](FileStore* fs) {
         auto r = fs->PurgeEx("foo.1", 0, 0);
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_EQ(*r, 2u);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 2u);
         EXPECT_EQ(s.first_seq, 1u);
         EXPECT_EQ(s.last_seq, 4u);
         EXPECT_EQ(s.num_deleted, 2);
       }},
      {"Compact",
       [](FileStore* fs) {
         auto r = fs->Compact(3);
         ASSERT_TRUE(r) << r.error().message();
         EXPECT_EQ(*r, 2u);
       },
       [](const StreamState& s) {
         EXPECT_EQ(s.msgs, 2u);
         EXPECT_EQ(s.first_seq, 3u);
         EXPECT_EQ(s.last_seq, 4u);
       }},
  };
  const auto fcfg = Fcfg();
  const auto cfg = Named("zzz", {"foo.*"});
  for (const Case& test : tests) {
    SCOPED_TRACE(test.title);
    std::error_code ec;
    fsys::remove_all(StreamDir(), ec);
    auto fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(fs->StoreMsg("foo." + std::to_string(i % 2), {}, {}, 0));
    test.action(fs.get());

    const StreamState before = fs->State();
    test.validate(before);

    // A restart gives the same state.
    ASSERT_TRUE(fs->Stop());
    fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    {
      SCOPED_TRACE("restart");
      ExpectSameState(fs->State(), before);
    }
    // So does recovering from the blocks alone.
    ASSERT_TRUE(fs->Stop());
    ASSERT_TRUE(fsys::remove(IndexDb(StreamDir())));
    fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    {
      SCOPED_TRACE("without index.db");
      ExpectSameState(fs->State(), before);
    }
    ASSERT_TRUE(fs->Stop());
  }
}

// Compact rewrites a large block instead of writing tombstones; a small
// one keeps its head and gets tombstones. Go ends with rebuildState (no
// counterpart; the reopen without index.db rebuilds from the blocks).
TEST_P(FileStorePermutations, TestFileStoreRecoverAfterCompact) {
  struct Case {
    size_t payload_size;
    bool uses_tombstones;
  };
  const auto fcfg = Fcfg();
  const auto cfg = Named("zzz", {"foo"});
  const bool plain = !GetParam().encrypted && GetParam().compression == StoreCompression::kNone;
  for (const Case& test : {Case{1024, true}, Case{1024 * 1024, false}}) {
    SCOPED_TRACE(test.payload_size);
    std::error_code ec;
    fsys::remove_all(StreamDir(), ec);
    auto fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    const std::string subject = "foo";
    const std::vector<uint8_t> payload(test.payload_size);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(fs->StoreMsg(subject, {}, payload, 0));
    const uint64_t rl = FileStoreMsgSize(subject, 0, test.payload_size);
    const uint64_t empty_record_len = FileStoreMsgSize("", 0, 0);

    StreamState before = fs->State();
    EXPECT_EQ(before.msgs, 4u);
    EXPECT_EQ(before.first_seq, 1u);
    EXPECT_EQ(before.last_seq, 4u);
    EXPECT_EQ(before.bytes, rl * 4);
    // The block (the only one) on disk.
    const fsys::path blk = StreamDir() / "msgs" / "1.blk";
    if (plain) {
      ASSERT_TRUE(fs->FlushAllPending());
      EXPECT_EQ(fsys::file_size(blk), rl * 4);
    }

    auto purged = fs->Compact(4);
    ASSERT_TRUE(purged) << purged.error().message();
    EXPECT_EQ(*purged, 3u);
    before = fs->State();
    EXPECT_EQ(before.msgs, 1u);
    EXPECT_EQ(before.first_seq, 4u);
    EXPECT_EQ(before.last_seq, 4u);
    EXPECT_EQ(before.bytes, rl);
    if (plain) {
      ASSERT_TRUE(fs->FlushAllPending());
      // Rewritten: one record. Kept: four records and three tombstones.
      EXPECT_EQ(fsys::file_size(blk), test.uses_tombstones ? rl * 4 + empty_record_len * 3 : rl);
    }

    ASSERT_TRUE(fs->Stop());
    fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    {
      SCOPED_TRACE("restart");
      ExpectSameState(fs->State(), before);
    }
    ASSERT_TRUE(fs->Stop());
    ASSERT_TRUE(fsys::remove(IndexDb(StreamDir())));
    fs = Create(fcfg, cfg);
    ASSERT_TRUE(fs);
    {
      SCOPED_TRACE("without index.db");
      ExpectSameState(fs->State(), before);
    }
    ASSERT_TRUE(fs->Stop());
  }
}

TEST_P(FileStorePermutations, TestFileStorePreserveLastSeqAfterCompact) {
  const auto fcfg = Fcfg();
  const auto cfg = Named("zzz");
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, {}, 0));
  auto n = fs->Compact(2);
  ASSERT_TRUE(n) << n.error().message();
  const StreamState before = fs->State();
  EXPECT_EQ(before.msgs, 0u);
  EXPECT_EQ(before.first_seq, 2u);
  EXPECT_EQ(before.last_seq, 1u);

  (void)fs->Stop();
  std::error_code ec;
  fsys::remove(IndexDb(StreamDir()), ec);
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), before);
}

// Go ends by reloading the first block's records from disk (the bug wrote
// the skip over the old record); here the store is reopened from the
// blocks alone and must come back with the same state.
TEST_P(FileStorePermutations, TestFileStoreSkipMsgAndCompactRequiresAppend) {
  const auto fcfg = Fcfg();
  const auto cfg = Named("zzz");
  auto fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  // One very long message.
  const std::vector<uint8_t> msg(256 * 1024);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, msg, 0));

  // Skip and compact to it: the block stays and gets tombstones.
  auto s = fs->SkipMsg(2);
  ASSERT_TRUE(s) << s.error().message();
  auto n = fs->Compact(2);
  ASSERT_TRUE(n) << n.error().message();
  StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 0u);
  EXPECT_EQ(state.first_seq, 3u);
  EXPECT_EQ(state.last_seq, 2u);

  // The next skip must be appended, not written over the old record.
  s = fs->SkipMsg(3);
  ASSERT_TRUE(s) << s.error().message();
  state = fs->State();

  ASSERT_TRUE(fs->Stop());
  ASSERT_TRUE(fsys::remove(IndexDb(StreamDir())));
  fs = Create(fcfg, cfg);
  ASSERT_TRUE(fs);
  ExpectSameState(fs->State(), state);
}

// Go checks that the rewritten block's cache index has one entry at
// offset 0; here: the block file holds exactly the one remaining record.
TEST_F(FileStoreGoCompact, TestFileStoreCompactRewritesFileWithSwap) {
  auto fs = Create(Fcfg(), Named("zzz"));
  ASSERT_TRUE(fs);
  const std::vector<uint8_t> msg(256 * 1024);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, msg, 0));

  // Most of the block's data is gone, so the file is rewritten.
  auto n = fs->Compact(20);
  ASSERT_TRUE(n) << n.error().message();
  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 20u);
  EXPECT_EQ(state.last_seq, 20u);

  const auto blocks = BlockFiles(StreamDir());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(fsys::file_size(blocks[0]), FileStoreMsgSize("foo", 0, msg.size()));
  store::StoreMsg smv;
  auto sm = fs->LoadMsg(20, &smv);
  ASSERT_TRUE(sm) << sm.error().message();
  EXPECT_EQ((*sm)->seq, 20u);
}

TEST_F(FileStoreGoCompact, TestFileStoreCompactStoreMsgRace) {
  auto fs = Create(Fcfg(), Named("zzz"));
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("first"), 0));

  Result<uint64_t> purged = uint64_t{0};
  Result<StoredSeqTs> stored = StoredSeqTs{};
  {
    std::jthread a([&] { purged = fs->Compact(2); });
    std::jthread b([&] { stored = fs->StoreMsg("foo", {}, Bytes("second"), 0); });
  }
  ASSERT_TRUE(purged) << purged.error().message();
  EXPECT_EQ(*purged, 1u);
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(stored->seq, 2u);

  store::StoreMsg sm;
  auto r = fs->LoadMsg(2, &sm);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(sm.seq, 2u);

  const StreamState state = fs->State();
  EXPECT_EQ(state.msgs, 1u);
  EXPECT_EQ(state.first_seq, 2u);
  EXPECT_EQ(state.last_seq, 2u);
}

}  // namespace
}  // namespace natscpp::store::testing
