// How to reach Kafka: shared by the Producer and the BatchConsumer, filled from the services'
// --kafka_brokers / KAFKA_BROKERS and --kafka_config flags.
//
//   KafkaOptions kafka{.brokers = "127.0.0.1:9092", .client_id = "inventory",
//                      .extra_config = {{"security.protocol", "SASL_SSL"}}};
//   auto producer = Producer::Create(kafka);
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_OPTIONS_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_OPTIONS_H_

#include <string>
#include <utility>
#include <vector>

namespace orderplatform::kafka {

struct KafkaOptions {
  std::string brokers;    // bootstrap.servers: "host:port[,host:port...]"
  std::string client_id;  // client.id, shows up in broker logs and metrics
  // Passed straight to librdkafka after the platform's defaults (so it can tune them, e.g. SASL,
  // SSL, timeouts). Keys that would break the delivery guarantees are refused at Create().
  // Values may be secrets: they are never logged.
  std::vector<std::pair<std::string, std::string>> extra_config;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_OPTIONS_H_
