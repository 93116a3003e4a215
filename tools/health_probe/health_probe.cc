// health_probe: asks a gRPC server's grpc.health.v1.Health/Check and exits 0 only when it
// answers SERVING. The containers' health check (no shell in the images).
//
//   health_probe --addr=127.0.0.1:50051 [--service=NAME] [--timeout_ms=2000]
//   exit 0: SERVING; 1: any other answer or an error (one line on stderr); 2: bad flags
#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "The gRPC server, HOST:PORT.");
ABSL_FLAG(std::string, service, "", "The service to check; empty: the server as a whole.");
ABSL_FLAG(int64_t, timeout_ms, 2000, "Deadline of the check.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_timeout_ms) <= 0) {
    std::fprintf(stderr, "health_probe: --timeout_ms must be positive\n");
    return 2;
  }
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_addr), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "health_probe: %s: %s\n", absl::GetFlag(FLAGS_addr).c_str(),
                 status.error_message().c_str());
    return 1;
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    std::fprintf(stderr, "health_probe: %s: %s\n", absl::GetFlag(FLAGS_addr).c_str(),
                 grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
    return 1;
  }
  return 0;
}
