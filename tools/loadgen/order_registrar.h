// Kafka mode's preparation: stores the orders of a run in the order service's Redis exactly as
// PlaceOrder would (OrderStore::Create: record, first history entry, outbox entry, one
// MULTI/EXEC), so that the order projection knows them when their inventory and payment events
// arrive and announces OrderConfirmed/OrderCancelled. The outbox entries are removed right after
// each chunk is stored: the generator publishes OrderPlaced itself (later, timed), and the order
// service's relay only takes entries older than its relay_min_age (6 s), long after that.
//
//   OrderRegistrar registrar(options);           // LoadOptions: redis_addr, order_hash_tag, ...
//   absl::Status stored = registrar.Register(orders_count, progress_callback);
//   int64_t created_at_ms = registrar.CreatedAtMs(n);   // what the OrderPlaced of order n carries
//
// Untimed: the figures of a Kafka-mode run start at the first OrderPlaced. Create and the outbox
// removal are idempotent, so an UNAVAILABLE (a loaded machine can stall Redis for seconds) is
// retried a few times; an order already stored by an earlier run is an error (new --run_id).
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "tools/loadgen/load_options.h"

namespace orderplatform::loadgen {

class OrderRegistrar {
 public:
  // Orders stored per chunk; each chunk shares one created_at_ms and one outbox removal.
  static constexpr int64_t kChunk = 200;

  OrderRegistrar(const LoadOptions& options, const std::string& run_id)
      : options_(options), run_id_(run_id) {}

  // Stores orders 0..count-1 with options.register_threads connections; `on_progress` (may be
  // empty) gets the number stored so far, from any of the threads.
  absl::Status Register(int64_t count, const std::function<void(int64_t)>& on_progress);

  int64_t CreatedAtMs(int64_t n) const { return created_at_ms_.at(n / kChunk); }

 private:
  const LoadOptions& options_;
  const std::string run_id_;
  std::vector<int64_t> created_at_ms_;  // per chunk
};

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_
