// Our writer's index.db against the server's: each v2.14.5 golden store
// whose index.db is current is reopened for writing without it (so the
// state is rebuilt from the blocks and marked dirty) and stopped; the
// index.db we write must hold what the server's holds, field by field, and
// be the same bytes when the subjects come out in the same order.
#include <gtest/gtest.h>

#include <algorithm>

#include "../golden_store.h"
#include "crypto/key_file.h"
#include "filestore/index_db.h"
#include "natscpp/store/file_store.h"
#include "util/file_io.h"

namespace natscpp::store::filestore {
namespace {

using testing::GoldenStore;

std::optional<StoreEncryption> EncryptionOf(const nlohmann::json& expect) {
  if (!expect.contains("encryption") || expect["encryption"].is_null()) return std::nullopt;
  const auto& e = expect["encryption"];
  return StoreEncryption{e["key"].get<std::string>(),
                         e["cipher"].get<std::string>() == "aes" ? StoreCipher::kAes : StoreCipher::kChaCha, ""};
}

void ExpectSameState(const FullState& ours, const FullState& go) {
  EXPECT_EQ(ours.msgs, go.msgs);
  EXPECT_EQ(ours.bytes, go.bytes);
  EXPECT_EQ(ours.first_seq, go.first_seq);
  EXPECT_EQ(ours.first_ts, go.first_ts);
  EXPECT_EQ(ours.last_seq, go.last_seq);
  EXPECT_EQ(ours.last_ts, go.last_ts);
  auto key = [](const FullStateSubject& s) { return s.subject; };
  auto sorted = [&](std::vector<FullStateSubject> v) {
    std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
    return v;
  };
  const auto a = sorted(ours.subjects);
  const auto b = sorted(go.subjects);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].subject, b[i].subject);
    EXPECT_EQ(a[i].total, b[i].total) << a[i].subject;
    EXPECT_EQ(a[i].first_block, b[i].first_block) << a[i].subject;
    EXPECT_EQ(a[i].last_block, b[i].last_block) << a[i].subject;
  }
  ASSERT_EQ(ours.blocks.size(), go.blocks.size());
  for (size_t i = 0; i < ours.blocks.size(); ++i) {
    SCOPED_TRACE("block " + std::to_string(go.blocks[i].index));
    EXPECT_EQ(ours.blocks[i].index, go.blocks[i].index);
    EXPECT_EQ(ours.blocks[i].bytes, go.blocks[i].bytes);
    EXPECT_EQ(ours.blocks[i].first_seq, go.blocks[i].first_seq);
    EXPECT_EQ(ours.blocks[i].first_ts, go.blocks[i].first_ts);
    EXPECT_EQ(ours.blocks[i].last_seq, go.blocks[i].last_seq);
    EXPECT_EQ(ours.blocks[i].last_ts, go.blocks[i].last_ts);
    EXPECT_EQ(ours.blocks[i].msgs, go.blocks[i].msgs);
    EXPECT_EQ(ours.blocks[i].ttls, go.blocks[i].ttls);
    EXPECT_EQ(ours.blocks[i].schedules, go.blocks[i].schedules);
    EXPECT_EQ(ours.blocks[i].deleted.Encode({}), go.blocks[i].deleted.Encode({}));
  }
  EXPECT_EQ(ours.last_block_index, go.last_block_index);
  EXPECT_EQ(ours.last_checksum, go.last_checksum);
}

class IndexDbWrite : public ::testing::TestWithParam<std::string> {};

TEST_P(IndexDbWrite, RebuiltStateWritesWhatTheServerWrote) {
  if (!testing::HaveShared()) GTEST_SKIP() << "skipped: ../shared not present";
  GoldenStore g("2.14.5/" + GetParam());
  ASSERT_TRUE(g.ok());
  const auto enc = EncryptionOf(g.expect());
  const auto idx = g.stream_dir() / "msgs" / "index.db";
  auto go_bytes = ReadFileIfExists(idx);
  if (!go_bytes) GTEST_SKIP() << "skipped: no index.db (the server was killed before writing one)";
  // Only a current index.db is a reference: the read-only open uses it
  // without a note when it is.
  FileStoreOpenOptions ro;
  ro.encryption = enc;
  auto check = FileStore::Open(g.stream_dir(), ro);
  ASSERT_TRUE(check) << check.error().message();
  const std::string name = (*check)->Info().config.name;
  const bool current = (*check)->RecoveryNotes().empty();
  check->reset();
  if (!current) GTEST_SKIP() << "skipped: this set's index.db is stale (the server was killed)";

  std::unique_ptr<crypto::Aead> aek;
  if (enc) {
    auto kf = ReadFileIfExists(g.stream_dir() / "meta.key");
    ASSERT_TRUE(kf);
    auto prf = crypto::KeyGen(enc->key, "$G");
    auto a = crypto::RecoverAek(prf, enc->cipher, crypto::StreamKeyContext(name), *kf);
    ASSERT_TRUE(a) << a.error().message();
    aek = std::move(*a);
  }
  auto go_state = DecodeFullState(*go_bytes, name, aek.get());
  ASSERT_TRUE(go_state) << go_state.error().message();

  std::filesystem::remove(idx);
  // Messages the server dropped by limits leave no tombstone, so without
  // index.db the server itself rebuilds them; only a set whose blocks
  // rebuild to the indexed state is a reference here.
  {
    auto rebuilt = FileStore::Open(g.stream_dir(), ro);
    ASSERT_TRUE(rebuilt) << rebuilt.error().message();
    StreamState st;
    (*rebuilt)->FastState(&st);
    if (st.msgs != go_state->msgs || st.first_seq != go_state->first_seq) {
      GTEST_SKIP() << "skipped: the server removed messages by limits without tombstones ("
                   << st.msgs << " rebuilt vs " << go_state->msgs << " indexed)";
    }
  }
  FileStoreOpenOptions wo;
  wo.read_only = false;
  wo.config.encryption = enc;
  auto w = FileStore::Open(g.stream_dir(), wo);
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE((*w)->Stop());
  auto our_bytes = ReadFileIfExists(idx);
  ASSERT_TRUE(our_bytes) << "Stop wrote no index.db";
  auto our_state = DecodeFullState(*our_bytes, name, aek.get());
  ASSERT_TRUE(our_state) << our_state.error().message();
  ExpectSameState(*our_state, *go_state);

  bool same_order = our_state->subjects.size() == go_state->subjects.size();
  for (size_t i = 0; same_order && i < our_state->subjects.size(); ++i) {
    same_order = our_state->subjects[i].subject == go_state->subjects[i].subject;
  }
  if (!enc && same_order) {
    EXPECT_TRUE(*our_bytes == *go_bytes) << "same state, different bytes";
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IndexDbWrite,
                         ::testing::Values("basic", "aes", "chacha", "kv", "multiblock", "s2", "s2aes",
                                           "s2chacha", "ttl", "crash", "torn"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace natscpp::store::filestore
