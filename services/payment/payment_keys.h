// Redis key layout of the payment service, in one place.
//
//   payment:ledger:<order_id>  hash    the order's payment: state, amount_cents, currency,
//                                      decline_reason, decided_at_ms, refunded_at_ms
//                                      (expires after --ledger_retention_ms)
//   payment:behavior           string  the PaymentBehavior proto, serialized (no expiry)
//
// The ledger keys carry their own `ledger:` segment so that no order id (any printable ASCII,
// see events::IsValidId) can name the behavior key: "payment:behavior" does not start with
// "payment:ledger:". Every command touches one key, so the layout also works on Redis Cluster.
//
//   PaymentKeys keys;
//   redis->Command({"HGETALL", keys.Ledger("o-1")});
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_KEYS_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_KEYS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orderplatform::payment {

class PaymentKeys {
 public:
  // `prefix` lets tests (and a shared Redis) keep several platforms apart.
  explicit PaymentKeys(absl::string_view prefix = "payment") : prefix_(prefix) {}

  std::string Ledger(absl::string_view order_id) const {
    return absl::StrCat(prefix_, ":ledger:", order_id);
  }
  std::string Behavior() const { return absl::StrCat(prefix_, ":behavior"); }

 private:
  std::string prefix_;
};

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_KEYS_H_
