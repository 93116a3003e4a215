// The payment_service binary end to end, with a real redis-server and the development broker:
// start-up checks, gRPC (PaymentService, health), StockReserved in -> PaymentAuthorized out with
// the offset committed, garbage -> inventory.v1.dlq, and SIGTERM -> exit 0.
#include <signal.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/devbroker.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"
#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/grpc/admin_auth.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::PaymentEvent;

constexpr char kBinary[] = "services/payment/payment_service";
constexpr char kAdminToken[] = "payment-service-test-admin-token";

InventoryEvent Reserved(const std::string& order_id, const std::string& customer_id) {
  InventoryEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = order_id,
                                                    .event_type = "StockReserved",
                                                    .correlation_id = "req-" + order_id,
                                                    .producer = "inventory",
                                                    .occurred_at_ms = 1});
  auto* reserved = event.mutable_stock_reserved();
  reserved->set_customer_id(customer_id);
  reserved->set_amount_cents(700);
  reserved->set_currency("EUR");
  return event;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::StatusOr<std::unique_ptr<testenv::Process>> StartService(
    const std::vector<std::string>& args) {
  return testenv::Process::Start({.binary = testenv::RunfilePath(kBinary),
                                  .args = args,
                                  .env = {{"ADMIN_TOKEN", kAdminToken}},
                                  .name = "payment_service"});
}

// stderr without the structured log lines: what an operator reads when the service refuses.
std::vector<std::string> PlainStderrLines(const testenv::Process& process) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(ReadFile(process.stderr_path()), '\n')) {
    if (!line.empty() && !absl::StartsWith(line, "ts=")) lines.emplace_back(line);
  }
  return lines;
}

TEST(PaymentServiceTest, RefusesToStartWithoutRedis) {
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok());
  auto service =
      StartService({absl::StrCat("--redis=127.0.0.1:", *port), "--kafka_brokers=127.0.0.1:1",
                    "--grpc_port=0", "--dependency_wait_ms=1000"});
  ASSERT_TRUE(service.ok()) << service.status();
  absl::StatusOr<int> code = (*service)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_NE(*code, 0);
  std::vector<std::string> lines = PlainStderrLines(**service);
  ASSERT_EQ(lines.size(), 1u) << (*service)->StderrTail();
  EXPECT_TRUE(absl::StartsWith(lines[0], "payment: ")) << lines[0];
}

TEST(PaymentServiceTest, RefusesToStartWithoutKafka) {
  auto redis = testenv::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok());
  const absl::Time start = absl::Now();
  auto service = StartService({"--redis=" + (*redis)->address(),
                               absl::StrCat("--kafka_brokers=127.0.0.1:", *port), "--grpc_port=0",
                               "--dependency_wait_ms=1500"});
  ASSERT_TRUE(service.ok()) << service.status();
  absl::StatusOr<int> code = (*service)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_NE(*code, 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));  // the wait is bounded
  std::vector<std::string> lines = PlainStderrLines(**service);
  ASSERT_EQ(lines.size(), 1u) << (*service)->StderrTail();
  EXPECT_NE(lines[0].find("Kafka"), std::string::npos) << lines[0];
}

class PaymentServiceRunningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testenv::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto kafka = testenv::DevBroker::Start(/*brokers=*/1, /*partitions=*/2);
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    kafka_ = *std::move(kafka);
    auto service = StartService({"--redis=" + redis_->address(),
                                 "--kafka_brokers=" + kafka_->bootstrap(), "--grpc_port=0"});
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    absl::StatusOr<std::string> line = service_->WaitForStdoutLine("grpc_port=", absl::Seconds(30));
    ASSERT_TRUE(line.ok()) << line.status() << "\n" << service_->StderrTail();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", line->substr(strlen("grpc_port="))),
                                   grpc::InsecureChannelCredentials());
    stub_ = orderplatform::v1::PaymentService::NewStub(channel_);
    auto producer = kafka::Producer::Create({.brokers = kafka_->bootstrap(), .client_id = "test"});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }

  void Produce(const std::string& key, const std::string& value) {
    ASSERT_TRUE(
        producer_
            ->ProduceAndWait({{.topic = events::kInventoryTopic, .key = key, .value = value}},
                             absl::Seconds(10))
            .ok());
  }

  // Waits until `topic` holds at least `count` messages and returns them.
  std::vector<kafka::ConsumedMessage> WaitForMessages(const std::string& topic, size_t count) {
    std::vector<kafka::ConsumedMessage> messages;
    testenv::WaitUntil(absl::Seconds(30), [&] {
      auto read = kafka::testing::ReadTopic(kafka_->bootstrap(), topic, absl::Seconds(5));
      if (read.ok()) messages = *std::move(read);
      return messages.size() >= count;
    });
    return messages;
  }

  std::unique_ptr<testenv::RedisServer> redis_;
  std::unique_ptr<testenv::DevBroker> kafka_;
  std::unique_ptr<testenv::Process> service_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<orderplatform::v1::PaymentService::Stub> stub_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(PaymentServiceRunningTest, ServesHealthAndPaysStockReservedAndStopsCleanly) {
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    auto health = grpc::health::v1::Health::NewStub(channel_);
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    grpc::ClientContext context;
    orderplatform::v1::PaymentBehavior behavior, response;
    behavior.add_decline_customers("c-bad");
    grpc_server::AddAdminToken(&context, kAdminToken);
    grpc::Status status = stub_->SetBehavior(&context, behavior, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  Produce("o-1", Reserved("o-1", "c-good").SerializeAsString());
  Produce("o-2", Reserved("o-2", "c-bad").SerializeAsString());
  Produce("o-3", "this is not an InventoryEvent \xff\xff");

  std::vector<kafka::ConsumedMessage> payments = WaitForMessages(events::kPaymentsTopic, 2);
  ASSERT_EQ(payments.size(), 2u);
  for (const kafka::ConsumedMessage& message : payments) {
    PaymentEvent event;
    ASSERT_TRUE(event.ParseFromString(message.value));
    EXPECT_EQ(message.key, event.envelope().order_id());
    if (message.key == "o-1") {
      EXPECT_TRUE(event.has_payment_authorized());
    } else {
      EXPECT_EQ(event.payment_declined().reason(), "declined_customer");
    }
  }
  std::vector<kafka::ConsumedMessage> dead = WaitForMessages("inventory.v1.dlq", 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].key, "o-3");

  {
    grpc::ClientContext context;
    orderplatform::v1::GetPaymentRequest request;
    request.set_order_id("o-1");
    orderplatform::v1::Payment payment;
    ASSERT_TRUE(stub_->GetPayment(&context, request, &payment).ok());
    EXPECT_EQ(payment.state(), orderplatform::v1::AUTHORIZED);
    EXPECT_EQ(payment.amount_cents(), 700);
  }

  // The group's committed offsets follow the three handled messages (committed by the timer or,
  // at the latest, on SIGTERM).
  absl::StatusOr<int> code = service_->Terminate(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << service_->StderrTail();
  auto committed = kafka::testing::CommittedOffsets(kafka_->bootstrap(), events::kPaymentGroup,
                                                    events::kInventoryTopic, absl::Seconds(10));
  ASSERT_TRUE(committed.ok()) << committed.status();
  int64_t total = 0;
  for (int64_t offset : *committed) total += offset > 0 ? offset : 0;
  EXPECT_EQ(total, 3);
}

}  // namespace
}  // namespace orderplatform::payment
