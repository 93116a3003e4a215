// PaymentService called directly on the implementation, against a real redis-server.
#include "services/payment/payment_grpc_service.h"

#include <memory>

#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::GetPaymentRequest;
using orderplatform::v1::Payment;
using orderplatform::v1::PaymentBehavior;

class PaymentGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ledger_ = std::make_unique<PaymentLedger>(client_.get(), PaymentKeys());
    behaviors_ = std::make_unique<BehaviorStore>(client_.get(), PaymentKeys());
    service_ = std::make_unique<PaymentGrpcService>(ledger_.get(), behaviors_.get());
  }

  grpc::Status GetPayment(const std::string& order_id, Payment* payment) {
    grpc::ServerContext context;
    GetPaymentRequest request;
    request.set_order_id(order_id);
    return service_->GetPayment(&context, &request, payment);
  }

  grpc::Status SetBehavior(const PaymentBehavior& behavior, PaymentBehavior* response,
                           PaymentGrpcService* service = nullptr) {
    grpc::ServerContext context;
    return (service ? service : service_.get())->SetBehavior(&context, &behavior, response);
  }

  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<PaymentLedger> ledger_;
  std::unique_ptr<BehaviorStore> behaviors_;
  std::unique_ptr<PaymentGrpcService> service_;
};

TEST_F(PaymentGrpcServiceTest, SetBehaviorStoresItForEveryInstance) {
  PaymentBehavior behavior;
  behavior.set_decline_rate(0.3);
  behavior.set_seed(5);
  behavior.set_latency_ms(60000);
  behavior.add_decline_customers("c-9");
  PaymentBehavior response;
  grpc::Status status = SetBehavior(behavior, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.SerializeAsString(), behavior.SerializeAsString());
  auto stored = behaviors_->Load();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->SerializeAsString(), behavior.SerializeAsString());
}

TEST_F(PaymentGrpcServiceTest, InvalidBehaviorIsRefusedAndChangesNothing) {
  PaymentBehavior good;
  good.set_decline_rate(0.1);
  PaymentBehavior response;
  ASSERT_TRUE(SetBehavior(good, &response).ok());
  for (auto mutate : std::vector<void (*)(PaymentBehavior*)>{
           [](PaymentBehavior* b) { b->set_decline_rate(1.5); },
           [](PaymentBehavior* b) { b->set_no_answer_rate(-0.1); },
           [](PaymentBehavior* b) { b->set_latency_ms(60001); },
           [](PaymentBehavior* b) { b->set_latency_ms(-1); },
           [](PaymentBehavior* b) { b->set_max_amount_cents(-1); }}) {
    PaymentBehavior bad;
    mutate(&bad);
    EXPECT_EQ(SetBehavior(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.ShortDebugString();
  }
  auto stored = behaviors_->Load();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->SerializeAsString(), good.SerializeAsString());
}

TEST_F(PaymentGrpcServiceTest, TheAdminSeamCanRefuseSetBehavior) {
  PaymentGrpcService guarded(ledger_.get(), behaviors_.get(),
                             {.authorize_admin = [](const grpc::ServerContext&) {
                               return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no");
                             }});
  PaymentBehavior behavior;
  behavior.set_decline_rate(1.0);
  PaymentBehavior response;
  EXPECT_EQ(SetBehavior(behavior, &response, &guarded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto exists = client_->Command({"EXISTS", "payment:behavior"});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->integer, 0);
}

TEST_F(PaymentGrpcServiceTest, GetPaymentReadsTheLedger) {
  ASSERT_TRUE(ledger_
                  ->RecordDecision({.order_id = "o-1",
                                    .state = orderplatform::v1::AUTHORIZED,
                                    .amount_cents = 1234,
                                    .currency = "EUR",
                                    .decided_at_ms = 1})
                  .ok());
  Payment payment;
  grpc::Status status = GetPayment("o-1", &payment);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(payment.order_id(), "o-1");
  EXPECT_EQ(payment.state(), orderplatform::v1::AUTHORIZED);
  EXPECT_EQ(payment.amount_cents(), 1234);
  EXPECT_EQ(payment.currency(), "EUR");

  ASSERT_TRUE(ledger_->Refund("o-1", 2).ok());
  ASSERT_TRUE(GetPayment("o-1", &payment).ok());
  EXPECT_EQ(payment.state(), orderplatform::v1::REFUNDED);
}

TEST_F(PaymentGrpcServiceTest, GetPaymentStatusCodes) {
  Payment payment;
  EXPECT_EQ(GetPayment("unknown", &payment).error_code(), grpc::StatusCode::NOT_FOUND);
  // Recorded as never answered: there is no payment to show.
  ASSERT_TRUE(ledger_->RecordDecision({.order_id = "unanswered",
                                       .amount_cents = 1,
                                       .decided_at_ms = 1,
                                       .no_answer = true})
                  .ok());
  EXPECT_EQ(GetPayment("unanswered", &payment).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetPayment("", &payment).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetPayment("has space", &payment).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  server_->Kill9();
  EXPECT_EQ(GetPayment("o-1", &payment).error_code(), grpc::StatusCode::UNAVAILABLE);
  PaymentBehavior response;
  EXPECT_EQ(SetBehavior(PaymentBehavior(), &response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace orderplatform::payment
