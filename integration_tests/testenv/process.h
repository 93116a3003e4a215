// A child process for tests: started with arguments and environment, its stdout and stderr
// captured in files, killed (SIGKILL) and reaped when the object goes away, and killed by the
// kernel if the test process itself dies (PR_SET_PDEATHSIG), so no server outlives its test.
//
//   ASSIGN_OR_RETURN(auto p, Process::Start({.binary = "/usr/bin/redis-server", .args = {...}}));
//   ASSIGN_OR_RETURN(std::string line, p->WaitForStdoutLine("grpc_port=", absl::Seconds(10)));
//   p->Kill9();  p->Restart();  p->Terminate(absl::Seconds(5));
//
// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process: call
// Start() and Restart() from a thread that outlives the child (the test's main thread).
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_PROCESS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orderplatform::testenv {

struct ProcessSpec {
  std::string binary;                        // absolute path, or relative to the test's cwd
  std::vector<std::string> args;             // without argv[0]
  std::map<std::string, std::string> env;    // added to (and overriding) the test's environment
  std::string name;                          // for log file names and messages
};

class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Start(ProcessSpec spec);
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const ProcessSpec& spec() const { return spec_; }
  // Takes effect at the next Restart().
  ProcessSpec& mutable_spec() { return spec_; }
  bool Running();

  // Waits for a stdout line that starts with `prefix` (written since the last (re)start) and
  // returns the whole line. Fails early if the process exits.
  absl::StatusOr<std::string> WaitForStdoutLine(absl::string_view prefix, absl::Duration timeout);

  // Sends `signal` without waiting.
  absl::Status Signal(int signal);
  // SIGKILL and reap.
  void Kill9();
  // SIGTERM, then waits for the exit; returns the exit code (128+N for death by signal N).
  // After `timeout` it SIGKILLs and returns DEADLINE_EXCEEDED.
  absl::StatusOr<int> Terminate(absl::Duration timeout);
  // Waits for the process to exit by itself and returns its exit code.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Starts the same spec again (the old process must be gone: Kill9 or Terminate first).
  absl::Status Restart();

  std::string stdout_path() const { return stdout_path_; }
  std::string stderr_path() const { return stderr_path_; }
  // Last `max_bytes` of stderr, to attach to a failure message.
  std::string StderrTail(size_t max_bytes = 4000) const;

 private:
  explicit Process(ProcessSpec spec);
  absl::Status Launch();
  bool Reap(bool block, int* exit_code);

  ProcessSpec spec_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  int generation_ = 0;
  std::string stdout_path_;
  std::string stderr_path_;
};

// A fresh directory under $TEST_TMPDIR (or /tmp), unique per call.
std::string MakeTempDir(absl::string_view prefix);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, release it).
absl::StatusOr<int> PickFreePort();

// Path of a file in this workspace's runfiles, e.g. "tools/devbroker/devbroker".
std::string RunfilePath(absl::string_view workspace_relative_path);

// Retries `probe` every 50 ms until it returns true or `timeout` passes.
bool WaitUntil(absl::Duration timeout, const std::function<bool()>& probe);

}  // namespace orderplatform::testenv

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_PROCESS_H_
