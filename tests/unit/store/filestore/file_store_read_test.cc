// The read side of FileStore on Go-written stores: the lookups answer as the
// server's do (checked against what each set's expect.json lists), both
// recovery paths (index.db and a rebuild from the blocks) agree, and bad
// input fails with a message naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "../golden_store.h"
#include "natscpp/store/file_store.h"
#include "subject/subject.h"

namespace natscpp::store {
namespace {

using testing::GoldenSetDir;
using testing::GoldenStore;

struct ExpectedMsg {
  uint64_t seq = 0;
  std::string subject;
};

std::vector<std::filesystem::path> AllSets() {
  std::vector<std::filesystem::path> out;
  for (const auto& s : testing::GoldenSets()) out.push_back(testing::SharedDir() / "golden" / s);
  for (const auto& p : testing::GoldenSetDirs(std::filesystem::path(NATSCPP_SOURCE_DIR) / "golden")) {
    out.push_back(p);
  }
  return out;
}

FileStoreOpenOptions OptionsFor(const nlohmann::json& expect) {
  FileStoreOpenOptions o;
  const auto& enc = expect.at("encryption");
  if (!enc.is_null()) {
    StoreEncryption e;
    e.key = enc.at("key").get<std::string>();
    e.cipher = enc.at("cipher") == "aes" ? StoreCipher::kAes : StoreCipher::kChaCha;
    o.encryption = e;
  }
  return o;
}

std::vector<ExpectedMsg> Messages(const nlohmann::json& expect) {
  std::vector<ExpectedMsg> out;
  for (const auto& m : expect.at("messages")) {
    out.push_back({m.at("seq").get<uint64_t>(), m.at("subject").get<std::string>()});
  }
  return out;
}

std::string SetName(const std::filesystem::path& p) {
  return p.parent_path().filename().string() + "/" + p.filename().string();
}

class FileStoreRead : public ::testing::Test {
 protected:
  void SetUp() override {
    sets_ = AllSets();
    if (sets_.empty()) {
      GTEST_SKIP() << "skipped: no golden sets (../shared not present and golden/ empty)";
    }
  }
  std::vector<std::filesystem::path> sets_;
};

TEST_F(FileStoreRead, LoadMsgAnswersLikeTheServer) {
  for (const auto& set : sets_) {
    SCOPED_TRACE(SetName(set));
    GoldenStore g(GoldenSetDir{set});
    ASSERT_TRUE(g.ok());
    auto fs = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
    ASSERT_TRUE(fs) << fs.error().message();
    const auto msgs = Messages(g.expect());
    std::set<uint64_t> present;
    for (const auto& m : msgs) present.insert(m.seq);
    const auto& st = g.expect().at("state");
    const uint64_t first = st.at("first_seq").get<uint64_t>();
    const uint64_t last = st.at("last_seq").get<uint64_t>();
    StreamState fast;
    (*fs)->FastState(&fast);
    EXPECT_EQ(fast.msgs, st.at("messages").get<uint64_t>());
    EXPECT_EQ(fast.first_seq, first);
    EXPECT_EQ(fast.last_seq, last);
    EXPECT_EQ(fast.num_deleted, st.value("num_deleted", 0));
    EXPECT_TRUE(fast.deleted.empty());
    StoreMsg sm;
    for (uint64_t seq = first; seq <= last; ++seq) {
      auto r = (*fs)->LoadMsg(seq, &sm);
      if (present.count(seq)) {
        ASSERT_TRUE(r) << "seq " << seq << ": " << r.error().message();
        EXPECT_EQ(sm.seq, seq);
      } else {
        ASSERT_FALSE(r) << "seq " << seq << " should be deleted";
        EXPECT_EQ(r.error().code(), ErrorCode::kStoreMsgNotFound);
      }
    }
    auto past = (*fs)->LoadMsg(last + 1, &sm);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().code(), ErrorCode::kStoreEOF);
    if (!msgs.empty()) {
      auto zero = (*fs)->LoadMsg(0, &sm);
      ASSERT_TRUE(zero) << zero.error().message();
      EXPECT_EQ(sm.seq, msgs.front().seq);
    }
  }
}

TEST_F(FileStoreRead, SubjectLookupsMatchTheMessages) {
  for (const auto& set : sets_) {
    SCOPED_TRACE(SetName(set));
    GoldenStore g(GoldenSetDir{set});
    ASSERT_TRUE(g.ok());
    auto fs = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
    ASSERT_TRUE(fs) << fs.error().message();
    const auto msgs = Messages(g.expect());
    std::map<std::string, std::vector<uint64_t>> by_subject;
    for (const auto& m : msgs) by_subject[m.subject].push_back(m.seq);

    std::map<std::string, uint64_t> totals;
    for (const auto& [s, seqs] : by_subject) totals[s] = seqs.size();
    EXPECT_EQ((*fs)->SubjectsTotals(""), totals);

    StoreMsg sm;
    for (const auto& [subject, seqs] : by_subject) {
      // Last by subject.
      auto last = (*fs)->LoadLastMsg(subject, &sm);
      ASSERT_TRUE(last) << subject << ": " << last.error().message();
      EXPECT_EQ(sm.seq, seqs.back()) << subject;
      // Walking one subject visits exactly its messages.
      std::vector<uint64_t> walked;
      for (uint64_t start = 0;;) {
        auto r = (*fs)->LoadNextMsg(subject, false, start, &sm);
        if (!r) {
          EXPECT_EQ(r.error().code(), ErrorCode::kStoreEOF);
          break;
        }
        EXPECT_EQ(sm.subject, subject);
        walked.push_back(sm.seq);
        start = sm.seq + 1;
      }
      EXPECT_EQ(walked, seqs) << subject;
      auto fst = (*fs)->FilteredState(0, subject);
      ASSERT_TRUE(fst);
      EXPECT_EQ(fst->msgs, seqs.size());
      EXPECT_EQ(fst->first, seqs.front());
      EXPECT_EQ(fst->last, seqs.back());
    }
    if (msgs.empty()) continue;

    // A wildcard over the first token of the first subject.
    const std::string& s0 = msgs.front().subject;
    const std::string filter = s0.substr(0, s0.find('.')) + ".>";
    std::vector<uint64_t> want;
    for (const auto& m : msgs) {
      if (subject::SubjectIsSubsetMatch(m.subject, filter)) want.push_back(m.seq);
    }
    std::vector<uint64_t> walked;
    for (uint64_t start = 0;;) {
      auto r = (*fs)->LoadNextMsg(filter, true, start, &sm);
      if (!r) break;
      walked.push_back(sm.seq);
      start = sm.seq + 1;
    }
    EXPECT_EQ(walked, want) << filter;
    auto lw = (*fs)->LoadLastMsg(filter, &sm);
    ASSERT_TRUE(lw);
    EXPECT_EQ(sm.seq, want.back());
    // From the middle on, counts follow the messages.
    const uint64_t mid = msgs[msgs.size() / 2].seq;
    auto fst = (*fs)->FilteredState(mid, filter);
    ASSERT_TRUE(fst);
    EXPECT_EQ(fst->msgs, static_cast<uint64_t>(std::count_if(
                             want.begin(), want.end(), [&](uint64_t s) { return s >= mid; })));
    auto none = (*fs)->LoadLastMsg("no.such.subject", &sm);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code(), ErrorCode::kStoreMsgNotFound);
  }
}

