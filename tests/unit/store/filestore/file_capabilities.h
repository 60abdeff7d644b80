// A scope in which root's writes meet file modes as anyone else's do, for
// the tests of read-only stores and permission errors (CI runs as root).
#ifndef NATSCPP_TESTS_UNIT_STORE_FILESTORE_FILE_CAPABILITIES_H_
#define NATSCPP_TESTS_UNIT_STORE_FILESTORE_FILE_CAPABILITIES_H_

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace natscpp::store::testing {

// Root writes through file modes by its capabilities (CAP_DAC_OVERRIDE and
// friends). While alive, this takes them out of the calling thread's
// effective set (capset acts on one thread), so root's writes from this
// thread meet the modes as anyone else's do; the permitted set keeps them,
// and the destructor puts them back.
class WithoutFileCapabilities {
 public:
  WithoutFileCapabilities() {
    if (::geteuid() != 0) return;
    if (::syscall(SYS_capget, &hdr_, saved_) != 0) return;
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
      reduced[cap / 32].effective &= ~(1u << (cap % 32));
    }
    active_ = ::syscall(SYS_capset, &hdr_, reduced) == 0;
  }
  ~WithoutFileCapabilities() {
    if (active_) (void)::syscall(SYS_capset, &hdr_, saved_);
  }
  WithoutFileCapabilities(const WithoutFileCapabilities&) = delete;
  WithoutFileCapabilities& operator=(const WithoutFileCapabilities&) = delete;
  // Modes now bind this thread (true when not root to begin with).
  bool ok() const { return ::geteuid() != 0 || active_; }

 private:
  __user_cap_header_struct hdr_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2]{};
  bool active_ = false;
};

}  // namespace natscpp::store::testing

#endif  // NATSCPP_TESTS_UNIT_STORE_FILESTORE_FILE_CAPABILITIES_H_
