// Start-up checks every service runs before it serves: its dependencies must be reachable within
// a bounded wait (--dependency_wait_ms), or the service refuses to start with a one-line reason
// on stderr and a non-zero exit, so an orchestrator restarts it instead of it half-working. Also
// the one place that turns the resolved configuration into the Redis, Kafka and gRPC options, so
// the security settings (Redis password, --kafka_config, TLS) reach every client of every service.
//
//   absl::StatusOr<ServiceConfig> config = config::LoadServiceConfig({...});
//   std::unique_ptr<redis::RedisClient> redis = ConnectRedisOrExit(kService, *config);
//   WaitForKafkaOrExit(kService, *config);
//   auto producer = kafka::Producer::Create(KafkaOptionsFor(*config, kService));
//   auto server = grpc_server::GrpcServer::Start(GrpcServerOptionsFor(*config), {&service});
#ifndef ORDERPLATFORM_PLATFORM_SERVICE_STARTUP_H_
#define ORDERPLATFORM_PLATFORM_SERVICE_STARTUP_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "platform/config/service_config.h"
#include "platform/grpc/server.h"
#include "platform/kafka/options.h"
#include "platform/metrics/registry.h"
#include "platform/redis/client.h"

namespace orderplatform::service {

// Prints "<service>: <reason>" on one line to stderr, logs it, and exits with status 1.
[[noreturn]] void ExitWithReason(absl::string_view service, absl::string_view reason);

// OK once a broker of `kafka.brokers` answers a metadata request; UNAVAILABLE after `max_wait`.
// Uses kafka.extra_config like the producer and consumer do (so SASL/SSL apply to the check too);
// an unknown property or an invalid value is INVALID_ARGUMENT at once, naming the key only.
absl::Status WaitForKafka(const kafka::KafkaOptions& kafka, absl::Duration max_wait);

// The Kafka options every service uses, from the resolved configuration (--kafka_config included).
kafka::KafkaOptions KafkaOptionsFor(const config::ServiceConfig& config, absl::string_view service);

// --redis with the Redis password. INVALID_ARGUMENT for a malformed address.
absl::StatusOr<redis::RedisOptions> RedisOptionsFor(const config::ServiceConfig& config);

// --grpc_port with the TLS files; `metrics` (may be null) counts and times every call.
grpc_server::GrpcServerOptions GrpcServerOptionsFor(const config::ServiceConfig& config,
                                                    metrics::Registry* metrics = nullptr);

std::unique_ptr<redis::RedisClient> ConnectRedisOrExit(absl::string_view service,
                                                       const config::ServiceConfig& config);
void WaitForKafkaOrExit(absl::string_view service, const config::ServiceConfig& config);

}  // namespace orderplatform::service

#endif  // ORDERPLATFORM_PLATFORM_SERVICE_STARTUP_H_
