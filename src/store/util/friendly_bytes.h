// Human-readable byte counts for log and tool messages (jetstream.go).
#ifndef NATSCPP_STORE_UTIL_FRIENDLY_BYTES_H_
#define NATSCPP_STORE_UTIL_FRIENDLY_BYTES_H_

#include <string>

namespace natscpp::store {

// "512 B", "1.50 KB", "3.00 GB": 1024-based, as the Go server logs them.
std::string FriendlyBytes(double bytes);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_FRIENDLY_BYTES_H_
