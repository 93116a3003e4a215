// The order projection, as pure functions: what an inventory.v1 or payments.v1 event says about
// an order's status, and how the stored status moves. No Redis, no Kafka.
//
//   inventory.v1  StockReserved          -> RESERVED
//   payments.v1   PaymentAuthorized      -> PAID
//   inventory.v1  StockCommitted         -> CONFIRMED            (terminal)
//   inventory.v1  StockRejected(reason)  -> CANCELLED(reason)    (terminal; OUT_OF_STOCK, INVALID_ORDER)
//   inventory.v1  StockReleased(reason)  -> CANCELLED(reason)    (terminal)
//   payments.v1   PaymentDeclined, PaymentRefunded: no status of their own. Inventory's
//                 StockReleased carries the outcome, so a terminal status is decided by
//                 inventory facts alone and "CANCELLED" always means "reserved is back to 0".
//
// The statuses form a lattice, PENDING < RESERVED < PAID < {CONFIRMED, CANCELLED}: a non-terminal
// fact only raises the status, and a terminal status is never left. The two topics are consumed
// independently, so their events arrive in any relative order; because of the lattice, every
// order of one saga's events ends in the same status (order_projection_test.cc enumerates them).
//
//   std::optional<StatusFact> fact = FactOf(inventory_event);
//   if (fact) {
//     Projection p = Project(current_record, *fact, now_ms);
//     if (p.write()) store p.record (and a history entry);
//     if (p.announce()) produce OutcomeEvent(p.record);
//   }
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_PROJECTION_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_PROJECTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/types.pb.h"
#include "services/order/order_record.h"

namespace orderplatform::order {

// A status an event stands for.
struct StatusFact {
  orderplatform::v1::OrderStatus status = orderplatform::v1::ORDER_STATUS_UNSPECIFIED;
  orderplatform::v1::CancelReason cancel_reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
  std::string event_id;  // the stating event: causation of the outcome event it may trigger
  // The stating event's trace (set by the handler from the consumed record): an outcome it
  // triggers continues it.
  std::string traceparent;
};

// nullopt for events that do not move the status. The event must have passed
// events::ValidateEvent.
std::optional<StatusFact> FactOf(const orderplatform::v1::InventoryEvent& event);
std::optional<StatusFact> FactOf(const orderplatform::v1::PaymentEvent& event);

// PENDING 1, RESERVED 2, PAID 3, CONFIRMED and CANCELLED 4 (UNSPECIFIED 0).
int StatusRank(orderplatform::v1::OrderStatus status);

struct Projection {
  enum class Kind {
    kUnchanged,         // the fact is already reflected (or outranked): nothing to do
    kAdvanced,          // raised to a non-terminal status: store it
    kTerminated,        // reached a terminal status: store it and announce the outcome
    kReannounced,       // the fact restates the terminal status the order already has: a replay
                        // or a redelivery after a crash between store and produce; announce again
    kTerminalConflict,  // a terminal fact contradicting the order's terminal status: ignored
  };
  Kind kind = Kind::kUnchanged;
  OrderRecord record;  // the record after the fact
  // The statuses the fact implies the order went through but that no event has shown it yet:
  // the two topics may arrive in either order, so StockCommitted can come before
  // PaymentAuthorized (commit implies paid) and PaymentAuthorized before StockReserved (payment
  // implies reserved). Recording them keeps every order's history the same whatever the
  // arrival order: a confirmed order always reads PENDING, RESERVED, PAID, CONFIRMED.
  std::vector<StatusEntry> implied_history;

  bool write() const { return kind == Kind::kAdvanced || kind == Kind::kTerminated; }
  bool announce() const { return kind == Kind::kTerminated || kind == Kind::kReannounced; }
};

Projection Project(const OrderRecord& current, const StatusFact& fact, int64_t now_ms);

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_PROJECTION_H_
