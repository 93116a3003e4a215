// gRPC server bootstrap shared by the services: listens on the given port (0 picks a free one),
// serves grpc.health.v1.Health and server reflection next to the service's own APIs, and prints
// `grpc_port=N` on a line of its own so that tests and scripts can find a picked port. Plaintext by
// default (local development); with a certificate and key it serves TLS only, and with a client CA
// too it requires every client to present a certificate that CA signed (mutual TLS).
//
//   OrderServiceImpl impl(...);
//   absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start({.port = 0}, {&impl});
//   GrpcServer::Start({.port = 443, .tls = {.cert_path = "/tls/cert.pem",
//                                           .key_path = "/tls/key.pem"}}, {&impl});
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
#include "platform/metrics/registry.h"

namespace orderplatform::grpc_server {

// PEM files. All empty: plaintext. cert_path and key_path go together; client_ca_path needs them.
struct GrpcTlsFiles {
  std::string cert_path;       // certificate chain, leaf first
  std::string key_path;        // its private key; never logged, never quoted in a message
  std::string client_ca_path;  // non-empty: clients must present a certificate this CA signed

  bool enabled() const { return !cert_path.empty() || !key_path.empty(); }
};

struct GrpcServerOptions {
  int port = 0;                          // 0: pick a free port
  std::string host = "0.0.0.0";
  bool print_port = true;                // print grpc_port=N to stdout once listening
  GrpcTlsFiles tls;

  // Bounds on in-flight work (docs/RELIABILITY.md). The synchronous server runs every call on a
  // thread of its own, so this bounds concurrent calls, streams included (a WatchOrder holds one
  // for its whole life; keep it well above the order service's --watchers_max). A call that finds
  // no thread gets RESOURCE_EXHAUSTED at once instead of queueing.
  int threads_max = 512;
  // A larger request gets RESOURCE_EXHAUSTED before any handler sees it. The largest valid one
  // (PlaceOrder with 100 lines of 64-byte SKUs and 128-byte ids) is under 10 KiB.
  int receive_message_bytes_max = 1 << 20;

  // Non-null: every call is counted and timed (server_metrics.h). Must outlive the server.
  metrics::Registry* metrics = nullptr;
};

// The credentials Start() listens with: insecure when `tls` is empty, else TLS from the files.
// INVALID_ARGUMENT when the combination is incomplete or a file cannot be read or holds no PEM
// block; the message names the file, never its contents.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const GrpcTlsFiles& tls);

class GrpcServer {
 public:
  // Builds and starts the server. INVALID_ARGUMENT for unusable TLS files (ServerCredentialsFor);
  // UNAVAILABLE when it cannot listen: the port is taken, or (with TLS) gRPC refused the
  // certificate or key, e.g. a key that does not belong to the certificate.
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
