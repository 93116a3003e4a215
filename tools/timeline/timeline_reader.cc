#include "tools/timeline/timeline_reader.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "platform/events/topics.h"
#include "platform/kafka/topic_reader.h"

namespace orderplatform::timeline {

absl::StatusOr<Timeline> ReadTimeline(const kafka::KafkaOptions& kafka,
                                      const std::string& order_id, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<kafka::ConsumedMessage> records;
  for (const char* topic : {events::kOrdersTopic, events::kInventoryTopic, events::kPaymentsTopic}) {
    // The three reads share the caller's budget.
    absl::StatusOr<std::vector<kafka::ConsumedMessage>> read =
        kafka::ReadTopic(kafka, topic, std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!read.ok()) return read.status();
    for (kafka::ConsumedMessage& record : *read) {
      if (record.key == order_id) records.push_back(std::move(record));
    }
  }
  return BuildTimeline(order_id, records);
}

}  // namespace orderplatform::timeline
