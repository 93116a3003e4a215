// A service's metrics plumbing, the same in the three services: the registry every component
// records into, /metrics on --metrics_port (when configured), and what every service exports
// by itself: orderplatform_build_info{service, version, librdkafka_version, grpc_version} = 1
// and the standard process_* metrics.
//
//   std::unique_ptr<ServiceMetrics> metrics = StartMetricsOrExit(kService, *config);
//   GrpcServer::Start({... .metrics = metrics->registry()}, ...);   // components record into it
//
// The server starts before the service waits for Redis and Kafka, so a service stuck at start-up
// is visible (its process metrics, no consumer lag yet). It prints metrics_port=N before the
// gRPC server prints grpc_port=N, so "grpc_port=N printed" implies /metrics answers.
#ifndef ORDERPLATFORM_PLATFORM_SERVICE_SERVICE_METRICS_H_
#define ORDERPLATFORM_PLATFORM_SERVICE_SERVICE_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/config/service_config.h"
#include "platform/metrics/http_server.h"
#include "platform/metrics/registry.h"

namespace orderplatform::service {

// The version label of orderplatform_build_info: the git revision the images are built from
// (tools/images/build_images.sh passes -DOP_BUILD_VERSION for this one file), else "dev".
absl::string_view BuildVersion();

class ServiceMetrics {
 public:
  // Registers build info and process metrics, and serves /metrics when config.metrics_port is
  // not config::kMetricsOff. UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<ServiceMetrics>> Start(
      absl::string_view service, const config::ServiceConfig& config);

  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  metrics::Registry* registry() { return &registry_; }
  // The port /metrics is served on, or config::kMetricsOff.
  int port() const { return server_ != nullptr ? server_->port() : config::kMetricsOff; }

 private:
  explicit ServiceMetrics(absl::string_view service);

  metrics::Registry registry_;
  metrics::CollectorHandle process_;
  // Last: stops serving before the registry goes away.
  std::unique_ptr<metrics::MetricsHttpServer> server_;
};

// Start(), or ExitWithReason (e.g. the metrics port is taken).
std::unique_ptr<ServiceMetrics> StartMetricsOrExit(absl::string_view service,
                                                   const config::ServiceConfig& config);

}  // namespace orderplatform::service

#endif  // ORDERPLATFORM_PLATFORM_SERVICE_SERVICE_METRICS_H_
