// The order service's adapters together: the gRPC service (through a real in-process server),
// the store on a real redis-server, the outbox and the projection handler with a real Kafka
// producer against librdkafka's in-process mock cluster. The projection is driven by handing
// inventory.v1/payments.v1 messages to the handler, as the consumer would.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, as it demands

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/testenv/redis_server.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/grpc/server.h"
#include "platform/kafka/dead_letter.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "services/order/order_event_handler.h"
#include "services/order/order_events.h"
#include "services/order/order_grpc_service.h"
#include "services/order/order_id.h"
#include "services/order/order_outbox.h"
#include "services/order/order_projection.h"
#include "services/order/order_store.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::CancelOrderRequest;
using orderplatform::v1::CancelReason;
using orderplatform::v1::GetOrderRequest;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::Order;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderService;
using orderplatform::v1::OrderStatus;
using orderplatform::v1::PaymentEvent;
using orderplatform::v1::PlaceOrderRequest;

constexpr absl::Duration kWait = absl::Seconds(20);

PlaceOrderRequest Request(const std::string& request_id) {
  PlaceOrderRequest request;
  request.set_request_id(request_id);
  request.set_customer_id("c-1");
  request.set_amount_cents(2500);
  request.set_currency("EUR");
  auto* line = request.add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(2);
  return request;
}

orderplatform::v1::Envelope EnvelopeOf(const std::string& order_id, const std::string& type,
                                       const std::string& producer) {
  return events::MakeEnvelope({.order_id = order_id,
                               .event_type = type,
                               .correlation_id = order_id,
                               .producer = producer,
                               .occurred_at_ms = 1});
}

InventoryEvent StockReserved(const std::string& order_id) {
  InventoryEvent event;
  *event.mutable_envelope() = EnvelopeOf(order_id, "StockReserved", "inventory");
  event.mutable_stock_reserved()->set_amount_cents(2500);
  return event;
}
InventoryEvent StockCommitted(const std::string& order_id) {
  InventoryEvent event;
  *event.mutable_envelope() = EnvelopeOf(order_id, "StockCommitted", "inventory");
  event.mutable_stock_committed();
  return event;
}
InventoryEvent StockReleased(const std::string& order_id, CancelReason reason) {
  InventoryEvent event;
  *event.mutable_envelope() = EnvelopeOf(order_id, "StockReleased", "inventory");
  event.mutable_stock_released()->set_reason(reason);
  return event;
}
PaymentEvent PaymentAuthorized(const std::string& order_id) {
  PaymentEvent event;
  *event.mutable_envelope() = EnvelopeOf(order_id, "PaymentAuthorized", "payment");
  event.mutable_payment_authorized()->set_amount_cents(2500);
  return event;
}
PaymentEvent PaymentDeclined(const std::string& order_id) {
  PaymentEvent event;
  *event.mutable_envelope() = EnvelopeOf(order_id, "PaymentDeclined", "payment");
  event.mutable_payment_declined()->set_reason("decline_rate");
  return event;
}

kafka::ConsumedMessage Consumed(const std::string& topic, const std::string& key,
                                const std::string& value) {
  static std::atomic<int64_t> offset{0};
  return kafka::ConsumedMessage{
      .topic = topic, .partition = 0, .offset = offset++, .key = key, .value = value};
}
kafka::ConsumedMessage Consumed(const InventoryEvent& event) {
  return Consumed(events::kInventoryTopic, event.envelope().order_id(), event.SerializeAsString());
}
kafka::ConsumedMessage Consumed(const PaymentEvent& event) {
  return Consumed(events::kPaymentsTopic, event.envelope().order_id(), event.SerializeAsString());
}

std::vector<OrderStatus> StatusesOf(const std::vector<Order>& orders) {
  std::vector<OrderStatus> statuses;
  for (const Order& order : orders) statuses.push_back(order.status());
  return statuses;
}

