// The payment service's event logic, as pure functions: which command an inventory.v1 event asks
// for, and which payments.v1 event announces what the ledger holds. No Redis, no Kafka, no
// clock: unit-tested on values alone. The handler (payment_event_handler.h) is the shell around
// them.
//
//   inventory.v1 StockReserved -> PayCommand    -> ledger AUTHORIZED          -> PaymentAuthorized
//                                                  ledger DECLINED            -> PaymentDeclined
//                                                  ledger REFUNDED            -> PaymentAuthorized
//                                                  ledger no_answer           -> nothing
//   inventory.v1 StockReleased -> RefundCommand -> ledger REFUNDED            -> PaymentRefunded
//                                                  DECLINED / no entry        -> nothing
//   inventory.v1 StockRejected, StockCommitted  -> IgnoreEvent
//
// Events are built from the ledger entry, never from a fresh decision, so a replay (or an
// instance that would decide differently) announces the first decision again, with the same
// event id and the same occurred_at_ms (the ledger's timestamps): a byte-identical duplicate.
// A REFUNDED entry is announced as PaymentAuthorized to a replayed StockReserved because the
// decision was to authorize; the refund has its own event. Each event continues the trace of
// `cause` (its traceparent, set by the handler to the consumed record's trace).
//
//   PaymentCommand command = DecideInventoryEvent(event);
//   if (auto* pay = std::get_if<PayCommand>(&command)) {
//     LedgerEntry proposed = ProposedEntry(*pay, DecidePayment(behavior, pay->order), now_ms);
//     ... ledger ...
//     std::optional<PaymentEvent> out = DecisionEvent(event.envelope(), recorded.entry);
//   }
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENTS_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "orderplatform/v1/events.pb.h"
#include "services/payment/ledger_entry.h"
#include "services/payment/payment_decision.h"

namespace orderplatform::payment {

inline constexpr char kProducer[] = "payment";

struct IgnoreEvent {};
struct PayCommand {
  OrderToPay order;
  std::string currency;
};
struct RefundCommand {
  std::string order_id;
};
using PaymentCommand = std::variant<IgnoreEvent, PayCommand, RefundCommand>;

// events::ValidateEvent plus what payment relies on: a StockReserved amount is not negative.
// INVALID_ARGUMENT with a one-line reason; such a message goes to inventory.v1.dlq.
absl::Status ValidateInventoryEvent(const orderplatform::v1::InventoryEvent& event);

// The event must have passed ValidateInventoryEvent.
PaymentCommand DecideInventoryEvent(const orderplatform::v1::InventoryEvent& event);

// The ledger entry to propose for a decision: AUTHORIZED, DECLINED, or marked no_answer (the
// mock never answers; recorded so that a replay under a changed behavior stays unanswered).
LedgerEntry ProposedEntry(const PayCommand& command, const PaymentDecision& decision,
                          int64_t now_ms);

// PaymentAuthorized (entry AUTHORIZED or REFUNDED) or PaymentDeclined (DECLINED), caused by
// `cause` (the StockReserved). nullopt for an entry marked no_answer: nothing is ever announced.
std::optional<orderplatform::v1::PaymentEvent> DecisionEvent(
    const orderplatform::v1::Envelope& cause, const LedgerEntry& entry);

// PaymentRefunded when the entry is REFUNDED, caused by `cause` (the StockReleased); nullopt for
// every other state: there is nothing to give back.
std::optional<orderplatform::v1::PaymentEvent> RefundEvent(const orderplatform::v1::Envelope& cause,
                                                           const LedgerEntry& entry);

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENTS_H_
