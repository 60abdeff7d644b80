// Go reads ours: stores written on our side are served by Debian's
// nats-server 2.9.10 and everything it reports over the JetStream API must
// equal what was written. The producer is the test-only hand writer until
// our FileStore can write; the expectations come from StreamContents alone.
//
// SkipRecordsSeveralBlocks is issue 5's store and must match field for
// field. The other cases pin how a v2.9.x server serves layouts it handles
// only partly (AsV29Serves says exactly how); against any other server
// version they expect the plain truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "hand_stream_writer.h"
#include "jsstore/import.h"
#include "serve_and_read.h"
#include "stream_contents.h"

namespace natscpp::parity::serve {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSecond = 1'000'000'000;
// 2026-11-26T10:00:00Z: a whole second, so some record times format with no
// fraction at all and others with trimmed trailing zeros.
constexpr int64_t kBaseSec = 1'795'687'200;

// The time of sequence `seq`: 100 ms steps (".1Z", ".2Z", whole seconds
// every tenth), odd sequences 7 ns later (".300000007Z").
int64_t TsOf(uint64_t seq) {
  return kBaseSec * kSecond + static_cast<int64_t>(seq) * 100'000'000 + ((seq % 2 == 1) ? 7 : 0);
}

TestMsg MakeMsg(uint64_t seq) {
  static const char* const kSubjects[] = {"serve.a", "serve.b", "serve.c.d", "audit.x"};
  TestMsg m;
  m.seq = seq;
  m.ts = TsOf(seq);
  m.subject = kSubjects[seq % 4];
  if (seq % 3 == 0) m.hdrs = "NATS/1.0\r\nX-Seq: " + std::to_string(seq) + "\r\n\r\n";
  if (seq == 7) {
    // empty payload: no data field in the server's reply
  } else if (seq == 9) {
    for (int b = 0; b < 256; ++b) m.data += static_cast<char>(b);
  } else {
    m.data = "payload-" + std::to_string(seq) + std::string(seq % 5 * 11, 'x');
  }
  return m;
}

struct Case {
  StreamContents contents;
  HandBlockLayout layout;
};

// Sequences 1..last: those in `skips` become skip records, those in `gaps`
// are left out, the rest are messages; a block starts at each `block_starts`.
Case MakeCase(uint64_t last, const std::set<uint64_t>& skips, const std::set<uint64_t>& gaps,
              std::vector<uint64_t> block_starts) {
  Case c;
  c.contents.name = "SERVE";
  c.contents.subjects = {"serve.>", "audit.*"};
  c.contents.created = store::GoTime::FromUnixNanos(kBaseSec * kSecond - 5 * kSecond + 123'456'789);
  for (uint64_t seq = 1; seq <= last; ++seq) {
    if (skips.contains(seq)) {
      c.contents.skips.push_back({seq, TsOf(seq)});
    } else if (!gaps.contains(seq)) {
      c.contents.msgs.push_back(MakeMsg(seq));
    }
  }
  c.layout.block_starts = std::move(block_starts);
  return c;
}

// What a server must answer: STREAM.INFO state, the MSG.GET messages, and
// the sequences in first..last that MSG.GET does not find.
struct Want {
  Json state;
  Json messages;
  std::vector<uint64_t> not_found;
};

// The truth: what the contents are, as a server without the v2.9.x
// limitations below must report them.
Want Truth(const StreamContents& c) {
  Want w{ExpectedState(c), ExpectedMessages(c), {}};
  for (const auto& s : w.state.at("deleted")) w.not_found.push_back(s.get<uint64_t>());
  if (w.not_found.empty()) {
    // The server leaves out empty deleted details.
    w.state.erase("deleted");
    w.state.erase("num_deleted");
  }
  return w;
}

// The truth as a v2.9.x server serves it when it rebuilds blocks without
// .idx files (observed with Debian's 2.9.10; the rebuild has no gap
// handling and its message cache is indexed by position):
//  * deleted/num_deleted list only skip records that follow their block's
//    first message; skip records before it (at the head of any block) and
//    sequence gaps (inside or between blocks) are not listed. num_deleted is
//    the length of that list, and both fields are left out when it is empty.
//  * after a gap inside a block, MSG.GET answers "no message found" for every
//    later message of that block; messages/bytes still count them, subjects
//    counts only the messages that can be loaded and num_subjects is left out.
Want AsV29Serves(const Case& c) {
  Want w = Truth(c.contents);
  struct Rec {
    uint64_t seq;
    const TestMsg* msg;
  };
  std::vector<Rec> recs;
  for (const auto& m : c.contents.msgs) recs.push_back({m.seq, &m});
  for (const auto& s : c.contents.skips) recs.push_back({s.seq, nullptr});
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.seq < b.seq; });
  const std::set<uint64_t> starts(c.layout.block_starts.begin(), c.layout.block_starts.end());

  Json listed = Json::array();
  Json messages = Json::array();
  std::map<std::string, uint64_t> subjects;
  std::set<uint64_t> found;
  bool lost_any = false;
  uint64_t block_first_msg = 0;
  bool gap_in_block = false;
  for (size_t i = 0; i < recs.size(); ++i) {
    const Rec& r = recs[i];
    if (i == 0 || starts.contains(r.seq)) {
      block_first_msg = 0;
      gap_in_block = false;
    } else if (r.seq != recs[i - 1].seq + 1) {
      gap_in_block = true;
    }
    if (r.msg == nullptr) {
      if (block_first_msg != 0 && r.seq > block_first_msg) listed.push_back(r.seq);
      continue;
    }
    if (block_first_msg == 0) block_first_msg = r.seq;
    if (gap_in_block) {
      lost_any = true;
      continue;
    }
    found.insert(r.seq);
    ++subjects[r.msg->subject];
  }
  for (const auto& m : w.messages) {
    if (found.contains(m.at("seq").get<uint64_t>())) messages.push_back(m);
  }
  w.messages = messages;
  w.not_found.clear();
  for (uint64_t s = c.contents.FirstSeq(); s != 0 && s <= c.contents.LastSeq(); ++s) {
    if (!found.contains(s)) w.not_found.push_back(s);
  }
  if (listed.empty()) {
    w.state.erase("deleted");
    w.state.erase("num_deleted");
  } else {
    w.state["num_deleted"] = listed.size();
    w.state["deleted"] = listed;
  }
  if (lost_any) {
    w.state.erase("num_subjects");
    Json subj = Json::object();
    for (const auto& [k, n] : subjects) subj[k] = n;
    w.state["subjects"] = subj;
  }
  return w;
}

