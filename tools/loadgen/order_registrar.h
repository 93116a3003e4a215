// Kafka mode's preparation: stores each order of a run in the order service's Redis exactly as
// PlaceOrder would (OrderStore::Create: record, first history entry, outbox entry, one
// MULTI/EXEC) before the generator publishes its OrderPlaced, so that the order projection
// knows the order when its inventory and payment events arrive and announces
// OrderConfirmed/OrderCancelled. The outbox entries are removed right after each chunk is
// stored: the generator publishes OrderPlaced itself, and the order service's relay only takes
// entries older than its relay_min_age (6 s).
//
// Registration runs ahead of placement in background threads, up to what the generator allowed
// (it allows `inflight` orders beyond those it sent), so a duration-bounded run stores only what
// it will place (Finish() says up to where; the generator places that tail too), and a
// registered order is never left unannounced. It is untimed (an order's latency starts at its OrderPlaced), but it
// is PlaceOrder's Redis work and runs during the measurement, as it would in production.
//
//   OrderRegistrar registrar(options, run_id);
//   registrar.Start(/*limit=*/orders);
//   registrar.AllowUpTo(sent + window);         // as placement proceeds
//   if (registrar.IsRegistered(n)) place(n, registrar.CreatedAtMs(n));
//   int64_t end = registrar.Finish();           // orders [0, end) are stored; place them all
//
// Create and the outbox removal are idempotent, so an UNAVAILABLE (a loaded machine can stall
// Redis for seconds) is retried a few times; an order already stored by an earlier run is an
// error (use a new --run_id). After an error, status() says why and nothing more is stored.
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/order/order_counters.h"
#include "services/order/order_store.h"
#include "services/order/redis_session_pool.h"
#include "tools/loadgen/load_options.h"

namespace orderplatform::loadgen {

class OrderRegistrar {
 public:
  // Orders stored per chunk; a chunk shares one created_at_ms and one outbox removal.
  static constexpr int64_t kChunk = 100;

  OrderRegistrar(const LoadOptions& options, std::string run_id);
  ~OrderRegistrar();  // Finish()

  OrderRegistrar(const OrderRegistrar&) = delete;
  OrderRegistrar& operator=(const OrderRegistrar&) = delete;

  // Connects (register_threads connections) and starts storing orders 0..limit-1, as allowed.
  absl::Status Start(int64_t limit);
  // Lets the threads store orders below `end`.
  void AllowUpTo(int64_t end) ABSL_LOCKS_EXCLUDED(mu_);
  bool IsRegistered(int64_t n) const ABSL_LOCKS_EXCLUDED(mu_);
  // The first error, if any.
  absl::Status status() const ABSL_LOCKS_EXCLUDED(mu_);
  // Stops claiming new chunks, waits for the ones in progress; returns how many orders, from 0,
  // are stored (all of them up to there).
  int64_t Finish() ABSL_LOCKS_EXCLUDED(mu_);
  // Valid for a registered order.
  int64_t CreatedAtMs(int64_t n) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status StoreChunk(int64_t chunk, int64_t created_at_ms);

  const LoadOptions options_;
  const std::string run_id_;
  std::unique_ptr<order::RedisSessionPool> pool_;
  order::OrderCounters counters_;
  std::unique_ptr<order::OrderStore> store_;
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  int64_t limit_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t allowed_end_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t done_prefix_chunks_ ABSL_GUARDED_BY(mu_) = 0;  // chunks 0..prefix-1 are all stored
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  // Per claimed chunk: its created_at_ms, and whether it is stored (bounded by limit / kChunk;
  // only chunks claimed so far are held).
  std::vector<int64_t> created_at_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> chunk_done_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_ORDER_REGISTRAR_H_
