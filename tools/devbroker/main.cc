// devbroker: a local Kafka-protocol cluster (librdkafka's mock cluster) with the platform's topics
// and a gRPC fault-control service, for development and tests. See README.md.
//
//   devbroker --brokers=3 --partitions=6 --bootstrap_file=/tmp/kafka.addr
//   => bootstrap=127.0.0.1:41017,127.0.0.1:39655,127.0.0.1:44211
//      control_port=40321
//
// Runs until SIGTERM or SIGINT, then exits 0. Exits 1 with a one-line reason when it cannot start.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "platform/log/log.h"
#include "tools/devbroker/control_service.h"
#include "tools/devbroker/mock_cluster.h"

ABSL_FLAG(int, brokers, 3, "number of brokers in the mock cluster (1..32)");
ABSL_FLAG(int, partitions, 6, "partitions of each topic (1..256)");
ABSL_FLAG(std::string, bootstrap_file, "",
          "if set, the bootstrap list (HOST:PORT,...) is written to this file once the cluster is "
          "ready");
ABSL_FLAG(int, control_port, 0, "port of the gRPC fault controls on 127.0.0.1; 0 picks a free one");
ABSL_FLAG(std::string, rdkafka_debug, "",
          "librdkafka debug contexts for the mock cluster, e.g. 'mock' (logged at level debug)");

namespace orderplatform::devbroker {
namespace {

// A reader that polls for the file must never see half of it: write a sibling, then rename.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << contents;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temp));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = strerror(errno);
    unlink(temp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename ", temp, " to ", path, ": ", error));
  }
  return absl::OkStatus();
}

int Fail(absl::string_view reason) {
  log::LogError("devbroker_start_failed", {{"reason", reason}});
  return 1;
}

int Run() {
  // Block the stop signals before any thread exists (librdkafka and gRPC start many), so every
  // thread inherits the mask and sigwait() below is the only place they are received.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that disconnects mid-response must not kill the broker.
  signal(SIGPIPE, SIG_IGN);

  const std::string rdkafka_debug = absl::GetFlag(FLAGS_rdkafka_debug);
  if (!rdkafka_debug.empty()) log::SetMinLevel(log::Level::kDebug);

  absl::StatusOr<std::unique_ptr<MockCluster>> cluster =
      MockCluster::Create({.brokers = absl::GetFlag(FLAGS_brokers),
                           .partitions = absl::GetFlag(FLAGS_partitions),
                           .rdkafka_debug = rdkafka_debug});
  if (!cluster.ok()) return Fail(cluster.status().ToString());
  absl::StatusOr<std::unique_ptr<ControlServer>> control =
      ControlServer::Start(cluster->get(), absl::GetFlag(FLAGS_control_port));
  if (!control.ok()) return Fail(control.status().ToString());

  // The bootstrap line is the first thing on stdout, and it is printed only once everything
  // behind it (topics, leaders, controls) is ready: a launcher may connect the moment it reads it.
  const std::string bootstrap = (*cluster)->bootstrap();
  printf("bootstrap=%s\n", bootstrap.c_str());
  fflush(stdout);
  const std::string bootstrap_file = absl::GetFlag(FLAGS_bootstrap_file);
  if (!bootstrap_file.empty()) {
    absl::Status written = WriteFileAtomically(bootstrap_file, bootstrap);
    if (!written.ok()) return Fail(written.ToString());
  }
  printf("control_port=%d\n", (*control)->port());
  fflush(stdout);
  log::LogInfo("devbroker_ready", {{"bootstrap", bootstrap},
                                   {"control_port", (*control)->port()},
                                   {"brokers", (*cluster)->broker_count()},
                                   {"partitions", (*cluster)->partition_count()}});

  int signal_number = 0;
  if (const int error = sigwait(&stop_signals, &signal_number); error != 0) {
    // sigwait fails only for an invalid set, and the set above is valid: this cannot happen.
    log::LogError("sigwait_failed", {{"error", strerror(error)}});
    abort();
  }
  log::LogInfo("devbroker_stopping", {{"signal", strsignal(signal_number)}});
  // Control calls are short; a longer grace only makes gRPC wait for idle client channels.
  (*control)->Shutdown(absl::Milliseconds(200));
  control->reset();
  log::LogInfo("control_stopped");
  cluster->reset();
  log::LogInfo("devbroker_stopped");
  return 0;
}

}  // namespace
}  // namespace orderplatform::devbroker

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "A local Kafka-protocol broker (librdkafka's mock cluster) with the platform's topics and "
      "gRPC fault controls. Prints bootstrap=HOST:PORT,... first, then control_port=N.");
  absl::ParseCommandLine(argc, argv);
  return orderplatform::devbroker::Run();
}
