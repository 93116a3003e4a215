// The handler against a real redis-server, driven with consumed messages directly (no broker):
// what it announces for each event, replays, dead letters, and Redis outages.
#include "services/inventory/inventory_event_handler.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::inventory {
namespace {

using kafka::ConsumedMessage;
using kafka::OutgoingMessage;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

class InventoryEventHandlerTest : public ::testing::Test {
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
    handler_ = std::make_unique<InventoryEventHandler>(
        store_.get(), InventoryHandlerOptions{.reservation_ttl = absl::Seconds(60),
                                              .now_ms = [this] { return now_ms_; }});
  }

  ConsumedMessage Placed(const std::string& order_id, const std::string& sku, int quantity) {
    OrderEvent event;
    *event.mutable_envelope() = events::MakeEnvelope(
        {.order_id = order_id, .event_type = "OrderPlaced", .correlation_id = order_id});
    auto* line = event.mutable_order_placed()->add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
    event.mutable_order_placed()->set_customer_id("c-1");
    event.mutable_order_placed()->set_amount_cents(500);
    return {.topic = events::kOrdersTopic, .partition = 0, .offset = next_offset_++,
            .key = order_id, .value = event.SerializeAsString()};
  }

  ConsumedMessage Payment(const std::string& order_id, bool authorized) {
    PaymentEvent event;
    *event.mutable_envelope() = events::MakeEnvelope(
        {.order_id = order_id, .event_type = authorized ? "PaymentAuthorized" : "PaymentDeclined"});
    if (authorized) {
      event.mutable_payment_authorized()->set_amount_cents(500);
    } else {
      event.mutable_payment_declined()->set_reason("decline_rate");
    }
    return {.topic = events::kPaymentsTopic, .partition = 0, .offset = next_offset_++,
            .key = order_id, .value = event.SerializeAsString()};
  }

  std::vector<OutgoingMessage> Handle(std::vector<ConsumedMessage> batch) {
    auto out = handler_->Handle(batch);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : std::vector<OutgoingMessage>{};
  }

  static InventoryEvent Decode(const OutgoingMessage& message) {
    InventoryEvent event;
    EXPECT_EQ(message.topic, events::kInventoryTopic);
    EXPECT_TRUE(event.ParseFromString(message.value));
    EXPECT_EQ(message.key, event.envelope().order_id());
    return event;
  }

  orderplatform::v1::StockLevel Stock(const std::string& sku) { return *store_->GetStock(sku); }

  int64_t now_ms_ = 1'000'000;
  int64_t next_offset_ = 0;
  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<ReservationStore> store_;
  std::unique_ptr<InventoryEventHandler> handler_;
};

constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";

std::string HeaderTraceId(const OutgoingMessage& message) {
  return tracing::TraceIdOf(tracing::TraceparentHeader(message.headers));
}

TEST_F(InventoryEventHandlerTest, EveryAnnouncementContinuesTheConsumedRecordsTrace) {
  ASSERT_TRUE(store_->SetStock("T", 5).ok());
  ConsumedMessage placed = Placed("o-t", "T", 1);
  placed.headers = {{"traceparent", kTrace}};
  std::vector<OutgoingMessage> reserved = Handle({placed});
  ASSERT_EQ(reserved.size(), 1u);
  EXPECT_EQ(HeaderTraceId(reserved[0]), kTraceId);
  // The same value in the envelope, with a span of the event's own.
  const InventoryEvent event = Decode(reserved[0]);
  EXPECT_EQ(event.envelope().traceparent(), tracing::TraceparentHeader(reserved[0].headers));
  EXPECT_NE(tracing::ParseTraceparent(event.envelope().traceparent())->parent_id,
            "00f067aa0ba902b7");

  // A replay re-announces the identical record, traceparent included.
  std::vector<OutgoingMessage> again = Handle({placed});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].value, reserved[0].value);
  EXPECT_EQ(again[0].headers[0].value, reserved[0].headers[0].value);

  ConsumedMessage paid = Payment("o-t", true);
  paid.headers = {{"traceparent", kTrace}};
  std::vector<OutgoingMessage> committed = Handle({paid});
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(HeaderTraceId(committed[0]), kTraceId);
}

