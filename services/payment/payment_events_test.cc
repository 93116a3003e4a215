#include "services/payment/payment_events.h"

#include "gtest/gtest.h"
#include "platform/events/envelope.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::PaymentEvent;

InventoryEvent Reserved(const std::string& order_id = "o-1", int64_t amount_cents = 1999) {
  InventoryEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = order_id,
                                                    .event_type = "StockReserved",
                                                    .correlation_id = "req-1",
                                                    .causation_id = "o-1/OrderPlaced",
                                                    .producer = "inventory",
                                                    .occurred_at_ms = 100});
  auto* reserved = event.mutable_stock_reserved();
  reserved->set_customer_id("c-1");
  reserved->set_amount_cents(amount_cents);
  reserved->set_currency("EUR");
  auto* line = reserved->add_lines();
  line->set_sku("A");
  line->set_quantity(1);
  return event;
}

InventoryEvent Released() {
  InventoryEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = "o-1",
                                                    .event_type = "StockReleased",
                                                    .correlation_id = "req-1",
                                                    .causation_id = "o-1/PaymentDeclined",
                                                    .producer = "inventory"});
  event.mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  return event;
}

LedgerEntry Entry(orderplatform::v1::PaymentState state) {
  return LedgerEntry{.order_id = "o-1",
                     .state = state,
                     .amount_cents = 1999,
                     .currency = "EUR",
                     .decline_reason = state == orderplatform::v1::DECLINED ? "max_amount" : "",
                     .decided_at_ms = 5000,
                     .refunded_at_ms = state == orderplatform::v1::REFUNDED ? 9000 : 0};
}

void ExpectEnvelope(const PaymentEvent& event, const std::string& type,
                    const orderplatform::v1::Envelope& cause, int64_t occurred_at_ms) {
  EXPECT_EQ(event.envelope().event_id(), "o-1/" + type);
  EXPECT_EQ(event.envelope().order_id(), "o-1");
  EXPECT_EQ(event.envelope().correlation_id(), cause.correlation_id());
  EXPECT_EQ(event.envelope().causation_id(), cause.event_id());
  EXPECT_EQ(event.envelope().producer(), "payment");
  EXPECT_EQ(event.envelope().occurred_at_ms(), occurred_at_ms);
  EXPECT_EQ(events::EventType(event), type);
}

TEST(DecideInventoryEventTest, StockReservedAsksForPaymentWithTheOrderFacts) {
  PaymentCommand command = DecideInventoryEvent(Reserved());
  const auto* pay = std::get_if<PayCommand>(&command);
  ASSERT_NE(pay, nullptr);
  EXPECT_EQ(pay->order.order_id, "o-1");
  EXPECT_EQ(pay->order.customer_id, "c-1");
  EXPECT_EQ(pay->order.amount_cents, 1999);
  EXPECT_EQ(pay->currency, "EUR");
}

TEST(DecideInventoryEventTest, StockReleasedOfAnyReasonAsksForARefund) {
  for (auto reason : {orderplatform::v1::PAYMENT_DECLINED, orderplatform::v1::RESERVATION_EXPIRED,
                      orderplatform::v1::CUSTOMER_REQUEST}) {
    InventoryEvent event = Released();
    event.mutable_stock_released()->set_reason(reason);
    PaymentCommand command = DecideInventoryEvent(event);
    const auto* refund = std::get_if<RefundCommand>(&command);
    ASSERT_NE(refund, nullptr) << reason;
    EXPECT_EQ(refund->order_id, "o-1");
  }
}

TEST(DecideInventoryEventTest, OtherInventoryEventsAreIgnored) {
  InventoryEvent rejected = Reserved();
  rejected.mutable_stock_rejected()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  EXPECT_TRUE(std::holds_alternative<IgnoreEvent>(DecideInventoryEvent(rejected)));
  InventoryEvent committed = Reserved();
  committed.mutable_stock_committed();
  EXPECT_TRUE(std::holds_alternative<IgnoreEvent>(DecideInventoryEvent(committed)));
}

TEST(ValidateInventoryEventTest, RefusesANegativeAmountAndWhatTheEnvelopeCheckRefuses) {
  EXPECT_TRUE(ValidateInventoryEvent(Reserved()).ok());
  EXPECT_TRUE(ValidateInventoryEvent(Reserved("o-1", 0)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateInventoryEvent(Reserved("o-1", -1))));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateInventoryEvent(Reserved(""))));
  InventoryEvent no_payload = Reserved();
  no_payload.clear_payload();
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateInventoryEvent(no_payload)));
}

