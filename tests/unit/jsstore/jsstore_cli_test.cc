// The jsstore binary run on Go-written golden stores: its JSON output is
// compared with what the Go server reported (expect.json).
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden_store.h"
#include "subject/subject.h"

namespace {

using nlohmann::json;
using natscpp::store::testing::GoldenStore;
using natscpp::store::testing::HaveShared;
using natscpp::store::testing::ReadAll;
using natscpp::store::testing::TempDir;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

RunResult RunTool(const std::vector<std::string>& args, const std::string& stdin_path = {}) {
  TempDir tmp("jsstore-run");
  std::string cmd = Quote(JSSTORE_BIN);
  for (const std::string& a : args) cmd += " " + Quote(a);
  if (!stdin_path.empty()) cmd += " <" + Quote(stdin_path);
  cmd += " >" + Quote((tmp.path() / "out").string()) + " 2>" + Quote((tmp.path() / "err").string());
  RunResult r;
  const int status = std::system(cmd.c_str());
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = ReadAll(tmp.path() / "out");
  r.err = ReadAll(tmp.path() / "err");
  return r;
}

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line, nullptr, false));
  return out;
}

// Go omits empty hdrs/data; expect.json writes "" for them.
json NormalizedMsg(const json& m) {
  json n = json::object();
  for (const char* k : {"subject", "seq", "time"}) n[k] = m.contains(k) ? m[k] : json();
  for (const char* k : {"hdrs", "data"}) n[k] = m.contains(k) ? m[k] : json("");
  return n;
}

size_t LineCount(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class JsstoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveShared()) GTEST_SKIP() << "skipped: ../shared not present";
  }
};

TEST_F(JsstoreCli, InfoJsonStateEqualsExpect) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"info", g.stream_dir().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["state"], g.expect()["state"]);
  EXPECT_EQ(j["config"]["name"], "ORDERS");
  EXPECT_EQ(j["config"]["subjects"], g.expect()["config"]["subjects"]);
}

TEST_F(JsstoreCli, InfoReadableSummary) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"info", g.stream_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Stream ORDERS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Messages:    393"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Consumers:   2"), std::string::npos) << r.out;
}

TEST_F(JsstoreCli, EncryptedInfoWithKey) {
  GoldenStore g("2.14.5/chacha");
  ASSERT_TRUE(g.ok());
  const json& enc = g.expect()["encryption"];
  const RunResult r = RunTool({"info", g.stream_dir().string(), "--json", "--key", enc["key"].get<std::string>(),
                               "--cipher", enc["cipher"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["state"], g.expect()["state"]);

  // The account salts the key: the right one given explicitly works, another
  // one does not open meta.key.
  const std::string key = enc["key"].get<std::string>();
  const RunResult same = RunTool({"dump", g.stream_dir().string(), "--json", "--from", "400", "--key", key,
                                  "--account", g.expect()["account"].get<std::string>()});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(LineCount(same.out), 1u) << same.out;
  const RunResult other = RunTool({"info", g.stream_dir().string(), "--key", key, "--account", "OTHER"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("meta.key"), std::string::npos) << other.err;
  // Like the server, the store tries the other cipher when the configured
  // one does not open meta.key.
  const RunResult cipher = RunTool({"info", g.stream_dir().string(), "--json", "--key", key, "--cipher", "aes"});
  EXPECT_EQ(cipher.exit_code, 0) << cipher.err;
  EXPECT_EQ(json::parse(cipher.out, nullptr, false)["state"], g.expect()["state"]);
}

TEST_F(JsstoreCli, DumpJsonLinesEqualExpect) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"dump", g.stream_dir().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<json> lines = JsonLines(r.out);
  const json& want = g.expect()["messages"];
  ASSERT_EQ(lines.size(), want.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(NormalizedMsg(lines[i]), NormalizedMsg(want[i])) << "line " << i;
  }
  // Keys in Go's StoredMsg order: subject, seq, hdrs, data, time.
  const std::string first_line = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(first_line.rfind("{\"subject\":", 0), 0u) << first_line;
  EXPECT_LT(first_line.find("\"seq\":"), first_line.find("\"time\":"));
}

TEST_F(JsstoreCli, DumpSubjectFilter) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  for (const std::string filter : {"orders.eu.*", "orders.us.4", "orders.>"}) {
    SCOPED_TRACE(filter);
    const RunResult r = RunTool({"dump", g.stream_dir().string(), "--json", "--subject", filter});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<uint64_t> want;
    for (const json& m : g.expect()["messages"]) {
      if (natscpp::store::subject::SubjectIsSubsetMatch(m["subject"].get<std::string>(), filter)) {
        want.push_back(m["seq"].get<uint64_t>());
      }
    }
    std::vector<uint64_t> got;
    for (const json& m : JsonLines(r.out)) got.push_back(m["seq"].get<uint64_t>());
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got, want);
  }
}

