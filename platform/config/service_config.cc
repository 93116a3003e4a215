#include "platform/config/service_config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

ABSL_FLAG(std::string, kafka_brokers, "",
          "Kafka bootstrap servers, HOST:PORT[,...]. Not given: KAFKA_BROKERS, else localhost:9092.");
ABSL_FLAG(std::string, redis, "",
          "Redis server, HOST:PORT. Not given: REDIS_ADDR, else localhost:6379.");
ABSL_FLAG(int32_t, grpc_port, -1,
          "gRPC listen port; 0 picks a free port and prints grpc_port=N. -1: GRPC_PORT, else the "
          "service's default port.");
ABSL_FLAG(int32_t, metrics_port, -1,
          "Port of the Prometheus /metrics HTTP endpoint; 0 picks a free port and prints "
          "metrics_port=N. -1: METRICS_PORT, else not served (METRICS_PORT=-1 turns it off "
          "where an image sets it).");
ABSL_FLAG(std::string, consumer_group, "",
          "Kafka consumer group; empty means the service's default (orderplatform.<service>).");
ABSL_FLAG(int64_t, dependency_wait_ms, 15000,
          "How long Kafka or Redis may be unreachable at start-up before the service refuses to "
          "start.");
ABSL_FLAG(std::string, kafka_config, "",
          "Extra librdkafka settings for every Kafka client (SASL, SSL, timeouts), "
          "key=value,key=value; \\, is a comma inside a value. Not given: KAFKA_CONFIG. Values "
          "may be secrets: prefer KAFKA_CONFIG, command lines show in ps. Settings that carry the "
          "delivery guarantees (enable.idempotence, acks, ...) are refused.");
ABSL_FLAG(std::string, redis_password, "",
          "Redis password (AUTH). Not given: REDIS_PASSWORD, which is recommended: command lines "
          "show in ps. Empty: no AUTH.");
ABSL_FLAG(std::string, admin_token, "",
          "Token that admin RPCs (InventoryService.SetStock, PaymentService.SetBehavior) must "
          "send as `authorization: Bearer <token>` metadata; at least 16 printable characters. "
          "Not given: ADMIN_TOKEN, which is recommended. Neither: admin RPCs are refused.");
ABSL_FLAG(std::string, grpc_tls_cert, "",
          "PEM certificate chain for gRPC over TLS (with --grpc_tls_key). Not given: "
          "GRPC_TLS_CERT. Neither: plaintext gRPC.");
ABSL_FLAG(std::string, grpc_tls_key, "",
          "PEM private key for gRPC over TLS (with --grpc_tls_cert). Not given: GRPC_TLS_KEY.");
ABSL_FLAG(std::string, grpc_tls_client_ca, "",
          "PEM CA certificates; when given, every gRPC client must present a certificate they "
          "signed (mutual TLS). Needs --grpc_tls_cert. Not given: GRPC_TLS_CLIENT_CA.");

namespace orderplatform::config {
namespace {

std::optional<absl::string_view> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return absl::string_view(value);
}

// Header-safe (gRPC metadata values are printable ASCII) and without spaces, so that
// "Bearer <token>" splits in exactly one place.
bool IsTokenChar(char c) { return c > ' ' && c < 0x7f; }

absl::Status CheckAdminToken(absl::string_view token) {
  if (token.empty()) return absl::OkStatus();
  if (token.size() < kAdminTokenLengthMin ||
      !std::all_of(token.begin(), token.end(), IsTokenChar)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the admin token (--admin_token/ADMIN_TOKEN) must be at least ",
                     kAdminTokenLengthMin, " printable ASCII characters without spaces"));
  }
  return absl::OkStatus();
}

