#include "tools/timeline/timeline.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"

namespace orderplatform::timeline {
namespace {

constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr int64_t kPlacedMs = 1'700'000'000'000;

template <typename Event>
kafka::ConsumedMessage Record(const Event& event, int32_t partition, int64_t offset,
                              int64_t at_ms) {
  kafka::OutgoingMessage out = events::EventMessage(
      std::is_same_v<Event, orderplatform::v1::OrderEvent>       ? "orders.v1"
      : std::is_same_v<Event, orderplatform::v1::InventoryEvent> ? "inventory.v1"
                                                                 : "payments.v1",
      event);
  return kafka::ConsumedMessage{.topic = out.topic, .partition = partition, .offset = offset,
                                .key = out.key, .value = out.value, .headers = out.headers,
                                .timestamp_ms = at_ms};
}

orderplatform::v1::Envelope Envelope(const std::string& order_id, const std::string& type,
                                     const std::string& producer) {
  return events::MakeEnvelope({.order_id = order_id, .event_type = type,
                               .producer = producer, .traceparent = kTrace});
}

// A declined payment rolled back, one StockReserved replayed later, one record of another order
// and one that does not parse; given out of order, as three topics are read.
std::vector<kafka::ConsumedMessage> DeclinedSaga() {
  orderplatform::v1::OrderEvent placed;
  *placed.mutable_envelope() = Envelope("o-1", "OrderPlaced", "order");
  placed.mutable_order_placed();
  orderplatform::v1::InventoryEvent reserved;
  *reserved.mutable_envelope() = Envelope("o-1", "StockReserved", "inventory");
  reserved.mutable_stock_reserved();
  orderplatform::v1::PaymentEvent declined;
  *declined.mutable_envelope() = Envelope("o-1", "PaymentDeclined", "payment");
  declined.mutable_payment_declined()->set_reason("declined_customer");
  orderplatform::v1::InventoryEvent released;
  *released.mutable_envelope() = Envelope("o-1", "StockReleased", "inventory");
  released.mutable_stock_released()->set_reason(orderplatform::v1::PAYMENT_DECLINED);
  orderplatform::v1::OrderEvent cancelled;
  *cancelled.mutable_envelope() = Envelope("o-1", "OrderCancelled", "order");
  cancelled.mutable_order_cancelled()->set_reason(orderplatform::v1::PAYMENT_DECLINED);
  orderplatform::v1::OrderEvent other;
  *other.mutable_envelope() = Envelope("o-2", "OrderPlaced", "order");
  other.mutable_order_placed();

  kafka::ConsumedMessage garbage{.topic = "payments.v1", .partition = 1, .offset = 1,
                                 .key = "o-1", .value = "\xff\xff not protobuf",
                                 .timestamp_ms = kPlacedMs + 40};
  return {Record(reserved, 1, 0, kPlacedMs + 12),
          Record(released, 1, 1, kPlacedMs + 30),
          Record(reserved, 1, 2, kPlacedMs + 5000),  // the replay
          Record(placed, 1, 0, kPlacedMs),
          Record(cancelled, 1, 1, kPlacedMs + 35),
          Record(other, 0, 0, kPlacedMs + 1),
          Record(declined, 1, 0, kPlacedMs + 21),
          garbage};
}

TEST(BuildTimelineTest, OrdersByWriteTimeKeepsOnlyTheOrderAndMarksDuplicates) {
  const Timeline timeline = BuildTimeline("o-1", DeclinedSaga());
  EXPECT_EQ(timeline.placed_at_ms, kPlacedMs);
  std::vector<std::string> types;
  std::vector<bool> duplicates;
  for (const TimelineEntry& entry : timeline.entries) {
    types.push_back(entry.event_type);
    duplicates.push_back(entry.duplicate);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"OrderPlaced", "StockReserved", "PaymentDeclined",
                                             "StockReleased", "OrderCancelled", "",
                                             "StockReserved"}));
  EXPECT_EQ(duplicates, (std::vector<bool>{false, false, false, false, false, false, true}));
  EXPECT_EQ(timeline.duplicates(), 1);
  EXPECT_EQ(timeline.trace_ids, (std::vector<std::string>{"4bf92f3577b34da6a3ce929d0e0e4736"}));
  EXPECT_EQ(timeline.entries.back().since_placement_ms, 5000);
  EXPECT_EQ(timeline.entries[2].producer, "payment");
  EXPECT_EQ(timeline.entries[2].detail, "declined_customer");
}

TEST(BuildTimelineTest, WithoutOrderPlacedTheEarliestRecordIsTheOrigin) {
  std::vector<kafka::ConsumedMessage> saga = DeclinedSaga();
  saga.erase(saga.begin() + 3);  // OrderPlaced
  const Timeline timeline = BuildTimeline("o-1", saga);
  EXPECT_EQ(timeline.placed_at_ms, kPlacedMs + 12);
  EXPECT_EQ(timeline.entries.front().since_placement_ms, 0);
}

