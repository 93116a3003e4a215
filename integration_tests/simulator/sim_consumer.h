// One service's consumer-group member in the simulator: the real BatchHandler, fed from the
// in-memory topics, with a committed offset per topic partition (Kafka's convention: the next
// offset to read).
//
// It keeps the contract of platform/kafka/consumer.h: the committed offset of a batch advances
// only after the handler returned OK and every event it returned was appended to the logs (the
// simulator's "acknowledged by the broker"). The simulator also makes it misbehave the way real
// members do, each on purpose and one at a time:
//   Deliver            the normal path: next batch from the committed offset, effects, commit.
//   CrashAfterEffect   handler ran, only a prefix of its events reached the broker, no commit:
//                      the restarted member gets the same messages again.
//   Redeliver          an older batch once more, the cursor unchanged (a zombie member after a
//                      rebalance, or the redelivery after a commit that was lost).
//   Rewind             the committed offset goes back (auto-commit lagged behind a crash): all
//                      later messages come again.
//
//   SimConsumer inventory("inventory", {"orders.v1", "payments.v1"}, &handler, &topics);
//   absl::StatusOr<int> handled = inventory.Deliver({"orders.v1", 0}, /*count_max=*/3);
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_CONSUMER_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_CONSUMER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "integration_tests/simulator/in_memory_topics.h"
#include "platform/kafka/consumer.h"

namespace orderplatform::simulator {

class SimConsumer {
 public:
  // `handler` and `topics` are not owned. `commit_before_effect_for_testing` turns the member
  // into a broken one that commits a batch before handling it, so a crash skips the batch: the
  // simulator's own tests use it to prove that such a consumer is caught.
  SimConsumer(std::string name, std::vector<std::string> subscribed, kafka::BatchHandler* handler,
              InMemoryTopics* topics, bool commit_before_effect_for_testing = false);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& subscribed() const { return subscribed_; }

  int64_t committed(const kafka::TopicPartition& partition) const;
  // Records between the committed offset and the end of the log.
  int64_t Lag(const kafka::TopicPartition& partition) const;
  // Every subscribed partition, in a fixed order (topic as subscribed, then partition).
  std::vector<kafka::TopicPartition> Partitions() const;

  // Each returns how many messages the handler was given (0: nothing to do). An error is the
  // handler's (the batch is then not committed, as the real consumer rewinds and retries).
  absl::StatusOr<int> Deliver(const kafka::TopicPartition& partition, int count_max);
  absl::StatusOr<int> CrashAfterEffect(const kafka::TopicPartition& partition, int count_max,
                                       int events_acked);
  absl::StatusOr<int> Redeliver(const kafka::TopicPartition& partition, int64_t from,
                                int count_max);
  void Rewind(const kafka::TopicPartition& partition, int64_t to);

  int64_t messages_handled() const { return messages_handled_; }

 private:
  using Key = std::pair<std::string, int32_t>;
  static Key KeyOf(const kafka::TopicPartition& partition) {
    return {partition.topic, partition.partition};
  }
  // Runs the handler on `batch` and appends the first `events_acked` of its events (all, when
  // negative). Returns how many events the handler returned.
  absl::StatusOr<size_t> Handle(const std::vector<kafka::ConsumedMessage>& batch,
                                int events_acked);

  const std::string name_;
  const std::vector<std::string> subscribed_;
  kafka::BatchHandler* const handler_;
  InMemoryTopics* const topics_;
  const bool commit_before_effect_;
  std::map<Key, int64_t> committed_;
  int64_t messages_handled_ = 0;
};

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_CONSUMER_H_
