// Order ids derived from the client's request_id, so that PlaceOrder is idempotent (I6): the
// same request_id always names the same order, on every instance, across restarts and builds.
//
//   std::string id = OrderIdForRequest("req-42");   // "o-" + 32 lowercase hex digits
//
// The id is a stable 128-bit hash of the request id (platform/hash/stable_hash.h): std::hash and
// absl::Hash are not used, as their values may change between builds or runs, and an order id is
// persisted. The function must never change (order_id_test.cc pins known values);
// a new scheme would need a new prefix.
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_ID_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace orderplatform::order {

inline constexpr char kOrderIdPrefix[] = "o-";

std::string OrderIdForRequest(absl::string_view request_id);

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_ID_H_
