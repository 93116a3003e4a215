#include "integration_tests/simulator/in_memory_topics.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace orderplatform::simulator {

int PartitionFor(absl::string_view key, int partitions) {
  assert(partitions > 0);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return static_cast<int>(hash % static_cast<uint64_t>(partitions));
}

InMemoryTopics::InMemoryTopics(int partitions, std::function<int64_t()> now_ms)
    : partitions_(partitions), now_ms_(std::move(now_ms)) {
  assert(partitions_ > 0);
}

const kafka::ConsumedMessage& InMemoryTopics::Append(const kafka::OutgoingMessage& message) {
  std::vector<std::vector<kafka::ConsumedMessage>>& topic = logs_[message.topic];
  if (topic.empty()) topic.resize(partitions_);
  const int partition = PartitionFor(message.key, partitions_);
  std::vector<kafka::ConsumedMessage>& log = topic[partition];
  log.push_back(kafka::ConsumedMessage{.topic = message.topic,
                                       .partition = partition,
                                       .offset = static_cast<int64_t>(log.size()),
                                       .key = message.key,
                                       .value = message.value,
                                       .headers = message.headers,
                                       .timestamp_ms = now_ms_()});
  ++total_records_;
  return log.back();
}

int64_t InMemoryTopics::EndOffset(const std::string& topic, int partition) const {
  auto it = logs_.find(topic);
  if (it == logs_.end() || partition < 0 || partition >= partitions_) return 0;
  return static_cast<int64_t>(it->second[partition].size());
}

std::vector<kafka::ConsumedMessage> InMemoryTopics::Read(const std::string& topic, int partition,
                                                         int64_t from, int64_t count) const {
  std::vector<kafka::ConsumedMessage> out;
  auto it = logs_.find(topic);
  if (it == logs_.end() || partition < 0 || partition >= partitions_ || from < 0) return out;
  const std::vector<kafka::ConsumedMessage>& log = it->second[partition];
  const int64_t end = std::min<int64_t>(static_cast<int64_t>(log.size()), from + count);
  for (int64_t offset = from; offset < end; ++offset) out.push_back(log[offset]);
  return out;
}

std::vector<std::string> InMemoryTopics::TopicNames() const {
  std::vector<std::string> names;
  for (const auto& [name, partitions] : logs_) names.push_back(name);
  return names;
}

int64_t InMemoryTopics::RecordCount(const std::string& topic) const {
  int64_t count = 0;
  for (int partition = 0; partition < partitions_; ++partition) {
    count += EndOffset(topic, partition);
  }
  return count;
}

absl::Status SimPublisher::ProduceAndWait(const std::vector<kafka::OutgoingMessage>& messages,
                                          absl::Duration /*timeout*/) {
  if (!fail_next_acked_.has_value()) {
    for (const kafka::OutgoingMessage& message : messages) topics_->Append(message);
    return absl::OkStatus();
  }
  const size_t acked = std::min(messages.size(), static_cast<size_t>(*fail_next_acked_));
  fail_next_acked_.reset();
  for (size_t i = 0; i < acked; ++i) topics_->Append(messages[i]);
  return absl::UnavailableError("simulated crash before every acknowledgement arrived");
}

}  // namespace orderplatform::simulator
