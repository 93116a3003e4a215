#include "integration_tests/simulator/saga_world.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "platform/events/topics.h"
#include "platform/tracing/traceparent.h"
#include "services/inventory/inventory_keys.h"
#include "services/order/order_keys.h"
#include "services/payment/payment_keys.h"

namespace orderplatform::simulator {
namespace {

// Longer than any schedule's simulated time, as the services' 7 days are longer than the
// topics' retention: a replay must always find the records.
constexpr absl::Duration kRetention = absl::Hours(24 * 7);

}  // namespace

std::string SagaSetup::Describe() const {
  std::vector<std::string> stock_text;
  for (const auto& [sku, available] : stock) stock_text.push_back(absl::StrCat(sku, ":", available));
  return absl::StrCat(
      "seed=", seed, " partitions=", partitions, " ttl_ms=", reservation_ttl_ms,
      " stock=", absl::StrJoin(stock_text, ","), " payment={decline_rate=", behavior.decline_rate(),
      " no_answer_rate=", behavior.no_answer_rate(), " latency_ms=", behavior.latency_ms(),
      " max_amount_cents=", behavior.max_amount_cents(), " decline_customers=",
      absl::StrJoin(behavior.decline_customers(), ","), " seed=", behavior.seed(), "}");
}

SagaWorld::SagaWorld(const SagaSetup& setup, const RedisConnections& redis,
                     const WorldOptions& options)
    : setup_(setup),
      redis_(redis),
      options_(options),
      clock_([this] { return now_ms_; }),
      topics_(setup.partitions, clock_),
      order_publisher_(&topics_),
      sweeper_publisher_(&topics_),
      reservation_store_(redis.inventory, inventory::InventoryKeys(), kRetention),
      inventory_handler_(&reservation_store_,
                         {.reservation_ttl = absl::Milliseconds(setup.reservation_ttl_ms),
                          .now_ms = clock_}),
      sweeper_(&reservation_store_, &sweeper_publisher_,
               {.batch_size = 2, .batches_per_pass_max = 50, .now_ms = clock_}),
      ledger_(redis.payment, payment::PaymentKeys(), {.retention = kRetention}),
      behaviors_(redis.payment, payment::PaymentKeys()),
      payment_handler_(&ledger_, &behaviors_,
                       {.now_ms = clock_,
                        // The provider's latency is simulated time: it can carry an answer past
                        // the reservation's deadline, which is what latency is for.
                        .sleep = [this](absl::Duration d) {
                          now_ms_ += absl::ToInt64Milliseconds(d);
                        }}),
      order_store_(redis.order, order::OrderKeys(), &order_counters_),
      outbox_(&order_store_, &order_publisher_, &order_counters_,
              {.relay_min_age = absl::Milliseconds(kRelayMinAgeMs), .now_ms = clock_}),
      order_service_(&order_store_, &outbox_, &order_counters_,
                     {.now_ms = clock_,
                      // A random trace per order would make a seed's runs differ.
                      .new_traceparent =
                          [](const std::string& order_id) {
                            return tracing::FormatTraceparent(tracing::TraceForOrder(order_id));
                          }}),
      order_handler_(&order_store_, &order_counters_, {.now_ms = clock_}) {
  if (options_.wrap_inventory_handler) {
    inventory_wrapper_ = options_.wrap_inventory_handler(&inventory_handler_, redis.inventory);
  }
  ResetConsumers();
}

absl::StatusOr<std::unique_ptr<SagaWorld>> SagaWorld::Create(const SagaSetup& setup,
                                                             const RedisConnections& redis,
                                                             const WorldOptions& options) {
  std::unique_ptr<SagaWorld> world(new SagaWorld(setup, redis, options));
  if (absl::Status status = world->Init(); !status.ok()) return status;
  return world;
}

absl::Status SagaWorld::Init() {
  absl::StatusOr<redis::RedisReply> flushed = redis_.checker->Command({"FLUSHALL"});
  if (!flushed.ok()) return flushed.status();
  if (flushed->is_error()) return absl::InternalError(flushed->DebugString());
  for (const auto& [sku, available] : setup_.stock) {
    absl::StatusOr<orderplatform::v1::StockLevel> set = reservation_store_.SetStock(sku, available);
    if (!set.ok()) return set.status();
  }
  return behaviors_.Store(setup_.behavior);
}

std::unique_ptr<SimConsumer> SagaWorld::NewConsumer(const std::string& name,
                                                    std::vector<std::string> topics,
                                                    kafka::BatchHandler* handler) {
  return std::make_unique<SimConsumer>(name, std::move(topics), handler, &topics_,
                                       options_.consumers_commit_before_effect);
}

void SagaWorld::ResetConsumers() {
  kafka::BatchHandler* inventory =
      inventory_wrapper_ != nullptr ? inventory_wrapper_.get() : &inventory_handler_;
  inventory_consumer_ =
      NewConsumer("inventory", {events::kOrdersTopic, events::kPaymentsTopic}, inventory);
  payment_consumer_ = NewConsumer("payment", {events::kInventoryTopic}, &payment_handler_);
  order_consumer_ =
      NewConsumer("order", {events::kInventoryTopic, events::kPaymentsTopic}, &order_handler_);
}

grpc::Status SagaWorld::PlaceOrder(const orderplatform::v1::PlaceOrderRequest& request,
                                   int events_acked) {
  if (requests_.emplace(request.request_id(), request).second) {
    request_ids_.push_back(request.request_id());
  }
  if (events_acked >= 0) order_publisher_.FailNext(events_acked);
  orderplatform::v1::Order response;
  grpc::Status status = order_service_.PlaceOrder(nullptr, &request, &response);
  order_publisher_.Disarm();
  return status;
}

grpc::Status SagaWorld::CancelOrder(const std::string& order_id, int events_acked) {
  orderplatform::v1::CancelOrderRequest request;
  request.set_order_id(order_id);
  if (events_acked >= 0) order_publisher_.FailNext(events_acked);
  orderplatform::v1::Order response;
  grpc::Status status = order_service_.CancelOrder(nullptr, &request, &response);
  order_publisher_.Disarm();
  return status;
}

absl::StatusOr<int> SagaWorld::RelayOutbox(bool all) {
  return outbox_.RelayOnce(all ? absl::ZeroDuration() : absl::Milliseconds(kRelayMinAgeMs));
}

absl::StatusOr<int> SagaWorld::Sweep(int events_acked) {
  if (events_acked >= 0) sweeper_publisher_.FailNext(events_acked);
  absl::StatusOr<int> released = sweeper_.SweepOnce();
  sweeper_publisher_.Disarm();
  return released;
}

absl::Status SagaWorld::SetBehavior(const orderplatform::v1::PaymentBehavior& behavior) {
  return behaviors_.Store(behavior);
}

const orderplatform::v1::PlaceOrderRequest* SagaWorld::RequestFor(
    const std::string& request_id) const {
  auto it = requests_.find(request_id);
  return it == requests_.end() ? nullptr : &it->second;
}

}  // namespace orderplatform::simulator
