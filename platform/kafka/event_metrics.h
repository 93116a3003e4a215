// What the services' Kafka handlers did with each consumed message, as one counter:
// orderplatform_events_handled_total{topic, type, outcome}. The handlers (the Kafka shells of the
// services) decide the outcome; the pure decision functions know nothing of it.
//
//   EventMetrics events(registry);  // null registry: records nothing (tests, the simulator)
//   events.Record("orders.v1", "OrderPlaced", EventOutcome::kApplied);
//   events.Record("orders.v1", kInvalidEventType, EventOutcome::kDeadLettered);
//
// A message is counted once per handling: one that is handed over again (its batch failed and
// was retried, or the service restarted before committing) is counted again, usually as a
// duplicate, since its effect was already recorded the first time.
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_EVENT_METRICS_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_EVENT_METRICS_H_

#include "absl/strings/string_view.h"
#include "platform/metrics/registry.h"

namespace orderplatform::kafka {

enum class EventOutcome {
  kApplied,       // the event changed state or got a new answer (reserved, paid, advanced)
  kDuplicate,     // its effect was already recorded: the stored outcome was announced again
  kIgnored,       // valid, but nothing to do (a type this service does not act on, no record)
  kDeadLettered,  // sent to <topic>.dlq: does not parse or validate, or hit a data/script error
  kRetried,       // a dependency failed on it: its batch is handed over again after a backoff
};

// "applied", "duplicate", "ignored", "dead_lettered", "retried".
absl::string_view EventOutcomeName(EventOutcome outcome);

// The type label of a message whose value does not parse or validate: its type cannot be
// trusted, and free-form text there would be unbounded.
inline constexpr absl::string_view kInvalidEventType = "invalid";

class EventMetrics {
 public:
  // `registry` may be null (nothing is recorded) and must outlive this object.
  explicit EventMetrics(metrics::Registry* registry);

  // `type` is the event's payload name (events::EventType), or kInvalidEventType.
  void Record(absl::string_view topic, absl::string_view type, EventOutcome outcome);

 private:
  metrics::Family<metrics::Counter>* handled_ = nullptr;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_EVENT_METRICS_H_
