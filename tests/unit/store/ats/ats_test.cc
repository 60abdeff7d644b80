// Ports of server/ats/ats_test.go (suite Ats).
#include "ats/ats.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <atomic>
#include <iterator>
#include <thread>
#include <vector>

namespace natscpp::store::ats {
namespace {

// Threads of this process: the C++ counterpart of runtime.NumGoroutine().
long ThreadCount() {
  return static_cast<long>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                         std::filesystem::directory_iterator{}));
}

TEST(Ats, TestNotRunningValue) {
  // Reset in case this test runs more than once in the process.
  StoreAccessTimeForTest(0);
  const std::int64_t at = AccessTime();
  EXPECT_NE(at, 0) << "expected non-zero access time";

  const std::int64_t atn = AccessTime();
  EXPECT_EQ(atn, at) << "did not expect updates to access time";
}

TEST(Ats, TestRegisterAndUnregister) {
  Register();
  ASSERT_EQ(RegisteredForTest(), 1);
  // Counted while the ticker runs rather than before Register as Go does:
  // a sanitizer runtime may start a helper thread with the first thread the
  // process creates, which would skew a count taken earlier.
  const long with_ticker = ThreadCount();
  const std::int64_t at = AccessTime();
  ASSERT_NE(at, 0) << "expected non-zero access time";
  // The ticker keeps the time moving.
  std::this_thread::sleep_for(2 * kTickInterval);
  ASSERT_NE(AccessTime(), at) << "expected access time to be updated";

  ASSERT_TRUE(Unregister().has_value());
  ASSERT_EQ(RegisteredForTest(), 0);
  std::this_thread::sleep_for(kTickInterval);

  const std::int64_t idle = AccessTime();
  std::this_thread::sleep_for(2 * kTickInterval);
  EXPECT_EQ(AccessTime(), idle) << "did not expect updates to access time";

  // The ticker thread is gone once everything has unregistered.
  EXPECT_EQ(ThreadCount(), with_ticker - 1);

  // Going from zero to one user again starts a new ticker.
  Register();
  const std::int64_t again = AccessTime();
  std::this_thread::sleep_for(2 * kTickInterval);
  EXPECT_NE(AccessTime(), again) << "expected access time to be updated";
  EXPECT_EQ(ThreadCount(), with_ticker);
  EXPECT_TRUE(Unregister().has_value());
}

TEST(Ats, TestUnbalancedUnregister) {
  // Go panics here; the port reports the caller bug as an error instead.
  auto r = Unregister();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RegisteredForTest(), 0);
}

// Not in Go: users come and go from many threads at once; the count must end
// balanced with no ticker left behind, and readers never see a zero time.
TEST(Ats, ConcurrentRegisterUnregister) {
  Register();
  const long with_ticker = ThreadCount();
  ASSERT_TRUE(Unregister().has_value());

  // Nobody else is registered, so tickers really start and stop under races.
  std::atomic<bool> ok{true};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t) {
    users.emplace_back([&ok] {
      for (int i = 0; i < 100; ++i) {
        Register();
        if (AccessTime() == 0) ok = false;
        if (!Unregister().has_value()) ok = false;
      }
    });
  }
  for (std::thread& u : users) u.join();
  EXPECT_TRUE(ok.load());
  EXPECT_EQ(RegisteredForTest(), 0);
  EXPECT_EQ(ThreadCount(), with_ticker - 1);
}

}  // namespace
}  // namespace natscpp::store::ats
