// /metrics of the three real service binaries, end to end: orders confirmed, declined, rejected
// and expired, and garbage on a topic, must move the series an operator watches; every scrape
// must pass `promtool check metrics`; and the families the services export must be exactly the
// ones docs/OPERATIONS.md lists (which the dashboard and the alert rules are checked against).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/stack.h"
#include "integration_tests/topic_probe.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/metrics/testing/exposition.h"
#include "platform/metrics/testing/promtool.h"

namespace orderplatform::integration {
namespace {

using metrics::testing::Exposition;
using orderplatform::v1::CANCELLED;
using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;
using orderplatform::v1::PaymentBehavior;

constexpr absl::Duration kSagaTimeout = absl::Seconds(30);
// Long enough for the first orders of a fresh stack (consumer groups still forming) to finish,
// short enough to wait for the one that is meant to expire.
constexpr int64_t kReservationTtlMs = 10000;
// The lag comes from librdkafka's statistics; every 500 ms keeps the test short.
const char kStatisticsFlag[] = "--kafka_config=statistics.interval.ms=500";

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = testenv::Stack::Start({.reservation_ttl_ms = kReservationTtlMs,
                                        .order_flags = {kStatisticsFlag},
                                        .inventory_flags = {kStatisticsFlag},
                                        .payment_flags = {kStatisticsFlag},
                                        .metrics = true});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    client_ = std::make_unique<SagaClient>(stack_.get());
  }

  // Scrapes one service, checks the text with promtool, and keeps its family names.
  Exposition Scrape(testenv::ServiceProcess& service) {
    EXPECT_GT(service.metrics_port(), 0) << service.name();
    absl::StatusOr<std::string> text = metrics::testing::ScrapeMetrics(service.metrics_port());
    EXPECT_TRUE(text.ok()) << text.status();
    if (!text.ok()) return {};
    const absl::Status valid = metrics::testing::PromtoolCheckMetrics(*text);
    EXPECT_TRUE(valid.ok()) << service.name() << ": " << valid;
    absl::StatusOr<Exposition> parsed = metrics::testing::ParseExposition(*text);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return {};
    for (const auto& [name, type] : parsed->types) exported_[name] = type;
    return *std::move(parsed);
  }

  Order PlaceAndFinish(const OrderSpec& spec) {
    absl::StatusOr<Order> placed = client_->Place(spec);
    EXPECT_TRUE(placed.ok()) << placed.status();
    if (!placed.ok()) return Order();
    invariants_.order_ids.push_back(placed->order_id());
    absl::StatusOr<Order> done = client_->AwaitTerminal(placed->order_id(), kSagaTimeout);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() ? *done : Order();
  }

  void ProduceGarbage(const std::string& topic) {
    absl::StatusOr<std::unique_ptr<kafka::Producer>> producer = kafka::Producer::Create(
        {.brokers = stack_->kafka().bootstrap(), .client_id = "metrics-test"});
    ASSERT_TRUE(producer.ok()) << producer.status();
    ASSERT_TRUE((*producer)
                    ->ProduceAndWait({{.topic = topic, .key = "garbage", .value = "\xff\xfe junk"}},
                                     absl::Seconds(10))
                    .ok());
  }

  std::unique_ptr<testenv::Stack> stack_;
  std::unique_ptr<SagaClient> client_;
  InvariantInput invariants_;
  std::map<std::string, std::string> exported_;  // every family seen in any scrape
};

// The lag every consumer reports once it has caught up: a series per owned partition, all 0.
// Statistics arrive every 500 ms, so this waits for the next round after the last commit.
bool LagIsZeroEverywhere(const std::function<Exposition()>& scrape, int partitions_expected) {
  return testenv::WaitUntil(absl::Seconds(20), [&] {
    const Exposition e = scrape();
    return e.Count("orderplatform_kafka_consumer_lag_messages") == partitions_expected &&
           e.Sum("orderplatform_kafka_consumer_lag_messages") == 0;
  });
}

