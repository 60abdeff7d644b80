// File writes the store relies on for crash safety (filestore.go): whole
// files are replaced atomically (write a temporary, rename over), with an
// fsync of file and directory when asked.
#ifndef NATSCPP_STORE_UTIL_FILE_IO_H_
#define NATSCPP_STORE_UTIL_FILE_IO_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "natscpp/store/error.h"
#include "util/disk_io.h"

namespace natscpp::store {

inline constexpr mode_t kDefaultFilePerms = 0600;
inline constexpr mode_t kDefaultDirPerms = 0700;

// Writes `data` to name + ".tmp" (O_SYNC when `sync`), renames it over
// `name`, and with `sync` also syncs the directory so the rename persists.
// On failure the temporary is removed and `name` is untouched.
Result<void> WriteAtomically(DiskIoSemaphore& dios, const std::filesystem::path& name,
                             std::span<const uint8_t> data, mode_t perm, bool sync);
// The two halves of WriteAtomically, for a writer that prepares the
// temporary without a lock and renames it under one: WriteTemporary
// writes (and with `sync`, syncs) `tmp`, removing it on failure;
// RenameOver moves it over `name`, removing it on failure. The caller
// syncs the directory (SyncDir) when it needs the rename to persist.
Result<void> WriteTemporary(DiskIoSemaphore& dios, const std::filesystem::path& tmp,
                            std::span<const uint8_t> data, mode_t perm, bool sync);
Result<void> RenameOver(const std::filesystem::path& tmp, const std::filesystem::path& name);
Result<void> WriteFileWithSync(DiskIoSemaphore& dios, const std::filesystem::path& name,
                               std::span<const uint8_t> data, mode_t perm);
// Syncs the directory holding `name`.
Result<void> SyncDir(const std::filesystem::path& name);
// Syncs file `name`, then its directory; a missing file is not an error.
Result<void> SyncFileAndDir(DiskIoSemaphore& dios, const std::filesystem::path& name);
// Removes `dir` recursively, retrying for up to a second.
Result<void> RemoveAllWithRetry(DiskIoSemaphore& dios, const std::filesystem::path& dir);

// Reads a whole file (opened read-only). kNotFound when it does not exist,
// kIo naming the path otherwise.
Result<std::vector<uint8_t>> ReadWholeFile(const std::filesystem::path& path);

// The contents of a regular file, or nullopt when there is none or it
// cannot be read (for optional files such as index.db or a key file).
std::optional<std::vector<uint8_t>> ReadFileIfExists(const std::filesystem::path& path);

// An I/O error naming the path and the system's reason.
Error IoError(const std::filesystem::path& path, std::string_view what, int err);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_UTIL_FILE_IO_H_
