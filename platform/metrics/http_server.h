// Serves a Registry at GET /metrics in the Prometheus text format, over plain HTTP, using
// Debian's cpp-httplib. It listens on the given port (0 picks a free one) and prints
// `metrics_port=N` on a line of its own, the way the gRPC server prints grpc_port=N, so tests
// and scripts can find a picked port.
//
//   Registry registry;
//   absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
//       MetricsHttpServer::Start({.port = 0}, &registry);
//   ...
//   (*server)->Stop();  // or let it go out of scope
//
// Deliberately small: one path, no TLS and no authentication (the exposition holds counts, never
// secrets or payloads; put it on a network only Prometheus reaches), a connection per scrape
// (no keep-alive, so Stop() never waits on an idle client), a few threads, and I/O timeouts, so
// a slow or hostile client cannot hold the service's shutdown for long.
#ifndef ORDERPLATFORM_PLATFORM_METRICS_HTTP_SERVER_H_
#define ORDERPLATFORM_PLATFORM_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/metrics/registry.h"

namespace httplib {
class Server;
}

namespace orderplatform::metrics {

// What /metrics answers with: the text format, version 0.0.4.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;             // 0: pick a free port
  bool print_port = true;   // print metrics_port=N to stdout once listening
  int threads = 2;          // scrapes served at once; more wait in line
  absl::Duration io_timeout = absl::Seconds(5);  // per read or write on a connection
};

class MetricsHttpServer {
 public:
  // UNAVAILABLE when the port cannot be bound; INVALID_ARGUMENT for a port outside 0..65535 or
  // threads < 1. `registry` must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const MetricsServerOptions& options, const Registry* registry);
  ~MetricsHttpServer();

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }
  // Stops listening, lets a scrape in progress finish, and joins. Idempotent.
  void Stop();

 private:
  MetricsHttpServer(std::unique_ptr<httplib::Server> server, int port);

  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace orderplatform::metrics

#endif  // ORDERPLATFORM_PLATFORM_METRICS_HTTP_SERVER_H_
