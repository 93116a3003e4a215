#include "platform/kafka/event_metrics.h"

namespace orderplatform::kafka {

absl::string_view EventOutcomeName(EventOutcome outcome) {
  switch (outcome) {
    case EventOutcome::kApplied:
      return "applied";
    case EventOutcome::kDuplicate:
      return "duplicate";
    case EventOutcome::kIgnored:
      return "ignored";
    case EventOutcome::kDeadLettered:
      return "dead_lettered";
    case EventOutcome::kRetried:
      return "retried";
  }
  return "unknown";
}

EventMetrics::EventMetrics(metrics::Registry* registry) {
  if (registry == nullptr) return;
  handled_ = &registry->AddCounter(
      "orderplatform_events_handled_total",
      "Consumed messages by topic, event type and outcome: applied, duplicate (already "
      "recorded; the stored outcome was announced again), ignored, dead_lettered, retried (a "
      "dependency failed; the batch is handed over again).",
      {"topic", "type", "outcome"});
}

void EventMetrics::Record(absl::string_view topic, absl::string_view type,
                          EventOutcome outcome) {
  if (handled_ == nullptr) return;
  // An event without a payload has the empty type; a label value may be empty, but "none"
  // reads better in a query.
  handled_->WithLabels({topic, type.empty() ? "none" : type, EventOutcomeName(outcome)})
      .Increment();
}

}  // namespace orderplatform::kafka
