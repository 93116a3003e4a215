#include "platform/service/service_metrics.h"

#include <librdkafka/rdkafka.h>

#include "grpcpp/grpcpp.h"
#include "platform/metrics/process_collector.h"
#include "platform/service/startup.h"

#ifndef OP_BUILD_VERSION
#define OP_BUILD_VERSION "dev"
#endif

namespace orderplatform::service {

absl::string_view BuildVersion() { return OP_BUILD_VERSION; }

ServiceMetrics::ServiceMetrics(absl::string_view service) {
  registry_
      .AddGauge("orderplatform_build_info",
                "Always 1; the labels say which service and build this is, and which "
                "librdkafka and gRPC it runs on.",
                {"service", "version", "librdkafka_version", "grpc_version"})
      .WithLabels({service, BuildVersion(), rd_kafka_version_str(), grpc::Version()})
      .Set(1);
  process_ = metrics::AddProcessCollector(&registry_);
}

absl::StatusOr<std::unique_ptr<ServiceMetrics>> ServiceMetrics::Start(
    absl::string_view service, const config::ServiceConfig& config) {
  std::unique_ptr<ServiceMetrics> out(new ServiceMetrics(service));
  if (config.metrics_port == config::kMetricsOff) return out;
  absl::StatusOr<std::unique_ptr<metrics::MetricsHttpServer>> server =
      metrics::MetricsHttpServer::Start({.port = config.metrics_port}, &out->registry_);
  if (!server.ok()) return server.status();
  out->server_ = *std::move(server);
  return out;
}

std::unique_ptr<ServiceMetrics> StartMetricsOrExit(absl::string_view service,
                                                   const config::ServiceConfig& config) {
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics = ServiceMetrics::Start(service, config);
  if (!metrics.ok()) ExitWithReason(service, metrics.status().message());
  return *std::move(metrics);
}

}  // namespace orderplatform::service