// Removing index.db forces the rebuild from the blocks. The index is not a
// pure cache: messages that limits dropped from the front of a block leave no
// record behind, so only the index knows they are gone, and a rebuild shows
// them again (the server does the same). What must hold: the rebuild ends at
// the same sequence, and every message the index path serves is served
// identically by the rebuild.
TEST_F(FileStoreRead, IndexAndRebuildAgree) {
  int with_index = 0;
  for (const auto& set : sets_) {
    SCOPED_TRACE(SetName(set));
    GoldenStore g(GoldenSetDir{set});
    ASSERT_TRUE(g.ok());
    const auto idx = g.stream_dir() / "msgs" / "index.db";
    if (!std::filesystem::exists(idx)) {
      continue;
    }
    ++with_index;
    auto a = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
    ASSERT_TRUE(a) << a.error().message();
    const bool index_used = std::none_of(
        (*a)->RecoveryNotes().begin(), (*a)->RecoveryNotes().end(),
        [](const RecoveryNote& n) { return n.file == "msgs/index.db"; });
    // A clean shutdown leaves a current index; the server then trusts it.
    if (g.expect().value("note", std::string()).empty()) {
      EXPECT_TRUE(index_used);
    }
    std::vector<StoreMsg> served;
    StoreMsg sm;
    for (uint64_t start = 0;;) {
      auto r = (*a)->LoadNextMsg("", true, start, &sm);
      if (!r) {
        break;
      }
      served.push_back(sm);
      start = sm.seq + 1;
    }
    const StreamState sa = (*a)->State();
    a->reset();

    std::filesystem::remove(idx);
    auto b = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
    ASSERT_TRUE(b) << b.error().message();
    const StreamState sb = (*b)->State();
    EXPECT_EQ(sa.last_seq, sb.last_seq);
    EXPECT_GE(sb.msgs, sa.msgs);
    for (const auto& m : served) {
      auto r = (*b)->LoadMsg(m.seq, &sm);
      ASSERT_TRUE(r) << "seq " << m.seq << ": " << r.error().message();
      EXPECT_EQ(sm.subject, m.subject);
      EXPECT_EQ(sm.buf, m.buf);
      EXPECT_EQ(sm.hdr_len, m.hdr_len);
      EXPECT_EQ(sm.ts, m.ts);
    }
  }
  if (with_index == 0) {
    GTEST_SKIP() << "skipped: no set with an index.db";
  }
}

