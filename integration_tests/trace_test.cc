// Trace context end to end: an order placed over gRPC with a W3C traceparent, through the real
// service binaries on devbroker and redis-server. Every event of its saga, on all three topics,
// must carry the caller's trace id in the `traceparent` header (and the same value in the
// envelope), whichever path the saga takes: confirmed, declined and rolled back, expired by the
// sweeper, cancelled by the customer. Without a traceparent the order gets a trace of its own,
// which GetOrder reports.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/stack.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/topics.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::Order;
using orderplatform::v1::PaymentBehavior;

constexpr absl::Duration kSagaTimeout = absl::Seconds(30);
constexpr int64_t kReservationTtlMs = 3000;

// One record of the order, as the topics hold it.
struct Seen {
  std::string topic;
  std::string event_type;
  std::string header;    // the `traceparent` header
  std::string envelope;  // the envelope's traceparent
};

template <typename Event>
Seen Decode(const kafka::ConsumedMessage& record) {
  Event event;
  EXPECT_TRUE(event.ParseFromString(record.value)) << record.topic << "@" << record.offset;
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(
          event, Event::descriptor()->FindOneofByName("payload"));
  return Seen{.topic = record.topic,
              .event_type = field == nullptr ? "" : field->message_type()->name(),
              .header = std::string(tracing::TraceparentHeader(record.headers)),
              .envelope = event.envelope().traceparent()};
}

class TraceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = testenv::Stack::Start({.reservation_ttl_ms = kReservationTtlMs});
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

  // PlaceOrder with `traceparent` metadata ("" sends none).
  Order Place(const std::string& request_id, const std::string& customer, const std::string& sku,
              const std::string& traceparent) {
    orderplatform::v1::PlaceOrderRequest request;
    request.set_request_id(request_id);
    request.set_customer_id(customer);
    auto* line = request.add_lines();
    line->set_sku(sku);
    line->set_quantity(1);
    request.set_amount_cents(1000);
    request.set_currency("EUR");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!traceparent.empty()) context.AddMetadata("traceparent", traceparent);
    Order order;
    grpc::Status status = stack_->OrderStub()->PlaceOrder(&context, request, &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return order;
  }

  // The order's records on the three topics, once all of `expected` event types are there.
  std::vector<Seen> AwaitEvents(const std::string& order_id, const std::set<std::string>& expected) {
    std::vector<Seen> seen;
    const absl::Time deadline = absl::Now() + kSagaTimeout;
    while (absl::Now() < deadline) {
      seen.clear();
      std::set<std::string> types;
      for (const char* topic :
           {events::kOrdersTopic, events::kInventoryTopic, events::kPaymentsTopic}) {
        auto records = kafka::testing::ReadTopic(stack_->kafka().bootstrap(), topic,
                                                 absl::Seconds(10));
        EXPECT_TRUE(records.ok()) << records.status();
        if (!records.ok()) return seen;
        for (const kafka::ConsumedMessage& record : *records) {
          if (record.key != order_id) continue;
          if (record.topic == events::kOrdersTopic) {
            seen.push_back(Decode<orderplatform::v1::OrderEvent>(record));
          } else if (record.topic == events::kInventoryTopic) {
            seen.push_back(Decode<orderplatform::v1::InventoryEvent>(record));
          } else {
            seen.push_back(Decode<orderplatform::v1::PaymentEvent>(record));
          }
          types.insert(seen.back().event_type);
        }
      }
      if (types == expected) return seen;
      absl::SleepFor(absl::Milliseconds(200));
    }
    ADD_FAILURE() << "the saga of " << order_id << " did not produce every expected event";
    return seen;
  }

  // Every record carries `trace_id` in its header, and the same traceparent in its envelope.
  static void ExpectOneTrace(const std::vector<Seen>& seen, const std::string& trace_id) {
    ASSERT_FALSE(seen.empty());
    for (const Seen& record : seen) {
      SCOPED_TRACE(absl::StrCat(record.topic, " ", record.event_type));
      EXPECT_EQ(tracing::TraceIdOf(record.header), trace_id) << record.header;
      EXPECT_EQ(record.envelope, record.header);
    }
  }

  static testenv::Stack* stack_;
  std::unique_ptr<SagaClient> client_;
};

testenv::Stack* TraceTest::stack_ = nullptr;

TEST_F(TraceTest, AConfirmedSagaCarriesTheCallersTraceOnEveryEvent) {
  ASSERT_TRUE(client_->SetStock("trace-A", 5).ok());
  ASSERT_TRUE(client_->SetBehavior(PaymentBehavior()).ok());
  const std::string trace_id = "0af7651916cd43dd8448eb211c80319c";
  const Order order =
      Place("trace-confirmed", "alice", "trace-A", absl::StrCat("00-", trace_id, "-b7ad6b7169203331-01"));
  EXPECT_EQ(order.trace_id(), trace_id);
  ASSERT_EQ(client_->AwaitTerminal(order.order_id(), kSagaTimeout)->status(),
            orderplatform::v1::CONFIRMED);
  std::vector<Seen> seen = AwaitEvents(
      order.order_id(), {"OrderPlaced", "StockReserved", "PaymentAuthorized", "StockCommitted",
                         "OrderConfirmed"});
  ExpectOneTrace(seen, trace_id);
}

