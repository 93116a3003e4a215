// Service configuration from flags, with the contract's environment fallbacks for containers.
//
// Every service takes --kafka_brokers, --redis, --grpc_port and --metrics_port; where a flag is
// not given on the command line, KAFKA_BROKERS, REDIS_ADDR, GRPC_PORT and METRICS_PORT are read
// instead. The flags are defined once here so that the three services cannot drift apart. So
// are the security settings (see docs/RELIABILITY.md, "Security"): gRPC TLS files, librdkafka
// settings for SASL/SSL, the Redis password and the admin token, each with an environment
// fallback. The three secrets are best given through the environment (REDIS_PASSWORD,
// ADMIN_TOKEN, KAFKA_CONFIG): command lines are visible to every user of the machine.
//
//   absl::ParseCommandLine(argc, argv);
//   HideSecretFlagValues(argc, argv);
//   absl::StatusOr<ServiceConfig> config = LoadServiceConfig({.consumer_group = "orderplatform.order",
//                                                             .grpc_port = 50051});
#ifndef ORDERPLATFORM_PLATFORM_CONFIG_SERVICE_CONFIG_H_
#define ORDERPLATFORM_PLATFORM_CONFIG_SERVICE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "platform/config/kafka_config.h"

ABSL_DECLARE_FLAG(std::string, kafka_brokers);
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(int32_t, grpc_port);
ABSL_DECLARE_FLAG(int32_t, metrics_port);
ABSL_DECLARE_FLAG(std::string, consumer_group);
ABSL_DECLARE_FLAG(int64_t, dependency_wait_ms);
ABSL_DECLARE_FLAG(std::string, kafka_config);
ABSL_DECLARE_FLAG(std::string, redis_password);
ABSL_DECLARE_FLAG(std::string, admin_token);
ABSL_DECLARE_FLAG(std::string, grpc_tls_cert);
ABSL_DECLARE_FLAG(std::string, grpc_tls_key);
ABSL_DECLARE_FLAG(std::string, grpc_tls_client_ca);

namespace orderplatform::config {

// What differs between services.
struct ServiceDefaults {
  std::string consumer_group;  // e.g. "orderplatform.inventory"
  int grpc_port = 0;           // used when neither --grpc_port nor GRPC_PORT is given
};

// ServiceConfig::metrics_port when /metrics is not served.
inline constexpr int kMetricsOff = -1;

struct ServiceConfig {
  std::string kafka_brokers;   // "host:port[,host:port...]"
  std::string redis_address;   // "host:port"
  int grpc_port = 0;           // 0: pick a free port and print grpc_port=N
  // Prometheus /metrics over HTTP. kMetricsOff (the default): not served, so several instances
  // on one machine never collide on a fixed port; 0: pick a free port and print metrics_port=N.
  int metrics_port = kMetricsOff;
  std::string consumer_group;
  absl::Duration dependency_wait;  // how long a dependency may be unreachable at start-up

  // Secrets: never log them or put them into a message.
  std::string redis_password;  // empty: no AUTH
  std::string admin_token;     // empty: admin RPCs are refused (PERMISSION_DENIED)
  KafkaConfigList kafka_config;  // extra librdkafka settings; values may be secrets

  // PEM files; all empty: plaintext gRPC. Cert and key go together; a client CA makes it mutual.
  std::string grpc_tls_cert_path;
  std::string grpc_tls_key_path;
  std::string grpc_tls_client_ca_path;
};

// An admin token shorter than this is refused: it guards stock and payment behaviour, so it must
// not be guessable (`openssl rand -hex 16` makes a good one).
inline constexpr size_t kAdminTokenLengthMin = 16;

// The value a setting takes: the flag when it is set (non-empty), else the environment variable
// when it is set and non-empty, else `fallback`. Flags default to empty so that "not given" is
// visible (this abseil does not expose whether a flag was on the command line). Pure, for tests.
std::string ResolveSetting(absl::string_view flag_value, std::optional<absl::string_view> env_value,
                           absl::string_view fallback);

// Reads the flags (after absl::ParseCommandLine) and the environment. INVALID_ARGUMENT with a
// one-line reason when a value is malformed (e.g. GRPC_PORT=abc, a TLS key without its
// certificate or an unreadable TLS file, a short admin token, a --kafka_config key the platform
// fixes). The reason never contains a secret.
absl::StatusOr<ServiceConfig> LoadServiceConfig(const ServiceDefaults& defaults);

// Overwrites, in place, the values of --redis_password, --admin_token and --kafka_config in the
// process's argv (after absl::ParseCommandLine has copied them), so that `ps` and /proc/PID/cmdline
// show stars from then on. It narrows the exposure, it does not close it: the values are visible
// from exec() until this runs, which is why the environment variables are the recommended way.
void HideSecretFlagValues(int argc, char* argv[]);

}  // namespace orderplatform::config

#endif  // ORDERPLATFORM_PLATFORM_CONFIG_SERVICE_CONFIG_H_
