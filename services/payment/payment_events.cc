#include "services/payment/payment_events.h"

#include "platform/events/envelope.h"
#include "platform/events/validation.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::Envelope;
using orderplatform::v1::PaymentEvent;

Envelope EnvelopeFor(const Envelope& cause, const std::string& order_id,
                     const std::string& event_type, int64_t occurred_at_ms) {
  return events::MakeEnvelope({.order_id = order_id,
                               .event_type = event_type,
                               .correlation_id = cause.correlation_id(),
                               .causation_id = cause.event_id(),
                               .producer = kProducer,
                               .occurred_at_ms = occurred_at_ms,
                               .traceparent = cause.traceparent()});
}

}  // namespace

absl::Status ValidateInventoryEvent(const orderplatform::v1::InventoryEvent& event) {
  if (absl::Status valid = events::ValidateEvent(event); !valid.ok()) return valid;
  if (event.has_stock_reserved()) {
    return events::ValidateAmount(event.stock_reserved().amount_cents());
  }
  return absl::OkStatus();
}

PaymentCommand DecideInventoryEvent(const orderplatform::v1::InventoryEvent& event) {
  const std::string& order_id = event.envelope().order_id();
  switch (event.payload_case()) {
    case orderplatform::v1::InventoryEvent::kStockReserved: {
      const auto& reserved = event.stock_reserved();
      return PayCommand{.order = {.order_id = order_id,
                                  .customer_id = reserved.customer_id(),
                                  .amount_cents = reserved.amount_cents()},
                        .currency = reserved.currency()};
    }
    case orderplatform::v1::InventoryEvent::kStockReleased:
      // Whatever the reason (declined, expired, cancelled): money taken for stock that was given
      // back must be returned. The ledger knows whether any was taken.
      return RefundCommand{.order_id = order_id};
    default:
      return IgnoreEvent{};
  }
}

LedgerEntry ProposedEntry(const PayCommand& command, const PaymentDecision& decision,
                          int64_t now_ms) {
  const bool declined = decision.answer == PaymentAnswer::kDecline;
  const bool no_answer = decision.answer == PaymentAnswer::kNoAnswer;
  return LedgerEntry{
      .order_id = command.order.order_id,
      .state = no_answer  ? orderplatform::v1::PAYMENT_STATE_UNSPECIFIED
               : declined ? orderplatform::v1::DECLINED
                          : orderplatform::v1::AUTHORIZED,
      .amount_cents = command.order.amount_cents,
      .currency = command.currency,
      .decline_reason = declined ? decision.decline_reason : "",
      .decided_at_ms = now_ms,
      .no_answer = no_answer};
}

std::optional<PaymentEvent> DecisionEvent(const Envelope& cause, const LedgerEntry& entry) {
  PaymentEvent event;
  switch (entry.state) {
    case orderplatform::v1::AUTHORIZED:
    case orderplatform::v1::REFUNDED: {
      *event.mutable_envelope() =
          EnvelopeFor(cause, entry.order_id, "PaymentAuthorized", entry.decided_at_ms);
      auto* authorized = event.mutable_payment_authorized();
      authorized->set_amount_cents(entry.amount_cents);
      authorized->set_currency(entry.currency);
      return event;
    }
    case orderplatform::v1::DECLINED:
      *event.mutable_envelope() =
          EnvelopeFor(cause, entry.order_id, "PaymentDeclined", entry.decided_at_ms);
      event.mutable_payment_declined()->set_reason(entry.decline_reason);
      return event;
    default:
      return std::nullopt;
  }
}

std::optional<PaymentEvent> RefundEvent(const Envelope& cause, const LedgerEntry& entry) {
  if (entry.state != orderplatform::v1::REFUNDED) return std::nullopt;
  PaymentEvent event;
  *event.mutable_envelope() =
      EnvelopeFor(cause, entry.order_id, "PaymentRefunded", entry.refunded_at_ms);
  auto* refunded = event.mutable_payment_refunded();
  refunded->set_amount_cents(entry.amount_cents);
  refunded->set_currency(entry.currency);
  return event;
}

}  // namespace orderplatform::payment
