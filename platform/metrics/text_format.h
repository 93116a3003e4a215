// The Prometheus text exposition format (version 0.0.4), rendered from plain snapshot values.
//
// Pure: no registry, no threads. The registry (registry.h) and scrape-time collectors produce
// FamilySnapshot values; RenderText turns them into the text that /metrics serves. Output is
// stable for the same input: families sorted by name, series by their label values, histogram
// buckets by bound, so a diff of two scrapes shows only what moved.
//
//   FamilySnapshot lag{.name = "orderplatform_kafka_consumer_lag_messages",
//                      .help = "Messages behind the partition's end.",
//                      .type = MetricType::kGauge,
//                      .label_names = {"topic", "partition"}};
//   lag.samples.push_back({.label_values = {"orders.v1", "0"}, .value = 12});
//   std::string text = RenderText({lag});
//   // # HELP orderplatform_kafka_consumer_lag_messages Messages behind the partition's end.
//   // # TYPE orderplatform_kafka_consumer_lag_messages gauge
//   // orderplatform_kafka_consumer_lag_messages{topic="orders.v1",partition="0"} 12
#ifndef ORDERPLATFORM_PLATFORM_METRICS_TEXT_FORMAT_H_
#define ORDERPLATFORM_PLATFORM_METRICS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace orderplatform::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// "counter", "gauge", "histogram": the TYPE line's word.
absl::string_view MetricTypeName(MetricType type);

struct HistogramValue {
  std::vector<double> bounds;                // upper bounds (le), ascending, without +Inf
  std::vector<uint64_t> cumulative_counts;   // observations <= bounds[i]; one per bound
  uint64_t count = 0;                        // all observations: the +Inf bucket
  double sum = 0;
};

struct Sample {
  std::vector<std::string> label_values;  // one per FamilySnapshot::label_names, same order
  double value = 0;                       // counters and gauges
  HistogramValue histogram;               // histograms
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<Sample> samples;  // may be empty: the family is announced (HELP/TYPE) only
};

// True for [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(absl::string_view name);
// True for [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (reserved for Prometheus itself).
bool IsValidLabelName(absl::string_view name);

// A sample value as Prometheus reads it: the shortest text that parses back to the same double
// ("3", "0.25", "1e+21"), and "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// HELP text: backslash and line feed escaped. Label values: also the double quote.
std::string EscapeHelp(absl::string_view help);
std::string EscapeLabelValue(absl::string_view value);

// Families with the same name are merged into one (their samples joined) when they agree on
// type and label names; a family that disagrees with an earlier one of its name is dropped and
// named in `conflicts` (if given), since the exposition format allows one TYPE per name.
std::vector<FamilySnapshot> MergeFamilies(std::vector<FamilySnapshot> families,
                                          std::vector<std::string>* conflicts = nullptr);

// The exposition text. `families` must have unique names (MergeFamilies) and each sample as
// many label values as its family has label names; both are what the registry guarantees.
std::string RenderText(std::vector<FamilySnapshot> families);

}  // namespace orderplatform::metrics

#endif  // ORDERPLATFORM_PLATFORM_METRICS_TEXT_FORMAT_H_
