// Child processes for the parity generator: a nats-server run on a private
// port and store directory, temp directories, and small helpers (tar). Every
// resource is owned by an RAII object, so a failing scenario leaves no server
// running and no directory behind.
#ifndef NATSCPP_TESTS_PARITY_GENERATOR_SERVER_PROCESS_H_
#define NATSCPP_TESTS_PARITY_GENERATOR_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace natscpp::parity {

// The generator's one failure type: main() prints what() as a single line.
class GenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A directory made by mkdtemp and removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The JetStream encryption of a server: key and cipher ("chacha" or "aes").
struct Encryption {
  std::string key;
  std::string cipher;
};

// What a server is started with. store_dir is the `store_dir` of the
// config; the server keeps its tree under store_dir/jetstream.
struct ServerConfig {
  std::filesystem::path binary;
  std::filesystem::path store_dir;
  std::optional<Encryption> encryption;
};

// One nats-server child. The destructor SIGKILLs it if it still runs.
class ServerProcess {
 public:
  // Writes work_dir/server.conf (127.0.0.1 on a free port, JetStream only,
  // fixed server name), starts the server with its output in
  // work_dir/server.log and waits until it accepts TCP connections.
  ServerProcess(const ServerConfig& config, const std::filesystem::path& work_dir);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const;
  bool running() const { return pid_ > 0; }

  // SIGTERM, then waits for the exit (a clean shutdown that writes the
  // index files). Falls back to SIGKILL after `timeout` and reports it.
  void Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // SIGKILL and reap: what a crash or power loss leaves behind.
  void Kill();
  // Only sends SIGKILL (safe from any thread); Kill() later reaps.
  void SendKill() const;

 private:
  void WaitReady(std::chrono::milliseconds timeout);
  std::string LogTail() const;

  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_path_;
};

// The nats-server to run: `explicit_path` if given, else $NATS_SERVER, else
// `nats-server` found on PATH.
std::filesystem::path FindServerBinary(const std::optional<std::string>& explicit_path);

// The first line of `binary --version`, e.g. "nats-server: v2.9.10".
std::string ServerVersionLine(const std::filesystem::path& binary);

// Runs argv (argv[0] looked up on PATH) and waits; throws when it fails.
void RunCommand(const std::vector<std::string>& argv);

// An unused TCP port on 127.0.0.1, as the kernel hands it out.
int FreePort();

}  // namespace natscpp::parity

#endif  // NATSCPP_TESTS_PARITY_GENERATOR_SERVER_PROCESS_H_