// A WatchOrder stream read on a thread of its own.
class Watcher {
 public:
  Watcher(OrderService::Stub* stub, const std::string& order_id) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    GetOrderRequest request;
    request.set_order_id(order_id);
    thread_ = std::thread([this, stub, request] {
      std::unique_ptr<grpc::ClientReader<Order>> reader = stub->WatchOrder(&context_, request);
      Order order;
      while (reader->Read(&order)) {
        absl::MutexLock lock(&mu_);
        received_.push_back(order);
      }
      grpc::Status status = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      done_ = true;
    });
  }
  ~Watcher() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }

  bool WaitForCount(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return received_.size() >= count || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
    return received_.size() >= count;
  }
  grpc::Status Finish() {
    thread_.join();
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::vector<Order> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<Order> received_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class OrderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartAll(ProduceTimeout()); }
  virtual absl::Duration ProduceTimeout() const { return absl::Seconds(5); }

  void StartAll(absl::Duration produce_timeout) {
    auto redis = testenv::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto pool = RedisSessionPool::Connect({.host = redis_->host(), .port = redis_->port()}, 4,
                                          absl::Seconds(5));
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);

    auto cluster = kafka::testing::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    ASSERT_TRUE(cluster_->CreateTopic(events::kOrdersTopic, 3).ok());
    auto producer = kafka::Producer::Create(
        {.brokers = cluster_->bootstrap(), .client_id = "order-test"},
        {.close_flush_timeout = absl::Seconds(1)});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);

    store_ = std::make_unique<OrderStore>(pool_.get(), OrderKeys(), &counters_);
    auto clock = [this] { return now_ms_.load(); };
    outbox_ = std::make_unique<OrderOutbox>(
        store_.get(), producer_.get(), &counters_,
        OrderOutboxOptions{.produce_timeout = produce_timeout,
                           .relay_min_age = absl::Seconds(6),
                           .now_ms = clock});
    handler_ = std::make_unique<OrderEventHandler>(
        store_.get(), &counters_, OrderHandlerOptions{.now_ms = clock, .metrics = &registry_});
    service_ = std::make_unique<OrderGrpcService>(
        store_.get(), outbox_.get(), &counters_,
        OrderServiceOptions{.watchers_max = 2,
                            .watch_poll_interval = absl::Milliseconds(20),
                            .now_ms = clock});
    auto server = grpc_server::GrpcServer::Start(
        {.port = 0, .host = "127.0.0.1", .print_port = false}, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = OrderService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                      grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (service_ != nullptr) service_->BeginShutdown();
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  grpc::Status Place(const PlaceOrderRequest& request, Order* order) {
    grpc::ClientContext context;
    return stub_->PlaceOrder(&context, request, order);
  }
  grpc::Status Get(const std::string& order_id, Order* order) {
    grpc::ClientContext context;
    GetOrderRequest request;
    request.set_order_id(order_id);
    return stub_->GetOrder(&context, request, order);
  }
  grpc::Status Cancel(const std::string& order_id, Order* order) {
    grpc::ClientContext context;
    CancelOrderRequest request;
    request.set_order_id(order_id);
    return stub_->CancelOrder(&context, request, order);
  }

  // Hands the events to the projection as one consumed batch; returns what it would produce.
  std::vector<kafka::OutgoingMessage> Drive(const std::vector<kafka::ConsumedMessage>& batch) {
    auto out = handler_->Handle(batch);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *std::move(out) : std::vector<kafka::OutgoingMessage>();
  }

  // Every event on orders.v1 (all partitions).
  std::vector<OrderEvent> OrdersTopic() {
    auto messages = kafka::testing::ReadTopic(cluster_->bootstrap(), events::kOrdersTopic, kWait);
    EXPECT_TRUE(messages.ok()) << messages.status();
    std::vector<OrderEvent> out;
    if (!messages.ok()) return out;
    for (const kafka::ConsumedMessage& message : *messages) {
      OrderEvent event;
      EXPECT_TRUE(event.ParseFromString(message.value));
      EXPECT_EQ(message.key, event.envelope().order_id());
      out.push_back(event);
    }
    return out;
  }
  std::vector<std::string> EventIdsOf(const std::string& order_id) {
    std::vector<std::string> ids;
    for (const OrderEvent& event : OrdersTopic()) {
      if (event.envelope().order_id() == order_id) ids.push_back(event.envelope().event_id());
    }
    return ids;
  }

  int64_t RedisKeyCount() {
    auto session = pool_->Acquire();
    EXPECT_TRUE(session.ok());
    auto reply = (*session)->Command({"DBSIZE"});
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->integer : -1;
  }

  // Declared in construction order; destroyed in reverse (the server before the service, ...).
  metrics::Registry registry_;
  std::unique_ptr<testenv::RedisServer> redis_;
  std::unique_ptr<RedisSessionPool> pool_;
  std::unique_ptr<kafka::testing::MockCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  std::atomic<int64_t> now_ms_{1'700'000'000'000};
  OrderCounters counters_;
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<OrderOutbox> outbox_;
  std::unique_ptr<OrderEventHandler> handler_;
  std::unique_ptr<OrderGrpcService> service_;
  std::unique_ptr<grpc_server::GrpcServer> server_;
  std::unique_ptr<OrderService::Stub> stub_;
};

