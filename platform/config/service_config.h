// Service configuration from flags, with the contract's environment fallbacks for containers.
//
// Every service takes --kafka_brokers, --redis and --grpc_port; where a flag is not given on the
// command line, KAFKA_BROKERS, REDIS_ADDR and GRPC_PORT are read instead. The flags are defined
// once here so that the three services cannot drift apart.
//
//   absl::ParseCommandLine(argc, argv);
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

ABSL_DECLARE_FLAG(std::string, kafka_brokers);
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(int32_t, grpc_port);
ABSL_DECLARE_FLAG(std::string, consumer_group);
ABSL_DECLARE_FLAG(int64_t, dependency_wait_ms);

namespace orderplatform::config {

// What differs between services.
struct ServiceDefaults {
  std::string consumer_group;  // e.g. "orderplatform.inventory"
  int grpc_port = 0;           // used when neither --grpc_port nor GRPC_PORT is given
};

struct ServiceConfig {
  std::string kafka_brokers;   // "host:port[,host:port...]"
  std::string redis_address;   // "host:port"
  int grpc_port = 0;           // 0: pick a free port and print grpc_port=N
  std::string consumer_group;
  absl::Duration dependency_wait;  // how long a dependency may be unreachable at start-up
};

// The value a setting takes: the flag when it is set (non-empty), else the environment variable
// when it is set and non-empty, else `fallback`. Flags default to empty so that "not given" is
// visible (this abseil does not expose whether a flag was on the command line). Pure, for tests.
std::string ResolveSetting(absl::string_view flag_value, std::optional<absl::string_view> env_value,
                           absl::string_view fallback);

// Reads the flags (after absl::ParseCommandLine) and the environment. INVALID_ARGUMENT with a
// one-line reason when a value is malformed (e.g. GRPC_PORT=abc).
absl::StatusOr<ServiceConfig> LoadServiceConfig(const ServiceDefaults& defaults);

}  // namespace orderplatform::config

#endif  // ORDERPLATFORM_PLATFORM_CONFIG_SERVICE_CONFIG_H_
