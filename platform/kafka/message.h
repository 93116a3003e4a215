// The messages that cross the Kafka boundary, as plain values: what a consumer hands to a
// BatchHandler (ConsumedMessage) and what a handler or service asks the Producer to send
// (OutgoingMessage). They own their bytes, so they outlive the librdkafka buffers they came from.
//
//   OutgoingMessage out{.topic = "orders.v1", .key = order_id, .value = event.SerializeAsString(),
//                       .headers = {{"correlation_id", request_id}}};
//   producer->ProduceAsync(std::move(out), [](absl::Status s) { ... });
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_MESSAGE_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_MESSAGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace orderplatform::kafka {

// A Kafka record header. Kafka allows repeated keys; order is preserved.
struct Header {
  std::string key;
  std::string value;  // a null header value arrives as ""
};

struct ConsumedMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;    // a null key arrives as ""
  std::string value;  // the raw bytes; never log them
  std::vector<Header> headers;
  int64_t timestamp_ms = -1;  // -1 when the broker gave none
};

struct OutgoingMessage {
  std::string topic;
  std::string key;  // "" is sent as a null key (the partitioner then picks a partition)
  std::string value;
  std::vector<Header> headers;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_MESSAGE_H_
