#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace natscpp::parity {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Quotes a string for the server's config syntax (paths, keys).
std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// fork + execvp with stdout/stderr sent to `log` (or inherited when empty).
pid_t Spawn(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd = -1;
  if (!log.empty()) {
    log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw GenError(Errno(("open " + log.string()).c_str()));
  }
  Fd guard(log_fd);
  pid_t pid = ::fork();
  if (pid < 0) throw GenError(Errno("fork"));
  if (pid == 0) {
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` up to `timeout`; returns the wait status, or nullopt if it
// still runs.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return status;  // not our child any more
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

bool CanConnect(int port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/parity_gen.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw GenError(Errno("mkdtemp"));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int FreePort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw GenError(Errno("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw GenError(Errno("bind"));
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw GenError(Errno("getsockname"));
  }
  return ntohs(addr.sin_port);
}

ServerProcess::ServerProcess(const ServerConfig& config, const fs::path& work_dir)
    : log_path_(work_dir / "server.log") {
  const fs::path conf_path = work_dir / "server.conf";
  // A port picked by FreePort can be taken before the server binds it, so a
  // server that exits while starting is retried on a new port.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    port_ = FreePort();
    {
      std::ofstream conf(conf_path, std::ios::trunc);
      conf << "server_name: \"natscpp-parity\"\n"
           << "listen: 127.0.0.1:" << port_ << "\n"
           << "jetstream {\n"
           << "  store_dir: " << Quoted(config.store_dir.string()) << "\n";
      if (config.encryption) {
        conf << "  key: " << Quoted(config.encryption->key) << "\n"
             << "  cipher: " << config.encryption->cipher << "\n";
      }
      conf << "}\n";
      if (!conf) throw GenError("cannot write " + conf_path.string());
    }
    pid_ = Spawn({config.binary.string(), "-c", conf_path.string()}, log_path_);
    try {
      WaitReady(10s);
      return;
    } catch (const GenError&) {
      if (pid_ > 0 || attempt == kAttempts) {
        Kill();
        throw;
      }
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string ServerProcess::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

void ServerProcess::WaitReady(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto status = WaitFor(pid_, 0ms)) {
      pid_ = -1;
      throw GenError("nats-server " + DescribeStatus(*status) + " while starting: " + LogTail());
    }
    if (CanConnect(port_)) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw GenError("nats-server did not accept connections on port " + std::to_string(port_) +
                     " within " + std::to_string(timeout.count()) + " ms: " + LogTail());
    }
    std::this_thread::sleep_for(20ms);
  }
}

void ServerProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto status = WaitFor(pid_, timeout);
  if (!status) {
    Kill();
    throw GenError("nats-server did not exit within " + std::to_string(timeout.count()) +
                   " ms of SIGTERM (killed)");
  }
  pid_ = -1;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServerProcess::SendKill() const {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

std::string ServerProcess::LogTail() const {
  std::ifstream in(log_path_);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last.empty() ? "(no server output)" : last;
}

fs::path FindServerBinary(const std::optional<std::string>& explicit_path) {
  auto executable = [](const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); };
  if (explicit_path) {
    if (!executable(*explicit_path)) throw GenError("--nats-server " + *explicit_path + " is not an executable");
    return *explicit_path;
  }
  if (const char* env = std::getenv("NATS_SERVER"); env != nullptr && *env != '\0') {
    if (!executable(env)) throw GenError(std::string("$NATS_SERVER ") + env + " is not an executable");
    return env;
  }
  // Debian installs the server under /usr/sbin, which is not always on PATH.
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / "nats-server";
    if (executable(candidate)) return candidate;
  }
  throw GenError("nats-server not found (use --nats-server PATH or set $NATS_SERVER)");
}

std::string ServerVersionLine(const fs::path& binary) {
  TempDir tmp;
  const fs::path out = tmp.path() / "version.txt";
  pid_t pid = Spawn({binary.string(), "--version"}, out);
  auto status = WaitFor(pid, 10s);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw GenError(binary.string() + " --version did not finish");
  }
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0 || line.empty()) {
    throw GenError(binary.string() + " --version failed: " + DescribeStatus(*status));
  }
  return line;
}

void RunCommand(const std::vector<std::string>& argv) {
  pid_t pid = Spawn(argv, {});
  auto status = WaitFor(pid, 120s);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw GenError(argv[0] + " did not finish within 120 s");
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw GenError("`" + cmd + "` " + DescribeStatus(*status));
  }
}

}  // namespace natscpp::parity
