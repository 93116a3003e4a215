// The inventory's decisions, as pure functions: which script an event asks for, and which event
// announces a script's outcome. No Redis, no Kafka: unit-tested on values alone.
//
//   orders.v1    OrderPlaced                 -> Reserve  -> StockReserved | StockRejected
//   orders.v1    OrderCancellationRequested  -> Release(CUSTOMER_REQUEST) -> StockReleased
//   payments.v1  PaymentAuthorized           -> Commit   -> StockCommitted | StockReleased
//   payments.v1  PaymentDeclined             -> Release(PAYMENT_DECLINED) -> StockReleased
//   deadline passed (sweeper)                -> Expire   -> StockReleased(RESERVATION_EXPIRED)
//
// An outcome is announced every time, also when the script reports a replay: the event id is
// the same, so consumers see a duplicate, and a crash between the script and the produce is
// healed by the re-delivery.
//
// Every announcement continues the trace of its cause (the cause envelope's traceparent, which
// the handler sets to the consumed record's trace), or, for an expiry, the trace stored with the
// reservation.
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_DECISIONS_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_DECISIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "orderplatform/v1/events.pb.h"
#include "services/inventory/reservation_outcomes.h"

namespace orderplatform::inventory {

struct IgnoreEvent {};
struct ReserveCommand {
  std::string order_id;
  std::vector<orderplatform::v1::OrderLine> lines;  // normalized: distinct SKUs, sorted
};
struct CommitCommand {
  std::string order_id;
};
struct ReleaseCommand {
  std::string order_id;
  orderplatform::v1::CancelReason reason;
};
using InventoryCommand = std::variant<IgnoreEvent, ReserveCommand, CommitCommand, ReleaseCommand>;

// The event must have passed events::ValidateEvent.
InventoryCommand DecideOrderEvent(const orderplatform::v1::OrderEvent& event);
InventoryCommand DecidePaymentEvent(const orderplatform::v1::PaymentEvent& event);

// StockReserved or StockRejected for an OrderPlaced.
orderplatform::v1::InventoryEvent ReserveOutcomeEvent(const orderplatform::v1::OrderEvent& placed,
                                                      const ReserveCommand& command,
                                                      const ReserveOutcome& outcome,
                                                      int64_t now_ms);

// StockCommitted or StockReleased for a commit or release; nothing when there was no
// reservation to close (never reserved, or unknown order).
std::optional<orderplatform::v1::InventoryEvent> CloseOutcomeEvent(
    const orderplatform::v1::Envelope& cause, const CloseOutcome& outcome, int64_t now_ms);

// StockReleased(RESERVATION_EXPIRED) for a reservation released by the expiry sweeper.
orderplatform::v1::InventoryEvent ExpiryEvent(const ExpiredReservation& expired, int64_t now_ms);

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_DECISIONS_H_
