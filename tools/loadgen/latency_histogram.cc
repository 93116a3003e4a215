#include "tools/loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace orderplatform::loadgen {
namespace {

constexpr int kSubBucketBits = 7;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;  // 128
constexpr int kTopExponent = 35;  // floor(log2(kMaxTrackedMicros))
constexpr int kBucketCount =
    static_cast<int>(kSubBuckets + (kTopExponent - kSubBucketBits + 1) * kSubBuckets);

int FloorLog2(uint64_t v) { return 63 - __builtin_clzll(v); }

double Ms(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

int LatencyHistogram::BucketOf(int64_t micros) {
  micros = std::clamp<int64_t>(micros, 0, kMaxTrackedMicros);
  if (micros < kSubBuckets) return static_cast<int>(micros);
  const int exponent = FloorLog2(static_cast<uint64_t>(micros));  // >= kSubBucketBits
  const int64_t sub = (micros >> (exponent - kSubBucketBits)) - kSubBuckets;  // 0..127
  return static_cast<int>(kSubBuckets + (exponent - kSubBucketBits) * kSubBuckets + sub);
}

int64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int exponent = kSubBucketBits + (bucket - static_cast<int>(kSubBuckets)) / kSubBuckets;
  const int64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  const int shift = exponent - kSubBucketBits;
  // Bucket covers [(128 + sub) << shift, (129 + sub) << shift).
  return ((kSubBuckets + sub + 1) << shift) - 1;
}

void LatencyHistogram::RecordMicros(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  ++buckets_[BucketOf(micros)];
  if (count_ == 0 || micros < min_) min_ = micros;
  max_ = std::max(max_, micros);
  ++count_;
  sum_ += static_cast<double>(micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::mean_micros() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

int64_t LatencyHistogram::PercentileMicros(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  if (percent == 0.0) return min_;
  // Nearest rank, 1-based: ceil(p/100 * n), at least 1.
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_) - 1e-9)));
  if (rank >= count_) return max_;  // the largest sample is known exactly
  int64_t seen = 0;
  const int last = static_cast<int>(buckets_.size()) - 1;
  for (int bucket = 0; bucket < last; ++bucket) {
    seen += buckets_[bucket];
    if (seen >= rank) return std::clamp(BucketUpperBound(bucket), min_, max_);
  }
  return max_;  // the last bucket also holds everything above kMaxTrackedMicros
}

LatencySummary LatencyHistogram::Summary() const {
  return LatencySummary{
      .count = count_,
      .p50_ms = Ms(PercentileMicros(50)),
      .p90_ms = Ms(PercentileMicros(90)),
      .p99_ms = Ms(PercentileMicros(99)),
      .p999_ms = Ms(PercentileMicros(99.9)),
      .max_ms = Ms(max_micros()),
      .mean_ms = mean_micros() / 1000.0,
  };
}

}  // namespace orderplatform::loadgen
