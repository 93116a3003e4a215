// The projection and the events it announces, on values alone: every transition, every order of
// one saga's events (replays included), terminal states never left, and the orders.v1 events.
#include "services/order/order_projection.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderStatus;
using orderplatform::v1::PaymentEvent;

constexpr char kOrderId[] = "o-1";

template <typename Event>
Event WithEnvelope(const std::string& type, const std::string& producer) {
  Event event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = kOrderId,
                                                    .event_type = type,
                                                    .correlation_id = kOrderId,
                                                    .producer = producer,
                                                    .occurred_at_ms = 5});
  return event;
}

InventoryEvent Reserved() {
  auto event = WithEnvelope<InventoryEvent>("StockReserved", "inventory");
  event.mutable_stock_reserved();
  return event;
}
InventoryEvent Rejected(CancelReason reason) {
  auto event = WithEnvelope<InventoryEvent>("StockRejected", "inventory");
  event.mutable_stock_rejected()->set_reason(reason);
  return event;
}
InventoryEvent Committed() {
  auto event = WithEnvelope<InventoryEvent>("StockCommitted", "inventory");
  event.mutable_stock_committed();
  return event;
}
InventoryEvent Released(CancelReason reason) {
  auto event = WithEnvelope<InventoryEvent>("StockReleased", "inventory");
  event.mutable_stock_released()->set_reason(reason);
  return event;
}
PaymentEvent Authorized() {
  auto event = WithEnvelope<PaymentEvent>("PaymentAuthorized", "payment");
  event.mutable_payment_authorized()->set_amount_cents(100);
  return event;
}
PaymentEvent Declined() {
  auto event = WithEnvelope<PaymentEvent>("PaymentDeclined", "payment");
  event.mutable_payment_declined()->set_reason("decline_rate");
  return event;
}
PaymentEvent Refunded() {
  auto event = WithEnvelope<PaymentEvent>("PaymentRefunded", "payment");
  event.mutable_payment_refunded()->set_amount_cents(100);
  return event;
}

OrderRecord Pending() {
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id("req-1");
  request.set_customer_id("c-1");
  request.set_amount_cents(100);
  request.set_currency("EUR");
  auto* line = request.add_lines();
  line->set_sku("A");
  line->set_quantity(2);
  return NewOrderRecord(request, kOrderId, /*now_ms=*/1000);
}

OrderRecord WithStatus(OrderStatus status,
                       CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED) {
  OrderRecord record = Pending();
  record.order.set_status(status);
  record.order.set_cancel_reason(reason);
  return record;
}

StatusFact FactFor(OrderStatus status,
                   CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED) {
  return StatusFact{.status = status, .cancel_reason = reason, .event_id = "o-1/Something"};
}

// ---- facts ----

