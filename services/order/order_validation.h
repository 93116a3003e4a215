// The contract's rules for the order service's requests, checked before anything is stored or
// produced: a request that fails gets INVALID_ARGUMENT and changes nothing (I7).
//
//   absl::Status valid = ValidatePlaceOrder(request);   // INVALID_ARGUMENT with a one-line reason
//   absl::Status id_ok = ValidateOrderId(request.order_id());
//
// PlaceOrder: request_id present and an id (events::IsValidId); 1..100 lines; every SKU matches
// [A-Za-z0-9._-]{1,64}; every quantity >= 1; amount_cents >= 0. The contract fixes no rule for
// customer_id and currency; they are only bounded in size, so that one request cannot store an
// arbitrarily large record.
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_VALIDATION_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orderplatform/v1/order_service.pb.h"

namespace orderplatform::order {

inline constexpr size_t kCustomerIdBytesMax = 128;
inline constexpr size_t kCurrencyBytesMax = 16;

absl::Status ValidatePlaceOrder(const orderplatform::v1::PlaceOrderRequest& request);

// GetOrder, CancelOrder, WatchOrder: a non-empty, well-formed id.
absl::Status ValidateOrderId(absl::string_view order_id);

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_VALIDATION_H_
