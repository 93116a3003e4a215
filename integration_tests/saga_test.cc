// The saga end to end: devbroker, redis-server and the three service binaries, driven through
// the public gRPC APIs and the topics. Each test ends by checking invariants I1–I4 over its own
// orders and SKUs (the stack is shared by the tests of this file to keep the run short; every
// test uses SKUs and request ids of its own).
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/stack.h"
#include "integration_tests/topic_probe.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::CANCELLED;
using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;
using orderplatform::v1::PaymentBehavior;

constexpr absl::Duration kSagaTimeout = absl::Seconds(30);

class SagaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = testenv::Stack::Start({.partitions = 3, .reservation_ttl_ms = 30000});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack_, nullptr);
    client_ = std::make_unique<SagaClient>(stack_);
    ASSERT_TRUE(client_->SetBehavior(PaymentBehavior()).ok());
  }

  void TearDown() override {
    if (HasFatalFailure()) return;
    for (const std::string& violation : CheckInvariants(*client_, invariants_)) {
      ADD_FAILURE() << violation;
    }
  }

  void SetStock(const std::string& sku, int64_t available) {
    ASSERT_TRUE(client_->SetStock(sku, available).ok());
    invariants_.stock_set[sku] = available;
    suite_.stock_set[sku] = available;
  }

  Order PlaceOk(const OrderSpec& spec) {
    absl::StatusOr<Order> order = client_->Place(spec);
    EXPECT_TRUE(order.ok()) << order.status();
    if (!order.ok()) return Order();
    invariants_.order_ids.push_back(order->order_id());
    suite_.order_ids.push_back(order->order_id());
    return *order;
  }

  Order Terminal(const std::string& order_id) {
    absl::StatusOr<Order> order = client_->AwaitTerminal(order_id, kSagaTimeout);
    EXPECT_TRUE(order.ok()) << order.status();
    return order.ok() ? *order : Order();
  }

  static testenv::Stack* stack_;
  static InvariantInput suite_;  // every order and SKU of this file, for the final replay test
  std::unique_ptr<SagaClient> client_;
  InvariantInput invariants_;
};

testenv::Stack* SagaTest::stack_ = nullptr;
InvariantInput SagaTest::suite_;

TEST_F(SagaTest, HappyPathConfirmsSellsAndKeepsThePayment) {
  SetStock("happy-A", 10);
  Order placed = PlaceOk({.request_id = "happy-1", .lines = {{"happy-A", 2}}, .amount_cents = 500});
  EXPECT_EQ(placed.status(), orderplatform::v1::PENDING);
  Order done = Terminal(placed.order_id());
  EXPECT_EQ(done.status(), CONFIRMED);
  auto level = client_->GetStock("happy-A");
  EXPECT_EQ(level->sold(), 2);
  EXPECT_EQ(level->available(), 8);
  EXPECT_EQ(client_->GetPayment(placed.order_id())->state(), orderplatform::v1::AUTHORIZED);
}

