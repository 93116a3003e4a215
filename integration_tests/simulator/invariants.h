// The contract's invariants, checked on a snapshot of everything the three services keep.
//
// A snapshot is read straight from Redis: stock levels through ReservationStore::GetStock (one
// atomic read per SKU), orders through OrderStore, payments through PaymentLedger, and the
// inventory's reservation records. The simulator is single-threaded, so a snapshot taken
// between two steps is one instant of the system.
//
// What must hold at EVERY instant (CheckEveryInstant), and why it can:
//   I1         available >= 0 and available + reserved + sold == the stock set (each script is
//              atomic); also reserved / sold == the quantities of the RESERVED / COMMITTED
//              records, since the scripts move stock and the record in one step.
//   I3 (safe)  CONFIRMED => the reservation is COMMITTED (StockCommitted is only announced
//              after commit.lua sold); CANCELLED => it is REJECTED, or RELEASED with the same
//              reason (the projection's terminal facts are inventory facts).
//   I4 (safe)  CONFIRMED => payment AUTHORIZED, and COMMITTED => AUTHORIZED (a sale needs a
//              PaymentAuthorized, which is only announced from the ledger, and a sold
//              reservation is never released, so never refunded); REFUNDED => RELEASED;
//              released for PAYMENT_DECLINED => DECLINED; a payment exists only for an order
//              that was reserved.
//   lattice    an order's status never goes down and a terminal status (with its reason) never
//              changes; a closed reservation and a decided payment never change either, except
//              AUTHORIZED -> REFUNDED.
//   storage    every order a PlaceOrder call was made for is stored (it is stored before it is
//              announced); no valid event ever reaches a dead-letter topic.
// What holds only at QUIESCENCE (CheckQuiescent): every order terminal and reserved == 0 (I2),
// sold == the quantities of the CONFIRMED orders (I3; while a commit's StockCommitted is in
// flight, sold is ahead), CANCELLED => not AUTHORIZED (I4; the refund follows the release
// through a topic). And I5 compares two quiescent snapshots around a full replay.
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_INVARIANTS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_INVARIANTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration_tests/simulator/saga_world.h"
#include "orderplatform/v1/inventory_service.pb.h"
#include "services/order/order_record.h"
#include "services/payment/ledger_entry.h"

namespace orderplatform::simulator {

// A reservation record as the Lua scripts keep it (docs/INVENTORY.md).
struct ReservationView {
  std::string state;           // RESERVED, COMMITTED, RELEASED, REJECTED
  std::string release_reason;  // RELEASED only
  std::map<std::string, int64_t> quantities;  // SKU -> quantity (RESERVED outcome only)
};

struct OrderView {
  std::string request_id;
  std::optional<order::OrderRecord> record;  // nullopt: not stored
  int64_t history_length = 0;
  std::optional<ReservationView> reservation;
  std::optional<payment::LedgerEntry> payment;
};

struct Snapshot {
  std::map<std::string, orderplatform::v1::StockLevel> stock;  // by SKU
  std::map<std::string, OrderView> orders;                     // by order id
  int64_t order_outbox = 0;   // entries not yet acknowledged
  int64_t expiry_outbox = 0;  // expiries not yet acknowledged
  int64_t dead_letters = 0;
  std::string first_dead_letter;  // its dlq.error header, for the report

  // A stable text of everything above (for the determinism check and I5's comparison).
  std::string Canonical() const;
};

// `with_history`: also read each order's status history length (what I5 compares; the checks
// at every instant do not need it, and it costs a round trip per order).
absl::StatusOr<Snapshot> TakeSnapshot(SagaWorld& world, bool with_history);

struct Violation {
  std::string invariant;  // "I1", "I2", ..., "lattice", "storage"
  std::string detail;
};

std::optional<Violation> CheckEveryInstant(const SagaSetup& setup, const Snapshot& now,
                                           const Snapshot* before);
std::optional<Violation> CheckQuiescent(const SagaSetup& setup, const Snapshot& now);
// I5: what a replay from offset 0 may not change.
std::optional<Violation> CheckReplayChangedNothing(const Snapshot& before, const Snapshot& after);

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_INVARIANTS_H_
