// The events the order service produces on orders.v1, built from the stored order record only,
// so that rebuilding one later (outbox relay, re-announcement after a replay) yields the same
// event: same deterministic id ("<order_id>/<EventType>"), same payload, same occurred_at.
//
//   OrderPlaced                 at created_at_ms                 (PlaceOrder, via the outbox)
//   OrderCancellationRequested  at cancellation_requested_at_ms  (CancelOrder, via the outbox)
//   OrderConfirmed              at updated_at_ms of the terminal status (the projection)
//   OrderCancelled(reason)      likewise
//
// The saga's correlation id is the order id. The outbox (order_store.h) holds event ids, which
// ParseOutboxEntry splits back into order id and event type.
//
// Trace context: OrderPlaced and OrderCancellationRequested continue the order's trace
// (record.traceparent); an outcome continues the trace of the event that decided it, so the
// order service, like every consumer, passes on what it consumed. Each event's span id is derived
// from its event id, so a rebuilt event keeps its bytes.
//
//   kafka::OutgoingMessage m = OrdersMessage(OrderPlacedEvent(record));  // key = order id
//   absl::StatusOr<OrderEvent> again = OutboxEvent(record, kOrderPlaced);
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENTS_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENTS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/kafka/message.h"
#include "services/order/order_record.h"

namespace orderplatform::order {

inline constexpr char kProducerName[] = "order";
inline constexpr char kOrderPlaced[] = "OrderPlaced";
inline constexpr char kOrderCancellationRequested[] = "OrderCancellationRequested";
inline constexpr char kOrderConfirmed[] = "OrderConfirmed";
inline constexpr char kOrderCancelled[] = "OrderCancelled";

orderplatform::v1::OrderEvent OrderPlacedEvent(const OrderRecord& record);
orderplatform::v1::OrderEvent CancellationRequestedEvent(const OrderRecord& record);
// OrderConfirmed or OrderCancelled(reason). The record must be terminal. The event continues
// `cause_traceparent` (the deciding event's trace) or, when that is not valid, the order's.
orderplatform::v1::OrderEvent OutcomeEvent(const OrderRecord& record,
                                           absl::string_view cause_traceparent = "");

// An orders.v1 message for `event`, keyed by its order id.
kafka::OutgoingMessage OrdersMessage(const orderplatform::v1::OrderEvent& event);

// An outbox entry names an event by its id.
struct OutboxEntry {
  std::string order_id;
  std::string event_type;  // kOrderPlaced or kOrderCancellationRequested
};
std::string OutboxMember(absl::string_view order_id, absl::string_view event_type);
// nullopt for a member that is not "<order_id>/<known outbox event type>".
std::optional<OutboxEntry> ParseOutboxEntry(absl::string_view member);
// The event an outbox entry stands for. INVALID_ARGUMENT for an event type the outbox never
// holds; FAILED_PRECONDITION for a cancellation the record does not carry.
absl::StatusOr<orderplatform::v1::OrderEvent> OutboxEvent(const OrderRecord& record,
                                                          absl::string_view event_type);
// Within one order, OrderPlaced must reach the partition before OrderCancellationRequested:
// inventory ignores a release for a reservation it has not made yet.
int OutboxPublishRank(absl::string_view event_type);

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_EVENTS_H_
