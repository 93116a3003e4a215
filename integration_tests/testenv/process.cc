#include "integration_tests/testenv/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace orderplatform::testenv {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string MakeTempDir(absl::string_view prefix) {
  const char* root = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(root != nullptr ? root : "/tmp", "/", prefix, "-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    fprintf(stderr, "mkdtemp(%s): %s\n", pattern.c_str(), strerror(errno));
    abort();  // A test cannot run without its directory: fail loudly.
  }
  return std::string(buf.data());
}

absl::StatusOr<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", error));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string RunfilePath(absl::string_view path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return std::string(path);
  return absl::StrCat(srcdir, "/", workspace, "/", path);
}

bool WaitUntil(absl::Duration timeout, const std::function<bool()>& probe) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (probe()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

Process::Process(ProcessSpec spec) : spec_(std::move(spec)) {
  static std::atomic<int> counter{0};
  std::string dir = MakeTempDir(absl::StrCat("proc-", spec_.name.empty() ? "p" : spec_.name, "-",
                                             counter.fetch_add(1)));
  stdout_path_ = dir + "/stdout";
  stderr_path_ = dir + "/stderr";
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(ProcessSpec spec) {
  std::unique_ptr<Process> process(new Process(std::move(spec)));
  absl::Status status = process->Launch();
  if (!status.ok()) return status;
  return process;
}

Process::~Process() { Kill9(); }

absl::Status Process::Launch() {
  if (access(spec_.binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("not executable: ", spec_.binary));
  }
  ++generation_;
  // Each (re)start truncates the capture files, so WaitForStdoutLine sees only this run.
  int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) return absl::InternalError("cannot open capture files");

  std::vector<std::string> argv_storage = {spec_.binary};
  argv_storage.insert(argv_storage.end(), spec_.args.begin(), spec_.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == absl::string_view::npos) continue;
    env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : spec_.env) env_map[k] = v;
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : env_map) env_storage.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out);
  close(err);
  pid_ = pid;
  exit_code_ = -1;
  return absl::OkStatus();
}

bool Process::Reap(bool block, int* exit_code) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == 0) return false;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
  if (exit_code != nullptr) *exit_code = exit_code_;
  return true;
}

bool Process::Running() { return pid_ > 0 && !Reap(false, nullptr); }

absl::StatusOr<std::string> Process::WaitForStdoutLine(absl::string_view prefix,
                                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const std::string contents = ReadFile(stdout_path_);
    // Only complete lines count: a line still being written has no '\n' yet.
    size_t begin = 0;
    for (size_t end = contents.find('\n'); end != std::string::npos;
         begin = end + 1, end = contents.find('\n', begin)) {
      absl::string_view line(contents.data() + begin, end - begin);
      if (absl::StartsWith(line, prefix)) return std::string(line);
    }
    if (!Running()) {
      return absl::UnavailableError(absl::StrCat(spec_.name, " exited (code ", exit_code_,
                                                 ") before printing '", prefix,
                                                 "'; stderr: ", StderrTail()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(spec_.name, " did not print '", prefix,
                                                      "' in time; stderr: ", StderrTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status Process::Signal(int signal) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  if (kill(pid_, signal) != 0) return absl::InternalError(strerror(errno));
  return absl::OkStatus();
}

void Process::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(true, nullptr);
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int code = -1;
  while (!Reap(false, &code)) {
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("process did not exit");
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

absl::StatusOr<int> Process::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  absl::StatusOr<int> code = Wait(timeout);
  if (!code.ok()) {
    Kill9();
    return absl::DeadlineExceededError(
        absl::StrCat(spec_.name, " did not exit within ", absl::FormatDuration(timeout),
                     " of SIGTERM; killed"));
  }
  return code;
}

absl::Status Process::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("still running; stop it first");
  return Launch();
}

std::string Process::StderrTail(size_t max_bytes) const {
  std::string contents = ReadFile(stderr_path_);
  if (contents.size() > max_bytes) contents = contents.substr(contents.size() - max_bytes);
  return contents;
}

}  // namespace orderplatform::testenv
