// The sweeper against a real redis-server and an in-process Kafka-protocol broker: due
// reservations are released and announced, and an announcement that the broker did not
// acknowledge stays in the outbox until a later pass delivers it.
#include "services/inventory/expiry_sweeper.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, as it demands

#include <map>

#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderLine;

OrderLine Line(const std::string& sku, int quantity) {
  OrderLine line;
  line.set_sku(sku);
  line.set_quantity(quantity);
  return line;
}

class ExpirySweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    store_ = std::make_unique<ReservationStore>(client_.get(), InventoryKeys(), absl::Hours(1));

    auto cluster = kafka::testing::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    ASSERT_TRUE(cluster_->CreateTopic(events::kInventoryTopic, 2).ok());
    auto producer = kafka::Producer::Create({.brokers = cluster_->bootstrap()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
    sweeper_ = std::make_unique<ExpirySweeper>(
        store_.get(), producer_.get(),
        ExpirySweeperOptions{.batch_size = 2, .produce_timeout = absl::Seconds(2),
                             .now_ms = [this] { return now_ms_; }, .metrics = &registry_});
  }

  std::vector<InventoryEvent> Announced() {
    auto messages = kafka::testing::ReadTopic(cluster_->bootstrap(), events::kInventoryTopic,
                                              absl::Seconds(10));
    EXPECT_TRUE(messages.ok()) << messages.status();
    std::vector<InventoryEvent> out;
    for (const auto& message : messages.ok() ? *messages : std::vector<kafka::ConsumedMessage>{}) {
      InventoryEvent event;
      EXPECT_TRUE(event.ParseFromString(message.value));
      out.push_back(event);
    }
    return out;
  }

  double Counter(absl::string_view name) {
    for (const metrics::FamilySnapshot& family : registry_.Collect()) {
      if (family.name == name && family.samples.size() == 1) return family.samples[0].value;
    }
    return -1;
  }

  int64_t now_ms_ = 10'000;
  metrics::Registry registry_;
  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<ReservationStore> store_;
  std::unique_ptr<kafka::testing::MockCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<ExpirySweeper> sweeper_;
};

TEST_F(ExpirySweeperTest, ReleasesEveryDueReservationAcrossBatchesAndAnnouncesIt) {
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  for (const char* id : {"o-1", "o-2", "o-3"}) {
    ASSERT_TRUE(store_->Reserve(id, {Line("A", 1)}, 1000, 5000).ok());
  }
  ASSERT_TRUE(store_->Reserve("o-later", {Line("A", 1)}, 1000, 50'000).ok());

  auto released = sweeper_->SweepOnce();
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 3);
  EXPECT_EQ(Counter("orderplatform_inventory_reservations_expired_total"), 3);
  EXPECT_EQ(Counter("orderplatform_inventory_expiry_sweeps_failed_total"), 0);
  std::vector<InventoryEvent> events = Announced();
  ASSERT_EQ(events.size(), 3u);
  for (const InventoryEvent& event : events) {
    EXPECT_EQ(event.stock_released().reason(), orderplatform::v1::RESERVATION_EXPIRED);
  }
  auto level = store_->GetStock("A");
  EXPECT_EQ(level->available(), 9);
  EXPECT_EQ(level->reserved(), 1);
  EXPECT_TRUE(store_->UnannouncedExpiries(10)->empty());
}

TEST_F(ExpirySweeperTest, TheExpiryContinuesTheTraceStoredWithTheReservation) {
  constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_TRUE(store_->SetStock("A", 2).ok());
  ASSERT_TRUE(store_->Reserve("o-t", {Line("A", 1)}, 1000, 5000, kTrace).ok());
  ASSERT_TRUE(store_->Reserve("o-untraced", {Line("A", 1)}, 1000, 5000).ok());
  ASSERT_TRUE(sweeper_->SweepOnce().ok());

  auto messages = kafka::testing::ReadTopic(cluster_->bootstrap(), events::kInventoryTopic,
                                            absl::Seconds(10));
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::map<std::string, std::string> trace_ids;
  for (const kafka::ConsumedMessage& message : *messages) {
    trace_ids[message.key] = tracing::TraceIdOf(tracing::TraceparentHeader(message.headers));
  }
  EXPECT_EQ(trace_ids["o-t"], "4bf92f3577b34da6a3ce929d0e0e4736");
  // A reservation from before tracing: the order's derived trace, which every service agrees on.
  EXPECT_EQ(trace_ids["o-untraced"], tracing::TraceForOrder("o-untraced").trace_id);
}

TEST_F(ExpirySweeperTest, UnacknowledgedAnnouncementStaysInTheOutboxUntilDelivered) {
  ASSERT_TRUE(store_->SetStock("A", 1).ok());
  ASSERT_TRUE(store_->Reserve("o-1", {Line("A", 1)}, 1000, 5000).ok());

  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);
  auto failed = sweeper_->SweepOnce();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  // The stock is back (the script ran), but the announcement is still owed.
  EXPECT_EQ(store_->GetStock("A")->available(), 1);
  ASSERT_EQ(store_->UnannouncedExpiries(10)->size(), 1u);

  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  auto retried = sweeper_->SweepOnce();
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(store_->UnannouncedExpiries(10)->empty());
  // Counted once, when the script released it, not again when the next pass announced it.
  EXPECT_EQ(Counter("orderplatform_inventory_reservations_expired_total"), 1);
  EXPECT_EQ(Counter("orderplatform_inventory_expiry_sweeps_failed_total"), 1);
  bool announced = false;
  for (const InventoryEvent& event : Announced()) {
    announced = announced || event.envelope().event_id() == "o-1/StockReleased";
  }
  EXPECT_TRUE(announced);
}

}  // namespace
}  // namespace orderplatform::inventory
