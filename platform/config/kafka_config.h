// The operator's librdkafka settings (--kafka_config / KAFKA_CONFIG): SASL, SSL, timeouts and
// other tuning that the platform passes to every Kafka client of a service (producer, consumer
// and the start-up check) after its own defaults.
//
//   absl::StatusOr<KafkaConfigList> extra = ParseKafkaConfig(
//       "security.protocol=SASL_SSL,sasl.mechanism=PLAIN,sasl.username=orders,"
//       "sasl.password=s3cr\\,et");                      // "\," is a comma inside a value
//   // -> {{"security.protocol", "SASL_SSL"}, ..., {"sasl.password", "s3cr,et"}}
//
// The settings that carry the platform's delivery guarantees (or that have a flag of their own)
// are refused here, each with a one-line reason, so a service refuses to start before it touches
// a broker. Values may be secrets (sasl.password, ssl.key.password): no message built here ever
// contains a value, only keys and entry positions.
#ifndef ORDERPLATFORM_PLATFORM_CONFIG_KAFKA_CONFIG_H_
#define ORDERPLATFORM_PLATFORM_CONFIG_KAFKA_CONFIG_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orderplatform::config {

// librdkafka properties in the order given; the same shape as kafka::KafkaOptions::extra_config.
using KafkaConfigList = std::vector<std::pair<std::string, std::string>>;

// "key=value,key=value". Keys are trimmed; values are taken verbatim (a password may start with a
// space) and may contain '='; "\," stands for a comma and "\\" for a backslash inside a value.
// Empty entries (a trailing comma) are skipped. INVALID_ARGUMENT, with a one-line reason that
// names at most the key, for an entry without '=', a malformed or repeated key, or a key the
// platform fixes (FixedKafkaKeyReason).
absl::StatusOr<KafkaConfigList> ParseKafkaConfig(absl::string_view text);

// Why the platform does not let `key` be set through --kafka_config, or nullopt when it may be.
std::optional<std::string> FixedKafkaKeyReason(absl::string_view key);

}  // namespace orderplatform::config

#endif  // ORDERPLATFORM_PLATFORM_CONFIG_KAFKA_CONFIG_H_
