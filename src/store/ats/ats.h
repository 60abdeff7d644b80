// The access-time clock: a process-wide Unix-nanosecond time refreshed every
// kTickInterval by one background thread, so hot paths (cache access stamps in
// the file store) read an atomic instead of calling the clock. File stores
// Register on creation and Unregister on close; the thread runs only while at
// least one is registered.
#ifndef NATSCPP_STORE_ATS_ATS_H_
#define NATSCPP_STORE_ATS_ATS_H_

#include <chrono>
#include <cstdint>

#include "natscpp/store/error.h"

namespace natscpp::store::ats {

inline constexpr std::chrono::milliseconds kTickInterval{100};

// Adds a user; the first one starts the ticker thread.
void Register();

// Removes a user; the last one stops and joins the ticker thread before
// returning. More Unregister than Register calls is a caller bug: the count
// is reset to zero and kInvalidArgument returned (Go panics there).
Result<void> Unregister();

// The last stored time in Unix nanoseconds, possibly up to one tick stale.
// With nothing registered the value is never refreshed, but it is never 0:
// a zero clock is filled in from the system clock on first read.
std::int64_t AccessTime();

// Test hooks: the number of registered users and direct access to the
// stored time (Go's tests read and reset the package variables).
std::int64_t RegisteredForTest();
void StoreAccessTimeForTest(std::int64_t unix_nanos);

}  // namespace natscpp::store::ats

#endif  // NATSCPP_STORE_ATS_ATS_H_
