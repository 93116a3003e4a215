// The order as the service keeps it: the public Order message plus the few fields that exist only
// so that an event can be rebuilt byte for byte later (by the outbox relay, or when a replayed
// event re-announces an outcome). Plain values; order_store.h maps them to Redis.
//
//   OrderRecord record = NewOrderRecord(request, OrderIdForRequest(request.request_id()), now_ms);
//   StatusEntry entry = CurrentStatus(record);   // {PENDING, -, now_ms}: the first history entry
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_RECORD_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_RECORD_H_

#include <cstdint>
#include <string>

#include "orderplatform/v1/order_service.pb.h"
#include "orderplatform/v1/types.pb.h"

namespace orderplatform::order {

struct OrderRecord {
  orderplatform::v1::Order order;
  // When CancelOrder was accepted: the occurred_at of OrderCancellationRequested.
  int64_t cancellation_requested_at_ms = 0;
  // The event id that made the order terminal: the causation of OrderConfirmed/OrderCancelled.
  std::string outcome_causation_id;
  // The W3C traceparent the order's saga continues: PlaceOrder's incoming one, or a new trace.
  // OrderPlaced and OrderCancellationRequested (also when the outbox relay re-publishes them)
  // continue it. "" for orders stored before tracing: their events use the order's derived
  // trace (tracing::TraceForOrder).
  std::string traceparent;
};

// One entry of an order's status history: what WatchOrder streams.
struct StatusEntry {
  orderplatform::v1::OrderStatus status = orderplatform::v1::ORDER_STATUS_UNSPECIFIED;
  orderplatform::v1::CancelReason cancel_reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
  int64_t at_ms = 0;

  friend bool operator==(const StatusEntry& a, const StatusEntry& b) {
    return a.status == b.status && a.cancel_reason == b.cancel_reason && a.at_ms == b.at_ms;
  }
};

// A PENDING order for a validated PlaceOrderRequest; lines are kept as the client sent them.
OrderRecord NewOrderRecord(const orderplatform::v1::PlaceOrderRequest& request,
                           const std::string& order_id, int64_t now_ms);

inline StatusEntry CurrentStatus(const OrderRecord& record) {
  return {record.order.status(), record.order.cancel_reason(), record.order.updated_at_ms()};
}

inline bool IsTerminal(orderplatform::v1::OrderStatus status) {
  return status == orderplatform::v1::CONFIRMED || status == orderplatform::v1::CANCELLED;
}

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_RECORD_H_
