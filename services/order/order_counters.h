// The order service's counters, declared once (ORDER_COUNTERS below): the struct, the log line,
// the metrics (orderplatform_order_<name>_total, help = the meaning) and docs/ORDER_SERVICE.md
// all follow this one list. Each counter is monotonic and thread-safe.
// Counters marked "degraded" count a fallback path; each such path also logs a warning.
//
//   OrderCounters counters;
//   counters.orders_created.fetch_add(1);            // or Increment(counters.orders_created)
//   log::LogInfo("order_counters", {{"counters", counters.Summary()}});
//   metrics::CollectorHandle exported = ExportOrderCounters(&registry, &counters);
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_COUNTERS_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "platform/metrics/registry.h"

// X(name, meaning)
#define ORDER_COUNTERS(X)                                                                         \
  X(orders_created, "PlaceOrder stored a new order")                                              \
  X(orders_replayed, "PlaceOrder found the order of its request_id (idempotent retry)")           \
  X(publish_unacked, "degraded: an RPC's events were not acknowledged in time (UNAVAILABLE)")     \
  X(outbox_published, "outbox events acknowledged by the broker and removed from the outbox")     \
  X(outbox_relayed, "degraded: outbox events published by the relay rather than their request")   \
  X(outbox_orphans, "degraded: outbox entries naming no stored order, dropped")                   \
  X(cancellations_requested, "CancelOrder marked an order cancellation_requested")                \
  X(status_changes, "projection: statuses stored (each also appended to the history)")            \
  X(outcomes_announced, "projection: OrderConfirmed/OrderCancelled returned for production")      \
  X(outcomes_reannounced, "projection: outcomes announced again for a replayed terminal fact")     \
  X(terminal_conflicts, "degraded: terminal facts contradicting an order's terminal status")      \
  X(events_unknown_order, "degraded: events for an order this service never stored, ignored")     \
  X(dead_letters, "degraded: consumed messages sent to <topic>.dlq")                              \
  X(cas_conflicts, "WATCH/MULTI/EXEC attempts aborted by a concurrent write (then retried)")      \
  X(cas_exhausted, "degraded: updates that gave up after the bounded CAS retries (ABORTED)")      \
  X(reconnects_in_transaction, "degraded: Redis reconnected between WATCH and EXEC")              \
  X(watches_started, "WatchOrder streams started")                                                \
  X(watches_rejected, "degraded: WatchOrder refused beyond --watchers_max (RESOURCE_EXHAUSTED)")

namespace orderplatform::order {

struct OrderCounters {
#define ORDER_COUNTER_FIELD(name, meaning) std::atomic<int64_t> name{0};
  ORDER_COUNTERS(ORDER_COUNTER_FIELD)
#undef ORDER_COUNTER_FIELD

  // "orders_created:3,orders_replayed:1,..." for one log field.
  std::string Summary() const;
};

inline void Increment(std::atomic<int64_t>& counter, int64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

// Exports every counter as orderplatform_order_<name>_total, read at scrape time. `counters`
// must outlive the returned handle.
[[nodiscard]] metrics::CollectorHandle ExportOrderCounters(metrics::Registry* registry,
                                                           const OrderCounters* counters);

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_COUNTERS_H_
