// The transactional outbox of the order service: how an accepted order (or cancellation) is
// announced on orders.v1 exactly when it was stored, even across crashes.
//
// PlaceOrder stores the order and an outbox entry ("<order_id>/OrderPlaced") in one MULTI/EXEC
// (order_store.h), then publishes the event and waits for the broker's ack; only then is the
// entry removed. CancelOrder does the same with "<order_id>/OrderCancellationRequested". So:
//   - nothing is announced that was not stored (the store comes first);
//   - nothing stored is lost: if the process dies between the store and the ack, or the broker
//     does not ack in time (the RPC then answers UNAVAILABLE), the entry stays, and
//       * the client's retry (same request_id) publishes it again before answering, and
//       * the relay (Start) re-publishes every entry older than relay_min_age, and everything
//         in the outbox once at start-up (RelayOnce(ZeroDuration())).
// A re-publication is byte-identical to the first (events rebuilt from the record, with
// deterministic ids), so a duplicate is harmless to the idempotent consumers. Within one order
// OrderPlaced is always published before OrderCancellationRequested.
//
//   OrderOutbox outbox(&store, producer.get(), &counters, {.produce_timeout = absl::Seconds(5)});
//   absl::Status acked = outbox.Publish(record, created.unpublished);  // request path
//   outbox.RelayOnce(absl::ZeroDuration());                           // at start-up
//   outbox.Start();  ...  outbox.Stop();                              // background relay
// The publisher is any kafka::Publisher: the service passes its Producer, the saga simulator
// in-memory topics.
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_OUTBOX_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "platform/kafka/publisher.h"
#include "services/order/order_counters.h"
#include "services/order/order_record.h"
#include "services/order/order_store.h"

namespace orderplatform::order {

struct OrderOutboxOptions {
  absl::Duration produce_timeout = absl::Seconds(5);  // how long one publish waits for the ack
  absl::Duration relay_interval = absl::Seconds(1);
  // Younger entries are left to the request that wrote them, which is publishing them now;
  // above produce_timeout, so the relay only takes over what its request gave up on.
  absl::Duration relay_min_age = absl::Seconds(6);
  int batch_size = 100;            // entries per produce round trip
  int batches_per_pass_max = 50;   // bounds one pass; the rest waits for the next one
  std::function<int64_t()> now_ms;  // default: wall clock
};

class OrderOutbox {
 public:
  OrderOutbox(OrderStore* store, kafka::Publisher* producer, OrderCounters* counters,
              OrderOutboxOptions options);
  ~OrderOutbox();  // Stop()

  OrderOutbox(const OrderOutbox&) = delete;
  OrderOutbox& operator=(const OrderOutbox&) = delete;

  // Publishes `event_ids` (outbox entries of `record`'s order, in publish order), waits for the
  // acks, then removes the entries. UNAVAILABLE if not acknowledged within produce_timeout
  // (the entries stay for a retry or the relay); INTERNAL if the producer is fatally broken.
  absl::Status Publish(const OrderRecord& record, const std::vector<std::string>& event_ids);

  // One relay pass over the entries enqueued at least `min_age` ago, oldest first. Returns how
  // many events it published. UNAVAILABLE when Redis or Kafka is down (the next pass retries).
  absl::StatusOr<int> RelayOnce(absl::Duration min_age);

  // A background thread: RelayOnce(relay_min_age) every relay_interval, until Stop().
  void Start();
  // Finishes the pass in progress (bounded by produce_timeout per batch), then returns.
  // Idempotent; call it from one thread (the one that called Start).
  void Stop();

 private:
  // Relays one batch; returns how many entries it took out of the outbox (published or
  // dropped), and adds the published ones to `*published`.
  absl::StatusOr<int> RelayBatch(int64_t enqueued_at_ms_max, int* published);

  OrderStore* store_;
  kafka::Publisher* producer_;
  OrderCounters* counters_;
  OrderOutboxOptions options_;
  std::once_flag stop_once_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_OUTBOX_H_
