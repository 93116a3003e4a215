// A latency histogram with bounded memory and bounded relative error, for the load generator and
// the bench: every value (microseconds) lands in a log-linear bucket (exact below 128 us, then
// 128 buckets per power of two, so a reported percentile is at most 1/128 = 0.8% above the true
// value), and percentiles are nearest-rank over the buckets. Min, max and the mean are exact.
//
//   LatencyHistogram h;
//   h.Record(absl::Milliseconds(12));            // or RecordMicros(12000)
//   int64_t p99_us = h.PercentileMicros(99.0);   // 0 when empty
//   LatencySummary s = h.Summary();              // p50, p90, p99, p99.9, max, mean in ms
//
// Not thread-safe: the owner serializes access (the tracker holds it under its mutex).
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_LATENCY_HISTOGRAM_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace orderplatform::loadgen {

// What a report shows of a histogram; milliseconds, 0 when there were no samples.
struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

class LatencyHistogram {
 public:
  // Values above this (about 19 hours) are counted in the last bucket; max stays exact.
  static constexpr int64_t kMaxTrackedMicros = (int64_t{1} << 36) - 1;

  LatencyHistogram();

  // Negative values (a clock step) count as 0.
  void RecordMicros(int64_t micros);
  void Record(absl::Duration latency) { RecordMicros(absl::ToInt64Microseconds(latency)); }
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t min_micros() const { return count_ == 0 ? 0 : min_; }
  int64_t max_micros() const { return max_; }
  double mean_micros() const;

  // Nearest rank: the smallest recorded value v such that at least `percent`% of the samples are
  // <= v, reported as its bucket's upper bound, never above max_micros(). `percent` in [0, 100];
  // 0 gives min_micros(). 0 when empty.
  int64_t PercentileMicros(double percent) const;

  LatencySummary Summary() const;

  // Bucket geometry, exposed for tests.
  static int BucketOf(int64_t micros);
  static int64_t BucketUpperBound(int bucket);

 private:
  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_LATENCY_HISTOGRAM_H_