bool IsV29(const ServedStream& served) { return served.server_version.find("v2.9.") != std::string::npos; }

struct Param {
  const char* name;
  std::optional<Encryption> encryption;
};

// Keeps GetParam() readable in failure messages.
void PrintTo(const Param& p, std::ostream* os) { *os << p.name; }

class ServeTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    std::string why;
    server_ = FindNatsServer(&why);
    if (!server_) {
      GTEST_SKIP() << "no nats-server to serve our stores (" << why
                   << "); install Debian's nats-server (/usr/sbin/nats-server) or set $NATS_SERVER";
    }
  }

  // Writes `c` with the hand writer and serves it.
  ServedStream WriteAndServe(const Case& c) {
    const fs::path dir = tmp_.path() / c.contents.name;
    WriteHandMadeStream(c.contents, c.layout, GetParam().encryption, dir);
    if (GetParam().encryption) {
      // Really sealed: key files present, meta.inf not plain JSON.
      EXPECT_TRUE(fs::exists(dir / "meta.key"));
      EXPECT_TRUE(fs::exists(dir / "msgs" / "1.key"));
      std::ifstream meta(dir / "meta.inf", std::ios::binary);
      EXPECT_NE(meta.get(), '{');
    }
    ServedStream served = ServeAndRead(dir, c.contents.name, GetParam().encryption, *server_);
    // A store the server had to repair, convert or reject shows up in its log.
    EXPECT_EQ(served.server_log.find("[ERR]"), std::string::npos) << served.server_log;
    EXPECT_EQ(served.server_log.find("[WRN]"), std::string::npos) << served.server_log;
    EXPECT_NE(served.server_log.find("Restored " + std::to_string(c.contents.msgs.size()) + " messages for stream '$G > " +
                                     c.contents.name + "'"),
              std::string::npos)
        << served.server_log;
    return served;
  }

  // Every state field we know the answer to (a field left out on one side
  // must be left out on the other), the config's name and subjects, every
  // message, and the sequences MSG.GET does not find.
  static void ExpectServed(const ServedStream& served, const Want& want, const StreamContents& contents) {
    SCOPED_TRACE(served.server_version);
    for (const char* field : {"messages", "bytes", "first_seq", "first_ts", "last_seq", "last_ts", "num_subjects",
                              "subjects", "num_deleted", "deleted", "consumer_count"}) {
      EXPECT_EQ(served.state.value(field, Json()), want.state.value(field, Json())) << "state." << field;
    }
    EXPECT_EQ(served.config.value("name", ""), contents.name);
    EXPECT_EQ(served.config.value("subjects", Json()), Json(contents.subjects));

    EXPECT_EQ(served.messages.size(), want.messages.size());
    for (size_t i = 0; i < std::min(served.messages.size(), want.messages.size()); ++i) {
      EXPECT_EQ(served.messages[i], want.messages[i]) << "message #" << i;
    }
    EXPECT_EQ(served.not_found, want.not_found) << "sequences MSG.GET does not find";
    if (::testing::Test::HasFailure()) std::cerr << "--- nats-server log ---\n" << served.server_log;
  }

  // Serves `c` and checks it against the truth, or against the truth as a
  // v2.9.x server serves it.
  void CheckServed(const Case& c) {
    const ServedStream served = WriteAndServe(c);
    ExpectServed(served, IsV29(served) ? AsV29Serves(c) : Truth(c.contents), c.contents);
  }

  // Writes `contents` with our FileStore, through the library behind
  // `jsstore import` (messages in `dump --json` shape, missing sequences
  // deleted), then serves it.
  ServedStream ImportAndServe(const StreamContents& contents, uint64_t block_size) {
    const fs::path dir = tmp_.path() / contents.name;
    Json cfg = {{"name", contents.name}, {"subjects", contents.subjects}, {"storage", "file"}};
    Json info = {{"config", cfg}, {"created", TimeString(contents.created.UnixNanos())}};
    auto parsed = jsstore::ParseStreamJson(info.dump());
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message());
    std::stringstream lines;
    for (const auto& m : ExpectedMessages(contents)) lines << m.dump() << "\n";
    jsstore::StoreSettings settings;
    settings.stream_dir = dir;
    if (GetParam().encryption) {
      settings.key = GetParam().encryption->key;
      settings.cipher = GetParam().encryption->cipher;
      settings.account = "$G";
    }
    store::FileStoreConfig fcfg;
    fcfg.block_size = block_size;
    auto stats = jsstore::ImportMessages(settings, *parsed, fcfg, lines);
    EXPECT_TRUE(stats) << (stats ? "" : stats.error().message());
    ServedStream served = ServeAndRead(dir, contents.name, GetParam().encryption, *server_);
    EXPECT_EQ(served.server_log.find("[ERR]"), std::string::npos) << served.server_log;
    EXPECT_EQ(served.server_log.find("[WRN]"), std::string::npos) << served.server_log;
    return served;
  }

  std::optional<fs::path> server_;
  TempDir tmp_;
};

