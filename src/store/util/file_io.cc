#include "util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace natscpp::store {
namespace fs = std::filesystem;

// One fstat and a read loop: far faster than stream iterators on the
// multi-megabyte blocks recovery reads.
Result<std::vector<uint8_t>> ReadWholeFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return std::unexpected(Error(ErrorCode::kNotFound, path.string() + ": does not exist", err));
    }
    return std::unexpected(IoError(path, "cannot open", err));
  }
  struct stat st {};
  std::vector<uint8_t> buf;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) buf.reserve(static_cast<size_t>(st.st_size));
  constexpr size_t kChunk = 64 * 1024;
  for (;;) {
    const size_t want = buf.capacity() > buf.size() ? buf.capacity() - buf.size() : kChunk;
    const size_t old = buf.size();
    buf.resize(old + want);
    const ssize_t n = ::read(fd, buf.data() + old, want);
    if (n < 0) {
      if (errno == EINTR) {
        buf.resize(old);
        continue;
      }
      const int err = errno;
      ::close(fd);
      return std::unexpected(IoError(path, "cannot read", err));
    }
    buf.resize(old + static_cast<size_t>(n));
    if (n == 0) break;
  }
  ::close(fd);
  return buf;
}

std::optional<std::vector<uint8_t>> ReadFileIfExists(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  auto buf = ReadWholeFile(path);
  if (!buf) return std::nullopt;
  return std::move(*buf);
}

Error IoError(const fs::path& path, std::string_view what, int err) {
  return Error(ErrorCode::kIo, path.string() + ": " + std::string(what) + ": " + std::strerror(err), err);
}

namespace {

// Writes all of `data`, retrying short writes and interrupts.
bool WriteAll(int fd, std::span<const uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<void> WriteTemporary(DiskIoSemaphore& dios, const fs::path& tmp, std::span<const uint8_t> data,
                            mode_t perm, bool sync) {
  int flags = O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC;
  if (sync) flags |= O_SYNC;
  DiskIoSlot slot(dios);
  const int fd = ::open(tmp.c_str(), flags, perm);
  if (fd < 0) return std::unexpected(IoError(tmp, "create", errno));
  if (!WriteAll(fd, data)) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::unexpected(IoError(tmp, "write", err));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(IoError(tmp, "close", err));
  }
  return {};
}

Result<void> RenameOver(const fs::path& tmp, const fs::path& name) {
  if (::rename(tmp.c_str(), name.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(IoError(name, "rename", err));
  }
  return {};
}

// go: server/filestore.go:writeAtomically
Result<void> WriteAtomically(DiskIoSemaphore& dios, const fs::path& name, std::span<const uint8_t> data,
                             mode_t perm, bool sync) {
  const fs::path tmp = name.string() + ".tmp";
  if (auto r = WriteTemporary(dios, tmp, data, perm, sync); !r) return r;
  if (auto r = RenameOver(tmp, name); !r) return r;
  if (sync) return SyncDir(name);
  return {};
}

// go: server/filestore.go:writeFileWithSync
Result<void> WriteFileWithSync(DiskIoSemaphore& dios, const fs::path& name, std::span<const uint8_t> data,
                               mode_t perm) {
  return WriteAtomically(dios, name, data, perm, true);
}

// go: server/filestore.go:syncDir
Result<void> SyncDir(const fs::path& name) {
  fs::path dir = name.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(IoError(dir, "open directory", errno));
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(IoError(dir, "sync directory", err));
  }
  if (::close(fd) != 0) return std::unexpected(IoError(dir, "close directory", errno));
  return {};
}

// go: server/filestore.go:(*fileStore).syncFileAndDir
Result<void> SyncFileAndDir(DiskIoSemaphore& dios, const fs::path& name) {
  DiskIoSlot slot(dios);
  const int fd = ::open(name.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(IoError(name, "open for sync", errno));
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(IoError(name, "sync", err));
  }
  if (::close(fd) != 0) return std::unexpected(IoError(name, "close", errno));
  return SyncDir(name);
}

// go: server/filestore.go:removeAllWithRetry
Result<void> RemoveAllWithRetry(DiskIoSemaphore& dios, const fs::path& dir) {
  auto attempt = [&]() -> std::error_code {
    DiskIoSlot slot(dios);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return ec;
  };
  std::error_code ec = attempt();
  if (!ec) return {};
  // Another process (an antivirus, a backup) may hold files briefly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ec = attempt();
    if (!ec) return {};
  }
  return std::unexpected(IoError(dir, "remove", ec.value()));
}

}  // namespace natscpp::store