TEST_F(FileStoreRead, TornTailIsReportedAsLost) {
  int torn = 0;
  for (const auto& set : sets_) {
    if (set.filename() != "torn") {
      continue;
    }
    ++torn;
    SCOPED_TRACE(SetName(set));
    GoldenStore g(GoldenSetDir{set});
    ASSERT_TRUE(g.ok());
    auto fs = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
    ASSERT_TRUE(fs) << fs.error().message();
    const auto st = (*fs)->State();
    ASSERT_TRUE(st.lost.has_value());
    EXPECT_GT(st.lost->bytes, 0u);
    const auto& notes = (*fs)->RecoveryNotes();
    EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const RecoveryNote& n) {
      return n.file.ends_with(".blk") && n.message.find("offset") != std::string::npos;
    }));
  }
  if (torn == 0) {
    GTEST_SKIP() << "skipped: no torn set";
  }
}

// ---- bad input ----

class FileStoreOpenErrors : public ::testing::Test {
 protected:
  // An unencrypted and an encrypted set, when present.
  static std::optional<std::filesystem::path> Find(bool encrypted) {
    for (const auto& set : AllSets()) {
      auto expect = nlohmann::json::parse(testing::ReadAll(set / "expect.json"));
      if (expect.at("encryption").is_null() != encrypted) return set;
    }
    return std::nullopt;
  }
};

TEST_F(FileStoreOpenErrors, NotAStreamDirectory) {
  testing::TempDir dir("notstream");
  auto r = FileStore::Open(dir.path(), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("meta.inf"), std::string::npos) << r.error().message();
  auto missing = FileStore::Open(dir.path() / "nope", {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("not a directory"), std::string::npos);
}

TEST_F(FileStoreOpenErrors, WritableOpenOfMissingStoreFails) {
  testing::TempDir dir("writable");
  FileStoreOpenOptions o;
  o.read_only = false;
  auto r = FileStore::Open(dir.path(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST_F(FileStoreOpenErrors, ReadOnlyStoreRefusesWrites) {
  auto set = Find(false);
  if (!set) GTEST_SKIP() << "skipped: no unencrypted golden set";
  GoldenStore g(GoldenSetDir{*set});
  ASSERT_TRUE(g.ok());
  auto fs = FileStore::Open(g.stream_dir(), {});
  ASSERT_TRUE(fs) << fs.error().message();
  const uint8_t b[] = {'x'};
  auto w = (*fs)->StoreMsg("foo", {}, b, 0);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), ErrorCode::kUnsupported);
  auto rm = (*fs)->RemoveMsg(1);
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code(), ErrorCode::kUnsupported);
}

TEST_F(FileStoreOpenErrors, MetaSumMismatchAndGarbageMeta) {
  auto set = Find(false);
  if (!set) GTEST_SKIP() << "skipped: no unencrypted golden set";
  GoldenStore g(GoldenSetDir{*set});
  ASSERT_TRUE(g.ok());
  const auto sum = g.stream_dir() / "meta.sum";
  std::ofstream(sum, std::ios::trunc) << "0000000000000000";
  auto r = FileStore::Open(g.stream_dir(), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("meta.sum"), std::string::npos) << r.error().message();
  std::filesystem::remove(sum);
  auto r2 = FileStore::Open(g.stream_dir(), {});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message().find("meta.sum"), std::string::npos);
}

