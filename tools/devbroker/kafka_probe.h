// Small synchronous Kafka clients (librdkafka) for tests that observe a broker from the outside:
// fetch metadata, send one message and time it, consume through a consumer group and commit, read
// committed offsets, read a partition. Each call has a deadline; none retries on its own beyond
// what the given client configuration allows.
//
//   auto producer = Producer::Create(bootstrap, {{"acks", "all"}}).value();
//   Producer::Delivery d = producer->Send("orders.v1", 0, "o-1", "v", absl::Seconds(5)).value();
//   EXPECT_EQ(d.error, RD_KAFKA_RESP_ERR_NO_ERROR);
//   auto messages = ConsumeWithGroup(bootstrap, "g", "orders.v1", 1, absl::Seconds(10));
#ifndef ORDERPLATFORM_TOOLS_DEVBROKER_KAFKA_PROBE_H_
#define ORDERPLATFORM_TOOLS_DEVBROKER_KAFKA_PROBE_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orderplatform::devbroker::probe {

// librdkafka configuration properties, applied after the probe's defaults.
using ClientConfig = std::map<std::string, std::string>;

struct ClusterMetadata {
  std::map<int32_t, std::string> brokers;               // broker id -> "host:port"
  std::map<std::string, std::vector<int32_t>> leaders;  // topic -> leader id of each partition
};

// Every topic the cluster reports. Fails (e.g. DEADLINE_EXCEEDED) when no bootstrap broker
// answers within `timeout`.
absl::StatusOr<ClusterMetadata> FetchMetadata(const std::string& bootstrap, absl::Duration timeout);

// A producer kept connected between sends, so that a test can time one round trip.
class Producer {
 public:
  struct Delivery {
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;  // from the delivery report
    int32_t partition = -1;
    int64_t offset = -1;
    absl::Duration latency;  // produce call to delivery report
  };

  static absl::StatusOr<std::unique_ptr<Producer>> Create(const std::string& bootstrap,
                                                          const ClientConfig& config = {});
  ~Producer();

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Sends one message to `partition` and waits for its delivery report. A delivery failure is a
  // Delivery with `error` set; DEADLINE_EXCEEDED means no report came within `timeout` (keep
  // `timeout` above the client's message.timeout.ms to always get one).
  absl::StatusOr<Delivery> Send(const std::string& topic, int32_t partition, absl::string_view key,
                                absl::string_view value, absl::Duration timeout);

 private:
  struct Pending {
    bool done = false;
    Delivery delivery;
  };
  explicit Producer(rd_kafka_t* handle) : handle_(handle) {}
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  rd_kafka_t* const handle_;
  // Reports can arrive after Send gave up waiting; their slots live as long as the producer.
  std::deque<Pending> pending_;
};

struct Message {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
};

// Joins `group`, subscribes to `topic`, reads until `count` messages arrived, commits their
// offsets synchronously (OffsetCommit) and leaves the group. Starts at the group's committed
// offsets, or at the beginning where there are none.
absl::StatusOr<std::vector<Message>> ConsumeWithGroup(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic, int count,
                                                      absl::Duration timeout,
                                                      const ClientConfig& config = {});

// The group's committed offset of each partition 0..partitions-1 of `topic` (OffsetFetch through
// the group coordinator); -1001 (RD_KAFKA_OFFSET_INVALID) where nothing was committed.
absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic, int partitions,
                                                      absl::Duration timeout);

// Reads `count` messages of one partition from its beginning, without a consumer group.
absl::StatusOr<std::vector<Message>> ReadPartition(const std::string& bootstrap,
                                                   const std::string& topic, int32_t partition,
                                                   int count, absl::Duration timeout);

}  // namespace orderplatform::devbroker::probe

#endif  // ORDERPLATFORM_TOOLS_DEVBROKER_KAFKA_PROBE_H_