TEST_F(JsstoreCli, DumpFrom) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"dump", g.stream_dir().string(), "--json", "--from", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<uint64_t> want;
  for (const json& m : g.expect()["messages"]) {
    if (m["seq"].get<uint64_t>() >= 200) want.push_back(m["seq"].get<uint64_t>());
  }
  std::vector<uint64_t> got;
  for (const json& m : JsonLines(r.out)) got.push_back(m["seq"].get<uint64_t>());
  EXPECT_EQ(got, want);

  // The readable form: one line per message, starting "#SEQ".
  const RunResult text = RunTool({"dump", g.stream_dir().string(), "--from", "200", "--subject", "orders.eu.*"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("#", 0), 0u) << text.out;
  EXPECT_GT(LineCount(text.out), 0u);
  EXPECT_LT(LineCount(text.out), want.size());
}

TEST_F(JsstoreCli, ConsumersJsonMatch) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"consumers", g.stream_dir().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out, nullptr, false);
  const json& want = g.expect()["consumers"];
  ASSERT_TRUE(got.is_array()) << r.out;
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(want[i]["name"].get<std::string>());
    for (const char* k :
         {"name", "delivered", "ack_floor", "num_ack_pending", "num_redelivered", "num_pending"}) {
      EXPECT_EQ(got[i][k], want[i][k]) << k;
    }
    EXPECT_EQ(got[i]["stream_name"], "ORDERS");
    EXPECT_EQ(got[i]["config"]["durable_name"], want[i]["config"]["durable_name"]);
    EXPECT_EQ(got[i]["config"].value("filter_subject", ""), want[i]["config"].value("filter_subject", ""));
  }
}

