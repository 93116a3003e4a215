#include "services/order/order_validation.h"

#include <string>

#include "gtest/gtest.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::PlaceOrderRequest;

PlaceOrderRequest Valid() {
  PlaceOrderRequest request;
  request.set_request_id("req-1");
  request.set_customer_id("c-1");
  request.set_amount_cents(1299);
  request.set_currency("EUR");
  auto* line = request.add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(2);
  return request;
}

void ExpectInvalid(const PlaceOrderRequest& request, const std::string& why) {
  absl::Status status = ValidatePlaceOrder(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << why << ": " << status;
}

TEST(ValidatePlaceOrderTest, AcceptsAValidRequestAndTheLimits) {
  EXPECT_TRUE(ValidatePlaceOrder(Valid()).ok());
  PlaceOrderRequest limits = Valid();
  limits.set_amount_cents(0);
  limits.mutable_lines(0)->set_sku(std::string(64, 'a'));
  limits.mutable_lines(0)->set_quantity(1);
  for (int i = 1; i < 100; ++i) *limits.add_lines() = limits.lines(0);
  limits.set_customer_id(std::string(kCustomerIdBytesMax, 'c'));
  limits.set_currency(std::string(kCurrencyBytesMax, 'X'));
  limits.set_request_id(std::string(128, 'r'));
  EXPECT_TRUE(ValidatePlaceOrder(limits).ok()) << ValidatePlaceOrder(limits);
  PlaceOrderRequest no_customer = Valid();
  no_customer.clear_customer_id();
  no_customer.clear_currency();
  EXPECT_TRUE(ValidatePlaceOrder(no_customer).ok());
}

TEST(ValidatePlaceOrderTest, RequestIdMustBePresentAndAnId) {
  PlaceOrderRequest request = Valid();
  request.clear_request_id();
  ExpectInvalid(request, "empty request_id");
  request.set_request_id("has space");
  ExpectInvalid(request, "request_id with a space");
  request.set_request_id(std::string(129, 'r'));
  ExpectInvalid(request, "request_id too long");
}

TEST(ValidatePlaceOrderTest, LinesMustBeOneToAHundred) {
  PlaceOrderRequest request = Valid();
  request.clear_lines();
  ExpectInvalid(request, "no lines");
  request = Valid();
  for (int i = 1; i < 101; ++i) *request.add_lines() = request.lines(0);
  ASSERT_EQ(request.lines_size(), 101);
  ExpectInvalid(request, "101 lines");
}

TEST(ValidatePlaceOrderTest, QuantityMustBeAtLeastOne) {
  for (int quantity : {0, -1, INT32_MIN}) {
    PlaceOrderRequest request = Valid();
    request.mutable_lines(0)->set_quantity(quantity);
    ExpectInvalid(request, "quantity " + std::to_string(quantity));
  }
  PlaceOrderRequest later_line = Valid();
  auto* bad = later_line.add_lines();
  bad->set_sku("SKU-2");
  bad->set_quantity(0);
  ExpectInvalid(later_line, "second line quantity 0");
}

TEST(ValidatePlaceOrderTest, SkuMustMatchTheAlphabet) {
  for (const std::string& sku : {std::string(""), std::string(65, 'a'), std::string("a b"),
                                 std::string("a:b"), std::string("a{b}"), std::string("a,b"),
                                 std::string("ä")}) {
    PlaceOrderRequest request = Valid();
    request.mutable_lines(0)->set_sku(sku);
    ExpectInvalid(request, "sku '" + sku + "'");
  }
}

TEST(ValidatePlaceOrderTest, AmountMustNotBeNegative) {
  PlaceOrderRequest request = Valid();
  request.set_amount_cents(-1);
  ExpectInvalid(request, "negative amount");
}

TEST(ValidatePlaceOrderTest, CustomerAndCurrencyAreBounded) {
  PlaceOrderRequest request = Valid();
  request.set_customer_id(std::string(kCustomerIdBytesMax + 1, 'c'));
  ExpectInvalid(request, "customer_id too long");
  request = Valid();
  request.set_currency(std::string(kCurrencyBytesMax + 1, 'X'));
  ExpectInvalid(request, "currency too long");
}

TEST(ValidateOrderIdTest, EmptyAndMalformedAreInvalid) {
  EXPECT_EQ(ValidateOrderId("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOrderId("o 1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOrderId(std::string(129, 'o')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateOrderId("o-0123").ok());
}

}  // namespace
}  // namespace orderplatform::order
