#include "integration_tests/topic_probe.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::integration {
namespace {

const char* const kSagaTopics[] = {events::kOrdersTopic, events::kInventoryTopic,
                                   events::kPaymentsTopic};

// End offset (last offset + 1) of each partition that has messages.
absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(const std::string& bootstrap,
                                                      const std::string& topic) {
  absl::StatusOr<std::vector<kafka::ConsumedMessage>> messages =
      kafka::testing::ReadTopic(bootstrap, topic, absl::Seconds(20));
  if (!messages.ok()) return messages.status();
  std::map<int32_t, int64_t> end;
  for (const kafka::ConsumedMessage& m : *messages) {
    end[m.partition] = std::max(end[m.partition], m.offset + 1);
  }
  return end;
}

}  // namespace

absl::StatusOr<int> ReproduceAllMessages(const std::string& bootstrap) {
  std::vector<kafka::OutgoingMessage> replay;
  for (const char* topic : kSagaTopics) {
    absl::StatusOr<std::vector<kafka::ConsumedMessage>> messages =
        kafka::testing::ReadTopic(bootstrap, topic, absl::Seconds(20));
    if (!messages.ok()) return messages.status();
    for (const kafka::ConsumedMessage& m : *messages) {
      replay.push_back({.topic = m.topic, .key = m.key, .value = m.value, .headers = m.headers});
    }
  }
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = bootstrap, .client_id = "replayer"});
  if (!producer.ok()) return producer.status();
  absl::Status acked = (*producer)->ProduceAndWait(replay, absl::Seconds(30));
  if (!acked.ok()) return acked;
  return static_cast<int>(replay.size());
}

absl::Status WaitForConsumersCaughtUp(const std::string& bootstrap, absl::Duration timeout,
                                      const std::string& group_suffix) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> groups = {
      {events::kOrderGroup, {events::kInventoryTopic, events::kPaymentsTopic}},
      {events::kInventoryGroup, {events::kOrdersTopic, events::kPaymentsTopic}},
      {events::kPaymentGroup, {events::kInventoryTopic}},
  };
  const absl::Time deadline = absl::Now() + timeout;
  std::string behind;
  while (absl::Now() < deadline) {
    behind.clear();
    for (const auto& [group_base, topics] : groups) {
      const std::string group = group_base + group_suffix;
      for (const std::string& topic : topics) {
        absl::StatusOr<std::map<int32_t, int64_t>> end = EndOffsets(bootstrap, topic);
        absl::StatusOr<std::vector<int64_t>> committed =
            kafka::testing::CommittedOffsets(bootstrap, group, topic, absl::Seconds(10));
        if (!end.ok() || !committed.ok()) {
          behind = "offsets unreadable";
          continue;
        }
        for (const auto& [partition, end_offset] : *end) {
          const int64_t at = partition < static_cast<int32_t>(committed->size())
                                 ? (*committed)[partition] : -1;
          if (at < end_offset) {
            absl::StrAppend(&behind, group, " ", topic, "[", partition, "] at ", at, " of ",
                            end_offset, "; ");
          }
        }
      }
    }
    if (behind.empty()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::DeadlineExceededError(absl::StrCat("consumers behind: ", behind));
}

}  // namespace orderplatform::integration