TEST(BuildTimelineTest, AnUnknownOrderIsAnEmptyTimeline) {
  const Timeline timeline = BuildTimeline("o-none", DeclinedSaga());
  EXPECT_TRUE(timeline.entries.empty());
  EXPECT_EQ(FormatHuman(timeline), "order o-none: 0 events, 0 duplicates, trace -\n");
}

TEST(BuildTimelineTest, TheHeaderWinsOverTheEnvelopeForTheTraceId) {
  std::vector<kafka::ConsumedMessage> saga = DeclinedSaga();
  saga[3].headers = {{"traceparent", "00-11111111111111111111111111111111-2222222222222222-01"}};
  const Timeline timeline = BuildTimeline("o-1", saga);
  EXPECT_EQ(timeline.entries.front().trace_id, "11111111111111111111111111111111");
  EXPECT_EQ(timeline.trace_ids.size(), 2u);
}

TEST(FormatTest, Human) {
  EXPECT_EQ(FormatHuman(BuildTimeline("o-1", DeclinedSaga())),
            "order o-1: 7 events, 1 duplicate, trace 4bf92f3577b34da6a3ce929d0e0e4736\n"
            "       +0 ms  orders.v1[1]@0       OrderPlaced                        order      "
            "4bf92f3577b34da6a3ce929d0e0e4736\n"
            "      +12 ms  inventory.v1[1]@0    StockReserved                      inventory  "
            "4bf92f3577b34da6a3ce929d0e0e4736\n"
            "      +21 ms  payments.v1[1]@0     PaymentDeclined(declined_customer) payment    "
            "4bf92f3577b34da6a3ce929d0e0e4736\n"
            "      +30 ms  inventory.v1[1]@1    StockReleased(PAYMENT_DECLINED)    inventory  "
            "4bf92f3577b34da6a3ce929d0e0e4736\n"
            "      +35 ms  orders.v1[1]@1       OrderCancelled(PAYMENT_DECLINED)   order      "
            "4bf92f3577b34da6a3ce929d0e0e4736\n"
            "      +40 ms  payments.v1[1]@1     (undecodable record)               payment    -\n"
            "    +5000 ms  inventory.v1[1]@2    StockReserved                      inventory  "
            "4bf92f3577b34da6a3ce929d0e0e4736  duplicate\n");
}

TEST(FormatTest, Mermaid) {
  EXPECT_EQ(FormatMermaid(BuildTimeline("o-1", DeclinedSaga())),
            "sequenceDiagram\n"
            "    participant client\n"
            "    participant order\n"
            "    participant inventory\n"
            "    participant payment\n"
            "    Note over client,payment: order o-1, trace 4bf92f3577b34da6a3ce929d0e0e4736\n"
            "    client->>order: PlaceOrder\n"
            "    order->>inventory: OrderPlaced +0 ms orders.v1[1]@0\n"
            "    inventory->>payment: StockReserved +12 ms inventory.v1[1]@0\n"
            "    payment->>inventory: PaymentDeclined(declined_customer) +21 ms payments.v1[1]@0\n"
            "    inventory->>order: StockReleased(PAYMENT_DECLINED) +30 ms inventory.v1[1]@1\n"
            "    order->>client: OrderCancelled(PAYMENT_DECLINED) +35 ms orders.v1[1]@1\n"
            "    Note over payment: (undecodable record) payments.v1[1]@1\n"
            "    inventory-->>payment: StockReserved +5000 ms inventory.v1[1]@2 (duplicate)\n");
}

TEST(FormatTest, Json) {
  std::vector<kafka::ConsumedMessage> saga = DeclinedSaga();
  const Timeline timeline = BuildTimeline("o-1", {saga[3], saga[2]});  // placed, replayed
  EXPECT_EQ(FormatJson(timeline),
            "{\"order_id\":\"o-1\",\"placed_at_ms\":1700000000000,"
            "\"trace_ids\":[\"4bf92f3577b34da6a3ce929d0e0e4736\"],\"duplicates\":0,\"entries\":["
            "{\"topic\":\"orders.v1\",\"partition\":1,\"offset\":0,\"at_ms\":1700000000000,"
            "\"since_placement_ms\":0,\"event_type\":\"OrderPlaced\",\"detail\":\"\","
            "\"event_id\":\"o-1/OrderPlaced\",\"producer\":\"order\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"duplicate\":false},"
            "{\"topic\":\"inventory.v1\",\"partition\":1,\"offset\":2,\"at_ms\":1700000005000,"
            "\"since_placement_ms\":5000,\"event_type\":\"StockReserved\",\"detail\":\"\","
            "\"event_id\":\"o-1/StockReserved\",\"producer\":\"inventory\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"duplicate\":false}]}\n");
}

TEST(FormatTest, JsonEscapesWhatAnOrderIdMayContain) {
  const Timeline timeline{.order_id = "o-\"q\"\\\x01"};
  EXPECT_THAT(FormatJson(timeline), ::testing::HasSubstr(R"("order_id":"o-\"q\"\\\u0001")"));
}

}  // namespace
}  // namespace orderplatform::timeline
