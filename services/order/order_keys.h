// Redis key layout of the order service (see docs/ORDER_SERVICE.md).
//
//   {orders}:order:<order_id>    hash  the order record (fields in order_store.cc)
//   {orders}:history:<order_id>  list  one entry per status change: "STATUS,REASON,AT_MS"
//   {orders}:outbox              zset  event id ("<order_id>/OrderPlaced") -> enqueued_at_ms,
//                                      until the broker acknowledged that event
//
// Every key carries the same hash tag, so that the one MULTI/EXEC that stores an order, its first
// history entry and its outbox entry stays valid on Redis Cluster (a transaction may only touch
// keys of one slot). Order ids are validated (events::IsValidId) before they get here.
//
//   OrderKeys keys;                      // or OrderKeys("tag") to share a Redis between tenants
//   redis->Command({"HGETALL", keys.Order("o-1")});
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_KEYS_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_KEYS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orderplatform::order {

inline constexpr char kDefaultHashTag[] = "orders";

class OrderKeys {
 public:
  explicit OrderKeys(absl::string_view hash_tag = kDefaultHashTag)
      : prefix_(absl::StrCat("{", hash_tag, "}:")) {}

  std::string Order(absl::string_view order_id) const {
    return absl::StrCat(prefix_, "order:", order_id);
  }
  std::string History(absl::string_view order_id) const {
    return absl::StrCat(prefix_, "history:", order_id);
  }
  std::string Outbox() const { return absl::StrCat(prefix_, "outbox"); }

 private:
  std::string prefix_;
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_KEYS_H_
