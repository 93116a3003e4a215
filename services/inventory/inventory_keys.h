// Redis key layout of the inventory (see docs/INVENTORY.md).
//
//   {op}:stock:<sku>      hash  available, reserved, sold
//   {op}:resv:<order_id>  hash  the reservation record: state, outcome, skus, quantities, ...
//   {op}:deadlines        zset  order_id -> deadline_ms of every open reservation
//   {op}:expiry_outbox    zset  order_id -> expired_at_ms, until StockReleased is acknowledged
//
// Every key carries the same hash tag (`{op}` by default), so that on Redis Cluster one Lua call
// may touch all the SKUs of a multi-line order atomically. SKUs are validated to
// [A-Za-z0-9._-]{1,64} before they get here, so a SKU can never name another key.
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_KEYS_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_KEYS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orderplatform::inventory {

class InventoryKeys {
 public:
  explicit InventoryKeys(absl::string_view hash_tag = "op")
      : prefix_(absl::StrCat("{", hash_tag, "}:")) {}

  std::string Stock(absl::string_view sku) const { return absl::StrCat(prefix_, "stock:", sku); }
  std::string Reservation(absl::string_view order_id) const {
    return absl::StrCat(prefix_, "resv:", order_id);
  }
  std::string Deadlines() const { return absl::StrCat(prefix_, "deadlines"); }
  std::string ExpiryOutbox() const { return absl::StrCat(prefix_, "expiry_outbox"); }

 private:
  std::string prefix_;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_KEYS_H_
