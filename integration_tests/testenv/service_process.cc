#include "integration_tests/testenv/service_process.h"

#include "absl/strings/str_cat.h"

namespace orderplatform::testenv {
namespace {

// A service connects to Redis and Kafka and joins its group before it serves; under a loaded
// test machine that can take a while, but never this long.
constexpr absl::Duration kReadyTimeout = absl::Seconds(60);

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(
    const std::string& name, const std::string& binary, std::vector<std::string> args,
    std::map<std::string, std::string> env) {
  absl::StatusOr<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  args.push_back(absl::StrCat("--grpc_port=", *port));
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start({.binary = binary, .args = std::move(args), .env = std::move(env),
                      .name = name});
  if (!process.ok()) return process.status();
  std::unique_ptr<ServiceProcess> service(
      new ServiceProcess(name, *port, *std::move(process)));
  absl::Status ready = service->WaitReady();
  if (!ready.ok()) return ready;
  return service;
}

std::string ServiceProcess::grpc_address() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

absl::Status ServiceProcess::WaitReady() {
  absl::StatusOr<std::string> line = process_->WaitForStdoutLine("grpc_port=", kReadyTimeout);
  if (!line.ok()) return line.status();
  if (*line != absl::StrCat("grpc_port=", grpc_port_)) {
    return absl::InternalError(absl::StrCat(name_, " printed '", *line, "', expected port ",
                                            grpc_port_));
  }
  return absl::OkStatus();
}

absl::Status ServiceProcess::Restart() {
  absl::Status started = process_->Restart();
  if (!started.ok()) return started;
  return WaitReady();
}

absl::Status ServiceProcess::RestartWithExtraArgs(const std::vector<std::string>& args) {
  std::vector<std::string>& current = process_->mutable_spec().args;
  current.insert(current.end(), args.begin(), args.end());
  return Restart();
}

}  // namespace orderplatform::testenv
