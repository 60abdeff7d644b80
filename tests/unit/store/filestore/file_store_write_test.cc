// The write path end to end under all six permutations: what is stored
// reads back, across block boundaries, after Stop and reopen (with and
// without index.db), and through a read-only open of the same directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "util/file_io.h"
#include "util/msg_size.h"
#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

std::string Payload(uint64_t i) { return "msg-" + std::to_string(i) + std::string(i % 37, 'x'); }
std::string Subject(uint64_t i) { return "foo." + std::to_string(i % 7); }

// Everything State and the loads show, compared between two stores.
void ExpectSameContent(FileStore& a, FileStore& b) {
  const StreamState sa = a.State();
  const StreamState sb = b.State();
  EXPECT_EQ(sa.msgs, sb.msgs);
  EXPECT_EQ(sa.bytes, sb.bytes);
  EXPECT_EQ(sa.first_seq, sb.first_seq);
  EXPECT_EQ(sa.first_time, sb.first_time);
  EXPECT_EQ(sa.last_seq, sb.last_seq);
  EXPECT_EQ(sa.last_time, sb.last_time);
  EXPECT_EQ(sa.deleted, sb.deleted);
  EXPECT_EQ(sa.num_subjects, sb.num_subjects);
  store::StoreMsg ma, mb;
  for (uint64_t seq = sa.first_seq; seq <= sa.last_seq; ++seq) {
    auto ra = a.LoadMsg(seq, &ma);
    auto rb = b.LoadMsg(seq, &mb);
    ASSERT_EQ(ra.has_value(), rb.has_value()) << "seq " << seq;
    if (!ra) continue;
    EXPECT_EQ(ma.subject, mb.subject) << seq;
    EXPECT_EQ(ma.buf, mb.buf) << seq;
    EXPECT_EQ(ma.hdr_len, mb.hdr_len) << seq;
    EXPECT_EQ(ma.ts, mb.ts) << seq;
  }
}

TEST_P(FileStorePermutations, StoreReadBackAcrossBlocksAndReopen) {
  const auto cfg = Cfg();
  auto fs = Create(Fcfg(4096), cfg);
  ASSERT_TRUE(fs);
  constexpr uint64_t kN = 500;
  uint64_t bytes = 0;
  for (uint64_t i = 1; i <= kN; ++i) {
    const std::string hdr = i % 3 == 0 ? "NATS/1.0\r\nK: " + std::to_string(i) + "\r\n\r\n" : "";
    auto r = fs->StoreMsg(Subject(i), Bytes(hdr), Bytes(Payload(i)), 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq, i);
    bytes += FileStoreMsgSize(Subject(i), hdr.size(), Payload(i).size());
  }
  StreamState st = fs->State();
  EXPECT_EQ(st.msgs, kN);
  EXPECT_EQ(st.bytes, bytes);
  EXPECT_EQ(st.first_seq, 1u);
  EXPECT_EQ(st.last_seq, kN);
  // Several blocks were written.
  EXPECT_TRUE(std::filesystem::exists(StreamDir() / "msgs" / "3.blk"));

  // Remove a few: interior, first, and in the write block.
  for (uint64_t seq : {1u, 17u, 250u, 499u}) {
    auto r = fs->RemoveMsg(seq);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(*r);
  }
  auto again = fs->RemoveMsg(17);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  st = fs->State();
  EXPECT_EQ(st.msgs, kN - 4);
  EXPECT_EQ(st.first_seq, 2u);
  EXPECT_EQ(st.num_deleted, 3);

  store::StoreMsg sm;
  for (uint64_t i = 2; i <= kN; ++i) {
    auto r = fs->LoadMsg(i, &sm);
    if (i == 17 || i == 250 || i == 499) {
      EXPECT_FALSE(r) << i;
      continue;
    }
    ASSERT_TRUE(r) << i << ": " << r.error().message();
    EXPECT_EQ(sm.subject, Subject(i));
    EXPECT_EQ(Str(sm.msg()), Payload(i));
  }
  ASSERT_TRUE(fs->Stop());
  EXPECT_TRUE(std::filesystem::exists(StreamDir() / "msgs" / "index.db"));

  // Reopen read-only with index.db, and again without it (a rebuild from
  // the records and tombstones): the same content.
  auto ro = OpenReadOnly();
  ASSERT_TRUE(ro);
  EXPECT_TRUE(ro->RecoveryNotes().empty()) << ro->RecoveryNotes().front().message;
  std::filesystem::remove(StreamDir() / "msgs" / "index.db");
  auto rebuilt = OpenReadOnly();
  ASSERT_TRUE(rebuilt);
  ExpectSameContent(*ro, *rebuilt);
  EXPECT_EQ(ro->State().msgs, kN - 4);

  // Reopen writable and keep appending after the recovered state.
  auto w = FileStore::Open(StreamDir(), FileStoreOpenOptions{.read_only = false,
                                                              .encryption = {},
                                                              .config = Fcfg(4096)});
  ASSERT_TRUE(w) << w.error().message();
  auto r = (*w)->StoreMsg("bar", {}, Bytes("after"), 0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->seq, kN + 1);
  ASSERT_TRUE((*w)->Stop());
  auto final_ro = OpenReadOnly();
  ASSERT_TRUE(final_ro);
  ASSERT_TRUE(final_ro->LoadMsg(kN + 1, &sm));
  EXPECT_EQ(Str(sm.msg()), "after");
  EXPECT_EQ(final_ro->State().msgs, kN - 3);
}

