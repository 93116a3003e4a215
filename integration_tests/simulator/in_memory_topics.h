// Kafka topics as the simulator keeps them: append-only logs, one per topic partition, with
// offsets from 0, and the partition chosen by a stable hash of the key (every event of one
// order lands in one partition, in the order it was produced, as with Kafka's keyed
// partitioning). Nothing is ever removed, so a fresh cursor can re-read a topic from offset 0.
//
// SimPublisher is the kafka::Publisher the order outbox and the expiry sweeper get in the
// simulator. It appends and reports the acknowledgement, unless a failure was armed for its next
// call: then only a prefix of the messages reaches the log and the call fails with UNAVAILABLE,
// as a crash or a lost acknowledgement would leave it.
//
//   InMemoryTopics topics(/*partitions=*/2, [&] { return clock_ms; });
//   const kafka::ConsumedMessage& stored = topics.Append(message);   // offset assigned
//   std::vector<kafka::ConsumedMessage> batch = topics.Read("orders.v1", 0, /*from=*/3, /*n=*/2);
//   SimPublisher publisher(&topics);
//   publisher.FailNext(/*acked=*/0);   // the next ProduceAndWait loses everything
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_IN_MEMORY_TOPICS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_IN_MEMORY_TOPICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "platform/kafka/message.h"
#include "platform/kafka/publisher.h"

namespace orderplatform::simulator {

// FNV-1a of the key, modulo `partitions`: stable across runs and builds (std::hash is not).
int PartitionFor(absl::string_view key, int partitions);

class InMemoryTopics {
 public:
  // Every topic (the dead-letter topics too) gets `partitions` partitions. `now_ms` stamps
  // each record's timestamp.
  InMemoryTopics(int partitions, std::function<int64_t()> now_ms);

  // Appends to the key's partition and returns the stored record (valid until the next Append).
  const kafka::ConsumedMessage& Append(const kafka::OutgoingMessage& message);

  int partitions() const { return partitions_; }
  // The offset the next record of the partition will get (0 for an empty or unknown one).
  int64_t EndOffset(const std::string& topic, int partition) const;
  // Up to `count` records from offset `from` (fewer at the end of the log).
  std::vector<kafka::ConsumedMessage> Read(const std::string& topic, int partition, int64_t from,
                                           int64_t count) const;
  // Every topic that has had a record, sorted by name.
  std::vector<std::string> TopicNames() const;
  int64_t RecordCount(const std::string& topic) const;
  int64_t TotalRecords() const { return total_records_; }

 private:
  const int partitions_;
  const std::function<int64_t()> now_ms_;
  std::map<std::string, std::vector<std::vector<kafka::ConsumedMessage>>> logs_;
  int64_t total_records_ = 0;
};

class SimPublisher : public kafka::Publisher {
 public:
  explicit SimPublisher(InMemoryTopics* topics) : topics_(topics) {}

  // The next ProduceAndWait appends only its first `acked` messages and fails (UNAVAILABLE).
  // Armed until a call consumes it or Disarm() (after the step that armed it, so that an armed
  // failure never leaks into a later, unrelated step).
  void FailNext(int acked) { fail_next_acked_ = acked; }
  void Disarm() { fail_next_acked_.reset(); }

  absl::Status ProduceAndWait(const std::vector<kafka::OutgoingMessage>& messages,
                              absl::Duration timeout) override;

 private:
  InMemoryTopics* topics_;
  std::optional<int> fail_next_acked_;
};

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_IN_MEMORY_TOPICS_H_
