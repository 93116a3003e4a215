#include "tools/loadgen/latency_histogram.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace orderplatform::loadgen {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.PercentileMicros(50), 0);
  EXPECT_EQ(h.max_micros(), 0);
  const LatencySummary s = h.Summary();
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.p99_ms, 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExactAndNearestRank) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.RecordMicros(v);
  EXPECT_EQ(h.PercentileMicros(50), 50);
  EXPECT_EQ(h.PercentileMicros(90), 90);
  EXPECT_EQ(h.PercentileMicros(99), 99);
  EXPECT_EQ(h.PercentileMicros(99.9), 100);
  EXPECT_EQ(h.PercentileMicros(100), 100);
  EXPECT_EQ(h.PercentileMicros(0), 1);
  EXPECT_EQ(h.min_micros(), 1);
  EXPECT_DOUBLE_EQ(h.mean_micros(), 50.5);
}

TEST(LatencyHistogramTest, SingleSampleIsEveryPercentile) {
  LatencyHistogram h;
  h.RecordMicros(123456);
  EXPECT_EQ(h.PercentileMicros(1), 123456);  // clamped to max, not the bucket's bound
  EXPECT_EQ(h.PercentileMicros(99.9), 123456);
}

TEST(LatencyHistogramTest, LargeValuesWithinRelativeError) {
  LatencyHistogram h;
  // 1 ms .. 10 s, geometric.
  std::vector<int64_t> values;
  for (double v = 1000; v <= 10'000'000; v *= 1.01) values.push_back(static_cast<int64_t>(v));
  for (int64_t v : values) h.RecordMicros(v);
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size()));
    const int64_t exact = values[rank - 1];
    const int64_t reported = h.PercentileMicros(p);
    EXPECT_GE(reported, exact) << p;
    EXPECT_LE(reported, exact + exact / 128 + 1) << p;
  }
}

TEST(LatencyHistogramTest, BucketsCoverTheirValues) {
  const std::vector<int64_t> values = {0,   1,    127,       128,
                                       129, 255, 256, 1000, 123456789, LatencyHistogram::kMaxTrackedMicros};
  for (int64_t v : values) {
    const int bucket = LatencyHistogram::BucketOf(v);
    EXPECT_GE(LatencyHistogram::BucketUpperBound(bucket), v) << v;
    if (bucket > 0) {
      EXPECT_LT(LatencyHistogram::BucketUpperBound(bucket - 1), v) << v;
    }
  }
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreClamped) {
  LatencyHistogram h;
  h.RecordMicros(-5);
  h.RecordMicros(int64_t{1} << 50);
  EXPECT_EQ(h.min_micros(), 0);
  EXPECT_EQ(h.max_micros(), int64_t{1} << 50);
  EXPECT_EQ(h.PercentileMicros(100), int64_t{1} << 50);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (int v = 0; v < 1000; ++v) {
    (v % 3 == 0 ? a : b).RecordMicros(v * 37);
    all.RecordMicros(v * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double p : {10.0, 50.0, 99.0}) EXPECT_EQ(a.PercentileMicros(p), all.PercentileMicros(p));
  EXPECT_EQ(a.max_micros(), all.max_micros());
  EXPECT_EQ(a.min_micros(), all.min_micros());
}

TEST(LatencyHistogramTest, SummaryIsInMilliseconds) {
  LatencyHistogram h;
  h.Record(absl::Milliseconds(20));
  const LatencySummary s = h.Summary();
  EXPECT_EQ(s.count, 1);
  EXPECT_DOUBLE_EQ(s.p50_ms, 20.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 20.0);
  EXPECT_DOUBLE_EQ(s.mean_ms, 20.0);
}

}  // namespace
}  // namespace orderplatform::loadgen
