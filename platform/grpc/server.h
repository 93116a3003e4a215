// gRPC server bootstrap shared by the services: listens on the given port (0 picks a free one),
// serves grpc.health.v1.Health and server reflection next to the service's own APIs, and prints
// `grpc_port=N` on a line of its own so that tests and scripts can find a picked port.
//
//   OrderServiceImpl impl(...);
//   absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start({.port = 0}, {&impl});
//   (*server)->SetServing(true);
//   ...
//   (*server)->Shutdown(absl::Seconds(5));   // finishes in-flight calls, then stops
#ifndef ORDERPLATFORM_PLATFORM_GRPC_SERVER_H_
#define ORDERPLATFORM_PLATFORM_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace orderplatform::grpc_server {

struct GrpcServerOptions {
  int port = 0;                          // 0: pick a free port
  std::string host = "0.0.0.0";
  bool print_port = true;                // print grpc_port=N to stdout once listening
};

class GrpcServer {
 public:
  // Builds and starts the server. UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                          const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // The overall health status ("" service) and each registered service's.
  void SetServing(bool serving);
  // Stops accepting calls, lets in-flight calls finish until `grace`, then cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port) : server_(std::move(server)), port_(port) {}

  std::unique_ptr<grpc::Server> server_;
  int port_;
  bool shut_down_ = false;
};

}  // namespace orderplatform::grpc_server

#endif  // ORDERPLATFORM_PLATFORM_GRPC_SERVER_H_
