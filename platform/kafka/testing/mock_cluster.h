// Test-only: a real Kafka-protocol broker inside the test process (librdkafka's mock cluster),
// on free localhost ports, gone with the object; plus two read-only probes tests need: the
// messages of a topic and a group's committed offsets.
//
//   ASSERT_OK_AND_ASSIGN(auto cluster, MockCluster::Start(/*broker_count=*/3));
//   ASSERT_TRUE(cluster->CreateTopic("orders.v1", /*partitions=*/4).ok());
//   KafkaOptions kafka{.brokers = cluster->bootstrap()};
//   rd_kafka_mock_broker_set_down(cluster->mock(), 2);  // fault injection, see rdkafka_mock.h
//   auto messages = ReadTopic(cluster->bootstrap(), "orders.v1.dlq", absl::Seconds(5));
//   auto committed = CommittedOffsets(cluster->bootstrap(), "group", "orders.v1",
//   absl::Seconds(5));
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_TESTING_MOCK_CLUSTER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_TESTING_MOCK_CLUSTER_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/kafka/message.h"

namespace orderplatform::kafka::testing {

class MockCluster {
 public:
  // Brokers get ids 1..broker_count.
  static absl::StatusOr<std::unique_ptr<MockCluster>> Start(int broker_count);
  ~MockCluster();

  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:PORT,..." for KafkaOptions::brokers.
  const std::string& bootstrap() const { return bootstrap_; }

  absl::Status CreateTopic(const std::string& topic, int partitions, int replication_factor = 1);

  // For rdkafka_mock.h's fault injection (broker down, partition leaders, coordinators).
  rd_kafka_mock_cluster_t* mock() const { return cluster_; }

 private:
  MockCluster() = default;

  rd_kafka_t* rk_ = nullptr;  // the mock cluster's required owner handle; does nothing else
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

// kafka::ReadTopic (topic_reader.h) for a test's cluster: every message of `topic` (all
// partitions) below the end offsets as of the call, in partition then offset order.
// DEADLINE_EXCEEDED if they cannot all be read within `timeout`.
absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(const std::string& bootstrap,
                                                       const std::string& topic,
                                                       absl::Duration timeout);

// `group`'s committed offset for each partition of `topic` (index = partition), -1 where the
// group has committed nothing. Read with OffsetFetch, without joining the group.
absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      absl::Duration timeout);

}  // namespace orderplatform::kafka::testing

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_TESTING_MOCK_CLUSTER_H_
