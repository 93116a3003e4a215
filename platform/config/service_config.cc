#include "platform/config/service_config.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, kafka_brokers, "",
          "Kafka bootstrap servers, HOST:PORT[,...]. Not given: KAFKA_BROKERS, else localhost:9092.");
ABSL_FLAG(std::string, redis, "",
          "Redis server, HOST:PORT. Not given: REDIS_ADDR, else localhost:6379.");
ABSL_FLAG(int32_t, grpc_port, -1,
          "gRPC listen port; 0 picks a free port and prints grpc_port=N. -1: GRPC_PORT, else the "
          "service's default port.");
ABSL_FLAG(std::string, consumer_group, "",
          "Kafka consumer group; empty means the service's default (orderplatform.<service>).");
ABSL_FLAG(int64_t, dependency_wait_ms, 15000,
          "How long Kafka or Redis may be unreachable at start-up before the service refuses to "
          "start.");

namespace orderplatform::config {
namespace {

std::optional<absl::string_view> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return absl::string_view(value);
}

}  // namespace

std::string ResolveSetting(absl::string_view flag_value, std::optional<absl::string_view> env_value,
                           absl::string_view fallback) {
  if (!flag_value.empty()) return std::string(flag_value);
  if (env_value.has_value() && !env_value->empty()) return std::string(*env_value);
  return std::string(fallback);
}

absl::StatusOr<ServiceConfig> LoadServiceConfig(const ServiceDefaults& defaults) {
  ServiceConfig config;
  config.kafka_brokers = ResolveSetting(absl::GetFlag(FLAGS_kafka_brokers), Env("KAFKA_BROKERS"),
                                        "localhost:9092");
  config.redis_address =
      ResolveSetting(absl::GetFlag(FLAGS_redis), Env("REDIS_ADDR"), "localhost:6379");

  const int32_t port_flag = absl::GetFlag(FLAGS_grpc_port);
  std::string port_text =
      ResolveSetting(port_flag >= 0 ? absl::StrCat(port_flag) : "", Env("GRPC_PORT"),
                     absl::StrCat(defaults.grpc_port));
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid gRPC port '", port_text, "'"));
  }
  config.grpc_port = port;

  config.consumer_group = absl::GetFlag(FLAGS_consumer_group).empty()
                              ? defaults.consumer_group
                              : absl::GetFlag(FLAGS_consumer_group);
  config.dependency_wait = absl::Milliseconds(absl::GetFlag(FLAGS_dependency_wait_ms));
  return config;
}

}  // namespace orderplatform::config
