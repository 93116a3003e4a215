// Every rule of the invariant checker, shown to fire on a view that breaks it and to stay quiet
// on one that does not: a checker that cannot fail would prove nothing in the chaos run.
#include "integration_tests/chaos/invariant_checker.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "integration_tests/chaos/topic_tools.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/envelope.h"

namespace orderplatform::chaos {
namespace {

using orderplatform::v1::CANCELLED;
using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;
using orderplatform::v1::Payment;

constexpr char kSku[] = "sku-00";
constexpr char kHotSku[] = "hot-0";

// One order of 2 x sku-00, CONFIRMED and paid, with the events that made it so.
class InvariantCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_.stock_set = {{kSku, 10}, {kHotSku, 1}};
    input_.behavior.add_decline_customers("blocked-0");
    PlacedOrder placed;
    placed.plan = {
        .request_id = "r-1", .customer_id = "cust-1", .lines = {{kSku, 2}}, .amount_cents = 1000};
    placed.order_id = "o-1";
    input_.orders.push_back(placed);

    Order order;
    order.set_order_id("o-1");
    order.set_request_id("r-1");
    order.set_customer_id("cust-1");
    order.set_amount_cents(1000);
    order.set_status(CONFIRMED);
    auto* line = order.add_lines();
    line->set_sku(kSku);
    line->set_quantity(2);
    view_.orders["o-1"] = order;
    Payment payment;
    payment.set_order_id("o-1");
    payment.set_state(orderplatform::v1::AUTHORIZED);
    view_.payments["o-1"] = payment;
    SetStock(kSku, 8, 0, 2);
    SetStock(kHotSku, 1, 0, 0);

    AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
      e->mutable_order_placed()->set_request_id("r-1");
    });
    AddInventoryEvent("o-1",
                      [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_reserved(); });
    AddPaymentEvent("o-1",
                    [](orderplatform::v1::PaymentEvent* e) { e->mutable_payment_authorized(); });
    AddInventoryEvent("o-1",
                      [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_committed(); });
    AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) { e->mutable_order_confirmed(); });
  }

  void SetStock(const std::string& sku, int64_t available, int64_t reserved, int64_t sold) {
    orderplatform::v1::StockLevel level;
    level.set_sku(sku);
    level.set_available(available);
    level.set_reserved(reserved);
    level.set_sold(sold);
    view_.stock[sku] = level;
  }

  template <typename Event, typename Edit>
  void AddEvent(const std::string& topic, const std::string& order_id, Edit edit) {
    Event event;
    edit(&event);
    event.mutable_envelope()->set_order_id(order_id);
    event.mutable_envelope()->set_event_id(events::EventId(order_id, events::EventType(event)));
    AddSagaMessage({.topic = topic, .key = order_id, .value = event.SerializeAsString()}, &topics_);
  }
  template <typename Edit>
  void AddOrderEvent(const std::string& id, Edit edit) {
    AddEvent<orderplatform::v1::OrderEvent>("orders.v1", id, edit);
  }
  template <typename Edit>
  void AddInventoryEvent(const std::string& id, Edit edit) {
    AddEvent<orderplatform::v1::InventoryEvent>("inventory.v1", id, edit);
  }
  template <typename Edit>
  void AddPaymentEvent(const std::string& id, Edit edit) {
    AddEvent<orderplatform::v1::PaymentEvent>("payments.v1", id, edit);
  }

  // Every violation CheckState and CheckTopics find, as "I<n>: detail".
  std::vector<std::string> Found() {
    std::vector<std::string> found;
    for (const Violation& v : CheckState(input_, view_)) found.push_back(ToString(v));
    for (const Violation& v : CheckTopics(input_, view_, topics_)) found.push_back(ToString(v));
    return found;
  }
  // True when exactly one violation of `invariant` is found and its text contains `words`.
  ::testing::AssertionResult FoundOnly(const std::string& invariant, const std::string& words) {
    const std::vector<std::string> found = Found();
    std::string all;
    for (const std::string& f : found) all += f + "\n";
    if (found.size() == 1 && found[0].rfind(invariant + ": ", 0) == 0 &&
        found[0].find(words) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected one " << invariant << " about '" << words << "', found:\n"
           << all;
  }

  Order& order() { return view_.orders["o-1"]; }

  CheckInput input_;
  PlatformView view_;
  TopicView topics_;
};

