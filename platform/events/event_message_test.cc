#include "platform/events/event_message.h"

#include "gtest/gtest.h"
#include "platform/events/envelope.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::events {
namespace {

constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kOtherTrace[] = "00-11111111111111111111111111111111-2222222222222222-01";
constexpr char kRecordTrace[] = "00-33333333333333333333333333333333-4444444444444444-01";

orderplatform::v1::Envelope EnvelopeWith(absl::string_view traceparent) {
  orderplatform::v1::Envelope envelope;
  envelope.set_order_id("o-1");
  envelope.set_traceparent(std::string(traceparent));
  return envelope;
}

TEST(MakeEnvelopeTest, ContinuesTheGivenTraceWithTheEventsOwnSpan) {
  const orderplatform::v1::Envelope envelope = MakeEnvelope(
      {.order_id = "o-1", .event_type = "StockReserved", .traceparent = kTrace});
  absl::StatusOr<tracing::TraceContext> trace = tracing::ParseTraceparent(envelope.traceparent());
  ASSERT_TRUE(trace.ok()) << envelope.traceparent();
  EXPECT_EQ(trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(trace->parent_id, "00f067aa0ba902b7");
  // The identity stays the deterministic event id.
  EXPECT_EQ(envelope.event_id(), "o-1/StockReserved");
}

TEST(MakeEnvelopeTest, WithoutAValidTraceUsesTheOrdersDerivedTrace) {
  const orderplatform::v1::Envelope a =
      MakeEnvelope({.order_id = "o-1", .event_type = "StockReserved", .traceparent = "junk"});
  const orderplatform::v1::Envelope b =
      MakeEnvelope({.order_id = "o-1", .event_type = "StockReserved"});
  EXPECT_EQ(tracing::TraceIdOf(a.traceparent()), tracing::TraceForOrder("o-1").trace_id);
  EXPECT_EQ(a.traceparent(), b.traceparent());
}

TEST(EventMessageTest, CarriesTheEnvelopesTraceparentInTheHeader) {
  orderplatform::v1::InventoryEvent event;
  *event.mutable_envelope() =
      MakeEnvelope({.order_id = "o-1", .event_type = "StockReserved", .traceparent = kTrace});
  event.mutable_stock_reserved();
  const kafka::OutgoingMessage out = EventMessage("inventory.v1", event);
  EXPECT_EQ(out.topic, "inventory.v1");
  EXPECT_EQ(out.key, "o-1");
  EXPECT_EQ(out.value, event.SerializeAsString());
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0].key, "traceparent");
  EXPECT_EQ(out.headers[0].value, event.envelope().traceparent());
}

TEST(EventMessageTest, NoHeaderWithoutATraceparent) {
  orderplatform::v1::OrderEvent event;
  event.mutable_envelope()->set_order_id("o-1");
  EXPECT_TRUE(EventMessage("orders.v1", event).headers.empty());
}

TEST(IncomingTraceparentTest, PrefersTheHeader) {
  kafka::ConsumedMessage message{.headers = {{"traceparent", kTrace}}};
  EXPECT_EQ(IncomingTraceparent(message, EnvelopeWith(kOtherTrace), kRecordTrace), kTrace);
}

TEST(IncomingTraceparentTest, FallsBackToTheEnvelopeWhenTheHeaderIsLostOrInvalid) {
  kafka::ConsumedMessage lost;
  kafka::ConsumedMessage invalid{.headers = {{"traceparent", "00-garbage"}}};
  EXPECT_EQ(IncomingTraceparent(lost, EnvelopeWith(kOtherTrace), kRecordTrace), kOtherTrace);
  EXPECT_EQ(IncomingTraceparent(invalid, EnvelopeWith(kOtherTrace)), kOtherTrace);
}

TEST(IncomingTraceparentTest, ThenTheCallersFallbackThenTheOrdersDerivedTrace) {
  kafka::ConsumedMessage message;
  EXPECT_EQ(IncomingTraceparent(message, EnvelopeWith(""), kRecordTrace), kRecordTrace);
  EXPECT_EQ(IncomingTraceparent(message, EnvelopeWith("")),
            tracing::FormatTraceparent(tracing::TraceForOrder("o-1")));
}

}  // namespace
}  // namespace orderplatform::events
