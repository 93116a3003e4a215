// One order's payment as the ledger holds it: a plain value shared by the Redis adapter
// (payment_ledger.h), which reads and writes it, and the pure event mapping (payment_events.h),
// which turns it into the payments.v1 event to announce. Nothing here touches Redis or Kafka.
//
//   LedgerEntry entry{.order_id = "o-1", .state = orderplatform::v1::AUTHORIZED,
//                     .amount_cents = 1999, .currency = "EUR", .decided_at_ms = now_ms};
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_LEDGER_ENTRY_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_LEDGER_ENTRY_H_

#include <cstdint>
#include <string>

#include "orderplatform/v1/types.pb.h"

namespace orderplatform::payment {

struct LedgerEntry {
  std::string order_id;
  // AUTHORIZED or DECLINED when decided; AUTHORIZED becomes REFUNDED. UNSPECIFIED in a stored
  // entry only together with `no_answer`.
  orderplatform::v1::PaymentState state = orderplatform::v1::PAYMENT_STATE_UNSPECIFIED;
  int64_t amount_cents = 0;
  std::string currency;
  std::string decline_reason;  // DECLINED only
  int64_t decided_at_ms = 0;   // when the first decision was recorded
  int64_t refunded_at_ms = 0;  // REFUNDED only: when the first refund was recorded
  // The mock chose never to answer this order (no_answer_rate). Recorded like a decision, so
  // that a replayed StockReserved finds it and stays unanswered even after SetBehavior changed
  // the rate: deciding anew could authorize an order whose reservation expired long ago (I5).
  // Never announced, never shown by GetPayment, and never refunded (there is nothing to give
  // back).
  bool no_answer = false;

  friend bool operator==(const LedgerEntry& a, const LedgerEntry& b) {
    return a.order_id == b.order_id && a.state == b.state && a.amount_cents == b.amount_cents &&
           a.currency == b.currency && a.decline_reason == b.decline_reason &&
           a.decided_at_ms == b.decided_at_ms && a.refunded_at_ms == b.refunded_at_ms &&
           a.no_answer == b.no_answer;
  }
  friend bool operator!=(const LedgerEntry& a, const LedgerEntry& b) { return !(a == b); }
};

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_LEDGER_ENTRY_H_