TEST_F(InvariantCheckerTest, AConsistentViewHasNoViolations) {
  EXPECT_TRUE(Found().empty()) << Found().front();
}

TEST_F(InvariantCheckerTest, I1NegativeAvailable) {
  // It adds up (-1 + 2 = 1), but nothing may be negative (the 2 reserved are an I2 finding too).
  SetStock(kHotSku, -1, 2, 0);
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.rfind("I1: hot-0 has a negative count", 0) == 0;
  }));
}

TEST_F(InvariantCheckerTest, I1StockThatDoesNotAddUp) {
  SetStock(kSku, 9, 0, 2);
  EXPECT_TRUE(FoundOnly("I1", "available+reserved+sold=11 but 10"));
}

TEST_F(InvariantCheckerTest, I2AnOrderThatIsNotTerminal) {
  order().set_status(orderplatform::v1::PAID);
  view_.stock[kSku].set_sold(0);
  view_.stock[kSku].set_reserved(2);
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(),
                          [](const std::string& f) { return f.rfind("I2: o-1", 0) == 0; }));
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.rfind("I2: sku-00 still has 2 reserved", 0) == 0;
  }));
}

TEST_F(InvariantCheckerTest, I2AnOrderNobodyCanRead) {
  view_.orders.clear();
  view_.unreadable.push_back({"I2", "GetOrder(o-1): UNAVAILABLE"});
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.rfind("I2: GetOrder(o-1)", 0) == 0;
  }));
}

TEST_F(InvariantCheckerTest, I3SoldDiffersFromConfirmedQuantities) {
  SetStock(kSku, 7, 0, 3);
  EXPECT_TRUE(FoundOnly("I3", "sold=3 but CONFIRMED orders hold 2"));
}

TEST_F(InvariantCheckerTest, I4ConfirmedWithoutAuthorization) {
  view_.payments["o-1"] = std::nullopt;
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.rfind("I4: CONFIRMED o-1 has payment none", 0) == 0;
  }));
}

TEST_F(InvariantCheckerTest, I4CancelledKeepsTheAuthorization) {
  order().set_status(CANCELLED);
  order().set_cancel_reason(orderplatform::v1::RESERVATION_EXPIRED);
  SetStock(kSku, 10, 0, 0);
  topics_ = TopicView();
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  AddInventoryEvent("o-1",
                    [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_reserved(); });
  AddPaymentEvent("o-1",
                  [](orderplatform::v1::PaymentEvent* e) { e->mutable_payment_authorized(); });
  AddInventoryEvent("o-1", [](orderplatform::v1::InventoryEvent* e) {
    e->mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  });
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_cancelled()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  });
  EXPECT_TRUE(FoundOnly("I4", "keeps an AUTHORIZED payment"));
}

TEST_F(InvariantCheckerTest, I4ADeclinedCustomerIsNeverConfirmed) {
  input_.orders[0].plan.customer_id = "blocked-0";
  order().set_customer_id("blocked-0");
  EXPECT_TRUE(FoundOnly("I4", "must be declined"));
}

