// The process's metrics: counters, gauges and histograms with labels, and collectors that
// produce values at scrape time. Thread-safe. The hot path is cheap: an update is one relaxed
// atomic operation on a series the caller may keep a reference to (series live as long as the
// registry); looking a series up by its label values takes a shared lock and a hash lookup.
//
//   Registry registry;
//   Family<Counter>& handled = registry.AddCounter(
//       "orderplatform_events_handled_total", "Consumed events by outcome.",
//       {"topic", "type", "outcome"});
//   handled.WithLabels({"orders.v1", "OrderPlaced", "applied"}).Increment();
//
//   Family<Histogram>& latency = registry.AddHistogram(
//       "orderplatform_lua_script_duration_seconds", "EVALSHA round trips.", {"script"},
//       kLatencyBucketsSeconds);
//   latency.WithLabels({"reserve"}).Observe(0.0004);
//
//   // A value read when Prometheus scrapes (e.g. from Redis); unregistered when `handle` dies.
//   CollectorHandle handle = registry.AddCollector([](std::vector<FamilySnapshot>* out) {...});
//
//   std::string text = registry.RenderText();  // what /metrics serves (http_server.h)
//
// Definitions are code, not data: an invalid name, a counter without the `_total` suffix, a
// name registered twice with different types or labels, or a wrong number of label values is a
// bug, and aborts with a log line naming the metric. Label values are data; each family keeps at
// most `series_max` label sets, and updates to further ones are counted in
// orderplatform_metrics_series_refused_total{metric} instead of growing memory without bound.
#ifndef ORDERPLATFORM_PLATFORM_METRICS_REGISTRY_H_
#define ORDERPLATFORM_PLATFORM_METRICS_REGISTRY_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "platform/metrics/text_format.h"

namespace orderplatform::metrics {

// Seconds, for request and script latencies: 100 µs (a Redis round trip on the same host) to
// 10 s (beyond any timeout the platform sets).
inline const std::vector<double> kLatencyBucketsSeconds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};

// Label sets one family keeps by default. The platform's labels come from bounded sets (topics,
// event types, partitions, gRPC methods); this only stops a bug or a hostile client (an unknown
// gRPC method name) from growing memory.
inline constexpr size_t kSeriesMaxDefault = 1000;

