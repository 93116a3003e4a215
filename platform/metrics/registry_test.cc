#include "platform/metrics/registry.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace orderplatform::metrics {
namespace {

const FamilySnapshot* FindFamily(const std::vector<FamilySnapshot>& families,
                                 absl::string_view name) {
  for (const FamilySnapshot& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

const Sample* FindSample(const FamilySnapshot& family, const std::vector<std::string>& labels) {
  for (const Sample& sample : family.samples) {
    if (sample.label_values == labels) return &sample;
  }
  return nullptr;
}

TEST(RegistryTest, CounterWithoutLabelsStartsAtZero) {
  Registry registry;
  registry.AddCounter("jobs_total", "Jobs.");
  EXPECT_TRUE(absl::StrContains(registry.RenderText(), "\njobs_total 0\n"));
}

TEST(RegistryTest, LabelledCountersAreSeparateSeries) {
  Registry registry;
  Family<Counter>& handled = registry.AddCounter("handled_total", "Handled.", {"topic", "outcome"});
  handled.WithLabels({"orders.v1", "applied"}).Increment();
  handled.WithLabels({"orders.v1", "applied"}).Increment(2);
  handled.WithLabels({"orders.v1", "ignored"}).Increment();
  EXPECT_EQ(handled.WithLabels({"orders.v1", "applied"}).value(), 3u);
  EXPECT_EQ(handled.WithLabels({"orders.v1", "ignored"}).value(), 1u);
  EXPECT_EQ(registry.RenderText(),
            "# HELP handled_total Handled.\n"
            "# TYPE handled_total counter\n"
            "handled_total{topic=\"orders.v1\",outcome=\"applied\"} 3\n"
            "handled_total{topic=\"orders.v1\",outcome=\"ignored\"} 1\n"
            "# HELP orderplatform_metrics_series_refused_total Updates to label sets a metric "
            "refused because it already had its maximum number of series (a bug or a hostile "
            "client: the values are lost).\n"
            "# TYPE orderplatform_metrics_series_refused_total counter\n");
}

TEST(RegistryTest, WithLabelsReturnsTheSameSeriesEveryTime) {
  Registry registry;
  Family<Gauge>& family = registry.AddGauge("g", "G.", {"k"});
  EXPECT_EQ(&family.WithLabels({"a"}), &family.WithLabels({"a"}));
  EXPECT_NE(&family.WithLabels({"a"}), &family.WithLabels({"b"}));
}

TEST(RegistryTest, LabelValuesThatJoinAlikeStayApart) {
  Registry registry;
  Family<Counter>& family = registry.AddCounter("c_total", "C.", {"a", "b"});
  family.WithLabels({"x:1", "y"}).Increment();
  family.WithLabels({"x", "1:y"}).Increment(5);
  EXPECT_EQ(family.WithLabels({"x:1", "y"}).value(), 1u);
  EXPECT_EQ(family.WithLabels({"x", "1:y"}).value(), 5u);
}

TEST(RegistryTest, GaugeSetAndAdd) {
  Registry registry;
  Gauge& gauge = registry.AddGauge("open", "Open.").WithLabels({});
  gauge.Set(4);
  gauge.Add(-1.5);
  EXPECT_EQ(gauge.value(), 2.5);
}

TEST(RegistryTest, HistogramBucketsAreLessOrEqualAndCumulative) {
  Registry registry;
  Histogram& histogram =
      registry.AddHistogram("d_seconds", "D.", {}, {0.1, 1}).WithLabels({});
  histogram.Observe(0.05);
  histogram.Observe(0.1);  // on the bound: counts in le="0.1"
  histogram.Observe(0.5);
  histogram.Observe(30);
  histogram.Observe(std::nan(""));  // ignored
  const HistogramValue value = histogram.Value();
  EXPECT_EQ(value.cumulative_counts, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(value.count, 4u);
  EXPECT_DOUBLE_EQ(value.sum, 30.65);
}

TEST(RegistryTest, ObserveDurationIsInSeconds) {
  Registry registry;
  Histogram& histogram = registry.AddHistogram("t_seconds", "T.", {}, {0.01}).WithLabels({});
  histogram.ObserveDuration(absl::Milliseconds(250));
  EXPECT_DOUBLE_EQ(histogram.Value().sum, 0.25);
  EXPECT_EQ(histogram.Value().cumulative_counts[0], 0u);
}

TEST(RegistryTest, SameDefinitionTwiceSharesTheFamily) {
  Registry registry;
  Family<Counter>& first = registry.AddCounter("shared_total", "Shared.", {"k"});
  Family<Counter>& second = registry.AddCounter("shared_total", "Shared.", {"k"});
  EXPECT_EQ(&first, &second);
}

TEST(RegistryTest, SeriesBeyondTheBoundAreRefusedAndCounted) {
  Registry registry;
  Family<Counter>& family = registry.AddCounter("m_total", "M.", {"method"}, /*series_max=*/2);
  family.WithLabels({"a"}).Increment();
  family.WithLabels({"b"}).Increment();
  family.WithLabels({"c"}).Increment();   // refused
  family.WithLabels({"d"}).Increment(4);  // refused
  family.WithLabels({"a"}).Increment();   // existing series still work
  const std::vector<FamilySnapshot> families = registry.Collect();
  const FamilySnapshot* m = FindFamily(families, "m_total");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->samples.size(), 2u);
  EXPECT_EQ(FindSample(*m, {"a"})->value, 2);
  const FamilySnapshot* refused =
      FindFamily(families, "orderplatform_metrics_series_refused_total");
  ASSERT_NE(refused, nullptr);
  ASSERT_NE(FindSample(*refused, {"m_total"}), nullptr);
  EXPECT_EQ(FindSample(*refused, {"m_total"})->value, 2);
}

TEST(RegistryTest, CollectorOutputIsMergedAndSorted) {
  Registry registry;
  registry.AddGauge("b_gauge", "Registered.");
  CollectorHandle handle = registry.AddCollector([](std::vector<FamilySnapshot>* out) {
    FamilySnapshot family{.name = "a_reservations_open",
                          .help = "Read at scrape time.",
                          .type = MetricType::kGauge};
    family.samples.push_back({.value = 12});
    out->push_back(std::move(family));
  });
  const std::string text = registry.RenderText();
  EXPECT_TRUE(absl::StrContains(text, "\na_reservations_open 12\n"));
  EXPECT_LT(text.find("a_reservations_open"), text.find("b_gauge"));
}

TEST(RegistryTest, CollectorFamilyConflictingWithARegisteredOneIsDropped) {
  Registry registry;
  registry.AddCounter("x_total", "Registered.").WithLabels({}).Increment();
  CollectorHandle handle = registry.AddCollector([](std::vector<FamilySnapshot>* out) {
    FamilySnapshot family{.name = "x_total", .help = "Other.", .type = MetricType::kGauge};
    family.samples.push_back({.value = 99});
    out->push_back(std::move(family));
  });
  const std::vector<FamilySnapshot> families = registry.Collect();
  const FamilySnapshot* x = FindFamily(families, "x_total");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->type, MetricType::kCounter);
  ASSERT_EQ(x->samples.size(), 1u);
  EXPECT_EQ(x->samples[0].value, 1);
}

TEST(RegistryTest, ResetHandleUnregistersTheCollector) {
  Registry registry;
  int calls = 0;
  CollectorHandle handle =
      registry.AddCollector([&calls](std::vector<FamilySnapshot>*) { ++calls; });
  registry.Collect();
  CollectorHandle moved = std::move(handle);
  registry.Collect();
  moved.Reset();
  registry.Collect();
  EXPECT_EQ(calls, 2);
}

TEST(RegistryTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  Family<Counter>& counter = registry.AddCounter("n_total", "N.", {"worker"});
  Family<Histogram>& histogram = registry.AddHistogram("h_seconds", "H.", {}, {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.WithLabels({t % 2 == 0 ? "even" : "odd"}).Increment();
        histogram.WithLabels({}).Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  // Scrapes while the workers run must not disturb them.
  for (int i = 0; i < 20; ++i) registry.RenderText();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.WithLabels({"even"}).value(), 2u * kPerThread);
  EXPECT_EQ(counter.WithLabels({"odd"}).value(), 2u * kPerThread);
  const HistogramValue value = histogram.WithLabels({}).Value();
  EXPECT_EQ(value.count, static_cast<uint64_t>(kThreads) * kPerThread);
  EXPECT_EQ(value.cumulative_counts[0], static_cast<uint64_t>(kThreads) * kPerThread / 2);
  EXPECT_DOUBLE_EQ(value.sum, kThreads * (kPerThread / 2) * 1.25);
}

TEST(RegistryDeathTest, DefinitionMistakesAbortNamingTheMetric) {
  Registry registry;
  EXPECT_DEATH(registry.AddCounter("bad-name_total", "x"), "bad-name_total");
  EXPECT_DEATH(registry.AddCounter("no_suffix", "x"), "_total");
  EXPECT_DEATH(registry.AddGauge("a_gauge_total", "x"), "_total");
  EXPECT_DEATH(registry.AddGauge("no_help", ""), "HELP");
  EXPECT_DEATH(registry.AddGauge("bad_label", "x", {"__name"}), "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h_seconds", "x", {"le"}, {1}), "le is");
  EXPECT_DEATH(registry.AddHistogram("h_seconds", "x", {}, {1, 1}), "ascending");
  EXPECT_DEATH(registry.AddHistogram("h_seconds", "x", {}, {}), "bounds");
}

TEST(RegistryDeathTest, ConflictingRedefinitionAborts) {
  Registry registry;
  registry.AddCounter("twice_total", "x", {"a"});
  EXPECT_DEATH(registry.AddCounter("twice_total", "x", {"b"}), "different definitions");
}

TEST(RegistryDeathTest, WrongNumberOfLabelValuesAborts) {
  Registry registry;
  Family<Counter>& family = registry.AddCounter("c_total", "x", {"a", "b"});
  EXPECT_DEATH(family.WithLabels({"only"}), "wrong number of label values");
}

}  // namespace
}  // namespace orderplatform::metrics
