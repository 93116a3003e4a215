#include "platform/service/startup.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "platform/log/log.h"

namespace orderplatform::service {
namespace {

// Sets one property. The message names the key but never the value (librdkafka's own message
// quotes it): values may be secrets.
absl::Status SetKafkaProperty(rd_kafka_conf_t* conf, const std::string& key,
                              const std::string& value) {
  char error[512];
  switch (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error))) {
    case RD_KAFKA_CONF_OK:
      return absl::OkStatus();
    case RD_KAFKA_CONF_UNKNOWN:
      return absl::InvalidArgumentError(absl::StrCat("unknown librdkafka property ", key));
    case RD_KAFKA_CONF_INVALID:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid value for librdkafka property ", key));
}

// Values shorter than this are not secrets, and replacing them would garble the message.
constexpr size_t kRedactedValueLengthMin = 4;

// librdkafka's rd_kafka_new() messages are its own; a setting's value could appear in one.
std::string Redacted(std::string message, const kafka::KafkaOptions& kafka) {
  for (const auto& [key, value] : kafka.extra_config) {
    if (value.size() >= kRedactedValueLengthMin) {
      message = absl::StrReplaceAll(message, {{value, absl::StrCat("<", key, ">")}});
    }
  }
  return message;
}

}  // namespace

void ExitWithReason(absl::string_view service, absl::string_view reason) {
  log::LogError("startup_failed", {{"service", service}, {"reason", reason}});
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(service.size()), service.data(),
               static_cast<int>(reason.size()), reason.data());
  std::exit(1);
}

absl::Status WaitForKafka(const kafka::KafkaOptions& kafka, absl::Duration max_wait) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  absl::Status configured = SetKafkaProperty(conf, "bootstrap.servers", kafka.brokers);
  if (configured.ok() && !kafka.client_id.empty()) {
    configured = SetKafkaProperty(conf, "client.id", kafka.client_id);
  }
  for (const auto& [key, value] : kafka.extra_config) {
    if (configured.ok()) configured = SetKafkaProperty(conf, key, value);
  }
  if (!configured.ok()) {
    rd_kafka_conf_destroy(conf);
    return configured;
  }
  // The outcome is reported below, so this short-lived client logs nothing, not even with a
  // `debug` setting among the operator's.
  rd_kafka_conf_set(conf, "log_level", "0", nullptr, 0);
  rd_kafka_conf_set_log_cb(conf, nullptr);
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka client: ", Redacted(error, kafka)));
  }
  const absl::Time deadline = absl::Now() + max_wait;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TRANSPORT;
  // Each attempt is bounded by the time left, so the whole wait is bounded by max_wait.
  while (absl::Now() < deadline) {
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(100, absl::ToInt64Milliseconds(deadline - absl::Now())));
    const rd_kafka_metadata_t* metadata = nullptr;
    err = rd_kafka_metadata(rk, /*all_topics=*/0, nullptr, &metadata, std::min(timeout_ms, 2000));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      break;
    }
  }
  rd_kafka_destroy(rk);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka at ", kafka.brokers, " unreachable for ",
                                               absl::FormatDuration(max_wait), ": ",
                                               rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

kafka::KafkaOptions KafkaOptionsFor(const config::ServiceConfig& config,
                                    absl::string_view service) {
  kafka::KafkaOptions options;
  options.brokers = config.kafka_brokers;
  options.client_id = absl::StrCat("orderplatform-", service);
  options.extra_config = config.kafka_config;
  return options;
}

absl::StatusOr<redis::RedisOptions> RedisOptionsFor(const config::ServiceConfig& config) {
  absl::StatusOr<redis::RedisOptions> options = redis::ParseRedisAddress(config.redis_address);
  if (!options.ok()) return options.status();
  options->password = config.redis_password;
  return options;
}

grpc_server::GrpcServerOptions GrpcServerOptionsFor(const config::ServiceConfig& config,
                                                    metrics::Registry* metrics) {
  return {.port = config.grpc_port,
          .tls = {.cert_path = config.grpc_tls_cert_path,
                  .key_path = config.grpc_tls_key_path,
                  .client_ca_path = config.grpc_tls_client_ca_path},
          .metrics = metrics};
}

std::unique_ptr<redis::RedisClient> ConnectRedisOrExit(absl::string_view service,
                                                       const config::ServiceConfig& config) {
  absl::StatusOr<redis::RedisOptions> options = RedisOptionsFor(config);
  if (!options.ok()) ExitWithReason(service, options.status().message());
  absl::StatusOr<std::unique_ptr<redis::RedisClient>> client =
      redis::RedisClient::Connect(*options, config.dependency_wait);
  if (!client.ok()) ExitWithReason(service, client.status().message());
  return *std::move(client);
}

void WaitForKafkaOrExit(absl::string_view service, const config::ServiceConfig& config) {
  absl::Status status = WaitForKafka(KafkaOptionsFor(config, service), config.dependency_wait);
  if (!status.ok()) ExitWithReason(service, status.message());
}

}  // namespace orderplatform::service
