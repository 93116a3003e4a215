// The order service's Kafka shell: consumes inventory.v1 and payments.v1 (one consumer, group
// orderplatform.order), applies each event to the order projection (order_projection.h) with a
// check-and-set in Redis, and returns the OrderConfirmed/OrderCancelled events to produce on
// orders.v1 (the consumer waits for their acks before it stores the offsets).
//
//   OrderEventHandler handler(&store, &counters);
//   BatchConsumer::Create({... .topics = {"inventory.v1", "payments.v1"}}, &handler, producer);
//
// An outcome is returned whenever an event maps to the terminal status the order has (not only
// on the transition), so a crash between the Redis write and the produce is healed by the
// redelivery; the event id is deterministic, so consumers see a harmless duplicate.
//
// A batch is applied as one check-and-set (OrderStore::UpdateBatch: two round trips and one
// MULTI/EXEC per batch, not per event); the projection of each fact stays a pure function.
//
// Failure mapping: a value that does not parse or fails events::ValidateEvent goes to
// `<topic>.dlq`; valid events of types that do not move a status are ignored, and so are events
// for orders this service never stored (a replay from before its data). Redis unavailable, or a
// check-and-set that kept losing (ABORTED), fails the batch: the consumer backs off and hands
// the same messages over again, and nothing goes to the DLQ. A stored record that does not parse
// (INTERNAL) sends that one message to the DLQ with the reason, so it cannot block its partition.
//
// Each message is counted in orderplatform_events_handled_total (kafka/event_metrics.h): applied
// (the status advanced), duplicate (the projection already held the fact, or a terminal outcome
// was announced again), ignored (no status to move, an unknown order, a contradicting terminal
// fact), dead_lettered or retried.
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENT_HANDLER_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENT_HANDLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "platform/kafka/consumer.h"
#include "platform/kafka/event_metrics.h"
#include "platform/metrics/registry.h"
#include "services/order/order_counters.h"
#include "services/order/order_projection.h"
#include "services/order/order_store.h"

namespace orderplatform::order {

struct OrderHandlerOptions {
  std::function<int64_t()> now_ms;  // default: wall clock
  // Where orderplatform_events_handled_total goes; null: not recorded. Must outlive the handler.
  metrics::Registry* metrics = nullptr;
};

class OrderEventHandler : public kafka::BatchHandler {
 public:
  OrderEventHandler(OrderStore* store, OrderCounters* counters, OrderHandlerOptions options = {});

  absl::StatusOr<std::vector<kafka::OutgoingMessage>> Handle(
      absl::Span<const kafka::ConsumedMessage> batch) override;

 private:
  // One message of a batch, parsed: the fact it states, if any.
  struct Parsed {
    std::vector<kafka::OutgoingMessage> dead_letters;  // did not parse or validate
    std::optional<std::pair<std::string, StatusFact>> fact;  // order id and fact
    Projection projection;  // what applying the fact decided (the attempt that was written)
    std::string type;       // for the metrics: the payload name or kafka::kInvalidEventType
  };
  // What an applied fact produces: the outcome event, if any, after counting and logging it.
  std::optional<orderplatform::v1::OrderEvent> Announce(const std::string& order_id,
                                                        const StatusFact& fact,
                                                        const Projection& projection,
                                                        const OrderRecord& stored);

  OrderStore* store_;
  OrderCounters* counters_;
  OrderHandlerOptions options_;
  kafka::EventMetrics events_;
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENT_HANDLER_H_
