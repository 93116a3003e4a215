#include "services/order/order_validation.h"

#include "absl/strings/str_cat.h"
#include "platform/events/validation.h"

namespace orderplatform::order {

absl::Status ValidatePlaceOrder(const orderplatform::v1::PlaceOrderRequest& request) {
  if (request.request_id().empty()) return absl::InvalidArgumentError("request_id is empty");
  if (!events::IsValidId(request.request_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request_id must be 1..", events::kMaxIdLength, " printable characters without spaces"));
  }
  if (absl::Status lines = events::ValidateLines(request.lines()); !lines.ok()) return lines;
  if (absl::Status amount = events::ValidateAmount(request.amount_cents()); !amount.ok()) {
    return amount;
  }
  if (request.customer_id().size() > kCustomerIdBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer_id is longer than ", kCustomerIdBytesMax, " bytes"));
  }
  if (request.currency().size() > kCurrencyBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency is longer than ", kCurrencyBytesMax, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOrderId(absl::string_view order_id) {
  if (order_id.empty()) return absl::InvalidArgumentError("order_id is empty");
  if (!events::IsValidId(order_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "order_id must be 1..", events::kMaxIdLength, " printable characters without spaces"));
  }
  return absl::OkStatus();
}

}  // namespace orderplatform::order
