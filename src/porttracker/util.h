// Small helpers the tracker shares: files, hashing, child processes.
#ifndef NATSCPP_PORTTRACKER_UTIL_H_
#define NATSCPP_PORTTRACKER_UTIL_H_

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace natscpp::porttracker {

// Every failure the tracker reports to its user. The message is meant to be
// printed as is: it names the file, ID or argument at fault.
class TrackerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string ReadFile(const std::filesystem::path& path);

// Writes through a temporary file in the same directory and renames it into
// place, so a reader sees the old or the new content, never a torn one.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view content);

std::string Sha256Hex(std::string_view data);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (no shell) in `dir`, capturing its output.
// With `merge_stderr` false, stderr is left to the caller's (for commands
// whose stdout is binary data).
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::filesystem::path& dir = {},
                         bool merge_stderr = true);

// Runs argv and returns its stdout; throws TrackerError on a non-zero exit.
std::string RunOrThrow(const std::vector<std::string>& argv,
                       const std::filesystem::path& dir = {},
                       bool merge_stderr = true);

std::vector<std::string> SplitLines(std::string_view text);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_UTIL_H_