// Our writer, one block: a gap before the first message and gaps inside,
// which the import lays down as skip records.
TEST_P(ServeTest, ImportedStoreOneBlock) {
  const Case c = MakeCase(60, {}, {1, 2, 20, 21, 33, 59}, {});
  const ServedStream served = ImportAndServe(c.contents, 0);
  ExpectServed(served, Truth(c.contents), c.contents);
}

// Our writer, many small blocks (rollover every few records).
TEST_P(ServeTest, ImportedStoreManyBlocks) {
  const Case c = MakeCase(80, {}, {}, {});
  const ServedStream served = ImportAndServe(c.contents, 700);
  ExpectServed(served, Truth(c.contents), c.contents);
  std::error_code ec;
  EXPECT_TRUE(fs::exists(tmp_.path() / c.contents.name / "msgs" / "3.blk", ec));
}

TEST_P(ServeTest, SkipRecordsSeveralBlocks) {
  const Case c = MakeCase(64, {1, 2, 3, 4, 12, 13, 30, 50}, {}, {26, 47});
  // None of the 2.9.x divergences applies: every field must be the truth.
  const Want truth = Truth(c.contents);
  const Want v29 = AsV29Serves(c);
  ASSERT_EQ(truth.state, v29.state);
  ASSERT_EQ(truth.messages, v29.messages);
  ASSERT_EQ(truth.not_found, v29.not_found);
  const ServedStream served = WriteAndServe(c);
  ExpectServed(served, truth, c.contents);
}

// A block whose first records are skips (26, 27 open block 2).
TEST_P(ServeTest, SkipRecordsOpeningABlock) {
  const Case c = MakeCase(40, {26, 27}, {}, {26});
  CheckServed(c);
}

// Deletes as sequence gaps inside a block (20, 21 in block 1; 33 in block 2).
TEST_P(ServeTest, InBlockGaps) {
  const Case c = MakeCase(40, {}, {20, 21, 33}, {26});
  CheckServed(c);
}

// A gap between blocks: block 1 ends at 25, block 2 starts at 27.
TEST_P(ServeTest, GapBetweenBlocks) {
  const Case c = MakeCase(40, {}, {26}, {27});
  CheckServed(c);
}

// Skip records after the last message: the stream remembers a last
// sequence (45) beyond its last message (40).
TEST_P(ServeTest, TrailingSkipRecords) {
  const Case c = MakeCase(45, {41, 42, 43, 44, 45}, {}, {26});
  CheckServed(c);
}

INSTANTIATE_TEST_SUITE_P(Parity, ServeTest,
                         ::testing::Values(Param{"plain", std::nullopt},
                                           Param{"chacha", Encryption{"serve-secret-1", "chacha"}},
                                           Param{"aes", Encryption{"serve-secret-2", "aes"}}),
                         [](const ::testing::TestParamInfo<Param>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace natscpp::parity::serve