TEST_F(InvariantCheckerTest, CustomerRequestWithoutACancellation) {
  order().set_status(CANCELLED);
  order().set_cancel_reason(orderplatform::v1::CUSTOMER_REQUEST);
  view_.payments["o-1"]->set_state(orderplatform::v1::REFUNDED);
  SetStock(kSku, 10, 0, 0);
  topics_ = TopicView();
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  AddInventoryEvent("o-1",
                    [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_reserved(); });
  AddPaymentEvent("o-1",
                  [](orderplatform::v1::PaymentEvent* e) { e->mutable_payment_authorized(); });
  AddInventoryEvent("o-1", [](orderplatform::v1::InventoryEvent* e) {
    e->mutable_stock_released()->set_reason(orderplatform::v1::CUSTOMER_REQUEST);
  });
  AddPaymentEvent("o-1", [](orderplatform::v1::PaymentEvent* e) { e->mutable_payment_refunded(); });
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_cancelled()->set_reason(orderplatform::v1::CUSTOMER_REQUEST);
  });
  EXPECT_TRUE(FoundOnly("saga", "the customer never asked"));
  input_.orders[0].cancel = CancelResult::kRequested;
  EXPECT_TRUE(Found().empty()) << Found().front();
}

TEST_F(InvariantCheckerTest, OutOfStockOnlyForHotSkus) {
  order().set_status(CANCELLED);
  order().set_cancel_reason(orderplatform::v1::OUT_OF_STOCK);
  view_.payments["o-1"] = std::nullopt;
  SetStock(kSku, 10, 0, 0);
  topics_ = TopicView();
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  AddInventoryEvent("o-1", [](orderplatform::v1::InventoryEvent* e) {
    e->mutable_stock_rejected()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  });
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_cancelled()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  });
  EXPECT_TRUE(FoundOnly("saga", "never run out"));
}

TEST_F(InvariantCheckerTest, RefusedCancellationOfAnOrderThatIsNotConfirmed) {
  input_.orders[0].cancel = CancelResult::kRefusedConfirmed;
  EXPECT_TRUE(Found().empty());
  order().set_status(orderplatform::v1::PAID);
  SetStock(kSku, 8, 2, 0);
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.find("CancelOrder refused o-1 as CONFIRMED") != std::string::npos;
  }));
}

TEST_F(InvariantCheckerTest, I6AnOrderThatHoldsSomethingElse) {
  order().set_amount_cents(999);
  EXPECT_TRUE(FoundOnly("I6", "does not hold what request r-1 placed"));
}

TEST_F(InvariantCheckerTest, I8AnAcceptedOrderThatWasNeverAnnounced) {
  topics_.facts["o-1"].placed = 0;
  EXPECT_TRUE(FoundOnly("I8", "no OrderPlaced"));
}

TEST_F(InvariantCheckerTest, I6OneRequestTwoOrders) {
  AddOrderEvent("o-2", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  const std::vector<std::string> found = Found();
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f == "I6: request r-1 became several orders: o-1,o-2";
  }));
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const std::string& f) {
    return f.find("o-2 was announced") != std::string::npos;
  }));
}

TEST_F(InvariantCheckerTest, I5CommittedAndReleased) {
  AddInventoryEvent("o-1", [](orderplatform::v1::InventoryEvent* e) {
    e->mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  });
  EXPECT_TRUE(FoundOnly("I5", "both StockCommitted and StockReleased"));
}

TEST_F(InvariantCheckerTest, I5AuthorizedAndDeclined) {
  AddPaymentEvent("o-1", [](orderplatform::v1::PaymentEvent* e) {
    e->mutable_payment_declined()->set_reason("decline_rate");
  });
  EXPECT_TRUE(FoundOnly("I5", "both PaymentAuthorized and PaymentDeclined"));
}

TEST_F(InvariantCheckerTest, DuplicatesOfTheSameEventAreFine) {
  AddInventoryEvent("o-1",
                    [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_committed(); });
  AddPaymentEvent("o-1",
                  [](orderplatform::v1::PaymentEvent* e) { e->mutable_payment_authorized(); });
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  EXPECT_TRUE(Found().empty()) << Found().front();
}

TEST_F(InvariantCheckerTest, ConfirmedWithoutACommitOnTheTopic) {
  topics_.facts["o-1"].committed = 0;
  EXPECT_TRUE(FoundOnly("saga", "no StockCommitted"));
}

