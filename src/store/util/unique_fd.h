// An owned file descriptor: closed when the owner goes away, so a block
// file cannot leak on an error path.
#ifndef NATSCPP_STORE_UTIL_UNIQUE_FD_H_
#define NATSCPP_STORE_UTIL_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace natscpp::store {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes the descriptor held (if any) and takes `fd`. Returns close's
  // result for the old one (0 when there was none).
  int Reset(int fd = -1) {
    int rc = 0;
    if (fd_ >= 0) rc = ::close(fd_);
    fd_ = fd;
    return rc;
  }

 private:
  int fd_ = -1;
};

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_UNIQUE_FD_H_