TEST_F(InventoryEventHandlerTest, WithoutTheHeaderTheEnvelopesTraceIsContinued) {
  ASSERT_TRUE(store_->SetStock("T", 5).ok());
  OrderEvent event;
  *event.mutable_envelope() = events::MakeEnvelope(
      {.order_id = "o-h", .event_type = "OrderPlaced", .traceparent = kTrace});
  auto* line = event.mutable_order_placed()->add_lines();
  line->set_sku("T");
  line->set_quantity(1);
  std::vector<OutgoingMessage> out = Handle({{.topic = events::kOrdersTopic, .partition = 0,
                                              .offset = next_offset_++, .key = "o-h",
                                              .value = event.SerializeAsString()}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(HeaderTraceId(out[0]), kTraceId);
}

TEST_F(InventoryEventHandlerTest, TheReservationKeepsItsTraceForTheExpiry) {
  ASSERT_TRUE(store_->SetStock("T", 5).ok());
  ConsumedMessage placed = Placed("o-x", "T", 1);
  placed.headers = {{"traceparent", kTrace}};
  ASSERT_EQ(Handle({placed}).size(), 1u);
  absl::StatusOr<std::vector<ExpiredReservation>> expired =
      store_->ExpireDue(now_ms_ + 61'000, 10);
  ASSERT_TRUE(expired.ok()) << expired.status();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ(tracing::TraceIdOf((*expired)[0].traceparent), kTraceId);
}

TEST_F(InventoryEventHandlerTest, PlacedThenAuthorizedReservesAndSells) {
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  auto out = Handle({Placed("o-1", "A", 3)});
  ASSERT_EQ(out.size(), 1u);
  InventoryEvent reserved = Decode(out[0]);
  ASSERT_TRUE(reserved.has_stock_reserved());
  EXPECT_EQ(reserved.stock_reserved().expires_at_ms(), now_ms_ + 60000);
  EXPECT_EQ(reserved.stock_reserved().amount_cents(), 500);

  out = Handle({Payment("o-1", true)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(Decode(out[0]).has_stock_committed());
  EXPECT_EQ(Stock("A").sold(), 3);
  EXPECT_EQ(Stock("A").available(), 7);
  EXPECT_EQ(Stock("A").reserved(), 0);
}

TEST_F(InventoryEventHandlerTest, ReplayedBatchReannouncesTheSameEventsAndChangesNothing) {
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  std::vector<ConsumedMessage> batch = {Placed("o-1", "A", 3), Payment("o-1", true)};
  auto first = Handle(batch);
  now_ms_ += 5000;
  auto second = Handle(batch);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(Decode(first[i]).envelope().event_id(), Decode(second[i]).envelope().event_id());
  }
  EXPECT_EQ(first[0].value, second[0].value);  // StockReserved is re-announced byte for byte
  EXPECT_EQ(Stock("A").sold(), 3);
  EXPECT_EQ(Stock("A").available(), 7);
}

TEST_F(InventoryEventHandlerTest, OutOfStockIsRejectedAndDeclineReleases) {
  ASSERT_TRUE(store_->SetStock("A", 2).ok());
  auto out = Handle({Placed("o-1", "A", 3), Placed("o-2", "A", 2), Payment("o-2", false)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Decode(out[0]).stock_rejected().reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_TRUE(Decode(out[1]).has_stock_reserved());
  EXPECT_EQ(Decode(out[2]).stock_released().reason(), orderplatform::v1::PAYMENT_DECLINED);
  EXPECT_EQ(Stock("A").available(), 2);
  EXPECT_EQ(Stock("A").reserved(), 0);
}

TEST_F(InventoryEventHandlerTest, LatePaymentAfterDeadlineReleasesInsteadOfSelling) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  Handle({Placed("o-1", "A", 1)});
  now_ms_ += 60000;
  auto out = Handle({Payment("o-1", true)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Decode(out[0]).stock_released().reason(), orderplatform::v1::RESERVATION_EXPIRED);
  EXPECT_EQ(Stock("A").sold(), 0);
  EXPECT_EQ(Stock("A").available(), 5);
}

TEST_F(InventoryEventHandlerTest, GarbageAndUnknownTypesGoToTheDeadLetterTopic) {
  ConsumedMessage garbage{.topic = events::kOrdersTopic, .partition = 2, .offset = 17,
                          .key = "k", .value = "\xff\xff not a protobuf"};
  OrderEvent unknown;  // a valid envelope but no payload: an event type this build cannot know
  *unknown.mutable_envelope() = events::MakeEnvelope({.order_id = "o-9", .event_type = "Future"});
  ConsumedMessage unknown_type{.topic = events::kOrdersTopic, .partition = 0, .offset = 3,
                               .key = "o-9", .value = unknown.SerializeAsString()};
  auto out = Handle({garbage, unknown_type});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "orders.v1.dlq");
  EXPECT_EQ(out[0].value, garbage.value);
  bool has_offset = false;
  for (const auto& header : out[0].headers) {
    if (header.key == "dlq.source.offset") has_offset = header.value == "17";
  }
  EXPECT_TRUE(has_offset);
  EXPECT_EQ(out[1].topic, "orders.v1.dlq");
}

// A script that fails on corrupt data is not an outage: that one message is parked with the
// reason, and the rest of the batch goes on (one poisoned order cannot block its partition).
TEST_F(InventoryEventHandlerTest, ScriptErrorOnCorruptDataIsDeadLetteredAndTheBatchGoesOn) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  auto corrupt = client_->Command({"SET", InventoryKeys().Stock("broken"), "not a hash"});
  ASSERT_TRUE(corrupt.ok()) << corrupt.status();
  auto out = Handle({Placed("o-1", "broken", 1), Placed("o-2", "A", 1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "orders.v1.dlq");
  EXPECT_EQ(out[0].key, "o-1");
  std::string error;
  for (const auto& header : out[0].headers) {
    if (header.key == "dlq.error") error = header.value;
  }
  EXPECT_NE(error.find("reserve.lua failed"), std::string::npos) << error;
  EXPECT_NE(error.find("WRONGTYPE"), std::string::npos) << error;
  EXPECT_TRUE(Decode(out[1]).has_stock_reserved());
  EXPECT_EQ(Stock("A").reserved(), 1);
}

int64_t ReadsProcessed(redis::RedisClient* client) {
  auto info = client->Command({"INFO", "stats"});
  EXPECT_TRUE(info.ok()) << info.status();
  const std::string text = info.ok() ? info->str : "";
  const std::string field = "total_reads_processed:";
  const size_t at = text.find(field);
  EXPECT_NE(at, std::string::npos) << text;
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + field.size()));
}

// The point of batching: a batch's scripts share a few round trips (each one fsynced once with
// appendfsync always) instead of one or two per message.
TEST_F(InventoryEventHandlerTest, ABatchOfManyOrdersTakesAFewRoundTrips) {
  ASSERT_TRUE(store_->SetStock("A", 1000).ok());
  std::vector<ConsumedMessage> placed;
  std::vector<ConsumedMessage> paid;
  for (int i = 0; i < 200; ++i) {
    placed.push_back(Placed(absl::StrCat("o-", i), "A", 1));
    paid.push_back(Payment(absl::StrCat("o-", i), i % 2 == 0));
  }
  const int64_t before = ReadsProcessed(client_.get());
  ASSERT_EQ(Handle(placed).size(), 200u);
  const int64_t after_reserve = ReadsProcessed(client_.get());
  auto out = Handle(paid);
  const int64_t after_close = ReadsProcessed(client_.get());
  ASSERT_EQ(out.size(), 200u);
  EXPECT_TRUE(Decode(out[0]).has_stock_committed());
  EXPECT_EQ(Decode(out[1]).stock_released().reason(), orderplatform::v1::PAYMENT_DECLINED);
  EXPECT_EQ(Stock("A").sold(), 100);
  EXPECT_EQ(Stock("A").reserved(), 0);
  EXPECT_EQ(Stock("A").available(), 900);
  // Reads include SCRIPT LOAD, the INFO itself, and a large pipeline read in several chunks;
  // one call per message would be 200 and 400.
  EXPECT_LE(after_reserve - before, 12);
  EXPECT_LE(after_close - after_reserve, 16);
}

TEST_F(InventoryEventHandlerTest, RedisDownFailsTheBatchWithUnavailableAndNothingIsDeadLettered) {
  server_->Kill9();
  auto out = handler_->Handle(std::vector<ConsumedMessage>{Placed("o-1", "A", 1)});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
}

double HandledCount(const metrics::Registry& registry, const std::string& topic,
                    const std::string& type, const std::string& outcome) {
  for (const metrics::FamilySnapshot& family : registry.Collect()) {
    if (family.name != "orderplatform_events_handled_total") continue;
    for (const metrics::Sample& sample : family.samples) {
      if (sample.label_values == std::vector<std::string>{topic, type, outcome}) {
        return sample.value;
      }
    }
  }
  return 0;
}

// Every message is counted with what the store reported: a new effect, a replay, nothing to do,
// a dead letter, or a retry.
TEST_F(InventoryEventHandlerTest, MetricsCountEachMessageByOutcome) {
  metrics::Registry registry;
  handler_ = std::make_unique<InventoryEventHandler>(
      store_.get(), InventoryHandlerOptions{.reservation_ttl = absl::Seconds(60),
                                            .now_ms = [this] { return now_ms_; },
                                            .metrics = &registry});
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  std::vector<ConsumedMessage> batch = {Placed("o-1", "A", 3), Payment("o-1", true)};
  Handle(batch);
  now_ms_ += 5000;
  Handle(batch);  // a replay: both answered from the stored records
  ConsumedMessage garbage{.topic = events::kOrdersTopic, .partition = 0, .offset = 99,
                          .key = "k", .value = "\xff not a protobuf"};
  Handle({garbage, Payment("never-reserved", false)});
  EXPECT_EQ(HandledCount(registry, "orders.v1", "OrderPlaced", "applied"), 1);
  EXPECT_EQ(HandledCount(registry, "orders.v1", "OrderPlaced", "duplicate"), 1);
  EXPECT_EQ(HandledCount(registry, "payments.v1", "PaymentAuthorized", "applied"), 1);
  EXPECT_EQ(HandledCount(registry, "payments.v1", "PaymentAuthorized", "duplicate"), 1);
  EXPECT_EQ(HandledCount(registry, "orders.v1", "invalid", "dead_lettered"), 1);
  EXPECT_EQ(HandledCount(registry, "payments.v1", "PaymentDeclined", "ignored"), 1);

  server_->Kill9();
  EXPECT_FALSE(handler_->Handle(std::vector<ConsumedMessage>{Placed("o-2", "A", 1)}).ok());
  EXPECT_EQ(HandledCount(registry, "orders.v1", "OrderPlaced", "retried"), 1);
}

}  // namespace
}  // namespace orderplatform::inventory
