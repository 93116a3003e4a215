// The three services of the saga, wired to in-memory topics instead of Kafka and to one real
// redis-server, on a simulated clock. Everything below the Kafka boundary is the services' own
// code: the inventory's handler, store, Lua scripts and expiry sweeper; the payment handler,
// ledger and behavior store; the order's gRPC service (PlaceOrder, CancelOrder), outbox, store
// and projection handler. Only the transport is simulated (in_memory_topics.h, sim_consumer.h).
//
//   auto world = SagaWorld::Create(setup, connections, {});   // FLUSHALL, stock, behavior
//   world->PlaceOrder(request, /*events_acked=*/-1);           // the gRPC call, no server
//   world->inventory().Deliver({"orders.v1", 0}, 2);
//   world->Advance(1500);  world->Sweep(-1);
//
// A world is for one schedule. The Redis connections are shared between worlds (built once per
// process), so a schedule costs no connection set-up; each world starts with FLUSHALL.
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SAGA_WORLD_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SAGA_WORLD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/simulator/in_memory_topics.h"
#include "integration_tests/simulator/sim_consumer.h"
#include "orderplatform/v1/order_service.pb.h"
#include "orderplatform/v1/payment_service.pb.h"
#include "platform/kafka/consumer.h"
#include "platform/redis/client.h"
#include "services/inventory/expiry_sweeper.h"
#include "services/inventory/inventory_event_handler.h"
#include "services/inventory/reservation_store.h"
#include "services/order/order_counters.h"
#include "services/order/order_event_handler.h"
#include "services/order/order_grpc_service.h"
#include "services/order/order_outbox.h"
#include "services/order/order_store.h"
#include "services/order/redis_session_pool.h"
#include "services/payment/behavior_store.h"
#include "services/payment/payment_event_handler.h"
#include "services/payment/payment_ledger.h"

namespace orderplatform::simulator {

// What a schedule's world looks like before its first step; drawn from the seed.
struct SagaSetup {
  uint64_t seed = 0;
  int partitions = 1;
  int64_t reservation_ttl_ms = 1000;
  std::vector<std::pair<std::string, int64_t>> stock;  // SKU -> available, set at the start
  orderplatform::v1::PaymentBehavior behavior;
  // One line, e.g. "seed=7 partitions=2 ttl_ms=1000 stock=SKU-A:3,SKU-B:0 payment={...}".
  std::string Describe() const;
};

// Shared by every world of a process; each must be a distinct connection (the ledger's and the
// order store's WATCH state lives on a connection).
struct RedisConnections {
  redis::RedisClient* inventory = nullptr;
  redis::RedisClient* payment = nullptr;
  order::RedisSessionPool* order = nullptr;
  redis::RedisClient* checker = nullptr;  // FLUSHALL and the invariant checks' reads
};

struct WorldOptions {
  // Test seam: wraps the inventory's handler (the simulator's tests inject a broken one to prove
  // that the simulator catches it). `redis` is the inventory's connection.
  std::function<std::unique_ptr<kafka::BatchHandler>(kafka::BatchHandler* real,
                                                     redis::RedisClient* redis)>
      wrap_inventory_handler;
  // Test seam: every consumer commits before its effect (see SimConsumer).
  bool consumers_commit_before_effect = false;
};

class SagaWorld {
 public:
  // The simulated clock starts here: a plausible epoch time, so that record fields look real.
  static constexpr int64_t kStartMs = 1'700'000'000'000;
  // The order outbox's relay takes over entries at least this old (the service's default is 6 s
  // against a 5 s produce timeout; the simulated TTL is shorter, so is this).
  static constexpr int64_t kRelayMinAgeMs = 300;

  static absl::StatusOr<std::unique_ptr<SagaWorld>> Create(const SagaSetup& setup,
                                                           const RedisConnections& redis,
                                                           const WorldOptions& options);

  SagaWorld(const SagaWorld&) = delete;
  SagaWorld& operator=(const SagaWorld&) = delete;

  int64_t now_ms() const { return now_ms_; }
  void Advance(int64_t ms) { now_ms_ += ms; }

  // The client's calls, through OrderGrpcService itself. `events_acked` < 0: every event the
  // call publishes is acknowledged; else only the first `events_acked` reach the topic and the
  // call fails UNAVAILABLE (stored, not announced: the outbox holds the rest).
  grpc::Status PlaceOrder(const orderplatform::v1::PlaceOrderRequest& request, int events_acked);
  grpc::Status CancelOrder(const std::string& order_id, int events_acked);
  // One pass of the order outbox's relay (entries older than kRelayMinAgeMs, or all).
  absl::StatusOr<int> RelayOutbox(bool all);
  // One pass of the expiry sweeper, with the same meaning of `events_acked`.
  absl::StatusOr<int> Sweep(int events_acked);
  // What PaymentService.SetBehavior stores (the RPC itself only adds validation and the admin
  // check, which a simulated operator passes).
  absl::Status SetBehavior(const orderplatform::v1::PaymentBehavior& behavior);

  // The consumers, in a fixed order: inventory, payment, order.
  std::vector<SimConsumer*> consumers() {
    return {inventory_consumer_.get(), payment_consumer_.get(), order_consumer_.get()};
  }
  SimConsumer& inventory() { return *inventory_consumer_; }
  // Replaces every consumer with a fresh one whose cursors are all at offset 0 (I5's replay).
  void ResetConsumers();

  // Every request_id PlaceOrder was called with, in first-call order, and the request.
  const std::vector<std::string>& request_ids() const { return request_ids_; }
  const orderplatform::v1::PlaceOrderRequest* RequestFor(const std::string& request_id) const;

  const SagaSetup& setup() const { return setup_; }
  InMemoryTopics& topics() { return topics_; }
  inventory::ReservationStore& reservations() { return reservation_store_; }
  order::OrderStore& orders() { return order_store_; }
  payment::PaymentLedger& ledger() { return ledger_; }
  redis::RedisClient& checker_redis() { return *redis_.checker; }

 private:
  SagaWorld(const SagaSetup& setup, const RedisConnections& redis, const WorldOptions& options);
  absl::Status Init();
  std::unique_ptr<SimConsumer> NewConsumer(const std::string& name,
                                           std::vector<std::string> topics,
                                           kafka::BatchHandler* handler);

  const SagaSetup setup_;
  const RedisConnections redis_;
  const WorldOptions options_;
  int64_t now_ms_ = kStartMs;
  std::function<int64_t()> clock_;

  InMemoryTopics topics_;
  SimPublisher order_publisher_;
  SimPublisher sweeper_publisher_;

  inventory::ReservationStore reservation_store_;
  inventory::InventoryEventHandler inventory_handler_;
  std::unique_ptr<kafka::BatchHandler> inventory_wrapper_;  // the test seam, if any
  inventory::ExpirySweeper sweeper_;

  payment::PaymentLedger ledger_;
  payment::BehaviorStore behaviors_;
  payment::PaymentEventHandler payment_handler_;

  order::OrderCounters order_counters_;
  order::OrderStore order_store_;
  order::OrderOutbox outbox_;
  order::OrderGrpcService order_service_;
  order::OrderEventHandler order_handler_;

  std::unique_ptr<SimConsumer> inventory_consumer_;
  std::unique_ptr<SimConsumer> payment_consumer_;
  std::unique_ptr<SimConsumer> order_consumer_;

  std::vector<std::string> request_ids_;
  std::map<std::string, orderplatform::v1::PlaceOrderRequest> requests_;
};

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SAGA_WORLD_H_
