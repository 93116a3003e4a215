// Read-only probes of a cluster for operators' tools and tests: every message of a topic up to
// its end as of the call, and a consumer group's committed offsets. Neither joins a group nor
// commits anything, so they never disturb the services' consumers.
//
//   absl::StatusOr<std::vector<ConsumedMessage>> messages =
//       ReadTopic({.brokers = "127.0.0.1:9092", .client_id = "orderctl"}, "orders.v1",
//                 absl::Seconds(10));
//   absl::StatusOr<std::vector<int64_t>> committed =
//       CommittedOffsets(kafka, "orderplatform.inventory", "orders.v1", absl::Seconds(5));
//
// ReadTopic scans the whole topic: meant for development stacks and tools, not for a hot path.
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_TOPIC_READER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_TOPIC_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/kafka/message.h"
#include "platform/kafka/options.h"

namespace orderplatform::kafka {

// Every message of `topic` (all partitions) below the end offsets as of the call, in partition
// then offset order. NOT_FOUND for a topic the cluster does not have; UNAVAILABLE when the
// cluster cannot be reached; DEADLINE_EXCEEDED if not all could be read within `timeout`.
absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(const KafkaOptions& kafka,
                                                       const std::string& topic,
                                                       absl::Duration timeout);

// `group`'s committed offset for each partition of `topic` (index = partition), -1 where the
// group has committed nothing. Read with OffsetFetch, without joining the group.
absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const KafkaOptions& kafka,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      absl::Duration timeout);

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_TOPIC_READER_H_
