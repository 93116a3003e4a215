// The saga's time-driven paths with a short reservation TTL: a payment that never answers, and a
// payment that answers after the reservation expired. Each test checks I1–I4 at the end.
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/stack.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::CANCELLED;
using orderplatform::v1::Order;
using orderplatform::v1::PaymentBehavior;

constexpr int64_t kTtlMs = 1500;

class ExpiryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = testenv::Stack::Start({.reservation_ttl_ms = kTtlMs, .expiry_interval_ms = 100});
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
  }
  void TearDown() override {
    if (HasFatalFailure()) return;
    for (const std::string& violation : CheckInvariants(*client_, invariants_)) {
      ADD_FAILURE() << violation;
    }
  }

  static testenv::Stack* stack_;
  std::unique_ptr<SagaClient> client_;
  InvariantInput invariants_;
};

testenv::Stack* ExpiryTest::stack_ = nullptr;

TEST_F(ExpiryTest, NoPaymentAnswerExpiresTheReservationAndReturnsTheStock) {
  ASSERT_TRUE(client_->SetStock("silent-A", 2).ok());
  invariants_.stock_set["silent-A"] = 2;
  PaymentBehavior silent;
  silent.set_no_answer_rate(1.0);
  ASSERT_TRUE(client_->SetBehavior(silent).ok());

  absl::StatusOr<Order> placed = client_->Place({.request_id = "silent-1", .lines = {{"silent-A", 2}}});
  ASSERT_TRUE(placed.ok()) << placed.status();
  invariants_.order_ids.push_back(placed->order_id());
  absl::StatusOr<Order> done = client_->AwaitTerminal(placed->order_id(), absl::Seconds(30));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status(), CANCELLED);
  EXPECT_EQ(done->cancel_reason(), orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_EQ(client_->GetStock("silent-A")->available(), 2);
  EXPECT_EQ(client_->GetPayment(placed->order_id()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ExpiryTest, PaymentAuthorizedAfterExpiryIsRefundedAndNothingIsSold) {
  ASSERT_TRUE(client_->SetStock("late-A", 1).ok());
  invariants_.stock_set["late-A"] = 1;
  PaymentBehavior late;
  late.set_latency_ms(static_cast<int32_t>(2 * kTtlMs));
  ASSERT_TRUE(client_->SetBehavior(late).ok());

  absl::StatusOr<Order> placed = client_->Place({.request_id = "late-1", .lines = {{"late-A", 1}}});
  ASSERT_TRUE(placed.ok()) << placed.status();
  invariants_.order_ids.push_back(placed->order_id());
  absl::StatusOr<Order> done = client_->AwaitTerminal(placed->order_id(), absl::Seconds(30));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status(), CANCELLED);
  EXPECT_EQ(done->cancel_reason(), orderplatform::v1::RESERVATION_EXPIRED);

  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<orderplatform::v1::Payment> payment = client_->GetPayment(placed->order_id());
  while (absl::Now() < deadline &&
         !(payment.ok() && payment->state() == orderplatform::v1::REFUNDED)) {
    absl::SleepFor(absl::Milliseconds(100));
    payment = client_->GetPayment(placed->order_id());
  }
  ASSERT_TRUE(payment.ok()) << payment.status();
  EXPECT_EQ(payment->state(), orderplatform::v1::REFUNDED);
  auto level = client_->GetStock("late-A");
  EXPECT_EQ(level->sold(), 0);
  EXPECT_EQ(level->available(), 1);
  EXPECT_EQ(client_->Get(placed->order_id())->status(), CANCELLED);  // never leaves terminal
}

}  // namespace
}  // namespace orderplatform::integration