TEST_F(SagaTest, OutOfStockInOneOfTwoLinesReservesNothing) {
  SetStock("oos-A", 10);
  SetStock("oos-B", 1);
  Order placed = PlaceOk({.request_id = "oos-1", .lines = {{"oos-A", 2}, {"oos-B", 3}}});
  Order done = Terminal(placed.order_id());
  EXPECT_EQ(done.status(), CANCELLED);
  EXPECT_EQ(done.cancel_reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(client_->GetStock("oos-A")->available(), 10);
  EXPECT_EQ(client_->GetPayment(placed.order_id()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SagaTest, PaymentDeclinedReleasesTheStock) {
  SetStock("declined-A", 5);
  PaymentBehavior behavior;
  behavior.add_decline_customers("mallory");
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());
  Order placed = PlaceOk({.request_id = "declined-1", .customer_id = "mallory",
                          .lines = {{"declined-A", 4}}});
  Order done = Terminal(placed.order_id());
  EXPECT_EQ(done.status(), CANCELLED);
  EXPECT_EQ(done.cancel_reason(), orderplatform::v1::PAYMENT_DECLINED);
  EXPECT_EQ(client_->GetStock("declined-A")->available(), 5);
  EXPECT_EQ(client_->GetPayment(placed.order_id())->state(), orderplatform::v1::DECLINED);
}

TEST_F(SagaTest, CustomerCancelBeforePaymentReleasesAndRefundsTheAuthorization) {
  SetStock("cancel-A", 3);
  PaymentBehavior slow;
  slow.set_latency_ms(2000);  // the payment answers after the cancellation was requested
  ASSERT_TRUE(client_->SetBehavior(slow).ok());
  Order placed = PlaceOk({.request_id = "cancel-1", .lines = {{"cancel-A", 1}}});
  absl::StatusOr<Order> cancelled = client_->Cancel(placed.order_id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  Order done = Terminal(placed.order_id());
  EXPECT_EQ(done.status(), CANCELLED);
  EXPECT_EQ(done.cancel_reason(), orderplatform::v1::CUSTOMER_REQUEST);
  // The authorization that arrives after the release is refunded, never kept.
  const absl::Time deadline = absl::Now() + kSagaTimeout;
  absl::StatusOr<orderplatform::v1::Payment> payment = client_->GetPayment(placed.order_id());
  while (absl::Now() < deadline &&
         !(payment.ok() && payment->state() == orderplatform::v1::REFUNDED)) {
    absl::SleepFor(absl::Milliseconds(100));
    payment = client_->GetPayment(placed.order_id());
  }
  ASSERT_TRUE(payment.ok()) << payment.status();
  EXPECT_EQ(payment->state(), orderplatform::v1::REFUNDED);
  EXPECT_EQ(client_->GetStock("cancel-A")->available(), 3);
}

TEST_F(SagaTest, CancelAfterConfirmedIsAFailedPrecondition) {
  SetStock("confirmed-A", 1);
  Order placed = PlaceOk({.request_id = "confirmed-1", .lines = {{"confirmed-A", 1}}});
  ASSERT_EQ(Terminal(placed.order_id()).status(), CONFIRMED);
  EXPECT_EQ(client_->Cancel(placed.order_id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client_->Get(placed.order_id())->status(), CONFIRMED);
}

TEST_F(SagaTest, WatchOrderStreamsEveryStatusUpToTheTerminalOne) {
  SetStock("watch-A", 1);
  PaymentBehavior slow;
  slow.set_latency_ms(300);  // RESERVED is visible for a while, but the stream must not miss it
  ASSERT_TRUE(client_->SetBehavior(slow).ok());
  Order placed = PlaceOk({.request_id = "watch-1", .lines = {{"watch-A", 1}}});
  absl::StatusOr<std::vector<Order>> seen = client_->Watch(placed.order_id(), kSagaTimeout);
  ASSERT_TRUE(seen.ok()) << seen.status();
  std::vector<orderplatform::v1::OrderStatus> statuses;
  for (const Order& order : *seen) statuses.push_back(order.status());
  EXPECT_EQ(statuses, (std::vector<orderplatform::v1::OrderStatus>{
                          orderplatform::v1::PENDING, orderplatform::v1::RESERVED,
                          orderplatform::v1::PAID, CONFIRMED}));
}

TEST_F(SagaTest, PlaceOrderIsIdempotentAndBadRequestsChangeNothing) {
  SetStock("idem-A", 5);
  Order first = PlaceOk({.request_id = "idem-1", .lines = {{"idem-A", 1}}});
  absl::StatusOr<Order> second = client_->Place({.request_id = "idem-1", .lines = {{"idem-A", 1}}});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->order_id(), first.order_id());
  EXPECT_EQ(Terminal(first.order_id()).status(), CONFIRMED);

  const std::vector<OrderSpec> bad = {
      {.request_id = "", .lines = {{"idem-A", 1}}},
      {.request_id = "bad-2", .lines = {}},
      {.request_id = "bad-3", .lines = {{"idem-A", 0}}},
      {.request_id = "bad-4", .lines = {{"idem A", 1}}},
      {.request_id = "bad-5", .lines = {{std::string(65, 'x'), 1}}},
      {.request_id = "bad-6", .lines = std::vector<std::pair<std::string, int>>(101, {"idem-A", 1})},
      {.request_id = "bad-7", .lines = {{"idem-A", 1}}, .amount_cents = -1},
  };
  for (const OrderSpec& spec : bad) {
    EXPECT_EQ(client_->Place(spec).status().code(), absl::StatusCode::kInvalidArgument)
        << spec.request_id;
  }
  auto level = client_->GetStock("idem-A");
  EXPECT_EQ(level->sold(), 1);
  EXPECT_EQ(level->available(), 4);
}

TEST_F(SagaTest, TwoHundredConcurrentOrdersForFiftyUnitsSellExactlyFifty) {
  SetStock("hot-A", 50);
  constexpr int kOrders = 200;
  constexpr int kThreads = 8;
  std::vector<std::string> ids(kOrders);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SagaClient client(stack_);
      for (int i = t; i < kOrders; i += kThreads) {
        absl::StatusOr<Order> order =
            client.Place({.request_id = absl::StrCat("hot-", i), .lines = {{"hot-A", 1}}});
        if (order.ok()) {
          ids[i] = order->order_id();
        } else {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
  int confirmed = 0;
  for (const std::string& id : ids) {
    invariants_.order_ids.push_back(id);
    suite_.order_ids.push_back(id);
    Order done = Terminal(id);
    if (done.status() == CONFIRMED) ++confirmed;
    if (done.status() == CANCELLED) {
      EXPECT_EQ(done.cancel_reason(), orderplatform::v1::OUT_OF_STOCK);
    }
  }
  EXPECT_EQ(confirmed, 50);
  auto level = client_->GetStock("hot-A");
  EXPECT_EQ(level->sold(), 50);
  EXPECT_EQ(level->available(), 0);
}

TEST_F(SagaTest, EveryMessageProducedAgainChangesNothing) {
  SetStock("replay-A", 4);
  PaymentBehavior behavior;
  behavior.add_decline_customers("mallory");
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());
  Terminal(PlaceOk({.request_id = "replay-1", .lines = {{"replay-A", 1}}}).order_id());
  Terminal(PlaceOk({.request_id = "replay-2", .customer_id = "mallory",
                    .lines = {{"replay-A", 1}}}).order_id());
  Terminal(PlaceOk({.request_id = "replay-3", .lines = {{"replay-A", 9}}}).order_id());
  ASSERT_TRUE(WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), kSagaTimeout).ok());
  const std::string before = Snapshot(*client_, invariants_);

  absl::StatusOr<int> reproduced = ReproduceAllMessages(stack_->kafka().bootstrap());
  ASSERT_TRUE(reproduced.ok()) << reproduced.status();
  EXPECT_GT(*reproduced, 9);
  absl::Status caught_up = WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), kSagaTimeout);
  ASSERT_TRUE(caught_up.ok()) << caught_up;
  EXPECT_EQ(Snapshot(*client_, invariants_), before);
}

