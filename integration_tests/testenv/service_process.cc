#include "integration_tests/testenv/service_process.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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
  const std::vector<std::string>& args = process_->spec().args;
  const bool serves_metrics = std::any_of(args.begin(), args.end(), [](const std::string& arg) {
    return absl::StartsWith(arg, "--metrics_port=") && arg != "--metrics_port=-1";
  });
  if (!serves_metrics) return absl::OkStatus();
  // Printed before grpc_port=N, so it is there already.
  absl::StatusOr<std::string> metrics_line =
      process_->WaitForStdoutLine("metrics_port=", absl::Seconds(5));
  if (!metrics_line.ok()) return metrics_line.status();
  absl::string_view port = *metrics_line;
  if (!absl::ConsumePrefix(&port, "metrics_port=") || !absl::SimpleAtoi(port, &metrics_port_) ||
      metrics_port_ <= 0) {
    return absl::InternalError(absl::StrCat(name_, " printed '", *metrics_line, "'"));
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