TEST_P(FileStorePermutations, SkipsPurgeAndLimits) {
  auto cfg = Cfg();
  cfg.max_msgs = 50;
  auto fs = Create(Fcfg(2048), cfg);
  ASSERT_TRUE(fs);
  for (uint64_t i = 1; i <= 120; ++i) {
    ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes(Payload(i)), 0));
  }
  StreamState st = fs->State();
  EXPECT_EQ(st.msgs, 50u);
  EXPECT_EQ(st.first_seq, 71u);
  EXPECT_EQ(st.last_seq, 120u);
  auto skipped = fs->SkipMsg(0);
  ASSERT_TRUE(skipped);
  EXPECT_EQ(*skipped, 121u);
  ASSERT_TRUE(fs->SkipMsgs(122, 10));
  st = fs->State();
  EXPECT_EQ(st.last_seq, 131u);
  EXPECT_EQ(st.msgs, 50u);
  auto mismatch = fs->SkipMsg(500);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), ErrorCode::kSequenceMismatch);

  auto purged = fs->Purge();
  ASSERT_TRUE(purged) << purged.error().message();
  EXPECT_EQ(*purged, 50u);
  st = fs->State();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 132u);
  EXPECT_EQ(st.last_seq, 131u);
  auto next = fs->StoreMsg("bar", {}, Bytes("x"), 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, 132u);
  ASSERT_TRUE(fs->Stop());
  EXPECT_FALSE(fs->StoreMsg("bar", {}, Bytes("x"), 0));

  std::filesystem::remove(StreamDir() / "msgs" / "index.db");
  auto ro = OpenReadOnly();
  ASSERT_TRUE(ro);
  st = ro->State();
  EXPECT_EQ(st.msgs, 1u);
  EXPECT_EQ(st.first_seq, 132u);
  EXPECT_EQ(st.last_seq, 132u);
}

TEST_P(FileStorePermutations, EraseOverwritesTheRecord) {
  auto fs = Create(Fcfg(), Cfg());
  ASSERT_TRUE(fs);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fs->StoreMsg("foo", {}, Bytes("secret-payload"), 0));
  auto r = fs->EraseMsg(3);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r);
  store::StoreMsg sm;
  EXPECT_FALSE(fs->LoadMsg(3, &sm));
  ASSERT_TRUE(fs->LoadMsg(4, &sm));
  ASSERT_TRUE(fs->Stop());
  if (!GetParam().encrypted && GetParam().compression == StoreCompression::kNone) {
    // Four copies of the payload remain in the plaintext block.
    auto blk = ReadFileIfExists(StreamDir() / "msgs" / "1.blk");
    ASSERT_TRUE(blk);
    const std::string s(blk->begin(), blk->end());
    size_t n = 0;
    for (size_t p = s.find("secret-payload"); p != std::string::npos; p = s.find("secret-payload", p + 1)) ++n;
    EXPECT_EQ(n, 4u);
  }
  std::filesystem::remove(StreamDir() / "msgs" / "index.db");
  auto ro = OpenReadOnly();
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->State().msgs, 4u);
  EXPECT_FALSE(ro->LoadMsg(3, &sm));
}

INSTANTIATE_TEST_SUITE_P(All, FileStorePermutations, ::testing::ValuesIn(AllPermutations()),
                         PermutationName);

}  // namespace
}  // namespace natscpp::store::testing
