#include "services/order/order_id.h"

#include "absl/strings/str_cat.h"
#include "platform/hash/stable_hash.h"

namespace orderplatform::order {
namespace {

// Hashed before the request id: a later id scheme can change it without reusing old ids.
constexpr absl::string_view kDomain = "orderplatform.order.id.v1";

}  // namespace

std::string OrderIdForRequest(absl::string_view request_id) {
  return absl::StrCat(kOrderIdPrefix, hash::StableHashHex128(kDomain, request_id));
}

}  // namespace orderplatform::order