TEST_F(MetricsTest, ServicesExportWhatTheSagaDidAndPromtoolAcceptsIt) {
  ASSERT_TRUE(client_->SetStock("LAMP", 10).ok());
  ASSERT_TRUE(client_->SetStock("DESK", 1).ok());
  invariants_.stock_set = {{"LAMP", 10}, {"DESK", 1}};
  PaymentBehavior behavior;
  behavior.add_decline_customers("mallory");
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());

  EXPECT_EQ(PlaceAndFinish({.request_id = "m-1", .customer_id = "alice", .lines = {{"LAMP", 2}}})
                .status(),
            CONFIRMED);
  EXPECT_EQ(PlaceAndFinish({.request_id = "m-2", .customer_id = "bob", .lines = {{"LAMP", 1}}})
                .status(),
            CONFIRMED);
  const Order declined =
      PlaceAndFinish({.request_id = "m-3", .customer_id = "mallory", .lines = {{"LAMP", 1}}});
  EXPECT_EQ(declined.cancel_reason(), orderplatform::v1::PAYMENT_DECLINED);
  const Order rejected =
      PlaceAndFinish({.request_id = "m-4", .customer_id = "carol", .lines = {{"DESK", 5}}});
  EXPECT_EQ(rejected.cancel_reason(), orderplatform::v1::OUT_OF_STOCK);
  ProduceGarbage(events::kOrdersTopic);

  // One more order that payment never answers: it holds its reservation until the TTL.
  PaymentBehavior silent;
  silent.set_no_answer_rate(1.0);
  ASSERT_TRUE(client_->SetBehavior(silent).ok());
  absl::StatusOr<Order> waiting =
      client_->Place({.request_id = "m-5", .customer_id = "dave", .lines = {{"LAMP", 1}}});
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  invariants_.order_ids.push_back(waiting->order_id());
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(20), [&] {
    absl::StatusOr<Order> now = client_->Get(waiting->order_id());
    return now.ok() && now->status() == orderplatform::v1::RESERVED;
  }));
  ASSERT_TRUE(WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), absl::Seconds(30)).ok());

  // ---- inventory ----
  auto inventory = [this] { return Scrape(stack_->inventory()); };
  EXPECT_TRUE(LagIsZeroEverywhere(inventory, 6));  // orders.v1 and payments.v1, 3 partitions each
  Exposition e = inventory();
  auto handled = [&e](const char* topic, const char* type, const char* outcome) {
    return e.Sum("orderplatform_events_handled_total",
                 {{"topic", topic}, {"type", type}, {"outcome", outcome}});
  };
  EXPECT_EQ(handled("orders.v1", "OrderPlaced", "applied"), 5);
  EXPECT_EQ(handled("payments.v1", "PaymentAuthorized", "applied"), 2);
  EXPECT_EQ(handled("payments.v1", "PaymentDeclined", "applied"), 1);
  EXPECT_EQ(handled("orders.v1", "invalid", "dead_lettered"), 1);
  EXPECT_EQ(e.Sum("orderplatform_dlq_messages_total", {{"topic", "orders.v1.dlq"}}), 1);
  EXPECT_EQ(e.Sum("orderplatform_inventory_reservations_open"), 1);  // m-5
  EXPECT_EQ(e.Sum("orderplatform_inventory_reservations_expired_total"), 0);
  EXPECT_EQ(e.Sum("orderplatform_lua_script_duration_seconds_count", {{"script", "reserve"}}), 5);
  EXPECT_EQ(e.Sum("orderplatform_lua_script_duration_seconds_count", {{"script", "commit"}}), 2);
  EXPECT_EQ(e.Sum("orderplatform_lua_script_duration_seconds_count", {{"script", "release"}}), 1);
  EXPECT_EQ(e.Count("orderplatform_lua_script_errors_total"), 18);  // 6 scripts x 3 reasons
  EXPECT_EQ(e.Sum("orderplatform_lua_script_errors_total"), 0);
  EXPECT_EQ(e.Sum("orderplatform_kafka_consumer_assigned_partitions",
                  {{"group", "orderplatform.inventory"}}),
            6);
  EXPECT_EQ(e.Sum("orderplatform_grpc_server_handled_total",
                  {{"grpc_service", "orderplatform.v1.InventoryService"},
                   {"grpc_method", "SetStock"},
                   {"grpc_code", "OK"}}),
            2);
  EXPECT_EQ(e.Sum("orderplatform_build_info", {{"service", "inventory"}}), 1);

  // ---- payment ----
  auto payment = [this] { return Scrape(stack_->payment()); };
  EXPECT_TRUE(LagIsZeroEverywhere(payment, 3));
  e = payment();
  EXPECT_EQ(handled("inventory.v1", "StockReserved", "applied"), 3);   // 2 authorized, 1 declined
  EXPECT_EQ(handled("inventory.v1", "StockReserved", "ignored"), 1);   // m-5: no answer
  EXPECT_EQ(handled("inventory.v1", "StockRejected", "ignored"), 1);   // m-4
  EXPECT_EQ(e.Sum("orderplatform_payment_authorized_total"), 2);
  EXPECT_EQ(e.Sum("orderplatform_payment_declined_total"), 1);
  EXPECT_EQ(e.Sum("orderplatform_payment_no_answer_total"), 1);
  EXPECT_EQ(e.Sum("orderplatform_grpc_server_handled_total",
                  {{"grpc_method", "SetBehavior"}, {"grpc_code", "OK"}}),
            2);
  EXPECT_EQ(e.Sum("orderplatform_redis_connects_total"), 1);

  // ---- order ----
  auto order = [this] { return Scrape(stack_->order()); };
  EXPECT_TRUE(LagIsZeroEverywhere(order, 6));
  e = order();
  EXPECT_EQ(handled("inventory.v1", "StockCommitted", "applied"), 2);
  EXPECT_EQ(handled("inventory.v1", "StockReleased", "applied"), 1);
  EXPECT_EQ(handled("inventory.v1", "StockRejected", "applied"), 1);
  EXPECT_EQ(e.Sum("orderplatform_order_orders_created_total"), 5);
  EXPECT_EQ(e.Sum("orderplatform_grpc_server_handled_total",
                  {{"grpc_service", "orderplatform.v1.OrderService"},
                   {"grpc_method", "PlaceOrder"},
                   {"grpc_code", "OK"}}),
            5);
  EXPECT_GT(e.Sum("orderplatform_grpc_server_handling_seconds_count",
                  {{"grpc_method", "PlaceOrder"}}),
            0);
  EXPECT_GT(e.Sum("process_start_time_seconds"), 0);

  // ---- the reservation nobody paid for expires ----
  absl::StatusOr<Order> expired = client_->AwaitTerminal(waiting->order_id(), kSagaTimeout);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->cancel_reason(), orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_TRUE(testenv::WaitUntil(absl::Seconds(10), [&] {
    e = inventory();
    return e.Sum("orderplatform_inventory_expiries_unannounced") == 0;
  }));
  EXPECT_EQ(e.Sum("orderplatform_inventory_reservations_expired_total"), 1);
  EXPECT_EQ(e.Sum("orderplatform_inventory_reservations_open"), 0);
  EXPECT_EQ(e.Sum("orderplatform_lua_script_duration_seconds_count", {{"script", "expire"}}), 1);
  EXPECT_EQ(Scrape(stack_->payment())
                .Sum("orderplatform_events_handled_total",
                     {{"type", "StockReleased"}, {"outcome", "ignored"}}),
            2);  // m-3 and m-5: nothing to refund

  for (const std::string& violation : CheckInvariants(*client_, invariants_)) {
    ADD_FAILURE() << violation;
  }

  // What the services export and what the docs list are the same set, with the same types.
  absl::StatusOr<std::map<std::string, std::string>> documented =
      metrics::testing::ReadDocumentedMetrics(testenv::RunfilePath("docs/OPERATIONS.md"));
  ASSERT_TRUE(documented.ok()) << documented.status();
  std::vector<std::string> undocumented;
  for (const auto& [name, type] : exported_) {
    auto it = documented->find(name);
    if (it == documented->end()) {
      undocumented.push_back(name);
    } else {
      EXPECT_EQ(it->second, type) << name << " is documented as another type";
    }
  }
  EXPECT_TRUE(undocumented.empty())
      << "exported but not in docs/OPERATIONS.md: " << absl::StrJoin(undocumented, ", ");
  std::vector<std::string> not_exported;
  for (const auto& [name, type] : *documented) {
    if (exported_.count(name) == 0) not_exported.push_back(name);
  }
  EXPECT_TRUE(not_exported.empty())
      << "in docs/OPERATIONS.md but exported by no service: " << absl::StrJoin(not_exported, ", ");
}

}  // namespace
}  // namespace orderplatform::integration