class Counter {
 public:
  void Increment(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds` (ascending, finite) must outlive the histogram; its family owns them.
  explicit Histogram(const std::vector<double>* bounds);

  // NaN is ignored: it would poison the sum for good.
  void Observe(double value);
  void ObserveDuration(absl::Duration duration) { Observe(absl::ToDoubleSeconds(duration)); }

  // Buckets are read one by one while others may observe, so a value can be a few observations
  // behind another; count is the sum of the buckets read, so `+Inf` and `_count` always agree.
  HistogramValue Value() const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

// What a family needs to know besides its series; fixed at registration.
struct FamilyDefinition {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms only
  size_t series_max = kSeriesMaxDefault;
};

class FamilyInterface {
 public:
  virtual ~FamilyInterface() = default;
  virtual const FamilyDefinition& definition() const = 0;
  virtual FamilySnapshot Snapshot() const = 0;
};

namespace internal {

[[noreturn]] void DieBecause(absl::string_view metric, absl::string_view why);
// Length-prefixed, so ("a,b") and ("a", "b") never share a key.
std::string SeriesKey(absl::Span<const absl::string_view> values);
void FillSample(const Counter& metric, Sample* sample);
void FillSample(const Gauge& metric, Sample* sample);
void FillSample(const Histogram& metric, Sample* sample);

}  // namespace internal

template <typename Metric>
class Family : public FamilyInterface {
 public:
  // `refused` counts updates beyond series_max (label `metric`); null for the refused family
  // itself.
  Family(FamilyDefinition definition, Family<Counter>* refused)
      : definition_(std::move(definition)), refused_(refused), overflow_(NewMetric()) {
    if (definition_.label_names.empty()) WithLabels({});  // shown as 0 from the start
  }

  // The series for these label values (one per label name, in order), created on first use.
  // The reference stays valid as long as the registry.
  Metric& WithLabels(std::initializer_list<absl::string_view> values) {
    return WithLabels(absl::MakeConstSpan(values.begin(), values.size()));
  }
  Metric& WithLabels(absl::Span<const absl::string_view> values);

  const FamilyDefinition& definition() const override { return definition_; }
  FamilySnapshot Snapshot() const override;

 private:
  struct Series {
    std::vector<std::string> label_values;
    std::unique_ptr<Metric> metric;
  };

  std::unique_ptr<Metric> NewMetric() const;

  const FamilyDefinition definition_;
  Family<Counter>* const refused_;
  // Where updates to refused label sets go; never rendered.
  const std::unique_ptr<Metric> overflow_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Series> series_ ABSL_GUARDED_BY(mu_);
};

class Registry;

// Keeps a collector registered; unregisters it when destroyed (waiting for a scrape that is
// running it). Move-only.
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(CollectorHandle&& other) noexcept { *this = std::move(other); }
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  CollectorHandle(const CollectorHandle&) = delete;
  CollectorHandle& operator=(const CollectorHandle&) = delete;
  ~CollectorHandle() { Reset(); }

  void Reset();

 private:
  friend class Registry;
  CollectorHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}

  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

// Appends the families it knows now; called on the scraping thread, one scrape at a time. It
// must not add or remove collectors (that would wait for itself).
using Collector = std::function<void(std::vector<FamilySnapshot>* out)>;

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering an existing name again with the same definition returns the existing family, so
  // two components may share one (e.g. two consumers in a test process).
  Family<Counter>& AddCounter(absl::string_view name, absl::string_view help,
                              std::vector<std::string> label_names = {},
                              size_t series_max = kSeriesMaxDefault);
  Family<Gauge>& AddGauge(absl::string_view name, absl::string_view help,
                          std::vector<std::string> label_names = {},
                          size_t series_max = kSeriesMaxDefault);
  Family<Histogram>& AddHistogram(absl::string_view name, absl::string_view help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds,
                                  size_t series_max = kSeriesMaxDefault);

  [[nodiscard]] CollectorHandle AddCollector(Collector collector);

  // Every family and every collector's output, merged by name (MergeFamilies). A collector
  // family that conflicts with another of its name is dropped and logged.
  std::vector<FamilySnapshot> Collect() const;
  std::string RenderText() const { return metrics::RenderText(Collect()); }

 private:
  friend class CollectorHandle;

  FamilyInterface* Find(const FamilyDefinition& definition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveCollector(uint64_t id);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<FamilyInterface>> families_ ABSL_GUARDED_BY(mu_);
  Family<Counter>* refused_ = nullptr;  // set in the constructor, then constant

  // Held while collectors run, so RemoveCollector waits for a scrape in progress.
  mutable absl::Mutex collectors_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::map<uint64_t, Collector> collectors_ ABSL_GUARDED_BY(collectors_mu_);
  uint64_t next_collector_id_ ABSL_GUARDED_BY(collectors_mu_) = 1;
};

// ---- implementation of the templates ----

template <typename Metric>
std::unique_ptr<Metric> Family<Metric>::NewMetric() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(&definition_.bounds);
  } else {
    return std::make_unique<Metric>();
  }
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(absl::Span<const absl::string_view> values) {
  if (values.size() != definition_.label_names.size()) {
    internal::DieBecause(definition_.name, "wrong number of label values");
  }
  const std::string key = internal::SeriesKey(values);
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second.metric;
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second.metric;
    if (series_.size() < definition_.series_max) {
      Series& series = series_[key];
      series.label_values.reserve(values.size());
      for (absl::string_view value : values) series.label_values.emplace_back(value);
      series.metric = NewMetric();
      return *series.metric;
    }
  }
  if (refused_ != nullptr) refused_->WithLabels({definition_.name}).Increment();
  return *overflow_;
}

template <typename Metric>
FamilySnapshot Family<Metric>::Snapshot() const {
  FamilySnapshot snapshot{.name = definition_.name,
                          .help = definition_.help,
                          .type = definition_.type,
                          .label_names = definition_.label_names};
  absl::ReaderMutexLock lock(&mu_);
  snapshot.samples.reserve(series_.size());
  for (const auto& [key, series] : series_) {
    Sample sample{.label_values = series.label_values};
    internal::FillSample(*series.metric, &sample);
    snapshot.samples.push_back(std::move(sample));
  }
  return snapshot;
}

}  // namespace orderplatform::metrics

#endif  // ORDERPLATFORM_PLATFORM_METRICS_REGISTRY_H_