TEST_F(TraceTest, ADeclinedPaymentsRollbackContinuesTheTrace) {
  ASSERT_TRUE(client_->SetStock("trace-B", 5).ok());
  PaymentBehavior behavior;
  behavior.add_decline_customers("mallory");
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());
  const std::string trace_id = "1bf7651916cd43dd8448eb211c80319d";
  const Order order =
      Place("trace-declined", "mallory", "trace-B", absl::StrCat("00-", trace_id, "-b7ad6b7169203331-01"));
  ASSERT_EQ(client_->AwaitTerminal(order.order_id(), kSagaTimeout)->cancel_reason(),
            orderplatform::v1::PAYMENT_DECLINED);
  ExpectOneTrace(AwaitEvents(order.order_id(), {"OrderPlaced", "StockReserved", "PaymentDeclined",
                                                "StockReleased", "OrderCancelled"}),
                 trace_id);
}

TEST_F(TraceTest, TheExpirySweepersReleaseContinuesTheTraceStoredWithTheReservation) {
  ASSERT_TRUE(client_->SetStock("trace-C", 5).ok());
  PaymentBehavior behavior;
  behavior.set_no_answer_rate(1.0);  // payment never answers: the reservation expires
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());
  const std::string trace_id = "2cf7651916cd43dd8448eb211c80319e";
  const Order order =
      Place("trace-expired", "bob", "trace-C", absl::StrCat("00-", trace_id, "-b7ad6b7169203331-01"));
  ASSERT_EQ(client_->AwaitTerminal(order.order_id(), kSagaTimeout)->cancel_reason(),
            orderplatform::v1::RESERVATION_EXPIRED);
  ExpectOneTrace(AwaitEvents(order.order_id(),
                             {"OrderPlaced", "StockReserved", "StockReleased", "OrderCancelled"}),
                 trace_id);
}

TEST_F(TraceTest, CancelOrderContinuesTheOrdersTrace) {
  ASSERT_TRUE(client_->SetStock("trace-D", 5).ok());
  PaymentBehavior behavior;
  behavior.set_no_answer_rate(1.0);  // keeps the order RESERVED until it is cancelled
  ASSERT_TRUE(client_->SetBehavior(behavior).ok());
  const std::string trace_id = "3df7651916cd43dd8448eb211c80319f";
  const Order order =
      Place("trace-cancelled", "carol", "trace-D", absl::StrCat("00-", trace_id, "-b7ad6b7169203331-01"));
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(10), [&] {
    absl::StatusOr<Order> now = client_->Get(order.order_id());
    return now.ok() && now->status() == orderplatform::v1::RESERVED;
  }));
  ASSERT_TRUE(client_->Cancel(order.order_id()).ok());
  ASSERT_EQ(client_->AwaitTerminal(order.order_id(), kSagaTimeout)->cancel_reason(),
            orderplatform::v1::CUSTOMER_REQUEST);
  ExpectOneTrace(AwaitEvents(order.order_id(),
                             {"OrderPlaced", "StockReserved", "OrderCancellationRequested",
                              "StockReleased", "OrderCancelled"}),
                 trace_id);
}

TEST_F(TraceTest, WithoutOrWithAnInvalidTraceparentTheOrderGetsATraceOfItsOwn) {
  ASSERT_TRUE(client_->SetStock("trace-E", 5).ok());
  ASSERT_TRUE(client_->SetBehavior(PaymentBehavior()).ok());
  const Order untraced = Place("trace-none", "dave", "trace-E", "");
  const Order invalid = Place("trace-invalid", "erin", "trace-E",
                              "00-00000000000000000000000000000000-b7ad6b7169203331-01");
  for (const Order& order : {untraced, invalid}) {
    SCOPED_TRACE(order.request_id());
    ASSERT_EQ(order.trace_id().size(), 32u) << order.trace_id();
    EXPECT_NE(order.trace_id(), "00000000000000000000000000000000");
    ASSERT_EQ(client_->AwaitTerminal(order.order_id(), kSagaTimeout)->status(),
              orderplatform::v1::CONFIRMED);
    ExpectOneTrace(AwaitEvents(order.order_id(),
                               {"OrderPlaced", "StockReserved", "PaymentAuthorized",
                                "StockCommitted", "OrderConfirmed"}),
                   order.trace_id());
  }
  EXPECT_NE(untraced.trace_id(), invalid.trace_id());
}

}  // namespace
}  // namespace orderplatform::integration
