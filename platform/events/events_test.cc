#include "gtest/gtest.h"
#include "platform/events/envelope.h"
#include "platform/events/validation.h"

namespace orderplatform::events {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderLine;

OrderEvent PlacedEvent(std::vector<std::pair<std::string, int>> lines) {
  OrderEvent event;
  *event.mutable_envelope() = MakeEnvelope({.order_id = "o-1", .event_type = "OrderPlaced"});
  for (const auto& [sku, quantity] : lines) {
    OrderLine* line = event.mutable_order_placed()->add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  return event;
}

TEST(EnvelopeTest, EventIdIsDerivedFromOrderAndTypeOnly) {
  auto a = MakeEnvelope({.order_id = "o-1", .event_type = "StockReserved", .occurred_at_ms = 1});
  auto b = MakeEnvelope({.order_id = "o-1", .event_type = "StockReserved", .occurred_at_ms = 2});
  auto c = MakeEnvelope({.order_id = "o-1", .event_type = "StockReleased", .occurred_at_ms = 1});
  EXPECT_EQ(a.event_id(), b.event_id());
  EXPECT_NE(a.event_id(), c.event_id());
  EXPECT_EQ(a.event_id(), "o-1/StockReserved");
}

TEST(EnvelopeTest, EventTypeNamesThePayloadMessage) {
  InventoryEvent event;
  EXPECT_EQ(EventType(event), "");
  event.mutable_stock_released();
  EXPECT_EQ(EventType(event), "StockReleased");
  EXPECT_EQ(EventType(PlacedEvent({{"A", 1}})), "OrderPlaced");
}

TEST(ValidationTest, SkuAlphabetKeepsRedisKeySyntaxOut) {
  EXPECT_TRUE(IsValidSku("sku-1.A_b"));
  EXPECT_TRUE(IsValidSku(std::string(64, 'x')));
  EXPECT_FALSE(IsValidSku(std::string(65, 'x')));
  EXPECT_FALSE(IsValidSku(""));
  EXPECT_FALSE(IsValidSku("{op}"));
  EXPECT_FALSE(IsValidSku("a:b"));
  EXPECT_FALSE(IsValidSku("a b"));
  EXPECT_FALSE(IsValidSku("a,b"));
}

TEST(ValidationTest, RejectsBadOrders) {
  EXPECT_TRUE(ValidateEvent(PlacedEvent({{"A", 1}})).ok());
  EXPECT_FALSE(ValidateEvent(PlacedEvent({})).ok());
  EXPECT_FALSE(ValidateEvent(PlacedEvent({{"A", 0}})).ok());
  EXPECT_FALSE(ValidateEvent(PlacedEvent({{"bad sku", 1}})).ok());
  std::vector<std::pair<std::string, int>> many(101, {"A", 1});
  EXPECT_FALSE(ValidateEvent(PlacedEvent(many)).ok());
  OrderEvent negative = PlacedEvent({{"A", 1}});
  negative.mutable_order_placed()->set_amount_cents(-1);
  EXPECT_FALSE(ValidateEvent(negative).ok());
}

TEST(ValidationTest, RejectsEventsWithoutEnvelopeOrPayload) {
  OrderEvent no_envelope;
  no_envelope.mutable_order_cancellation_requested();
  EXPECT_FALSE(ValidateEvent(no_envelope).ok());
  OrderEvent no_payload;
  *no_payload.mutable_envelope() = MakeEnvelope({.order_id = "o-1", .event_type = "X"});
  EXPECT_FALSE(ValidateEvent(no_payload).ok());
}

TEST(ValidationTest, RejectsLinesOfOneSkuAddingUpBeyondInt32) {
  EXPECT_TRUE(ValidateEvent(PlacedEvent({{"A", INT32_MAX}, {"B", INT32_MAX}})).ok());
  EXPECT_TRUE(ValidateEvent(PlacedEvent({{"A", INT32_MAX - 1}, {"A", 1}})).ok());
  absl::Status status = ValidateEvent(PlacedEvent({{"A", INT32_MAX}, {"B", 1}, {"A", 1}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "line 3: the quantities of SKU A add up to more than 2147483647");
}

TEST(ValidationTest, NormalizeMergesDuplicateSkusAndSorts) {
  OrderEvent event = PlacedEvent({{"B", 2}, {"A", 1}, {"B", 3}});
  std::vector<OrderLine> lines = NormalizeLines(event.order_placed().lines());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].sku(), "A");
  EXPECT_EQ(lines[0].quantity(), 1);
  EXPECT_EQ(lines[1].sku(), "B");
  EXPECT_EQ(lines[1].quantity(), 5);
}

TEST(ValidationTest, NormalizeClampsSummedQuantityInsteadOfWrapping) {
  OrderEvent event = PlacedEvent({{"A", INT32_MAX}, {"A", INT32_MAX}});
  std::vector<OrderLine> lines = NormalizeLines(event.order_placed().lines());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].quantity(), INT32_MAX);
}

}  // namespace
}  // namespace orderplatform::events
