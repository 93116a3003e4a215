// Internal glue between the platform's Kafka types and librdkafka's C API, shared by the
// producer, the consumer and the test fixture: building a configuration from KafkaOptions,
// routing librdkafka's own logs into the structured logger, and copying a consumed record.
// Not part of the public API (the BUILD target is private to platform/kafka).
//
//   ASSIGN_OR_RETURN(ConfPtr conf, BuildConfig(options, {{"acks", "all"}}, {"acks"}));
//   ASSIGN_OR_RETURN(rd_kafka_t* rk, NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_RDKAFKA_UTIL_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_RDKAFKA_UTIL_H_

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/kafka/message.h"
#include "platform/kafka/options.h"

namespace orderplatform::kafka::internal {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
// Owns a configuration until rd_kafka_new() takes it over.
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

using ConfigList = std::vector<std::pair<std::string, std::string>>;

// bootstrap.servers and client.id from `options`, then `defaults`, then options.extra_config
// (so operators can tune the defaults). An extra key listed in `reserved_keys` is refused with
// INVALID_ARGUMENT: those settings carry the delivery guarantees. Also routes librdkafka's logs
// to platform/log.
absl::StatusOr<ConfPtr> BuildConfig(const KafkaOptions& options, const ConfigList& defaults,
                                    const std::vector<std::string>& reserved_keys);

// rd_kafka_new(); takes `conf` only on success, as librdkafka does.
absl::StatusOr<rd_kafka_t*> NewClient(rd_kafka_type_t type, ConfPtr conf);

// Copies key, value, headers and position out of a librdkafka message (which must have no error).
ConsumedMessage ToConsumedMessage(const rd_kafka_message_t& message);

// "topic[partition]" for logs.
std::string PartitionName(absl::string_view topic, int32_t partition);

}  // namespace orderplatform::kafka::internal

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_RDKAFKA_UTIL_H_