// ---- PlaceOrder / GetOrder ----

TEST_F(OrderServiceTest, PlaceOrderTwiceWithOneRequestIdYieldsOneOrderAndOnePublish) {
  Order first;
  Order second;
  ASSERT_TRUE(Place(Request("req-1"), &first).ok());
  ASSERT_TRUE(Place(Request("req-1"), &second).ok());
  const std::string order_id = OrderIdForRequest("req-1");
  EXPECT_EQ(first.order_id(), order_id);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(first.status(), orderplatform::v1::PENDING);
  EXPECT_EQ(first.request_id(), "req-1");
  EXPECT_EQ(first.customer_id(), "c-1");
  EXPECT_EQ(first.amount_cents(), 2500);
  ASSERT_EQ(first.lines_size(), 1);
  EXPECT_EQ(first.lines(0).quantity(), 2);
  EXPECT_EQ(first.created_at_ms(), now_ms_.load());

  Order got;
  ASSERT_TRUE(Get(order_id, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), first.SerializeAsString());

  std::vector<OrderEvent> published = OrdersTopic();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].envelope().event_id(), order_id + "/OrderPlaced");
  EXPECT_EQ(published[0].order_placed().request_id(), "req-1");
  EXPECT_TRUE(store_->PendingOutbox(order_id)->empty());
  EXPECT_EQ(counters_.orders_created.load(), 1);
  EXPECT_EQ(counters_.orders_replayed.load(), 1);

  Order other;
  ASSERT_TRUE(Place(Request("req-2"), &other).ok());
  EXPECT_NE(other.order_id(), order_id);
  EXPECT_EQ(OrdersTopic().size(), 2u);
}

TEST_F(OrderServiceTest, TheCallersTraceparentStartsTheSagaAndCancelContinuesIt) {
  constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  Order order;
  grpc::ClientContext context;
  context.AddMetadata("traceparent", kTrace);
  ASSERT_TRUE(stub_->PlaceOrder(&context, Request("req-traced"), &order).ok());
  Order cancelled;
  ASSERT_TRUE(Cancel(order.order_id(), &cancelled).ok());

  auto messages = kafka::testing::ReadTopic(cluster_->bootstrap(), events::kOrdersTopic, kWait);
  ASSERT_TRUE(messages.ok()) << messages.status();
  int seen = 0;
  for (const kafka::ConsumedMessage& message : *messages) {
    if (message.key != order.order_id()) continue;
    ++seen;
    const std::string header(tracing::TraceparentHeader(message.headers));
    EXPECT_EQ(tracing::TraceIdOf(header), "4bf92f3577b34da6a3ce929d0e0e4736");
    OrderEvent event;
    ASSERT_TRUE(event.ParseFromString(message.value));
    EXPECT_EQ(event.envelope().traceparent(), header);
  }
  EXPECT_EQ(seen, 2);  // OrderPlaced, OrderCancellationRequested
  // The trace is stored with the order, for the relay and for CancelOrder.
  EXPECT_EQ(store_->Get(order.order_id())->traceparent, kTrace);
}

