#include "util/friendly_bytes.h"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <cstdio>

namespace natscpp::store {

// go: server/jetstream.go:friendlyBytes
std::string FriendlyBytes(double bytes) {
  constexpr double kBase = 1024;
  static constexpr const char* kPrefixes[] = {"K", "M", "G", "T", "P", "E"};
  if (bytes < kBase) {
    // Go prints the float in its shortest form ("%v"): 512 -> "512".
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, bytes);
    return std::string(buf, r.ptr) + " B";
  }
  const int exp = static_cast<int>(std::log(bytes) / std::log(kBase));
  const int index = std::min(exp - 1, 5);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %sB", bytes / std::pow(kBase, index + 1), kPrefixes[index]);
  return buf;
}

}  // namespace natscpp::store
