#include "platform/kafka/consumer_lag.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace orderplatform::kafka {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// The number at `key` of `fields`, or nothing when absent or not a number.
std::optional<int64_t> NumberAt(const Struct& fields, const std::string& key) {
  auto it = fields.fields().find(key);
  if (it == fields.fields().end() || it->second.kind_case() != Value::kNumberValue) {
    return std::nullopt;
  }
  const double number = it->second.number_value();
  if (!std::isfinite(number)) return std::nullopt;
  return static_cast<int64_t>(number);
}

const Struct* ObjectAt(const Struct& fields, const std::string& key) {
  auto it = fields.fields().find(key);
  if (it == fields.fields().end() || it->second.kind_case() != Value::kStructValue) {
    return nullptr;
  }
  return &it->second.struct_value();
}

}  // namespace

absl::StatusOr<std::vector<PartitionLag>> ParseConsumerLag(absl::string_view stats_json) {
  // A Struct holds any JSON object; protobuf's parser saves the platform a JSON dependency.
  Struct stats;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(stats_json.data(), stats_json.size()), &stats, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("librdkafka statistics are not a JSON object: ", parsed.ToString()));
  }
  std::vector<PartitionLag> lags;
  const Struct* topics = ObjectAt(stats, "topics");
  if (topics == nullptr) return lags;
  for (const auto& [topic, topic_value] : topics->fields()) {
    if (topic_value.kind_case() != Value::kStructValue) continue;
    const Struct* partitions = ObjectAt(topic_value.struct_value(), "partitions");
    if (partitions == nullptr) continue;
    for (const auto& [key, partition_value] : partitions->fields()) {
      int32_t partition = -1;
      if (!absl::SimpleAtoi(key, &partition) || partition < 0) continue;  // -1: internal
      if (partition_value.kind_case() != Value::kStructValue) continue;
      const Struct& fields = partition_value.struct_value();
      std::optional<int64_t> lag = NumberAt(fields, "consumer_lag");
      if (!lag.has_value() || *lag < 0) lag = NumberAt(fields, "consumer_lag_stored");
      if (!lag.has_value() || *lag < 0) {
        // Nothing committed or stored yet: with auto.offset.reset=earliest the group starts at
        // the partition's first retained message, so all of it is behind.
        const std::optional<int64_t> lo = NumberAt(fields, "lo_offset");
        const std::optional<int64_t> hi = NumberAt(fields, "hi_offset");
        if (lo.has_value() && hi.has_value() && *lo >= 0 && *hi >= *lo) lag = *hi - *lo;
      }
      if (!lag.has_value() || *lag < 0) continue;
      lags.push_back({.topic = topic, .partition = partition, .lag = *lag});
    }
  }
  std::sort(lags.begin(), lags.end(), [](const PartitionLag& a, const PartitionLag& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return lags;
}

}  // namespace orderplatform::kafka
