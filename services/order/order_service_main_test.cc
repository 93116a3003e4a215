// The order_service binary end to end: against the development broker and a real redis-server it
// prints grpc_port=N, accepts an order, follows the saga's events from Kafka to CONFIRMED and
// announces it, parks garbage in the .dlq, and exits 0 on SIGTERM; without its dependencies it
// refuses to start with a one-line reason.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/testenv/devbroker.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::Order;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

constexpr absl::Duration kWait = absl::Seconds(30);

std::string Binary() { return testenv::RunfilePath("services/order/order_service"); }

orderplatform::v1::Envelope EnvelopeOf(const std::string& order_id, const std::string& type,
                                       const std::string& producer) {
  return events::MakeEnvelope({.order_id = order_id, .event_type = type,
                               .correlation_id = order_id, .producer = producer,
                               .occurred_at_ms = 1});
}

kafka::OutgoingMessage Message(const std::string& topic, const std::string& key,
                               const std::string& value) {
  return {.topic = topic, .key = key, .value = value};
}

// The exit code of a process that should stop by itself, with its stderr for a failure message.
void ExpectRefusesToStart(std::vector<std::string> args, const std::string& reason_part) {
  auto process = testenv::Process::Start({.binary = Binary(), .args = args, .name = "order"});
  ASSERT_TRUE(process.ok()) << process.status();
  absl::StatusOr<int> code = (*process)->Wait(kWait);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_NE(*code, 0);
  const std::string stderr_tail = (*process)->StderrTail();
  // The reason is one line of its own, "order: ...".
  bool found = false;
  for (absl::string_view line : absl::StrSplit(stderr_tail, '\n')) {
    if (absl::StartsWith(line, "order: ") && absl::StrContains(line, reason_part)) found = true;
  }
  EXPECT_TRUE(found) << stderr_tail;
}

TEST(OrderServiceMainTest, RefusesToStartWithoutRedis) {
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok());
  ExpectRefusesToStart({absl::StrCat("--redis=127.0.0.1:", *port), "--kafka_brokers=127.0.0.1:1",
                        "--grpc_port=0", "--dependency_wait_ms=500"},
                       "redis");
}

TEST(OrderServiceMainTest, RefusesToStartWithoutKafka) {
  auto redis = testenv::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok());
  ExpectRefusesToStart({absl::StrCat("--redis=", (*redis)->address()),
                        absl::StrCat("--kafka_brokers=127.0.0.1:", *port), "--grpc_port=0",
                        "--dependency_wait_ms=1000"},
                       "Kafka");
}

TEST(OrderServiceMainTest, RunsTheSagaProjectionAndStopsCleanlyOnSigterm) {
  auto broker = testenv::DevBroker::Start(/*brokers=*/1, /*partitions=*/3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto redis = testenv::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto service = testenv::Process::Start(
      {.binary = Binary(),
       .args = {absl::StrCat("--kafka_brokers=", (*broker)->bootstrap()),
                absl::StrCat("--redis=", (*redis)->address()), "--grpc_port=0"},
       .name = "order"});
  ASSERT_TRUE(service.ok()) << service.status();
  absl::StatusOr<std::string> port_line = (*service)->WaitForStdoutLine("grpc_port=", kWait);
  ASSERT_TRUE(port_line.ok()) << port_line.status() << (*service)->StderrTail();
  auto stub = orderplatform::v1::OrderService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port_line->substr(sizeof("grpc_port=") - 1)),
      grpc::InsecureChannelCredentials()));

  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id("main-test-1");
  request.set_amount_cents(100);
  auto* line = request.add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(1);
  Order placed;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
    grpc::Status status = stub->PlaceOrder(&context, request, &placed);
    ASSERT_TRUE(status.ok()) << status.error_message() << (*service)->StderrTail();
  }
  const std::string order_id = placed.order_id();

  // Inventory and payment, played by the test, with garbage in between.
  auto producer = kafka::Producer::Create({.brokers = (*broker)->bootstrap(), .client_id = "test"});
  ASSERT_TRUE(producer.ok()) << producer.status();
  InventoryEvent reserved;
  *reserved.mutable_envelope() = EnvelopeOf(order_id, "StockReserved", "inventory");
  reserved.mutable_stock_reserved();
  PaymentEvent authorized;
  *authorized.mutable_envelope() = EnvelopeOf(order_id, "PaymentAuthorized", "payment");
  authorized.mutable_payment_authorized()->set_amount_cents(100);
  InventoryEvent committed;
  *committed.mutable_envelope() = EnvelopeOf(order_id, "StockCommitted", "inventory");
  committed.mutable_stock_committed();
  ASSERT_TRUE((*producer)
                  ->ProduceAndWait(
                      {Message(events::kInventoryTopic, order_id, reserved.SerializeAsString()),
                       Message(events::kInventoryTopic, order_id, "garbage"),
                       Message(events::kPaymentsTopic, order_id, authorized.SerializeAsString()),
                       Message(events::kInventoryTopic, order_id, committed.SerializeAsString())},
                      kWait)
                  .ok());

  // WatchOrder follows it to the end.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
  orderplatform::v1::GetOrderRequest watch;
  watch.set_order_id(order_id);
  std::unique_ptr<grpc::ClientReader<Order>> reader = stub->WatchOrder(&watch_context, watch);
  std::vector<orderplatform::v1::OrderStatus> statuses;
  Order update;
  while (reader->Read(&update)) statuses.push_back(update.status());
  grpc::Status watched = reader->Finish();
  ASSERT_TRUE(watched.ok()) << watched.error_message() << (*service)->StderrTail();
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.front(), orderplatform::v1::PENDING);
  EXPECT_EQ(statuses.back(), orderplatform::v1::CONFIRMED);

  // orders.v1: OrderPlaced, then OrderConfirmed (once the broker has it: the consumer waited for
  // the ack before moving its offsets).
  std::vector<std::string> ids;
  ASSERT_TRUE(testenv::WaitUntil(kWait, [&] {
    auto messages = kafka::testing::ReadTopic((*broker)->bootstrap(), events::kOrdersTopic, kWait);
    if (!messages.ok()) return false;
    ids.clear();
    for (const kafka::ConsumedMessage& message : *messages) {
      OrderEvent event;
      if (event.ParseFromString(message.value)) ids.push_back(event.envelope().event_id());
    }
    return ids.size() >= 2;
  }));
  EXPECT_EQ(ids, (std::vector<std::string>{order_id + "/OrderPlaced", order_id + "/OrderConfirmed"}));
  ASSERT_TRUE(testenv::WaitUntil(kWait, [&] {
    auto dead = kafka::testing::ReadTopic((*broker)->bootstrap(), "inventory.v1.dlq", kWait);
    return dead.ok() && dead->size() == 1 && (*dead)[0].value == "garbage";
  }));

  absl::StatusOr<int> code = (*service)->Terminate(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << (*service)->StderrTail();
}

}  // namespace
}  // namespace orderplatform::order