// Runs last in this file (gtest keeps declaration order): it restarts every service.
TEST_F(SagaTest, ConsumingEverythingAgainFromOffsetZeroAfterRestartChangesNothing) {
  SetStock("zero-A", 3);
  Terminal(PlaceOk({.request_id = "zero-1", .lines = {{"zero-A", 1}}}).order_id());
  ASSERT_TRUE(WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), kSagaTimeout).ok());
  // Every order of this file so far, not only this test's: all of them must survive the replay.
  invariants_ = suite_;
  const std::string before = Snapshot(*client_, invariants_);

  // Fresh consumer groups start at offset 0 (auto.offset.reset=earliest): the same as resetting
  // every group to 0, without an admin API the development broker lacks.
  for (testenv::ServiceProcess* service : stack_->services()) {
    absl::StatusOr<int> code = service->Terminate();
    ASSERT_TRUE(code.ok()) << service->name() << ": " << code.status();
    EXPECT_EQ(*code, 0) << service->name() << " did not exit 0 on SIGTERM";
  }
  for (testenv::ServiceProcess* service : stack_->services()) {
    const std::string base = service->name().substr(0, service->name().find('-'));
    ASSERT_TRUE(service
                    ->RestartWithExtraArgs(
                        {absl::StrCat("--consumer_group=orderplatform.", base, ".replay")})
                    .ok());
  }
  client_ = std::make_unique<SagaClient>(stack_);
  absl::Status caught_up =
      WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), absl::Seconds(60), ".replay");
  ASSERT_TRUE(caught_up.ok()) << caught_up;
  EXPECT_EQ(Snapshot(*client_, invariants_), before);
}

}  // namespace
}  // namespace orderplatform::integration
