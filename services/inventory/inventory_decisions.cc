#include "services/inventory/inventory_decisions.h"

#include "platform/events/envelope.h"
#include "platform/events/validation.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::Envelope;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

constexpr char kProducer[] = "inventory";

// `traceparent`: the trace the event continues (the cause's, or the reservation's for an expiry).
Envelope EnvelopeFor(const std::string& order_id, const char* type, const Envelope* cause,
                     int64_t now_ms, const std::string& traceparent) {
  return events::MakeEnvelope({.order_id = order_id,
                               .event_type = type,
                               .correlation_id = cause != nullptr ? cause->correlation_id() : order_id,
                               .causation_id = cause != nullptr ? cause->event_id() : "",
                               .producer = kProducer,
                               .occurred_at_ms = now_ms,
                               .traceparent = traceparent});
}

Envelope EnvelopeFor(const std::string& order_id, const char* type, const Envelope& cause,
                     int64_t now_ms) {
  return EnvelopeFor(order_id, type, &cause, now_ms, cause.traceparent());
}

void CopyLines(const std::vector<orderplatform::v1::OrderLine>& lines,
               google::protobuf::RepeatedPtrField<orderplatform::v1::OrderLine>* out) {
  for (const auto& line : lines) *out->Add() = line;
}

}  // namespace

InventoryCommand DecideOrderEvent(const OrderEvent& event) {
  const std::string& order_id = event.envelope().order_id();
  switch (event.payload_case()) {
    case OrderEvent::kOrderPlaced:
      return ReserveCommand{order_id, events::NormalizeLines(event.order_placed().lines())};
    case OrderEvent::kOrderCancellationRequested:
      return ReleaseCommand{order_id, orderplatform::v1::CUSTOMER_REQUEST};
    default:
      return IgnoreEvent{};  // OrderConfirmed / OrderCancelled are the order's own news
  }
}

InventoryCommand DecidePaymentEvent(const PaymentEvent& event) {
  const std::string& order_id = event.envelope().order_id();
  switch (event.payload_case()) {
    case PaymentEvent::kPaymentAuthorized:
      return CommitCommand{order_id};
    case PaymentEvent::kPaymentDeclined:
      return ReleaseCommand{order_id, orderplatform::v1::PAYMENT_DECLINED};
    default:
      return IgnoreEvent{};  // PaymentRefunded follows a release; nothing left to do
  }
}

InventoryEvent ReserveOutcomeEvent(const OrderEvent& placed, const ReserveCommand& command,
                                   const ReserveOutcome& outcome, int64_t now_ms) {
  InventoryEvent event;
  if (outcome.reserved) {
    // The reservation's own time, so a replay re-announces it identically.
    *event.mutable_envelope() = EnvelopeFor(command.order_id, "StockReserved", placed.envelope(),
                                            outcome.reserved_at_ms);
    auto* reserved = event.mutable_stock_reserved();
    CopyLines(command.lines, reserved->mutable_lines());
    reserved->set_expires_at_ms(outcome.deadline_ms);
    reserved->set_customer_id(placed.order_placed().customer_id());
    reserved->set_amount_cents(placed.order_placed().amount_cents());
    reserved->set_currency(placed.order_placed().currency());
    return event;
  }
  *event.mutable_envelope() =
      EnvelopeFor(command.order_id, "StockRejected", placed.envelope(), now_ms);
  auto* rejected = event.mutable_stock_rejected();
  rejected->set_reason(orderplatform::v1::OUT_OF_STOCK);
  if (outcome.reject_index >= 0 && outcome.reject_index < static_cast<int>(command.lines.size())) {
    rejected->set_sku(command.lines[outcome.reject_index].sku());
  }
  rejected->set_requested(outcome.requested);
  rejected->set_available(outcome.available);
  return event;
}

std::optional<InventoryEvent> CloseOutcomeEvent(const Envelope& cause, const CloseOutcome& outcome,
                                                int64_t now_ms) {
  InventoryEvent event;
  switch (outcome.kind) {
    case CloseOutcome::Kind::kCommitted:
      *event.mutable_envelope() = EnvelopeFor(cause.order_id(), "StockCommitted", cause, now_ms);
      CopyLines(outcome.lines, event.mutable_stock_committed()->mutable_lines());
      return event;
    case CloseOutcome::Kind::kReleased:
      *event.mutable_envelope() = EnvelopeFor(cause.order_id(), "StockReleased", cause, now_ms);
      event.mutable_stock_released()->set_reason(outcome.reason);
      CopyLines(outcome.lines, event.mutable_stock_released()->mutable_lines());
      return event;
    case CloseOutcome::Kind::kRejected:
    case CloseOutcome::Kind::kNotFound:
      return std::nullopt;
  }
  return std::nullopt;
}

InventoryEvent ExpiryEvent(const ExpiredReservation& expired, int64_t now_ms) {
  InventoryEvent event;
  *event.mutable_envelope() =
      EnvelopeFor(expired.order_id, "StockReleased", nullptr, now_ms, expired.traceparent);
  event.mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  CopyLines(expired.lines, event.mutable_stock_released()->mutable_lines());
  return event;
}

}  // namespace orderplatform::inventory
