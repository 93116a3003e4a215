#include "platform/kafka/event_metrics.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orderplatform::kafka {
namespace {

TEST(EventMetricsTest, CountsByTopicTypeAndOutcome) {
  metrics::Registry registry;
  EventMetrics events(&registry);
  events.Record("orders.v1", "OrderPlaced", EventOutcome::kApplied);
  events.Record("orders.v1", "OrderPlaced", EventOutcome::kApplied);
  events.Record("orders.v1", "OrderPlaced", EventOutcome::kDuplicate);
  events.Record("orders.v1", kInvalidEventType, EventOutcome::kDeadLettered);
  events.Record("payments.v1", "", EventOutcome::kIgnored);
  events.Record("payments.v1", "PaymentAuthorized", EventOutcome::kRetried);
  const std::string text = registry.RenderText();
  for (const char* line : {
           "{topic=\"orders.v1\",type=\"OrderPlaced\",outcome=\"applied\"} 2\n",
           "{topic=\"orders.v1\",type=\"OrderPlaced\",outcome=\"duplicate\"} 1\n",
           "{topic=\"orders.v1\",type=\"invalid\",outcome=\"dead_lettered\"} 1\n",
           "{topic=\"payments.v1\",type=\"none\",outcome=\"ignored\"} 1\n",
           "{topic=\"payments.v1\",type=\"PaymentAuthorized\",outcome=\"retried\"} 1\n"}) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("orderplatform_events_handled_total", line)))
        << line << " missing from\n" << text;
  }
}

TEST(EventMetricsTest, WithoutARegistryNothingIsRecorded) {
  EventMetrics events(nullptr);
  events.Record("orders.v1", "OrderPlaced", EventOutcome::kApplied);  // must not crash
}

TEST(EventMetricsTest, OutcomeNamesAreTheDocumentedOnes) {
  EXPECT_EQ(EventOutcomeName(EventOutcome::kApplied), "applied");
  EXPECT_EQ(EventOutcomeName(EventOutcome::kDuplicate), "duplicate");
  EXPECT_EQ(EventOutcomeName(EventOutcome::kIgnored), "ignored");
  EXPECT_EQ(EventOutcomeName(EventOutcome::kDeadLettered), "dead_lettered");
  EXPECT_EQ(EventOutcomeName(EventOutcome::kRetried), "retried");
}

}  // namespace
}  // namespace orderplatform::kafka
