// One service binary (order, inventory or payment) for a test: started with its flags, ready once
// it printed grpc_port=N, and restartable on the same port so clients keep their address. Started
// with --metrics_port=0, it also reads the metrics_port=N the service printed (a new one after
// each restart).
//
//   auto inventory = ServiceProcess::Start("inventory", RunfilePath(
//       "services/inventory/inventory_service"), {"--kafka_brokers=...", "--redis=..."},
//       {{"ADMIN_TOKEN", token}});  // secrets through the environment, as in production
//   (*inventory)->Kill9();
//   ASSERT_TRUE((*inventory)->Restart().ok());
//   auto code = (*inventory)->Terminate();  // SIGTERM; 0 expected
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_SERVICE_PROCESS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_SERVICE_PROCESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration_tests/testenv/process.h"

namespace orderplatform::testenv {

class ServiceProcess {
 public:
  // `args` must not contain --grpc_port: a free port is picked once and kept across restarts.
  // `env` is added to the test's environment.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(
      const std::string& name, const std::string& binary, std::vector<std::string> args,
      std::map<std::string, std::string> env = {});

  int grpc_port() const { return grpc_port_; }
  std::string grpc_address() const;  // "127.0.0.1:PORT"
  // The port /metrics is served on, or -1 when the service was not started with --metrics_port.
  int metrics_port() const { return metrics_port_; }
  const std::string& name() const { return name_; }

  void Kill9() { process_->Kill9(); }
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(20)) {
    return process_->Terminate(timeout);
  }
  // Starts it again (after Kill9 or Terminate) and waits until it serves.
  absl::Status Restart();
  // Restart() with `args` added to the command line from now on (e.g. another consumer group).
  absl::Status RestartWithExtraArgs(const std::vector<std::string>& args);
  bool Running() { return process_->Running(); }
  Process& process() { return *process_; }

 private:
  ServiceProcess(std::string name, int grpc_port, std::unique_ptr<Process> process)
      : name_(std::move(name)), grpc_port_(grpc_port), process_(std::move(process)) {}
  absl::Status WaitReady();

  std::string name_;
  int grpc_port_;
  int metrics_port_ = -1;
  std::unique_ptr<Process> process_;
};

}  // namespace orderplatform::testenv

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_SERVICE_PROCESS_H_