absl::Status CheckTlsPaths(const ServiceConfig& config) {
  if (config.grpc_tls_cert_path.empty() != config.grpc_tls_key_path.empty()) {
    return absl::InvalidArgumentError(
        "--grpc_tls_cert (GRPC_TLS_CERT) and --grpc_tls_key (GRPC_TLS_KEY) go together");
  }
  if (!config.grpc_tls_client_ca_path.empty() && config.grpc_tls_cert_path.empty()) {
    return absl::InvalidArgumentError(
        "--grpc_tls_client_ca (GRPC_TLS_CLIENT_CA) needs --grpc_tls_cert and --grpc_tls_key");
  }
  // A wrong path is the common mistake; found here, it is reported before the service waits for
  // Redis and Kafka. The contents are checked when the gRPC server starts.
  for (const auto& [flag, path] : {std::pair{"--grpc_tls_cert", &config.grpc_tls_cert_path},
                                   std::pair{"--grpc_tls_key", &config.grpc_tls_key_path},
                                   std::pair{"--grpc_tls_client_ca",
                                             &config.grpc_tls_client_ca_path}}) {
    if (!path->empty() && access(path->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read the ", flag, " file ", *path, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

bool IsSecretFlag(absl::string_view name) {
  return name == "redis_password" || name == "admin_token" || name == "kafka_config";
}

void Mask(char* value) { std::memset(value, '*', std::strlen(value)); }

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

  const int32_t metrics_flag = absl::GetFlag(FLAGS_metrics_port);
  std::string metrics_text =
      ResolveSetting(metrics_flag >= 0 ? absl::StrCat(metrics_flag) : "", Env("METRICS_PORT"),
                     absl::StrCat(kMetricsOff));
  int metrics_port = 0;
  if (!absl::SimpleAtoi(metrics_text, &metrics_port) || metrics_port < kMetricsOff ||
      metrics_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metrics port '", metrics_text, "'"));
  }
  if (metrics_port > 0 && metrics_port == config.grpc_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("the metrics port and the gRPC port are both ", metrics_port));
  }
  config.metrics_port = metrics_port;

  config.consumer_group = absl::GetFlag(FLAGS_consumer_group).empty()
                              ? defaults.consumer_group
                              : absl::GetFlag(FLAGS_consumer_group);
  config.dependency_wait = absl::Milliseconds(absl::GetFlag(FLAGS_dependency_wait_ms));

  config.redis_password = ResolveSetting(absl::GetFlag(FLAGS_redis_password),
                                         Env("REDIS_PASSWORD"), "");
  config.admin_token = ResolveSetting(absl::GetFlag(FLAGS_admin_token), Env("ADMIN_TOKEN"), "");
  if (absl::Status valid = CheckAdminToken(config.admin_token); !valid.ok()) return valid;
  absl::StatusOr<KafkaConfigList> kafka_config =
      ParseKafkaConfig(ResolveSetting(absl::GetFlag(FLAGS_kafka_config), Env("KAFKA_CONFIG"), ""));
  if (!kafka_config.ok()) return kafka_config.status();
  config.kafka_config = *std::move(kafka_config);

  config.grpc_tls_cert_path =
      ResolveSetting(absl::GetFlag(FLAGS_grpc_tls_cert), Env("GRPC_TLS_CERT"), "");
  config.grpc_tls_key_path =
      ResolveSetting(absl::GetFlag(FLAGS_grpc_tls_key), Env("GRPC_TLS_KEY"), "");
  config.grpc_tls_client_ca_path =
      ResolveSetting(absl::GetFlag(FLAGS_grpc_tls_client_ca), Env("GRPC_TLS_CLIENT_CA"), "");
  if (absl::Status valid = CheckTlsPaths(config); !valid.ok()) return valid;
  return config;
}

void HideSecretFlagValues(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") return;  // abseil reads no flags after it
    absl::string_view name = arg;
    // abseil accepts both --name and -name.
    if (!absl::ConsumePrefix(&name, "--") && !absl::ConsumePrefix(&name, "-")) continue;
    const size_t equals = name.find('=');
    if (!IsSecretFlag(name.substr(0, equals))) continue;
    if (equals != absl::string_view::npos) {
      Mask(argv[i] + (arg.size() - name.size()) + equals + 1);
    } else if (i + 1 < argc) {
      Mask(argv[++i]);  // "--name value"
    }
  }
}

}  // namespace orderplatform::config
