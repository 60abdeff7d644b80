// The store used from several threads while its executor syncs blocks in
// the background: a writer, a remover and a reader race each other and the
// sync timer. Run under ThreadSanitizer by scripts/test; in a normal build
// it checks that the outcome is what the calls reported.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

class FileStoreConcurrency : public FileStorePermutations {};

TEST_P(FileStoreConcurrency, WritersReadersAndBackgroundSync) {
  FileStoreConfig fcfg = Fcfg(8 * 1024);
  fcfg.sync_interval = std::chrono::milliseconds(1);  // the sync timer fires throughout
  auto fs = Create(fcfg, Cfg());
  ASSERT_TRUE(fs);
  constexpr uint64_t kN = 1500;
  std::atomic<uint64_t> stored{0};
  std::atomic<uint64_t> removed{0};
  std::atomic<bool> failed{false};

  std::thread writer([&] {
    for (uint64_t i = 1; i <= kN; ++i) {
      auto r = fs->StoreMsg("foo." + std::to_string(i % 5), {}, Bytes("payload-" + std::to_string(i)), 0);
      if (!r || r->seq != i) failed = true;
      stored.store(i);
    }
  });
  std::thread remover([&] {
    for (uint64_t seq = 2; seq <= kN; seq += 10) {
      while (stored.load() < seq) std::this_thread::yield();
      auto r = fs->RemoveMsg(seq);
      if (!r || !*r) failed = true;
      removed.fetch_add(1);
    }
  });
  std::thread reader([&] {
    store::StoreMsg sm;
    for (int pass = 0; pass < 3; ++pass) {
      for (uint64_t seq = 1; seq <= stored.load(); ++seq) {
        auto r = fs->LoadMsg(seq, &sm);
        if (r && sm.seq != seq) failed = true;
      }
      StreamState st;
      fs->FastState(&st);
      if (st.last_seq > kN) failed = true;
    }
  });
  writer.join();
  remover.join();
  reader.join();
  EXPECT_FALSE(failed.load());
  const StreamState st = fs->State();
  EXPECT_EQ(st.last_seq, kN);
  EXPECT_EQ(st.msgs, kN - removed.load());
  ASSERT_TRUE(fs->Stop());
  auto ro = OpenReadOnly();
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->State().msgs, kN - removed.load());
}

INSTANTIATE_TEST_SUITE_P(All, FileStoreConcurrency, ::testing::ValuesIn(AllPermutations()), PermutationName);

}  // namespace
}  // namespace natscpp::store::testing