TEST(FactOfTest, InventoryEventsStateTheirStatus) {
  EXPECT_EQ(FactOf(Reserved())->status, orderplatform::v1::RESERVED);
  EXPECT_EQ(FactOf(Committed())->status, orderplatform::v1::CONFIRMED);
  std::optional<StatusFact> rejected = FactOf(Rejected(orderplatform::v1::OUT_OF_STOCK));
  EXPECT_EQ(rejected->status, orderplatform::v1::CANCELLED);
  EXPECT_EQ(rejected->cancel_reason, orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(FactOf(Rejected(orderplatform::v1::INVALID_ORDER))->cancel_reason,
            orderplatform::v1::INVALID_ORDER);
  std::optional<StatusFact> released = FactOf(Released(orderplatform::v1::RESERVATION_EXPIRED));
  EXPECT_EQ(released->status, orderplatform::v1::CANCELLED);
  EXPECT_EQ(released->cancel_reason, orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_EQ(released->event_id, "o-1/StockReleased");
}

TEST(FactOfTest, OnlyAnAuthorizationMovesTheStatusAmongPaymentEvents) {
  EXPECT_EQ(FactOf(Authorized())->status, orderplatform::v1::PAID);
  EXPECT_EQ(FactOf(Authorized())->event_id, "o-1/PaymentAuthorized");
  EXPECT_FALSE(FactOf(Declined()).has_value());
  EXPECT_FALSE(FactOf(Refunded()).has_value());
}

TEST(FactOfTest, AReasonThisBuildDoesNotKnowIsDropped) {
  InventoryEvent event = Released(orderplatform::v1::CUSTOMER_REQUEST);
  event.mutable_stock_released()->set_reason(static_cast<CancelReason>(77));
  EXPECT_EQ(FactOf(event)->cancel_reason, orderplatform::v1::CANCEL_REASON_UNSPECIFIED);
}

// ---- single transitions ----

struct TransitionCase {
  OrderStatus from;
  OrderStatus fact;
  Projection::Kind kind;
  OrderStatus to;
};

TEST(ProjectTest, EveryTransition) {
  using K = Projection::Kind;
  using namespace orderplatform::v1;  // NOLINT: the status names read as a table
  const std::vector<TransitionCase> cases = {
      {PENDING, RESERVED, K::kAdvanced, RESERVED},
      {PENDING, PAID, K::kAdvanced, PAID},
      {PENDING, CONFIRMED, K::kTerminated, CONFIRMED},
      {PENDING, CANCELLED, K::kTerminated, CANCELLED},
      {RESERVED, RESERVED, K::kUnchanged, RESERVED},
      {RESERVED, PAID, K::kAdvanced, PAID},
      {RESERVED, CONFIRMED, K::kTerminated, CONFIRMED},
      {RESERVED, CANCELLED, K::kTerminated, CANCELLED},
      {PAID, RESERVED, K::kUnchanged, PAID},  // a late StockReserved keeps PAID
      {PAID, PAID, K::kUnchanged, PAID},
      {PAID, CONFIRMED, K::kTerminated, CONFIRMED},
      {PAID, CANCELLED, K::kTerminated, CANCELLED},
      {CONFIRMED, RESERVED, K::kUnchanged, CONFIRMED},
      {CONFIRMED, PAID, K::kUnchanged, CONFIRMED},
      {CONFIRMED, CONFIRMED, K::kReannounced, CONFIRMED},
      {CONFIRMED, CANCELLED, K::kTerminalConflict, CONFIRMED},
      {CANCELLED, RESERVED, K::kUnchanged, CANCELLED},
      {CANCELLED, PAID, K::kUnchanged, CANCELLED},
      {CANCELLED, CONFIRMED, K::kTerminalConflict, CANCELLED},
      {CANCELLED, CANCELLED, K::kReannounced, CANCELLED},
  };
  for (const TransitionCase& c : cases) {
    const CancelReason from_reason = c.from == CANCELLED ? OUT_OF_STOCK : CANCEL_REASON_UNSPECIFIED;
    const CancelReason fact_reason = c.fact == CANCELLED ? PAYMENT_DECLINED : CANCEL_REASON_UNSPECIFIED;
    const OrderRecord before = WithStatus(c.from, from_reason);
    Projection p = Project(before, FactFor(c.fact, fact_reason), /*now_ms=*/2000);
    SCOPED_TRACE(OrderStatus_Name(c.from) + " + " + OrderStatus_Name(c.fact));
    EXPECT_EQ(p.kind, c.kind);
    EXPECT_EQ(p.record.order.status(), c.to);
    EXPECT_EQ(p.write(), c.kind == K::kAdvanced || c.kind == K::kTerminated);
    EXPECT_EQ(p.announce(), c.kind == K::kTerminated || c.kind == K::kReannounced);
    if (p.write()) {
      EXPECT_EQ(p.record.order.updated_at_ms(), 2000);
      EXPECT_EQ(p.record.order.cancel_reason(),
                c.to == CANCELLED ? PAYMENT_DECLINED : CANCEL_REASON_UNSPECIFIED);
    } else {
      // Nothing moves, not even the time or the reason: the stored record stays as it was.
      EXPECT_EQ(p.record.order.SerializeAsString(), before.order.SerializeAsString());
    }
  }
}

TEST(ProjectTest, TerminationRecordsItsCauseAndAReplayKeepsTheFirstOutcome) {
  Projection cancelled = Project(Pending(), FactOf(Released(orderplatform::v1::CUSTOMER_REQUEST)).value(), 3000);
  ASSERT_EQ(cancelled.kind, Projection::Kind::kTerminated);
  EXPECT_EQ(cancelled.record.outcome_causation_id, "o-1/StockReleased");
  // A second cancellation with another reason restates CANCELLED: announced again, unchanged.
  Projection again = Project(cancelled.record, FactOf(Rejected(orderplatform::v1::OUT_OF_STOCK)).value(), 4000);
  EXPECT_EQ(again.kind, Projection::Kind::kReannounced);
  EXPECT_EQ(again.record.order.cancel_reason(), orderplatform::v1::CUSTOMER_REQUEST);
  EXPECT_EQ(again.record.order.updated_at_ms(), 3000);
  EXPECT_EQ(OutcomeEvent(again.record).SerializeAsString(),
            OutcomeEvent(cancelled.record).SerializeAsString());
}

// ---- whole sagas in every order ----

using Step = std::function<std::optional<StatusFact>()>;

struct Saga {
  std::string name;
  std::vector<Step> steps;
  OrderStatus final_status;
  CancelReason final_reason;
};

std::vector<Saga> Sagas() {
  using namespace orderplatform::v1;  // NOLINT
  auto inv = [](InventoryEvent e) -> Step { return [e] { return FactOf(e); }; };
  auto pay = [](PaymentEvent e) -> Step { return [e] { return FactOf(e); }; };
  return {
      {"confirmed", {inv(Reserved()), pay(Authorized()), inv(Committed())}, CONFIRMED,
       CANCEL_REASON_UNSPECIFIED},
      {"declined",
       {inv(Reserved()), pay(Declined()), inv(Released(PAYMENT_DECLINED))},
       CANCELLED, PAYMENT_DECLINED},
      {"expired_then_refunded",
       {inv(Reserved()), pay(Authorized()), inv(Released(RESERVATION_EXPIRED)), pay(Refunded())},
       CANCELLED, RESERVATION_EXPIRED},
      {"customer_cancelled_after_payment",
       {inv(Reserved()), pay(Authorized()), inv(Released(CUSTOMER_REQUEST)), pay(Refunded())},
       CANCELLED, CUSTOMER_REQUEST},
      {"out_of_stock", {inv(Rejected(OUT_OF_STOCK))}, CANCELLED, OUT_OF_STOCK},
      {"invalid_order", {inv(Rejected(INVALID_ORDER))}, CANCELLED, INVALID_ORDER},
  };
}

struct RunResult {
  OrderRecord record;
  std::vector<OrderStatus> written;  // statuses stored, in order (the history after PENDING)
  int terminations = 0;
  int announcements = 0;
  std::vector<std::string> announced_bytes;
};

RunResult RunSaga(const std::vector<Step>& steps, const std::vector<int>& order) {
  RunResult result{.record = Pending()};
  int64_t now_ms = 2000;
  for (int index : order) {
    std::optional<StatusFact> fact = steps[index]();
    if (!fact.has_value()) continue;
    Projection p = Project(result.record, *fact, ++now_ms);
    EXPECT_NE(p.kind, Projection::Kind::kTerminalConflict);
    for (const StatusEntry& implied : p.implied_history) result.written.push_back(implied.status);
    if (p.write()) result.written.push_back(p.record.order.status());
    if (p.kind == Projection::Kind::kTerminated) ++result.terminations;
    if (p.announce()) {
      ++result.announcements;
      result.announced_bytes.push_back(OutcomeEvent(p.record).SerializeAsString());
    }
    result.record = p.record;
  }
  return result;
}

// Every permutation of `steps` (each listed `copies` times: replays), from PENDING.
void ExpectEveryOrderAgrees(const Saga& saga, int copies) {
  std::vector<Step> steps;
  for (int c = 0; c < copies; ++c) steps.insert(steps.end(), saga.steps.begin(), saga.steps.end());
  std::vector<int> order(steps.size());
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    ++permutations;
    RunResult run = RunSaga(steps, order);
    SCOPED_TRACE(saga.name + " permutation " + std::to_string(permutations));
    ASSERT_EQ(run.record.order.status(), saga.final_status);
    ASSERT_EQ(run.record.order.cancel_reason(), saga.final_reason);
    // Exactly one transition to terminal, and the written statuses only ever rise.
    ASSERT_EQ(run.terminations, 1);
    for (size_t i = 1; i < run.written.size(); ++i) {
      ASSERT_LT(StatusRank(run.written[i - 1]), StatusRank(run.written[i]));
    }
    ASSERT_TRUE(IsTerminal(run.written.back()));
    // Every terminal fact (one per copy of the saga) announces, and every announcement is the
    // same event, byte for byte.
    ASSERT_EQ(run.announcements, copies);
    for (const std::string& bytes : run.announced_bytes) {
      ASSERT_EQ(bytes, run.announced_bytes.front());
    }
  } while (std::next_permutation(order.begin(), order.end()));
  int factorial = 1;
  for (size_t n = 2; n <= steps.size(); ++n) factorial *= static_cast<int>(n);
  EXPECT_EQ(permutations, factorial);  // the indices are distinct: every order was tried
}

TEST(ProjectSagaTest, EveryOrderOfTheEventsEndsInTheSameState) {
  for (const Saga& saga : Sagas()) ExpectEveryOrderAgrees(saga, /*copies=*/1);
}

TEST(ProjectSagaTest, EveryOrderWithEveryEventReplayedEndsInTheSameState) {
  for (const Saga& saga : Sagas()) ExpectEveryOrderAgrees(saga, /*copies=*/2);
}

TEST(ProjectSagaTest, InTopicOrderTheHistoryShowsEveryStatus) {
  RunResult run = RunSaga(Sagas()[0].steps, {0, 1, 2});
  EXPECT_EQ(run.written, (std::vector<OrderStatus>{orderplatform::v1::RESERVED,
                                                   orderplatform::v1::PAID,
                                                   orderplatform::v1::CONFIRMED}));
  // PaymentAuthorized overtaking StockReserved: payment implies the reservation, so RESERVED
  // is recorded on the way to PAID, and the late StockReserved changes nothing.
  run = RunSaga(Sagas()[0].steps, {1, 0, 2});
  EXPECT_EQ(run.written, (std::vector<OrderStatus>{orderplatform::v1::RESERVED,
                                                   orderplatform::v1::PAID,
                                                   orderplatform::v1::CONFIRMED}));
  // StockCommitted overtaking PaymentAuthorized: a commit implies the payment.
  run = RunSaga(Sagas()[0].steps, {0, 2, 1});
  EXPECT_EQ(run.written, (std::vector<OrderStatus>{orderplatform::v1::RESERVED,
                                                   orderplatform::v1::PAID,
                                                   orderplatform::v1::CONFIRMED}));
  // Only the commit arrived so far (both others still in flight): the whole path is recorded.
  run = RunSaga(Sagas()[0].steps, {2});
  EXPECT_EQ(run.written, (std::vector<OrderStatus>{orderplatform::v1::RESERVED,
                                                   orderplatform::v1::PAID,
                                                   orderplatform::v1::CONFIRMED}));
}

// ---- the orders.v1 events ----

TEST(OrderEventsTest, OutcomeEventsCarryDeterministicIdsAndTheirCause) {
  Projection confirmed = Project(Pending(), FactOf(Committed()).value(), 7000);
  OrderEvent event = OutcomeEvent(confirmed.record);
  EXPECT_TRUE(event.has_order_confirmed());
  EXPECT_TRUE(events::ValidateEvent(event).ok());
  EXPECT_EQ(event.envelope().event_id(), "o-1/OrderConfirmed");
  EXPECT_EQ(event.envelope().order_id(), kOrderId);
  EXPECT_EQ(event.envelope().correlation_id(), kOrderId);
  EXPECT_EQ(event.envelope().causation_id(), "o-1/StockCommitted");
  EXPECT_EQ(event.envelope().producer(), "order");
  EXPECT_EQ(event.envelope().occurred_at_ms(), 7000);

  Projection cancelled =
      Project(Pending(), FactOf(Rejected(orderplatform::v1::OUT_OF_STOCK)).value(), 8000);
  event = OutcomeEvent(cancelled.record);
  ASSERT_TRUE(event.has_order_cancelled());
  EXPECT_EQ(event.order_cancelled().reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(event.envelope().event_id(), "o-1/OrderCancelled");

  kafka::OutgoingMessage message = OrdersMessage(event);
  EXPECT_EQ(message.topic, events::kOrdersTopic);
  EXPECT_EQ(message.key, kOrderId);
  OrderEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(message.value));
  EXPECT_EQ(parsed.SerializeAsString(), event.SerializeAsString());
}

TEST(OrderEventsTest, OrderPlacedIsRebuiltIdenticallyFromTheRecord) {
  OrderRecord record = Pending();
  OrderEvent placed = OrderPlacedEvent(record);
  EXPECT_TRUE(events::ValidateEvent(placed).ok());
  EXPECT_EQ(placed.envelope().event_id(), "o-1/OrderPlaced");
  EXPECT_EQ(placed.envelope().occurred_at_ms(), 1000);
  EXPECT_EQ(placed.order_placed().request_id(), "req-1");
  EXPECT_EQ(placed.order_placed().customer_id(), "c-1");
  EXPECT_EQ(placed.order_placed().amount_cents(), 100);
  EXPECT_EQ(placed.order_placed().currency(), "EUR");
  ASSERT_EQ(placed.order_placed().lines_size(), 1);
  EXPECT_EQ(placed.order_placed().lines(0).sku(), "A");
  // The order moving on changes nothing in its OrderPlaced: the relay may rebuild it any time.
  record.order.set_status(orderplatform::v1::PAID);
  record.order.set_updated_at_ms(99999);
  EXPECT_EQ(OrderPlacedEvent(record).SerializeAsString(), placed.SerializeAsString());
}

TEST(OrderEventsTest, OutboxEntriesNameTheirEvents) {
  EXPECT_EQ(OutboxMember(kOrderId, kOrderPlaced), "o-1/OrderPlaced");
  std::optional<OutboxEntry> entry = ParseOutboxEntry("o-1/OrderCancellationRequested");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->order_id, kOrderId);
  EXPECT_EQ(entry->event_type, kOrderCancellationRequested);
  EXPECT_FALSE(ParseOutboxEntry("o-1/OrderConfirmed").has_value());
  EXPECT_FALSE(ParseOutboxEntry("no-slash").has_value());
  EXPECT_FALSE(ParseOutboxEntry("/OrderPlaced").has_value());
  EXPECT_LT(OutboxPublishRank(kOrderPlaced), OutboxPublishRank(kOrderCancellationRequested));

  OrderRecord record = Pending();
  EXPECT_EQ(OutboxEvent(record, kOrderCancellationRequested).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(OutboxEvent(record, "OrderConfirmed").status().code(),
            absl::StatusCode::kInvalidArgument);
  record.order.set_cancellation_requested(true);
  record.cancellation_requested_at_ms = 1500;
  absl::StatusOr<OrderEvent> cancel = OutboxEvent(record, kOrderCancellationRequested);
  ASSERT_TRUE(cancel.ok());
  EXPECT_TRUE(cancel->has_order_cancellation_requested());
  EXPECT_EQ(cancel->envelope().event_id(), "o-1/OrderCancellationRequested");
  EXPECT_EQ(cancel->envelope().occurred_at_ms(), 1500);
  EXPECT_TRUE(events::ValidateEvent(*cancel).ok());
}

}  // namespace
}  // namespace orderplatform::order