TEST_F(OrderServiceTest, WithoutAValidTraceparentPlaceOrderStartsANewTrace) {
  Order order;
  grpc::ClientContext context;
  context.AddMetadata("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  ASSERT_TRUE(stub_->PlaceOrder(&context, Request("req-untraced"), &order).ok());
  const std::string stored = store_->Get(order.order_id())->traceparent;
  EXPECT_TRUE(tracing::IsValidTraceparent(stored)) << stored;
  EXPECT_NE(tracing::TraceIdOf(stored), "00000000000000000000000000000000");
}

TEST_F(OrderServiceTest, InvalidRequestsAreInvalidArgumentAndChangeNothing) {
  std::vector<PlaceOrderRequest> invalid;
  invalid.push_back(Request(""));
  invalid.push_back(Request("req-1"));
  invalid.back().clear_lines();
  invalid.push_back(Request("req-1"));
  invalid.back().mutable_lines(0)->set_quantity(0);
  invalid.push_back(Request("req-1"));
  invalid.back().mutable_lines(0)->set_sku("bad sku!");
  invalid.push_back(Request("req-1"));
  for (int i = 0; i < 100; ++i) *invalid.back().add_lines() = invalid.back().lines(0);
  invalid.push_back(Request("req-1"));
  invalid.back().set_amount_cents(-5);
  for (const PlaceOrderRequest& request : invalid) {
    Order order;
    EXPECT_EQ(Place(request, &order).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << request.ShortDebugString();
  }
  EXPECT_EQ(RedisKeyCount(), 0);
  EXPECT_TRUE(OrdersTopic().empty());
  Order order;
  EXPECT_EQ(Get(OrderIdForRequest("req-1"), &order).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(OrderServiceTest, GetOrderNeedsAnIdAndAnswersNotFoundForAnUnknownOne) {
  Order order;
  EXPECT_EQ(Get("", &order).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get("o-unknown", &order).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A short produce timeout, so that an outage shows within the test's patience.
class OrderServiceShortTimeoutTest : public OrderServiceTest {
 protected:
  absl::Duration ProduceTimeout() const override { return absl::Milliseconds(500); }
};

TEST_F(OrderServiceShortTimeoutTest, UnackedPlaceOrderIsUnavailableKeepsTheOrderAndARetryCompletesIt) {
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_->mock(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::string order_id = OrderIdForRequest("req-1");
  Order order;
  EXPECT_EQ(Place(Request("req-1"), &order).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(counters_.publish_unacked.load(), 1);
  // Stored, and still waiting in the outbox.
  ASSERT_TRUE(Get(order_id, &order).ok());
  EXPECT_EQ(order.status(), orderplatform::v1::PENDING);
  EXPECT_EQ(*store_->PendingOutbox(order_id), std::vector<std::string>{order_id + "/OrderPlaced"});

  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_->mock(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  grpc::Status retried(grpc::StatusCode::UNKNOWN, "not tried");
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!retried.ok() && absl::Now() < deadline) retried = Place(Request("req-1"), &order);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(order.order_id(), order_id);
  EXPECT_TRUE(store_->PendingOutbox(order_id)->empty());
  std::vector<std::string> ids = EventIdsOf(order_id);
  ASSERT_FALSE(ids.empty());  // the unacked first attempt may also have landed: a duplicate
  for (const std::string& id : ids) EXPECT_EQ(id, order_id + "/OrderPlaced");
}

// ---- the outbox relay ----

TEST_F(OrderServiceTest, RelayPublishesAnOrderStoredByARequestThatDiedBeforeProducing) {
  // The process died between its MULTI/EXEC and the produce: stored, in the outbox, unannounced.
  const std::string order_id = OrderIdForRequest("req-1");
  OrderRecord record = NewOrderRecord(Request("req-1"), order_id, now_ms_.load());
  ASSERT_TRUE(store_->Create(record).ok());
  EXPECT_TRUE(OrdersTopic().empty());

  // Younger than relay_min_age: still its request's to publish.
  EXPECT_EQ(*outbox_->RelayOnce(absl::Seconds(6)), 0);
  now_ms_ += 7000;
  EXPECT_EQ(*outbox_->RelayOnce(absl::Seconds(6)), 1);
  std::vector<OrderEvent> published = OrdersTopic();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].SerializeAsString(), OrderPlacedEvent(record).SerializeAsString());
  EXPECT_TRUE(store_->PendingOutbox(order_id)->empty());
  EXPECT_EQ(counters_.outbox_relayed.load(), 1);
  EXPECT_EQ(*outbox_->RelayOnce(absl::ZeroDuration()), 0);

  // The client's retry finds the order, announced already: nothing is published twice.
  Order order;
  ASSERT_TRUE(Place(Request("req-1"), &order).ok());
  EXPECT_EQ(order.order_id(), order_id);
  EXPECT_EQ(OrdersTopic().size(), 1u);
}

TEST_F(OrderServiceTest, StartUpRelayTakesEverythingAndDropsEntriesWithoutAnOrder) {
  OrderRecord a = NewOrderRecord(Request("req-a"), OrderIdForRequest("req-a"), now_ms_.load());
  OrderRecord b = NewOrderRecord(Request("req-b"), OrderIdForRequest("req-b"), now_ms_.load() - 1);
  ASSERT_TRUE(store_->Create(a).ok());
  ASSERT_TRUE(store_->Create(b).ok());
  {
    auto session = pool_->Acquire();
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE((*session)->Command({"ZADD", OrderKeys().Outbox(), "1", "o-ghost/OrderPlaced"}).ok());
    ASSERT_TRUE((*session)->Command({"ZADD", OrderKeys().Outbox(), "2", "not-an-event-id"}).ok());
  }
  EXPECT_EQ(*outbox_->RelayOnce(absl::ZeroDuration()), 2);
  EXPECT_EQ(counters_.outbox_orphans.load(), 2);
  std::vector<OrderEvent> published = OrdersTopic();
  ASSERT_EQ(published.size(), 2u);
  for (const OrderEvent& event : published) {
    EXPECT_NE(event.envelope().order_id(), "o-ghost");
    EXPECT_TRUE(event.has_order_placed());
  }
  EXPECT_TRUE(store_->OutboxDue(INT64_MAX / 2, 100)->empty());
}

// ---- CancelOrder ----

TEST_F(OrderServiceTest, CancelOrderOfAnUnknownOrderIsNotFound) {
  Order order;
  EXPECT_EQ(Cancel("o-unknown", &order).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Cancel("", &order).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OrderServiceTest, CancelOrderRequestsOnceAndTheReleaseEndsTheOrderCancelled) {
  Order order;
  ASSERT_TRUE(Place(Request("req-1"), &order).ok());
  const std::string order_id = order.order_id();
  Drive({Consumed(StockReserved(order_id))});

  Order cancelled;
  ASSERT_TRUE(Cancel(order_id, &cancelled).ok());
  EXPECT_TRUE(cancelled.cancellation_requested());
  EXPECT_EQ(cancelled.status(), orderplatform::v1::RESERVED);
  ASSERT_TRUE(Cancel(order_id, &cancelled).ok());  // idempotent: nothing new is produced
  EXPECT_EQ(EventIdsOf(order_id), (std::vector<std::string>{order_id + "/OrderPlaced",
                                                            order_id + "/OrderCancellationRequested"}));
  EXPECT_EQ(counters_.cancellations_requested.load(), 1);

  // Inventory answers the request.
  std::vector<kafka::OutgoingMessage> out =
      Drive({Consumed(StockReleased(order_id, orderplatform::v1::CUSTOMER_REQUEST))});
  ASSERT_EQ(out.size(), 1u);
  OrderEvent outcome;
  ASSERT_TRUE(outcome.ParseFromString(out[0].value));
  EXPECT_EQ(outcome.order_cancelled().reason(), orderplatform::v1::CUSTOMER_REQUEST);

  // An already cancelled order comes back as it is.
  ASSERT_TRUE(Cancel(order_id, &cancelled).ok());
  EXPECT_EQ(cancelled.status(), orderplatform::v1::CANCELLED);
  EXPECT_EQ(cancelled.cancel_reason(), orderplatform::v1::CUSTOMER_REQUEST);
}

TEST_F(OrderServiceTest, CancelOrderOnceConfirmedIsFailedPreconditionAndChangesNothing) {
  Order order;
  ASSERT_TRUE(Place(Request("req-1"), &order).ok());
  const std::string order_id = order.order_id();
  Drive({Consumed(StockReserved(order_id)), Consumed(PaymentAuthorized(order_id)),
         Consumed(StockCommitted(order_id))});
  Order confirmed;
  ASSERT_TRUE(Get(order_id, &confirmed).ok());
  ASSERT_EQ(confirmed.status(), orderplatform::v1::CONFIRMED);

  Order after;
  EXPECT_EQ(Cancel(order_id, &after).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Get(order_id, &after).ok());
  EXPECT_EQ(after.SerializeAsString(), confirmed.SerializeAsString());
  EXPECT_EQ(EventIdsOf(order_id), std::vector<std::string>{order_id + "/OrderPlaced"});
  EXPECT_TRUE(store_->PendingOutbox(order_id)->empty());
}

// ---- WatchOrder ----

TEST_F(OrderServiceTest, WatchOrderStreamsEveryStatusUpToTheTerminalOne) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  const std::string order_id = placed.order_id();
  Watcher watcher(stub_.get(), order_id);
  ASSERT_TRUE(watcher.WaitForCount(1));

  now_ms_ += 10;
  Drive({Consumed(StockReserved(order_id))});
  ASSERT_TRUE(watcher.WaitForCount(2));
  now_ms_ += 10;
  Drive({Consumed(PaymentAuthorized(order_id))});
  ASSERT_TRUE(watcher.WaitForCount(3));
  now_ms_ += 10;
  std::vector<kafka::OutgoingMessage> out = Drive({Consumed(StockCommitted(order_id))});
  EXPECT_EQ(out.size(), 1u);  // OrderConfirmed

  grpc::Status status = watcher.Finish();  // ends by itself after the terminal status
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<Order> received = watcher.received();
  EXPECT_EQ(StatusesOf(received),
            (std::vector<OrderStatus>{orderplatform::v1::PENDING, orderplatform::v1::RESERVED,
                                      orderplatform::v1::PAID, orderplatform::v1::CONFIRMED}));
  ASSERT_EQ(received.size(), 4u);
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].order_id(), order_id);
    EXPECT_EQ(received[i].request_id(), "req-1");
    EXPECT_EQ(received[i].updated_at_ms(), placed.created_at_ms() + 10 * static_cast<int64_t>(i));
  }
  EXPECT_EQ(service_->active_watchers(), 0);
}

TEST_F(OrderServiceTest, WatchOrderShowsStatusesThatChangedFasterThanItPolls) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  const std::string order_id = placed.order_id();
  // The whole saga in one batch, before anyone watches.
  Drive({Consumed(StockReserved(order_id)), Consumed(PaymentDeclined(order_id)),
         Consumed(StockReleased(order_id, orderplatform::v1::PAYMENT_DECLINED))});
  Watcher watcher(stub_.get(), order_id);
  ASSERT_TRUE(watcher.Finish().ok());
  std::vector<Order> received = watcher.received();
  EXPECT_EQ(StatusesOf(received),
            (std::vector<OrderStatus>{orderplatform::v1::PENDING, orderplatform::v1::RESERVED,
                                      orderplatform::v1::CANCELLED}));
  EXPECT_EQ(received.back().cancel_reason(), orderplatform::v1::PAYMENT_DECLINED);
}

TEST_F(OrderServiceTest, WatchOrderIsNotFoundBoundedAndEndsAtShutdown) {
  Watcher unknown(stub_.get(), "o-unknown");
  EXPECT_EQ(unknown.Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  // watchers_max is 2 in this fixture.
  Watcher first(stub_.get(), placed.order_id());
  Watcher second(stub_.get(), placed.order_id());
  ASSERT_TRUE(first.WaitForCount(1));
  ASSERT_TRUE(second.WaitForCount(1));
  Watcher third(stub_.get(), placed.order_id());
  EXPECT_EQ(third.Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(counters_.watches_rejected.load(), 1);

  // A client that goes away frees its slot.
  second.Cancel();
  EXPECT_EQ(second.Finish().error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time deadline = absl::Now() + kWait;
  while (service_->active_watchers() > 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(service_->active_watchers(), 1);
  Watcher fourth(stub_.get(), placed.order_id());
  ASSERT_TRUE(fourth.WaitForCount(1));

  service_->BeginShutdown();
  EXPECT_EQ(first.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(fourth.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  Watcher late(stub_.get(), placed.order_id());
  EXPECT_EQ(late.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// ---- the projection's Kafka shell ----

TEST_F(OrderServiceTest, BadInputGoesToTheDeadLetterTopicAndChangesNothing) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  InventoryEvent no_envelope;
  no_envelope.mutable_stock_committed();
  std::vector<kafka::OutgoingMessage> out =
      Drive({Consumed(events::kInventoryTopic, placed.order_id(), "\xff\xff not protobuf"),
             Consumed(events::kPaymentsTopic, placed.order_id(), "\x0a\xff"),
             Consumed(events::kInventoryTopic, placed.order_id(), no_envelope.SerializeAsString())});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].topic, "inventory.v1.dlq");
  EXPECT_EQ(out[1].topic, "payments.v1.dlq");
  EXPECT_EQ(out[2].topic, "inventory.v1.dlq");
  for (const kafka::OutgoingMessage& dead : out) {
    bool has_error = false;
    for (const kafka::Header& header : dead.headers) {
      has_error = has_error || (header.key == kafka::kDeadLetterErrorHeader && !header.value.empty());
    }
    EXPECT_TRUE(has_error);
  }
  EXPECT_EQ(out[0].value, "\xff\xff not protobuf");
  EXPECT_EQ(counters_.dead_letters.load(), 3);
  Order after;
  ASSERT_TRUE(Get(placed.order_id(), &after).ok());
  EXPECT_EQ(after.SerializeAsString(), placed.SerializeAsString());
}

TEST_F(OrderServiceTest, UnhandledEventsAndUnknownOrdersAreIgnored) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  OrderEvent foreign = OrderPlacedEvent(NewOrderRecord(Request("req-1"), placed.order_id(), 1));
  std::vector<kafka::OutgoingMessage> out =
      Drive({Consumed(PaymentDeclined(placed.order_id())),
             Consumed(events::kOrdersTopic, placed.order_id(), foreign.SerializeAsString()),
             Consumed(StockCommitted("o-never-placed"))});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(counters_.events_unknown_order.load(), 1);
  EXPECT_EQ(counters_.dead_letters.load(), 0);
  Order after;
  ASSERT_TRUE(Get(placed.order_id(), &after).ok());
  EXPECT_EQ(after.SerializeAsString(), placed.SerializeAsString());
  EXPECT_EQ(store_->History(placed.order_id(), 0, 10)->size(), 1u);
}

TEST_F(OrderServiceTest, AReplayedTerminalFactAnnouncesTheSameOutcomeAgain) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  const std::string order_id = placed.order_id();
  std::vector<kafka::OutgoingMessage> first =
      Drive({Consumed(StockReserved(order_id)), Consumed(PaymentAuthorized(order_id)),
             Consumed(StockCommitted(order_id))});
  ASSERT_EQ(first.size(), 1u);
  now_ms_ += 60000;
  // The crash-between-write-and-produce case: the same batch comes again.
  std::vector<kafka::OutgoingMessage> again =
      Drive({Consumed(StockReserved(order_id)), Consumed(PaymentAuthorized(order_id)),
             Consumed(StockCommitted(order_id))});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].topic, events::kOrdersTopic);
  EXPECT_EQ(again[0].key, order_id);
  EXPECT_EQ(again[0].value, first[0].value);
  OrderEvent outcome;
  ASSERT_TRUE(outcome.ParseFromString(again[0].value));
  EXPECT_EQ(outcome.envelope().event_id(), order_id + "/OrderConfirmed");
  EXPECT_EQ(store_->History(order_id, 0, 10)->size(), 4u);  // PENDING RESERVED PAID CONFIRMED
  EXPECT_EQ(counters_.outcomes_announced.load(), 1);
  EXPECT_EQ(counters_.outcomes_reannounced.load(), 1);

  // A contradicting terminal fact changes nothing and announces nothing.
  EXPECT_TRUE(Drive({Consumed(StockReleased(order_id, orderplatform::v1::RESERVATION_EXPIRED))})
                  .empty());
  EXPECT_EQ(counters_.terminal_conflicts.load(), 1);
  Order after;
  ASSERT_TRUE(Get(order_id, &after).ok());
  EXPECT_EQ(after.status(), orderplatform::v1::CONFIRMED);
}

// Each consumed message is counted by what the projection did with it, and the declared counters
// are exported under their own names.
TEST_F(OrderServiceTest, MetricsCountEachEventByOutcomeAndExportTheCounters) {
  metrics::CollectorHandle exported = ExportOrderCounters(&registry_, &counters_);
  auto value = [this](absl::string_view name, const std::vector<std::string>& labels) {
    for (const metrics::FamilySnapshot& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const metrics::Sample& sample : family.samples) {
        if (sample.label_values == labels) return sample.value;
      }
    }
    return 0.0;
  };
  auto handled = [&value](const char* topic, const char* type, const char* outcome) {
    return value("orderplatform_events_handled_total", {topic, type, outcome});
  };
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  const std::string order_id = placed.order_id();
  Drive({Consumed(StockReserved(order_id)), Consumed(PaymentAuthorized(order_id)),
         Consumed(StockCommitted(order_id))});
  Drive({Consumed(StockCommitted(order_id)),  // the terminal fact again: re-announced
         Consumed(PaymentAuthorized(order_id)),  // an older fact: nothing to change
         Consumed(StockReleased(order_id, orderplatform::v1::RESERVATION_EXPIRED)),  // conflict
         Consumed(StockCommitted("o-never-placed")),
         Consumed(events::kInventoryTopic, order_id, "\xff\xff not protobuf")});
  EXPECT_EQ(handled("inventory.v1", "StockReserved", "applied"), 1);
  EXPECT_EQ(handled("payments.v1", "PaymentAuthorized", "applied"), 1);
  EXPECT_EQ(handled("inventory.v1", "StockCommitted", "applied"), 1);
  EXPECT_EQ(handled("inventory.v1", "StockCommitted", "duplicate"), 1);
  EXPECT_EQ(handled("payments.v1", "PaymentAuthorized", "duplicate"), 1);
  EXPECT_EQ(handled("inventory.v1", "StockReleased", "ignored"), 1);
  EXPECT_EQ(handled("inventory.v1", "StockCommitted", "ignored"), 1);
  EXPECT_EQ(handled("inventory.v1", "invalid", "dead_lettered"), 1);
  EXPECT_EQ(value("orderplatform_order_orders_created_total", {}), 1);
  EXPECT_EQ(value("orderplatform_order_outcomes_reannounced_total", {}), 1);
  EXPECT_EQ(value("orderplatform_order_dead_letters_total", {}), 1);

  redis_->Kill9();
  EXPECT_FALSE(handler_->Handle({Consumed(StockReserved(order_id))}).ok());
  EXPECT_EQ(handled("inventory.v1", "StockReserved", "retried"), 1);
}

TEST_F(OrderServiceTest, RedisDownFailsTheBatchWithoutDeadLetters) {
  Order placed;
  ASSERT_TRUE(Place(Request("req-1"), &placed).ok());
  redis_->Kill9();
  auto out = handler_->Handle({Consumed(StockReserved(placed.order_id()))});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(counters_.dead_letters.load(), 0);
  Order order;
  EXPECT_EQ(Get(placed.order_id(), &order).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(OrderServiceTest, TwoInstancesProjectingTheTwoTopicsAgree) {
  constexpr int kOrders = 20;
  std::vector<std::string> order_ids;
  for (int i = 0; i < kOrders; ++i) {
    Order order;
    ASSERT_TRUE(Place(Request(absl::StrCat("req-", i)), &order).ok());
    order_ids.push_back(order.order_id());
  }
  // A second instance: its own connections, store and handler, sharing Redis.
  auto other_pool = RedisSessionPool::Connect({.host = redis_->host(), .port = redis_->port()}, 2,
                                              absl::Seconds(5));
  ASSERT_TRUE(other_pool.ok());
  OrderStore other_store(other_pool->get(), OrderKeys(), &counters_);
  OrderEventHandler other_handler(&other_store, &counters_);

  std::atomic<int> outcomes{0};
  auto run = [&](OrderEventHandler* handler, bool inventory) {
    for (const std::string& id : order_ids) {
      std::vector<kafka::ConsumedMessage> batch;
      if (inventory) {
        batch = {Consumed(StockReserved(id)), Consumed(StockCommitted(id))};
      } else {
        batch = {Consumed(PaymentAuthorized(id))};
      }
      absl::StatusOr<std::vector<kafka::OutgoingMessage>> out = absl::AbortedError("");
      // ABORTED/UNAVAILABLE: the consumer would hand the batch over again; so does this loop.
      for (int round = 0; round < 20 && !out.ok(); ++round) out = handler->Handle(batch);
      ASSERT_TRUE(out.ok()) << out.status();
      outcomes += static_cast<int>(out->size());
    }
  };
  std::thread inventory(run, handler_.get(), true);
  std::thread payments(run, &other_handler, false);
  inventory.join();
  payments.join();

  EXPECT_EQ(outcomes.load(), kOrders);  // one OrderConfirmed per order
  for (const std::string& id : order_ids) {
    Order order;
    ASSERT_TRUE(Get(id, &order).ok());
    EXPECT_EQ(order.status(), orderplatform::v1::CONFIRMED) << id;
    auto history = store_->History(id, 0, 10);
    ASSERT_TRUE(history.ok());
    ASSERT_GE(history->size(), 2u);
    EXPECT_EQ(history->back().status, orderplatform::v1::CONFIRMED);
    for (size_t i = 1; i < history->size(); ++i) {
      EXPECT_LT(StatusRank((*history)[i - 1].status), StatusRank((*history)[i].status));
    }
  }
}

}  // namespace
}  // namespace orderplatform::order
