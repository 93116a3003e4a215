#include "tools/loadgen/terminal_event.h"

#include "gtest/gtest.h"
#include "orderplatform/v1/events.pb.h"

namespace orderplatform::loadgen {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;

std::string Confirmed(const std::string& order_id) {
  OrderEvent e;
  e.mutable_envelope()->set_order_id(order_id);
  e.mutable_order_confirmed();
  return e.SerializeAsString();
}

TEST(TerminalEventTest, OrderOutcomes) {
  std::optional<TerminalEvent> end =
      ClassifyTerminal(TerminalSource::kOrderOutcome, "orders.v1", Confirmed("o-1"));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->order_id, "o-1");
  EXPECT_EQ(end->outcome, Outcome::kConfirmed);

  OrderEvent cancelled;
  cancelled.mutable_envelope()->set_order_id("o-2");
  cancelled.mutable_order_cancelled()->set_reason(orderplatform::v1::PAYMENT_DECLINED);
  end = ClassifyTerminal(TerminalSource::kOrderOutcome, "orders.v1",
                         cancelled.SerializeAsString());
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->outcome, Outcome::kCancelled);
  EXPECT_EQ(end->reason, "PAYMENT_DECLINED");
}

TEST(TerminalEventTest, PlacementIsNotTerminal) {
  OrderEvent placed;
  placed.mutable_envelope()->set_order_id("o-1");
  placed.mutable_order_placed()->set_request_id("r");
  EXPECT_FALSE(ClassifyTerminal(TerminalSource::kOrderOutcome, "orders.v1",
                                placed.SerializeAsString())
                   .has_value());
}

TEST(TerminalEventTest, WrongTopicGarbageAndMissingIdAreNotTerminal) {
  EXPECT_FALSE(
      ClassifyTerminal(TerminalSource::kOrderOutcome, "inventory.v1", Confirmed("o-1")).has_value());
  EXPECT_FALSE(
      ClassifyTerminal(TerminalSource::kOrderOutcome, "orders.v1", "\xff\xff garbage").has_value());
  EXPECT_FALSE(ClassifyTerminal(TerminalSource::kOrderOutcome, "orders.v1", Confirmed(""))
                   .has_value());
}

TEST(TerminalEventTest, InventoryOutcomes) {
  InventoryEvent committed;
  committed.mutable_envelope()->set_order_id("o-1");
  committed.mutable_stock_committed();
  std::optional<TerminalEvent> end = ClassifyTerminal(
      TerminalSource::kInventoryOutcome, "inventory.v1", committed.SerializeAsString());
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->outcome, Outcome::kConfirmed);

  InventoryEvent rejected;
  rejected.mutable_envelope()->set_order_id("o-2");
  rejected.mutable_stock_rejected()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  end = ClassifyTerminal(TerminalSource::kInventoryOutcome, "inventory.v1",
                         rejected.SerializeAsString());
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->outcome, Outcome::kCancelled);
  EXPECT_EQ(end->reason, "OUT_OF_STOCK");

  InventoryEvent released;
  released.mutable_envelope()->set_order_id("o-3");
  released.mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  end = ClassifyTerminal(TerminalSource::kInventoryOutcome, "inventory.v1",
                         released.SerializeAsString());
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->reason, "RESERVATION_EXPIRED");

  InventoryEvent reserved;
  reserved.mutable_envelope()->set_order_id("o-4");
  reserved.mutable_stock_reserved();
  EXPECT_FALSE(ClassifyTerminal(TerminalSource::kInventoryOutcome, "inventory.v1",
                                reserved.SerializeAsString())
                   .has_value());
}

}  // namespace
}  // namespace orderplatform::loadgen
