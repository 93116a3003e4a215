#include "services/inventory/inventory_decisions.h"

#include "gtest/gtest.h"
#include "platform/events/envelope.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderLine;
using orderplatform::v1::PaymentEvent;

OrderLine Line(const std::string& sku, int quantity) {
  OrderLine line;
  line.set_sku(sku);
  line.set_quantity(quantity);
  return line;
}

OrderEvent Placed() {
  OrderEvent event;
  *event.mutable_envelope() = events::MakeEnvelope(
      {.order_id = "o-1", .event_type = "OrderPlaced", .correlation_id = "o-1", .producer = "order"});
  auto* placed = event.mutable_order_placed();
  *placed->add_lines() = Line("B", 2);
  *placed->add_lines() = Line("A", 1);
  *placed->add_lines() = Line("B", 1);
  placed->set_customer_id("c-1");
  placed->set_amount_cents(1234);
  placed->set_currency("EUR");
  return event;
}

TEST(DecideOrderEventTest, OrderPlacedReservesNormalizedLines) {
  InventoryCommand command = DecideOrderEvent(Placed());
  const auto* reserve = std::get_if<ReserveCommand>(&command);
  ASSERT_NE(reserve, nullptr);
  EXPECT_EQ(reserve->order_id, "o-1");
  ASSERT_EQ(reserve->lines.size(), 2u);
  EXPECT_EQ(reserve->lines[0].sku(), "A");
  EXPECT_EQ(reserve->lines[1].sku(), "B");
  EXPECT_EQ(reserve->lines[1].quantity(), 3);
}

TEST(DecideOrderEventTest, CancellationReleasesAsCustomerRequest) {
  OrderEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = "o-2", .event_type = "x"});
  event.mutable_order_cancellation_requested();
  InventoryCommand command = DecideOrderEvent(event);
  const auto* release = std::get_if<ReleaseCommand>(&command);
  ASSERT_NE(release, nullptr);
  EXPECT_EQ(release->order_id, "o-2");
  EXPECT_EQ(release->reason, orderplatform::v1::CUSTOMER_REQUEST);
}

TEST(DecideOrderEventTest, OrderOutcomesAreIgnored) {
  OrderEvent event;
  event.mutable_order_confirmed();
  EXPECT_TRUE(std::holds_alternative<IgnoreEvent>(DecideOrderEvent(event)));
  event.mutable_order_cancelled();
  EXPECT_TRUE(std::holds_alternative<IgnoreEvent>(DecideOrderEvent(event)));
}

TEST(DecidePaymentEventTest, AuthorizedCommitsDeclinedReleasesRefundIgnored) {
  PaymentEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = "o-3", .event_type = "x"});
  event.mutable_payment_authorized();
  EXPECT_TRUE(std::holds_alternative<CommitCommand>(DecidePaymentEvent(event)));
  event.mutable_payment_declined();
  InventoryCommand declined = DecidePaymentEvent(event);
  ASSERT_TRUE(std::holds_alternative<ReleaseCommand>(declined));
  EXPECT_EQ(std::get<ReleaseCommand>(declined).reason, orderplatform::v1::PAYMENT_DECLINED);
  event.mutable_payment_refunded();
  EXPECT_TRUE(std::holds_alternative<IgnoreEvent>(DecidePaymentEvent(event)));
}

TEST(ReserveOutcomeEventTest, ReservedCarriesWhatPaymentNeedsAndTheStoredTime) {
  OrderEvent placed = Placed();
  ReserveCommand command = std::get<ReserveCommand>(DecideOrderEvent(placed));
  ReserveOutcome outcome{.reserved = true, .deadline_ms = 9000, .reserved_at_ms = 1000};
  InventoryEvent a = ReserveOutcomeEvent(placed, command, outcome, /*now_ms=*/5000);
  InventoryEvent b = ReserveOutcomeEvent(placed, command, outcome, /*now_ms=*/7000);
  ASSERT_TRUE(a.has_stock_reserved());
  EXPECT_EQ(a.envelope().event_id(), "o-1/StockReserved");
  EXPECT_EQ(a.envelope().causation_id(), "o-1/OrderPlaced");
  EXPECT_EQ(a.envelope().occurred_at_ms(), 1000);
  EXPECT_EQ(a.stock_reserved().expires_at_ms(), 9000);
  EXPECT_EQ(a.stock_reserved().customer_id(), "c-1");
  EXPECT_EQ(a.stock_reserved().amount_cents(), 1234);
  EXPECT_EQ(a.stock_reserved().lines_size(), 2);
  // A replay announces the same bytes.
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
}

TEST(ReserveOutcomeEventTest, RejectedNamesTheShortSku) {
  OrderEvent placed = Placed();
  ReserveCommand command = std::get<ReserveCommand>(DecideOrderEvent(placed));
  ReserveOutcome outcome{.reserved = false, .reject_index = 1, .requested = 3, .available = 2};
  InventoryEvent event = ReserveOutcomeEvent(placed, command, outcome, 5000);
  ASSERT_TRUE(event.has_stock_rejected());
  EXPECT_EQ(event.envelope().event_id(), "o-1/StockRejected");
  EXPECT_EQ(event.stock_rejected().reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(event.stock_rejected().sku(), "B");
  EXPECT_EQ(event.stock_rejected().requested(), 3);
  EXPECT_EQ(event.stock_rejected().available(), 2);
}

TEST(CloseOutcomeEventTest, CommittedAndReleasedAreAnnouncedEvenOnReplay) {
  orderplatform::v1::Envelope cause =
      events::MakeEnvelope({.order_id = "o-4", .event_type = "PaymentAuthorized"});
  CloseOutcome committed{.kind = CloseOutcome::Kind::kCommitted, .changed_now = false,
                         .lines = {Line("A", 1)}};
  auto event = CloseOutcomeEvent(cause, committed, 1);
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(event->has_stock_committed());
  EXPECT_EQ(event->envelope().event_id(), "o-4/StockCommitted");

  CloseOutcome released{.kind = CloseOutcome::Kind::kReleased,
                        .reason = orderplatform::v1::RESERVATION_EXPIRED, .changed_now = true};
  event = CloseOutcomeEvent(cause, released, 1);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->stock_released().reason(), orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_EQ(event->envelope().event_id(), "o-4/StockReleased");
}

TEST(CloseOutcomeEventTest, NothingToAnnounceWithoutAReservation) {
  orderplatform::v1::Envelope cause = events::MakeEnvelope({.order_id = "o-5", .event_type = "x"});
  EXPECT_FALSE(CloseOutcomeEvent(cause, {.kind = CloseOutcome::Kind::kNotFound}, 1).has_value());
  EXPECT_FALSE(CloseOutcomeEvent(cause, {.kind = CloseOutcome::Kind::kRejected}, 1).has_value());
}

TEST(ExpiryEventTest, ReleasedAsExpiredWithTheSameIdAsAnyOtherRelease) {
  InventoryEvent event = ExpiryEvent({"o-6", {Line("A", 2)}}, 42);
  EXPECT_EQ(event.envelope().event_id(), "o-6/StockReleased");
  EXPECT_EQ(event.stock_released().reason(), orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_EQ(event.stock_released().lines(0).quantity(), 2);
}

}  // namespace
}  // namespace orderplatform::inventory