TEST_F(InvariantCheckerTest, AReservationPaymentNeverAnswered) {
  order().set_status(CANCELLED);
  order().set_cancel_reason(orderplatform::v1::RESERVATION_EXPIRED);
  view_.payments["o-1"] = std::nullopt;
  SetStock(kSku, 10, 0, 0);
  topics_ = TopicView();
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_placed()->set_request_id("r-1");
  });
  AddInventoryEvent("o-1",
                    [](orderplatform::v1::InventoryEvent* e) { e->mutable_stock_reserved(); });
  AddInventoryEvent("o-1", [](orderplatform::v1::InventoryEvent* e) {
    e->mutable_stock_released()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  });
  AddOrderEvent("o-1", [](orderplatform::v1::OrderEvent* e) {
    e->mutable_order_cancelled()->set_reason(orderplatform::v1::RESERVATION_EXPIRED);
  });
  EXPECT_TRUE(FoundOnly("saga", "payment never recorded a decision"));
  // Unless the mock never answers this order: then expiry is the expected end.
  input_.behavior.set_no_answer_rate(1.0);
  EXPECT_TRUE(Found().empty()) << Found().front();
}

TEST_F(InvariantCheckerTest, MislabelledEventIds) {
  orderplatform::v1::InventoryEvent event;
  event.mutable_stock_committed();
  event.mutable_envelope()->set_order_id("o-1");
  event.mutable_envelope()->set_event_id("o-1/SomethingElse");
  AddSagaMessage({.topic = "inventory.v1", .key = "o-1", .value = event.SerializeAsString()},
                 &topics_);
  EXPECT_TRUE(FoundOnly("I5", "event ids must be <order id>/<type>"));
}

TEST_F(InvariantCheckerTest, GarbageIsSkippedOnSagaTopics) {
  AddSagaMessage(
      {.topic = "orders.v1", .key = std::string(kGarbageKeyPrefix) + "x", .value = "\xff\xff"},
      &topics_);
  EXPECT_TRUE(Found().empty());
  AddSagaMessage({.topic = "orders.v1", .key = "o-9", .value = "\xff\xff"}, &topics_);
  EXPECT_TRUE(FoundOnly("I7", "unparseable"));
}

TEST_F(InvariantCheckerTest, I7OnlyGarbageInTheDeadLetterTopics) {
  auto dead = [](const std::string& key, std::vector<kafka::Header> headers) {
    return kafka::ConsumedMessage{.topic = "orders.v1.dlq", .key = key, .headers = headers};
  };
  const std::vector<kafka::Header> good_headers = {{"dlq.error", "does not parse"},
                                                   {"dlq.source.topic", "orders.v1"},
                                                   {"dlq.source.partition", "2"},
                                                   {"dlq.source.offset", "17"}};
  AddDeadLetter(dead(std::string(kGarbageKeyPrefix) + "1", good_headers), &topics_);
  EXPECT_TRUE(Found().empty());
  AddDeadLetter(dead("o-1", good_headers), &topics_);
  EXPECT_TRUE(FoundOnly("I7", "a good message went to orders.v1.dlq"));
  topics_.dead_letters.pop_back();
  AddDeadLetter(dead(std::string(kGarbageKeyPrefix) + "2", {{"dlq.error", "x"}}), &topics_);
  EXPECT_TRUE(FoundOnly("I7", "lacks the contract's headers"));
}

TEST(SnapshotTest, AChangedOrderShowsInTheDiff) {
  PlatformView view;
  Order order;
  order.set_order_id("o-1");
  order.set_status(CONFIRMED);
  view.orders["o-1"] = order;
  view.payments["o-1"] = std::nullopt;
  const std::string before = Snapshot(view);
  EXPECT_TRUE(SnapshotDiff(before, Snapshot(view), 10).empty());
  view.orders["o-1"].set_status(CANCELLED);
  const std::vector<std::string> diff = SnapshotDiff(before, Snapshot(view), 10);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_NE(diff[0].find("CANCELLED"), std::string::npos);
}

}  // namespace
}  // namespace orderplatform::chaos
