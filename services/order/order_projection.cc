#include "services/order/order_projection.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::OrderStatus;

// Proto3 enums are open: a value this build does not know is kept out of the record.
CancelReason KnownReason(CancelReason reason) {
  return orderplatform::v1::CancelReason_IsValid(reason) ? reason
                                                         : orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
}

StatusFact Fact(OrderStatus status, const orderplatform::v1::Envelope& envelope,
                CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED) {
  return StatusFact{.status = status, .cancel_reason = KnownReason(reason),
                    .event_id = envelope.event_id()};
}

}  // namespace

std::optional<StatusFact> FactOf(const orderplatform::v1::InventoryEvent& event) {
  using orderplatform::v1::InventoryEvent;
  switch (event.payload_case()) {
    case InventoryEvent::kStockReserved:
      return Fact(orderplatform::v1::RESERVED, event.envelope());
    case InventoryEvent::kStockRejected:
      return Fact(orderplatform::v1::CANCELLED, event.envelope(), event.stock_rejected().reason());
    case InventoryEvent::kStockCommitted:
      return Fact(orderplatform::v1::CONFIRMED, event.envelope());
    case InventoryEvent::kStockReleased:
      return Fact(orderplatform::v1::CANCELLED, event.envelope(), event.stock_released().reason());
    case InventoryEvent::PAYLOAD_NOT_SET:
      break;
  }
  return std::nullopt;
}

std::optional<StatusFact> FactOf(const orderplatform::v1::PaymentEvent& event) {
  if (event.payload_case() == orderplatform::v1::PaymentEvent::kPaymentAuthorized) {
    return Fact(orderplatform::v1::PAID, event.envelope());
  }
  // PaymentDeclined and PaymentRefunded: inventory's StockReleased decides the outcome.
  return std::nullopt;
}

int StatusRank(OrderStatus status) {
  switch (status) {
    case orderplatform::v1::PENDING: return 1;
    case orderplatform::v1::RESERVED: return 2;
    case orderplatform::v1::PAID: return 3;
    case orderplatform::v1::CONFIRMED:
    case orderplatform::v1::CANCELLED: return 4;
    default: return 0;
  }
}

Projection Project(const OrderRecord& current, const StatusFact& fact, int64_t now_ms) {
  Projection projection{.kind = Projection::Kind::kUnchanged, .record = current};
  const OrderStatus status = current.order.status();
  if (IsTerminal(status)) {
    if (!IsTerminal(fact.status)) return projection;
    projection.kind = fact.status == status ? Projection::Kind::kReannounced
                                            : Projection::Kind::kTerminalConflict;
    return projection;
  }
  if (StatusRank(fact.status) <= StatusRank(status)) return projection;

  // Inventory's events on one partition are ordered, so a release or rejection never overtakes
  // its reservation; only the two cross-topic steps can be skipped.
  const bool implies_paid = fact.status == orderplatform::v1::CONFIRMED;
  const bool implies_reserved = implies_paid || fact.status == orderplatform::v1::PAID;
  if (implies_reserved && StatusRank(status) < StatusRank(orderplatform::v1::RESERVED)) {
    projection.implied_history.push_back({orderplatform::v1::RESERVED,
                                          orderplatform::v1::CANCEL_REASON_UNSPECIFIED, now_ms});
  }
  if (implies_paid && StatusRank(status) < StatusRank(orderplatform::v1::PAID)) {
    projection.implied_history.push_back({orderplatform::v1::PAID,
                                          orderplatform::v1::CANCEL_REASON_UNSPECIFIED, now_ms});
  }

  orderplatform::v1::Order& order = projection.record.order;
  order.set_status(fact.status);
  order.set_cancel_reason(fact.status == orderplatform::v1::CANCELLED
                              ? fact.cancel_reason
                              : orderplatform::v1::CANCEL_REASON_UNSPECIFIED);
  order.set_updated_at_ms(now_ms);
  if (IsTerminal(fact.status)) {
    projection.kind = Projection::Kind::kTerminated;
    projection.record.outcome_causation_id = fact.event_id;
  } else {
    projection.kind = Projection::Kind::kAdvanced;
  }
  return projection;
}

}  // namespace orderplatform::order
