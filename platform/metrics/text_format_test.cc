#include "platform/metrics/text_format.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/metrics/testing/promtool.h"

namespace orderplatform::metrics {
namespace {

FamilySnapshot Counter(std::string name, std::vector<std::string> label_names = {}) {
  return {.name = std::move(name),
          .help = "Things counted.",
          .type = MetricType::kCounter,
          .label_names = std::move(label_names)};
}

TEST(FormatValueTest, ShortestTextThatParsesBack) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(1e20), "100000000000000000000");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");  // bucket bounds as Prometheus' clients write them
  EXPECT_EQ(FormatValue(0.00025), "0.00025");
  EXPECT_EQ(FormatValue(0.00001), "1e-05");
  EXPECT_EQ(FormatValue(9007199254740992.0), "9007199254740992");
}

TEST(FormatValueTest, SpecialValuesUsePrometheusSpelling) {
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(EscapeTest, HelpEscapesBackslashAndNewlineOnly) {
  EXPECT_EQ(EscapeHelp("a\\b\nc \"q\""), "a\\\\b\\nc \"q\"");
}

TEST(EscapeTest, LabelValueAlsoEscapesQuotes) {
  EXPECT_EQ(EscapeLabelValue("a\\b\nc \"q\""), "a\\\\b\\nc \\\"q\\\"");
  EXPECT_EQ(EscapeLabelValue("orders.v1"), "orders.v1");
}

TEST(NameTest, MetricNames) {
  EXPECT_TRUE(IsValidMetricName("orderplatform_events_handled_total"));
  EXPECT_TRUE(IsValidMetricName("orderplatform:events_handled:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("with-dash"));
  EXPECT_FALSE(IsValidMetricName("with space"));
}

TEST(NameTest, LabelNames) {
  EXPECT_TRUE(IsValidLabelName("topic"));
  EXPECT_TRUE(IsValidLabelName("_private"));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1st"));
  EXPECT_FALSE(IsValidLabelName(""));
}

TEST(RenderTextTest, CounterWithoutLabels) {
  FamilySnapshot family = Counter("jobs_total");
  family.samples.push_back({.value = 7});
  EXPECT_EQ(RenderText({family}),
            "# HELP jobs_total Things counted.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total 7\n");
}

TEST(RenderTextTest, LabelsInDeclaredOrderWithEscapedValues) {
  FamilySnapshot family = Counter("events_total", {"topic", "note"});
  family.samples.push_back({.label_values = {"orders.v1", "say \"hi\"\\\n"}, .value = 1});
  EXPECT_EQ(RenderText({family}),
            "# HELP events_total Things counted.\n"
            "# TYPE events_total counter\n"
            "events_total{topic=\"orders.v1\",note=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

TEST(RenderTextTest, HelpIsEscaped) {
  FamilySnapshot family{.name = "g", .help = "line one\nback\\slash", .type = MetricType::kGauge};
  EXPECT_EQ(RenderText({family}), "# HELP g line one\\nback\\\\slash\n# TYPE g gauge\n");
}

TEST(RenderTextTest, FamiliesAndSeriesAreSortedWhateverTheInputOrder) {
  FamilySnapshot b = Counter("b_total", {"k"});
  b.samples.push_back({.label_values = {"z"}, .value = 1});
  b.samples.push_back({.label_values = {"a"}, .value = 2});
  FamilySnapshot a{.name = "a", .help = "A gauge.", .type = MetricType::kGauge};
  a.samples.push_back({.value = 0.5});
  const std::string expected =
      "# HELP a A gauge.\n# TYPE a gauge\na 0.5\n"
      "# HELP b_total Things counted.\n# TYPE b_total counter\n"
      "b_total{k=\"a\"} 2\nb_total{k=\"z\"} 1\n";
  EXPECT_EQ(RenderText({b, a}), expected);
  EXPECT_EQ(RenderText({a, b}), expected);
}

TEST(RenderTextTest, HistogramBucketsSumAndCount) {
  FamilySnapshot family{.name = "latency_seconds",
                        .help = "Latency.",
                        .type = MetricType::kHistogram,
                        .label_names = {"script"}};
  family.samples.push_back({.label_values = {"reserve"},
                            .histogram = {.bounds = {0.001, 0.01},
                                          .cumulative_counts = {1, 3},
                                          .count = 4,
                                          .sum = 2.5}});
  EXPECT_EQ(RenderText({family}),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{script=\"reserve\",le=\"0.001\"} 1\n"
            "latency_seconds_bucket{script=\"reserve\",le=\"0.01\"} 3\n"
            "latency_seconds_bucket{script=\"reserve\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{script=\"reserve\"} 2.5\n"
            "latency_seconds_count{script=\"reserve\"} 4\n");
}

TEST(RenderTextTest, HistogramWithoutLabelsHasOnlyLe) {
  FamilySnapshot family{.name = "h_seconds", .help = "H.", .type = MetricType::kHistogram};
  family.samples.push_back(
      {.histogram = {.bounds = {1}, .cumulative_counts = {0}, .count = 0, .sum = 0}});
  EXPECT_EQ(RenderText({family}),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"1\"} 0\nh_seconds_bucket{le=\"+Inf\"} 0\n"
            "h_seconds_sum 0\nh_seconds_count 0\n");
}

TEST(RenderTextTest, FamilyWithoutSamplesIsAnnouncedOnly) {
  EXPECT_EQ(RenderText({Counter("none_total", {"k"})}),
            "# HELP none_total Things counted.\n# TYPE none_total counter\n");
}

TEST(MergeFamiliesTest, JoinsSamplesOfCompatibleFamilies) {
  FamilySnapshot first = Counter("x_total", {"k"});
  first.samples.push_back({.label_values = {"1"}, .value = 1});
  FamilySnapshot second = Counter("x_total", {"k"});
  second.samples.push_back({.label_values = {"2"}, .value = 2});
  std::vector<std::string> conflicts;
  std::vector<FamilySnapshot> merged = MergeFamilies({first, second}, &conflicts);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].samples.size(), 2u);
  EXPECT_TRUE(conflicts.empty());
}

TEST(MergeFamiliesTest, DropsAndReportsAConflictingFamily) {
  FamilySnapshot counter = Counter("x_total");
  counter.samples.push_back({.value = 1});
  FamilySnapshot gauge{.name = "x_total", .help = "G.", .type = MetricType::kGauge};
  gauge.samples.push_back({.value = 9});
  std::vector<std::string> conflicts;
  std::vector<FamilySnapshot> merged = MergeFamilies({counter, gauge}, &conflicts);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].type, MetricType::kCounter);
  EXPECT_EQ(merged[0].samples.size(), 1u);
  EXPECT_EQ(conflicts, std::vector<std::string>{"x_total"});
}

TEST(RenderTextDeathTest, SampleWithWrongLabelCountIsABug) {
  FamilySnapshot family = Counter("x_total", {"a", "b"});
  family.samples.push_back({.label_values = {"only one"}, .value = 1});
  EXPECT_DEATH(RenderText({family}), "metrics_label_count_mismatch");
}

// Prometheus' own parser and linter accept what we render, including every escape and special
// value (a check of the format, not only of our expectations of it).
TEST(RenderTextTest, PromtoolAcceptsTheOutput) {
  FamilySnapshot counter = Counter("orderplatform_things_total", {"topic", "odd"});
  counter.samples.push_back({.label_values = {"orders.v1", "q\"b\\n\nl"}, .value = 3});
  counter.samples.push_back({.label_values = {"payments.v1", ""}, .value = 0});
  FamilySnapshot gauge{.name = "orderplatform_lag_messages",
                       .help = "Help with \\ and\nnewline.",
                       .type = MetricType::kGauge,
                       .label_names = {"partition"}};
  gauge.samples.push_back({.label_values = {"0"}, .value = std::nan("")});
  gauge.samples.push_back(
      {.label_values = {"1"}, .value = -std::numeric_limits<double>::infinity()});
  FamilySnapshot histogram{.name = "orderplatform_latency_seconds",
                           .help = "Latency.",
                           .type = MetricType::kHistogram,
                           .label_names = {"script"}};
  histogram.samples.push_back({.label_values = {"reserve"},
                               .histogram = {.bounds = {0.0001, 0.5, 10},
                                             .cumulative_counts = {1, 2, 2},
                                             .count = 3,
                                             .sum = 12.0001}});
  FamilySnapshot empty = Counter("orderplatform_nothing_yet_total", {"k"});
  const absl::Status valid =
      testing::PromtoolCheckMetrics(RenderText({counter, gauge, histogram, empty}));
  EXPECT_TRUE(valid.ok()) << valid;
}

TEST(RenderTextTest, PromtoolRejectsWhatBreaksTheConventions) {
  // The check above would be worthless if promtool accepted anything.
  FamilySnapshot bad{.name = "orderplatform_latency_ms", .help = "x", .type = MetricType::kCounter};
  bad.samples.push_back({.value = 1});
  EXPECT_FALSE(testing::PromtoolCheckMetrics(RenderText({bad})).ok());
}

}  // namespace
}  // namespace orderplatform::metrics