TEST_F(JsstoreCli, WrongKeyExitsTwoNamingMetaKey) {
  GoldenStore g("2.14.5/chacha");
  ASSERT_TRUE(g.ok());
  const RunResult r = RunTool({"info", g.stream_dir().string(), "--key", "not-the-key", "--cipher", "chacha"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("meta.key"), std::string::npos) << r.err;
}

#ifdef JSSTORE_HAVE_VERIFY
TEST_F(JsstoreCli, VerifyExitCodes) {
  GoldenStore basic("2.14.5/basic");
  ASSERT_TRUE(basic.ok());
  const RunResult ok = RunTool({"verify", basic.stream_dir().string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;

  // torn: the newest block is cut inside its last record.
  GoldenStore torn("2.14.5/torn");
  ASSERT_TRUE(torn.ok());
  const RunResult damaged = RunTool({"verify", torn.stream_dir().string(), "--json"});
  EXPECT_EQ(damaged.exit_code, 1) << damaged.out << damaged.err;
  const json j = json::parse(damaged.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << damaged.out;
  EXPECT_EQ(j["readable"], true);
  EXPECT_EQ(j["damaged"], true);
  bool block_damage = false;
  for (const json& f : j["findings"]) block_damage |= f["kind"] == "damage" && f["file"] == "msgs/1.blk";
  EXPECT_TRUE(block_damage) << damaged.out;

  GoldenStore chacha("2.14.5/chacha");
  ASSERT_TRUE(chacha.ok());
  const RunResult wrong = RunTool({"verify", chacha.stream_dir().string(), "--key", "not-the-key"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_EQ(LineCount(wrong.err), 1u) << wrong.err;
  EXPECT_NE(wrong.err.find("meta.key"), std::string::npos) << wrong.err;
}
#endif

TEST(JsstoreCliNoStore, NotAStreamDirExitsTwo) {
  TempDir dir("jsstore-empty");
  ASSERT_FALSE(dir.path().empty());
  for (const char* cmd : {"info", "dump", "consumers"}) {
    SCOPED_TRACE(cmd);
    const RunResult r = RunTool({cmd, dir.path().string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(LineCount(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("jsstore: ", 0), 0u) << r.err;
  }
#ifdef JSSTORE_HAVE_VERIFY
  const RunResult verify = RunTool({"verify", dir.path().string()});
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_EQ(LineCount(verify.err), 1u) << verify.err;
#endif
  const RunResult missing = RunTool({"info", (dir.path() / "no-such").string(), "--json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(LineCount(missing.err), 1u) << missing.err;
}

TEST(JsstoreCliNoStore, HelpForEverySubcommand) {
  const RunResult top = RunTool({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  std::vector<std::string> cmds = {"info", "dump", "consumers"};
#ifdef JSSTORE_HAVE_VERIFY
  cmds.push_back("verify");
#endif
  for (const std::string& cmd : cmds) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << top.out;
    const RunResult r = RunTool({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("STREAM_DIR"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--key"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--account"), std::string::npos) << r.out;
  }
  EXPECT_NE(RunTool({"dump", "--help"}).out.find("--subject"), std::string::npos);
}

TEST(JsstoreCliNoStore, BadUsageFailsWithoutCrashing) {
  const RunResult r = RunTool({"info"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
  const RunResult c = RunTool({"info", "/nonexistent", "--cipher", "rot13"});
  EXPECT_NE(c.exit_code, 0);
}

}  // namespace

namespace {

void WriteText(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// info --json and dump --json of a Go-written store, imported into a new
// directory: the same state (consumers are not imported) and the same
// messages, byte for byte in dump's output.
void ExpectImportRoundTrip(const GoldenStore& g, const std::vector<std::string>& key_args) {
  TempDir tmp("jsstore-import");
  std::vector<std::string> info_args = {"info", g.stream_dir().string(), "--json"};
  info_args.insert(info_args.end(), key_args.begin(), key_args.end());
  const RunResult info = RunTool(info_args);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  std::vector<std::string> dump_args = {"dump", g.stream_dir().string(), "--json"};
  dump_args.insert(dump_args.end(), key_args.begin(), key_args.end());
  const RunResult dump = RunTool(dump_args);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  WriteText(tmp.path() / "stream.json", info.out);
  WriteText(tmp.path() / "msgs.jsonl", dump.out);

  const auto name = json::parse(info.out)["config"]["name"].get<std::string>();
  const auto out_dir = tmp.path() / "$G" / "streams" / name;
  std::vector<std::string> imp = {"import", out_dir.string(), "--config", (tmp.path() / "stream.json").string()};
  imp.insert(imp.end(), key_args.begin(), key_args.end());
  const RunResult r = RunTool(imp, (tmp.path() / "msgs.jsonl").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("imported"), std::string::npos) << r.err;

  std::vector<std::string> info2 = {"info", out_dir.string(), "--json"};
  info2.insert(info2.end(), key_args.begin(), key_args.end());
  const RunResult after = RunTool(info2);
  ASSERT_EQ(after.exit_code, 0) << after.err;
  json want = json::parse(info.out)["state"];
  json got = json::parse(after.out)["state"];
  want.erase("consumer_count");
  got.erase("consumer_count");
  EXPECT_EQ(got, want);
  EXPECT_EQ(json::parse(after.out)["config"], json::parse(info.out)["config"]);
  std::vector<std::string> dump2 = {"dump", out_dir.string(), "--json"};
  dump2.insert(dump2.end(), key_args.begin(), key_args.end());
  const RunResult again = RunTool(dump2);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, dump.out);
  if (!key_args.empty()) {
    EXPECT_TRUE(std::filesystem::exists(out_dir / "meta.key"));
  }
}

}  // namespace

TEST_F(JsstoreCli, ImportRebuildsAGoStoreMessageForMessage) {
  GoldenStore g("2.14.5/basic");
  ASSERT_TRUE(g.ok());
  ExpectImportRoundTrip(g, {});
}

TEST_F(JsstoreCli, ImportEncrypted) {
  GoldenStore g("2.14.5/aes");
  ASSERT_TRUE(g.ok());
  const json& enc = g.expect()["encryption"];
  ExpectImportRoundTrip(g, {"--key", enc["key"].get<std::string>(), "--cipher", enc["cipher"].get<std::string>()});
}

TEST_F(JsstoreCli, ImportRejectsBadInputWithTheLine) {
  TempDir tmp("jsstore-import-bad");
  WriteText(tmp.path() / "stream.json", R"({"config":{"name":"S","subjects":["a.>"],"storage":"file"}})");
  const std::string ok_line = R"({"subject":"a.b","seq":1,"data":"aGk=","time":"2024-01-02T03:04:05.000000006Z"})";
  WriteText(tmp.path() / "good.jsonl", ok_line + "\n");
  // The directory must carry the stream's name.
  RunResult r = RunTool({"import", (tmp.path() / "X").string(), "--config", (tmp.path() / "stream.json").string()},
                        (tmp.path() / "good.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("named after the stream"), std::string::npos) << r.err;
  EXPECT_EQ(LineCount(r.err), 1u);
  // A sequence that does not increase, named by its line.
  WriteText(tmp.path() / "bad.jsonl", ok_line + "\n" + ok_line + "\n");
  r = RunTool({"import", (tmp.path() / "a" / "S").string(), "--config", (tmp.path() / "stream.json").string()},
              (tmp.path() / "bad.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  // Garbage and bad base64.
  WriteText(tmp.path() / "junk.jsonl", "{not json\n");
  r = RunTool({"import", (tmp.path() / "b" / "S").string(), "--config", (tmp.path() / "stream.json").string()},
              (tmp.path() / "junk.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
  WriteText(tmp.path() / "b64.jsonl", R"({"subject":"a.b","seq":1,"data":"@@@","time":"2024-01-02T03:04:05Z"})" "\n");
  r = RunTool({"import", (tmp.path() / "c" / "S").string(), "--config", (tmp.path() / "stream.json").string()},
              (tmp.path() / "b64.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("base64"), std::string::npos) << r.err;
  // An existing stream is never overwritten.
  r = RunTool({"import", (tmp.path() / "d" / "S").string(), "--config", (tmp.path() / "stream.json").string()},
              (tmp.path() / "good.jsonl").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunTool({"import", (tmp.path() / "d" / "S").string(), "--config", (tmp.path() / "stream.json").string()},
              (tmp.path() / "good.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds a stream"), std::string::npos) << r.err;
}