TEST(ProposedEntryTest, CarriesTheOrderAndTheDecision) {
  const PayCommand pay{.order = {.order_id = "o-1", .customer_id = "c", .amount_cents = 42},
                       .currency = "USD"};
  const LedgerEntry authorized =
      ProposedEntry(pay, {.answer = PaymentAnswer::kAuthorize, .latency_ms = 3}, 777);
  EXPECT_EQ(authorized.state, orderplatform::v1::AUTHORIZED);
  EXPECT_EQ(authorized.amount_cents, 42);
  EXPECT_EQ(authorized.currency, "USD");
  EXPECT_EQ(authorized.decline_reason, "");
  EXPECT_EQ(authorized.decided_at_ms, 777);
  const LedgerEntry declined =
      ProposedEntry(pay, {.answer = PaymentAnswer::kDecline, .decline_reason = kDeclinedRate}, 778);
  EXPECT_EQ(declined.state, orderplatform::v1::DECLINED);
  EXPECT_EQ(declined.decline_reason, kDeclinedRate);
  EXPECT_FALSE(declined.no_answer);
  const LedgerEntry unanswered = ProposedEntry(pay, {.answer = PaymentAnswer::kNoAnswer}, 779);
  EXPECT_TRUE(unanswered.no_answer);
  EXPECT_EQ(unanswered.state, orderplatform::v1::PAYMENT_STATE_UNSPECIFIED);
  EXPECT_EQ(unanswered.amount_cents, 42);
  EXPECT_FALSE(DecisionEvent(Reserved().envelope(), unanswered).has_value());
  EXPECT_FALSE(RefundEvent(Reserved().envelope(), unanswered).has_value());
}

TEST(DecisionEventTest, AuthorizedEntryAnnouncesPaymentAuthorized) {
  const InventoryEvent cause = Reserved();
  std::optional<PaymentEvent> event =
      DecisionEvent(cause.envelope(), Entry(orderplatform::v1::AUTHORIZED));
  ASSERT_TRUE(event.has_value());
  ExpectEnvelope(*event, "PaymentAuthorized", cause.envelope(), 5000);
  EXPECT_EQ(event->payment_authorized().amount_cents(), 1999);
  EXPECT_EQ(event->payment_authorized().currency(), "EUR");
}

TEST(DecisionEventTest, RefundedEntryStillAnnouncesTheAuthorization) {
  const InventoryEvent cause = Reserved();
  std::optional<PaymentEvent> refunded =
      DecisionEvent(cause.envelope(), Entry(orderplatform::v1::REFUNDED));
  std::optional<PaymentEvent> authorized =
      DecisionEvent(cause.envelope(), Entry(orderplatform::v1::AUTHORIZED));
  ASSERT_TRUE(refunded.has_value() && authorized.has_value());
  // Byte-identical: a replay of StockReserved after the refund is a plain duplicate.
  EXPECT_EQ(refunded->SerializeAsString(), authorized->SerializeAsString());
}

TEST(DecisionEventTest, DeclinedEntryAnnouncesPaymentDeclinedWithTheRecordedReason) {
  const InventoryEvent cause = Reserved();
  std::optional<PaymentEvent> event =
      DecisionEvent(cause.envelope(), Entry(orderplatform::v1::DECLINED));
  ASSERT_TRUE(event.has_value());
  ExpectEnvelope(*event, "PaymentDeclined", cause.envelope(), 5000);
  EXPECT_EQ(event->payment_declined().reason(), "max_amount");
}

TEST(DecisionEventTest, AnEntryWithoutStateAnnouncesNothing) {
  EXPECT_FALSE(
      DecisionEvent(Reserved().envelope(), Entry(orderplatform::v1::PAYMENT_STATE_UNSPECIFIED))
          .has_value());
}

TEST(RefundEventTest, OnlyARefundedEntryAnnouncesPaymentRefunded) {
  const InventoryEvent cause = Released();
  std::optional<PaymentEvent> event =
      RefundEvent(cause.envelope(), Entry(orderplatform::v1::REFUNDED));
  ASSERT_TRUE(event.has_value());
  ExpectEnvelope(*event, "PaymentRefunded", cause.envelope(), 9000);
  EXPECT_EQ(event->payment_refunded().amount_cents(), 1999);
  EXPECT_EQ(event->payment_refunded().currency(), "EUR");
  EXPECT_FALSE(RefundEvent(cause.envelope(), Entry(orderplatform::v1::AUTHORIZED)).has_value());
  EXPECT_FALSE(RefundEvent(cause.envelope(), Entry(orderplatform::v1::DECLINED)).has_value());
}

}  // namespace
}  // namespace orderplatform::payment
