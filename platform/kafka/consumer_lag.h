// Consumer lag per partition from librdkafka's statistics (the JSON its stats callback receives
// every statistics.interval.ms; see librdkafka's STATISTICS.md): how many messages of each
// assigned partition the group has not committed yet. Pure, so it is tested on JSON text.
//
//   absl::StatusOr<std::vector<PartitionLag>> lags = ParseConsumerLag(json);
//   // {{"orders.v1", 0, 12}, {"orders.v1", 1, 0}, ...}
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_LAG_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_LAG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orderplatform::kafka {

struct PartitionLag {
  std::string topic;
  int32_t partition = -1;
  int64_t lag = 0;  // messages

  bool operator==(const PartitionLag& other) const {
    return topic == other.topic && partition == other.partition && lag == other.lag;
  }
};

// Each partition's `consumer_lag`: the partition's end (high watermark) minus the group's
// committed offset, as this client last saw them; what `kafka-consumer-groups --describe` shows.
// Before the group's first commit on a partition librdkafka reports -1 there, and the lag of the
// offset this consumer stored (`consumer_lag_stored`) is taken instead; with neither, the whole
// partition (`hi_offset - lo_offset`), since the platform's consumers start a partition the group
// never committed at its first retained message (auto.offset.reset=earliest). A partition whose
// end is not known yet and librdkafka's internal partition -1 are left out. Sorted by topic and
// partition. INVALID_ARGUMENT when the text is not a JSON object.
absl::StatusOr<std::vector<PartitionLag>> ParseConsumerLag(absl::string_view stats_json);

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_LAG_H_
