// Errors of the store library. Every fallible call returns Result<T>
// (std::expected); nothing in the library throws for bad input.
//
// The codes carry the names and meanings of the Go sentinel errors they port
// (ErrStoreClosed, ErrStoreMsgNotFound, ...) so callers can branch on them;
// the message says what was wrong, naming the file, offset or value.
#ifndef NATSCPP_STORE_ERROR_H_
#define NATSCPP_STORE_ERROR_H_

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace natscpp::store {

enum class ErrorCode {
  kOk = 0,
  // store.go sentinels
  kStoreClosed,            // ErrStoreClosed
  kStoreMsgNotFound,       // ErrStoreMsgNotFound
  kStoreEOF,               // ErrStoreEOF
  kMaxMsgs,                // ErrMaxMsgs
  kMaxBytes,               // ErrMaxBytes
  kMaxMsgsPerSubject,      // ErrMaxMsgsPerSubject
  kStoreSnapshotInProgress,  // ErrStoreSnapshotInProgress
  kMsgTooLarge,            // ErrMsgTooLarge
  kStoreWrongType,         // ErrStoreWrongType
  kNoAckPolicy,            // ErrNoAckPolicy
  kSequenceMismatch,       // ErrSequenceMismatch
  kCorruptStreamState,     // ErrCorruptStreamState
  kTooManyResults,         // ErrTooManyResults
  kInvalidSequence,        // ErrInvalidSequence
  kStoreOldUpdate,         // ErrStoreOldUpdate
  // general
  kBadEncoding,     // undecodable bytes (avl.ErrBadEncoding and the like)
  kCorrupt,         // data failing a checksum or sanity check
  kInvalidArgument, // a caller's value out of range or malformed
  kBadSubject,      // an invalid subject (gsl.ErrInvalidSubject)
  kNotFound,        // a missing entry (gsl.ErrNotFound) or file
  kIo,              // the operating system refused
  kCrypto,          // a key, nonce or authentication failure
  kUnsupported,     // a format version or option this port does not read
};

class Error {
 public:
  Error() = default;
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // An I/O error keeps the system's errno, so callers can tell a full disk
  // or a permission problem from other failures.
  Error(ErrorCode code, std::string message, int sys_errno)
      : code_(code), message_(std::move(message)), sys_errno_(sys_errno) {}

  ErrorCode code() const { return code_; }
  int sys_errno() const { return sys_errno_; }
  const std::string& message() const { return message_; }
  bool Is(ErrorCode c) const { return code_ == c; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int sys_errno_ = 0;
};

// go: server/store.go:isOutOfSpaceErr
inline bool IsOutOfSpaceError(const Error& e) { return e.sys_errno() == ENOSPC; }

// go: server/store.go:isPermissionError
inline bool IsPermissionError(const Error& e) { return e.sys_errno() == EACCES || e.sys_errno() == EPERM; }

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected(Error(code, std::move(message)));
}

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_ERROR_H_
