// Ports of server/store_test.go tests that need only the store.go types.
// The rest of that file runs against both stores and arrives with them.
#include <gtest/gtest.h>

#include <vector>

#include "natscpp/store/store_types.h"

namespace natscpp::store {
namespace {

TEST(Store, TestStoreDeleteSlice) {
  DeleteSlice ds({2});
  std::vector<uint64_t> deletes;
  ds.Range([&](uint64_t seq) {
    deletes.push_back(seq);
    return true;
  });
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0], 2u);
  const auto st = ds.State();
  EXPECT_EQ(st.first, 2u);
  EXPECT_EQ(st.last, 2u);
  EXPECT_EQ(st.num, 1u);
}

TEST(Store, TestStoreDeleteRange) {
  DeleteRange dr(2, 1);
  std::vector<uint64_t> deletes;
  dr.Range([&](uint64_t seq) {
    deletes.push_back(seq);
    return true;
  });
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0], 2u);
  const auto st = dr.State();
  EXPECT_EQ(st.first, 2u);
  EXPECT_EQ(st.last, 2u);
  EXPECT_EQ(st.num, 1u);
}

}  // namespace
}  // namespace natscpp::store
