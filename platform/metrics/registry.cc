#include "platform/metrics/registry.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::metrics {
namespace {

constexpr char kRefusedName[] = "orderplatform_metrics_series_refused_total";

void CheckDefinition(const FamilyDefinition& definition) {
  const std::string& name = definition.name;
  if (!IsValidMetricName(name)) internal::DieBecause(name, "invalid metric name");
  if (definition.help.empty()) internal::DieBecause(name, "a metric needs its HELP text");
  // OpenMetrics and promtool's lint: counters end in _total, nothing else does.
  if ((definition.type == MetricType::kCounter) != absl::EndsWith(name, "_total")) {
    internal::DieBecause(name, "counters, and only counters, end in _total");
  }
  for (const std::string& label : definition.label_names) {
    if (!IsValidLabelName(label)) internal::DieBecause(name, "invalid label name");
    if (definition.type == MetricType::kHistogram && label == "le") {
      internal::DieBecause(name, "le is the histogram's own label");
    }
  }
  if (definition.type == MetricType::kHistogram) {
    const std::vector<double>& bounds = definition.bounds;
    if (bounds.empty()) internal::DieBecause(name, "a histogram needs bucket bounds");
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        internal::DieBecause(name, "bucket bounds must be finite and strictly ascending");
      }
    }
  }
  if (definition.series_max < 1) internal::DieBecause(name, "series_max must be at least 1");
}

bool SameDefinition(const FamilyDefinition& a, const FamilyDefinition& b) {
  return a.name == b.name && a.help == b.help && a.type == b.type &&
         a.label_names == b.label_names && a.bounds == b.bounds && a.series_max == b.series_max;
}

}  // namespace

namespace internal {

void DieBecause(absl::string_view metric, absl::string_view why) {
  log::LogError("metrics_definition_invalid", {{"metric", metric}, {"reason", why}});
  std::abort();
}

std::string SeriesKey(absl::Span<const absl::string_view> values) {
  std::string key;
  for (absl::string_view value : values) absl::StrAppend(&key, value.size(), ":", value);
  return key;
}

void FillSample(const Counter& metric, Sample* sample) {
  sample->value = static_cast<double>(metric.value());
}

void FillSample(const Gauge& metric, Sample* sample) { sample->value = metric.value(); }

void FillSample(const Histogram& metric, Sample* sample) { sample->histogram = metric.Value(); }

}  // namespace internal

void Gauge::Add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  // Bounded in practice: it only loops while another thread changed the value in between.
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // First bound >= value: Prometheus buckets are "less than or equal".
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

HistogramValue Histogram::Value() const {
  HistogramValue value;
  value.bounds = *bounds_;
  value.cumulative_counts.reserve(bounds_->size());
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    value.cumulative_counts.push_back(running);
  }
  value.count = running + buckets_[bounds_->size()].load(std::memory_order_relaxed);
  value.sum = sum_.load(std::memory_order_relaxed);
  return value;
}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void CollectorHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveCollector(id_);
  registry_ = nullptr;
  id_ = 0;
}

Registry::Registry() {
  FamilyDefinition refused{
      .name = kRefusedName,
      .help = "Updates to label sets a metric refused because it already had its maximum "
              "number of series (a bug or a hostile client: the values are lost).",
      .type = MetricType::kCounter,
      .label_names = {"metric"}};
  auto family = std::make_unique<Family<Counter>>(std::move(refused), nullptr);
  refused_ = family.get();
  absl::MutexLock lock(&mu_);
  families_.push_back(std::move(family));
}

FamilyInterface* Registry::Find(const FamilyDefinition& definition) {
  for (const std::unique_ptr<FamilyInterface>& family : families_) {
    if (family->definition().name != definition.name) continue;
    if (!SameDefinition(family->definition(), definition)) {
      internal::DieBecause(definition.name, "registered twice with different definitions");
    }
    return family.get();
  }
  return nullptr;
}

Family<Counter>& Registry::AddCounter(absl::string_view name, absl::string_view help,
                                      std::vector<std::string> label_names, size_t series_max) {
  FamilyDefinition definition{.name = std::string(name),
                              .help = std::string(help),
                              .type = MetricType::kCounter,
                              .label_names = std::move(label_names),
                              .series_max = series_max};
  CheckDefinition(definition);
  absl::MutexLock lock(&mu_);
  if (FamilyInterface* existing = Find(definition)) {
    return static_cast<Family<Counter>&>(*existing);
  }
  auto family = std::make_unique<Family<Counter>>(std::move(definition), refused_);
  Family<Counter>& out = *family;
  families_.push_back(std::move(family));
  return out;
}

Family<Gauge>& Registry::AddGauge(absl::string_view name, absl::string_view help,
                                  std::vector<std::string> label_names, size_t series_max) {
  FamilyDefinition definition{.name = std::string(name),
                              .help = std::string(help),
                              .type = MetricType::kGauge,
                              .label_names = std::move(label_names),
                              .series_max = series_max};
  CheckDefinition(definition);
  absl::MutexLock lock(&mu_);
  if (FamilyInterface* existing = Find(definition)) {
    return static_cast<Family<Gauge>&>(*existing);
  }
  auto family = std::make_unique<Family<Gauge>>(std::move(definition), refused_);
  Family<Gauge>& out = *family;
  families_.push_back(std::move(family));
  return out;
}

Family<Histogram>& Registry::AddHistogram(absl::string_view name, absl::string_view help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds, size_t series_max) {
  FamilyDefinition definition{.name = std::string(name),
                              .help = std::string(help),
                              .type = MetricType::kHistogram,
                              .label_names = std::move(label_names),
                              .bounds = std::move(bounds),
                              .series_max = series_max};
  CheckDefinition(definition);
  absl::MutexLock lock(&mu_);
  if (FamilyInterface* existing = Find(definition)) {
    return static_cast<Family<Histogram>&>(*existing);
  }
  auto family = std::make_unique<Family<Histogram>>(std::move(definition), refused_);
  Family<Histogram>& out = *family;
  families_.push_back(std::move(family));
  return out;
}

CollectorHandle Registry::AddCollector(Collector collector) {
  absl::MutexLock lock(&collectors_mu_);
  const uint64_t id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return CollectorHandle(this, id);
}

void Registry::RemoveCollector(uint64_t id) {
  absl::MutexLock lock(&collectors_mu_);
  collectors_.erase(id);
}

std::vector<FamilySnapshot> Registry::Collect() const {
  std::vector<FamilySnapshot> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const std::unique_ptr<FamilyInterface>& family : families_) {
      families.push_back(family->Snapshot());
    }
  }
  {
    absl::MutexLock lock(&collectors_mu_);
    for (const auto& [id, collector] : collectors_) collector(&families);
  }
  std::vector<std::string> conflicts;
  families = MergeFamilies(std::move(families), &conflicts);
  for (const std::string& name : conflicts) {
    log::LogError("metrics_family_conflict", {{"metric", name}});
  }
  return families;
}

}  // namespace orderplatform::metrics