TEST_F(FileStoreOpenErrors, EncryptedStoreNeedsTheRightKey) {
  auto set = Find(true);
  if (!set) GTEST_SKIP() << "skipped: no encrypted golden set";
  GoldenStore g(GoldenSetDir{*set});
  ASSERT_TRUE(g.ok());
  auto none = FileStore::Open(g.stream_dir(), {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("meta.key"), std::string::npos) << none.error().message();
  auto opts = OptionsFor(g.expect());
  opts.encryption->key += "x";
  auto wrong = FileStore::Open(g.stream_dir(), opts);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kCrypto);
  EXPECT_NE(wrong.error().message().find("meta.key"), std::string::npos);
  auto right = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
  ASSERT_TRUE(right) << right.error().message();
  auto wrong_account = OptionsFor(g.expect());
  wrong_account.encryption->account = "NOT_THE_ACCOUNT";
  EXPECT_FALSE(FileStore::Open(g.stream_dir(), wrong_account));
}

TEST_F(FileStoreOpenErrors, HostileConsumerNamesAreRefused) {
  auto set = Find(false);
  if (!set) GTEST_SKIP() << "skipped: no unencrypted golden set";
  GoldenStore g(GoldenSetDir{*set});
  ASSERT_TRUE(g.ok());
  auto fs = FileStore::Open(g.stream_dir(), {});
  ASSERT_TRUE(fs) << fs.error().message();
  StoreMsg* none = nullptr;
  EXPECT_EQ((*fs)->LoadMsg(1, none).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*fs)->LoadLastMsg("", none).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*fs)->LoadNextMsg("", true, 0, none).error().code(), ErrorCode::kInvalidArgument);
  for (std::string_view bad : {"..", "../../etc", "a/b", "", "."}) {
    auto c = (*fs)->LoadConsumer(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument);
  }
  for (const auto& name : (*fs)->ConsumerNames()) {
    auto c = (*fs)->LoadConsumer(name);
    ASSERT_TRUE(c) << name << ": " << c.error().message();
  }
}

// A block whose tail is cut inside a record: the messages before it stay
// readable and the cut is noted, without touching the file.
TEST_F(FileStoreOpenErrors, CutBlockKeepsWhatPrecedesTheCut) {
  auto set = Find(false);
  if (!set) GTEST_SKIP() << "skipped: no unencrypted golden set";
  GoldenStore g(GoldenSetDir{*set});
  ASSERT_TRUE(g.ok());
  std::filesystem::path last_blk;
  uint32_t last_index = 0;
  for (const auto& e : std::filesystem::directory_iterator(g.stream_dir() / "msgs")) {
    const auto name = e.path().filename().string();
    if (!name.ends_with(".blk")) continue;
    const auto n = static_cast<uint32_t>(std::stoul(name));
    if (n >= last_index) {
      last_index = n;
      last_blk = e.path();
    }
  }
  ASSERT_FALSE(last_blk.empty());
  // Compressed blocks cannot be cut meaningfully; skip those sets.
  std::ifstream in(last_blk, std::ios::binary);
  std::string head(3, '\0');
  in.read(head.data(), 3);
  if (head == "cmp") GTEST_SKIP() << "skipped: compressed block";
  const auto size = std::filesystem::file_size(last_blk);
  ASSERT_GT(size, 10u);
  std::filesystem::resize_file(last_blk, size - 5);
  std::filesystem::remove(g.stream_dir() / "msgs" / "index.db");
  auto fs = FileStore::Open(g.stream_dir(), OptionsFor(g.expect()));
  ASSERT_TRUE(fs) << fs.error().message();
  EXPECT_EQ(std::filesystem::file_size(last_blk), size - 5);
  const auto st = (*fs)->State();
  const auto& want = g.expect().at("state");
  EXPECT_LE(st.last_seq, want.at("last_seq").get<uint64_t>());
  ASSERT_TRUE(st.lost.has_value());
  StoreMsg sm;
  EXPECT_TRUE((*fs)->LoadMsg(0, &sm));
}

}  // namespace
}  // namespace natscpp::store
