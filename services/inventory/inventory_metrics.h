// The inventory's gauges read from Redis when Prometheus scrapes, rather than kept in the
// process: every inventory instance sees the same shared indexes, and a count kept in memory
// would be wrong after a restart or with several instances.
//
//   orderplatform_inventory_reservations_open      reservations waiting for payment
//   orderplatform_inventory_expiries_unannounced   expired, StockReleased not yet acknowledged
//
//   metrics::CollectorHandle gauges = AddReservationGauges(&registry, &store);
//
// A scrape while Redis is unreachable announces both families without a value (and logs a
// warning), so the series go stale instead of showing a made-up number.
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_METRICS_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_METRICS_H_

#include "platform/metrics/registry.h"
#include "services/inventory/reservation_store.h"

namespace orderplatform::inventory {

// `store` must outlive the returned handle.
[[nodiscard]] metrics::CollectorHandle AddReservationGauges(metrics::Registry* registry,
                                                            ReservationStore* store);

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_METRICS_H_
