#include "integration_tests/simulator/sim_consumer.h"

#include <algorithm>

namespace orderplatform::simulator {

SimConsumer::SimConsumer(std::string name, std::vector<std::string> subscribed,
                         kafka::BatchHandler* handler, InMemoryTopics* topics,
                         bool commit_before_effect_for_testing)
    : name_(std::move(name)),
      subscribed_(std::move(subscribed)),
      handler_(handler),
      topics_(topics),
      commit_before_effect_(commit_before_effect_for_testing) {}

int64_t SimConsumer::committed(const kafka::TopicPartition& partition) const {
  auto it = committed_.find(KeyOf(partition));
  return it == committed_.end() ? 0 : it->second;
}

int64_t SimConsumer::Lag(const kafka::TopicPartition& partition) const {
  return topics_->EndOffset(partition.topic, partition.partition) - committed(partition);
}

std::vector<kafka::TopicPartition> SimConsumer::Partitions() const {
  std::vector<kafka::TopicPartition> out;
  for (const std::string& topic : subscribed_) {
    for (int partition = 0; partition < topics_->partitions(); ++partition) {
      out.push_back({topic, partition});
    }
  }
  return out;
}

absl::StatusOr<size_t> SimConsumer::Handle(const std::vector<kafka::ConsumedMessage>& batch,
                                           int events_acked) {
  absl::StatusOr<std::vector<kafka::OutgoingMessage>> events = handler_->Handle(batch);
  if (!events.ok()) return events.status();
  messages_handled_ += static_cast<int64_t>(batch.size());
  const size_t appended =
      events_acked < 0 ? events->size()
                       : std::min(events->size(), static_cast<size_t>(events_acked));
  for (size_t i = 0; i < appended; ++i) topics_->Append((*events)[i]);
  return events->size();
}

absl::StatusOr<int> SimConsumer::Deliver(const kafka::TopicPartition& partition, int count_max) {
  const int64_t from = committed(partition);
  std::vector<kafka::ConsumedMessage> batch =
      topics_->Read(partition.topic, partition.partition, from, count_max);
  if (batch.empty()) return 0;
  absl::StatusOr<size_t> handled = Handle(batch, /*events_acked=*/-1);
  if (!handled.ok()) return handled.status();
  // Only now, with the effects done and every event in the log, may the offset move.
  committed_[KeyOf(partition)] = from + static_cast<int64_t>(batch.size());
  return static_cast<int>(batch.size());
}

absl::StatusOr<int> SimConsumer::CrashAfterEffect(const kafka::TopicPartition& partition,
                                                  int count_max, int events_acked) {
  const int64_t from = committed(partition);
  std::vector<kafka::ConsumedMessage> batch =
      topics_->Read(partition.topic, partition.partition, from, count_max);
  if (batch.empty()) return 0;
  if (commit_before_effect_) {
    // The broken order: the commit is durable, and the crash comes before any effect.
    committed_[KeyOf(partition)] = from + static_cast<int64_t>(batch.size());
    return static_cast<int>(batch.size());
  }
  absl::StatusOr<size_t> handled = Handle(batch, std::max(events_acked, 0));
  if (!handled.ok()) return handled.status();
  return static_cast<int>(batch.size());  // and no commit: the restart re-reads `from`
}

absl::StatusOr<int> SimConsumer::Redeliver(const kafka::TopicPartition& partition, int64_t from,
                                           int count_max) {
  const int64_t end = committed(partition);
  if (from < 0 || from >= end) return 0;
  std::vector<kafka::ConsumedMessage> batch = topics_->Read(
      partition.topic, partition.partition, from, std::min<int64_t>(count_max, end - from));
  if (batch.empty()) return 0;
  absl::StatusOr<size_t> handled = Handle(batch, /*events_acked=*/-1);
  if (!handled.ok()) return handled.status();
  return static_cast<int>(batch.size());
}

void SimConsumer::Rewind(const kafka::TopicPartition& partition, int64_t to) {
  int64_t& offset = committed_[KeyOf(partition)];
  offset = std::clamp<int64_t>(to, 0, offset);
}

}  // namespace orderplatform::simulator
