#include "services/inventory/inventory_metrics.h"

#include <utility>
#include <vector>

#include "platform/log/log.h"

namespace orderplatform::inventory {

metrics::CollectorHandle AddReservationGauges(metrics::Registry* registry,
                                              ReservationStore* store) {
  return registry->AddCollector([store](std::vector<metrics::FamilySnapshot>* out) {
    metrics::FamilySnapshot open{
        .name = "orderplatform_inventory_reservations_open",
        .help = "Reservations holding stock while they wait for payment (ZCARD of the "
                "deadlines index, read at scrape time).",
        .type = metrics::MetricType::kGauge};
    metrics::FamilySnapshot unannounced{
        .name = "orderplatform_inventory_expiries_unannounced",
        .help = "Reservations already expired whose StockReleased the broker has not "
                "acknowledged yet (ZCARD of the expiry outbox, read at scrape time).",
        .type = metrics::MetricType::kGauge};
    absl::StatusOr<ReservationCounts> counts = store->CountReservations();
    if (counts.ok()) {
      open.samples.push_back({.value = static_cast<double>(counts->open)});
      unannounced.samples.push_back({.value = static_cast<double>(counts->unannounced_expiries)});
    } else {
      log::LogWarn("inventory_metrics_unreadable", {{"error", counts.status().message()}});
    }
    out->push_back(std::move(open));
    out->push_back(std::move(unannounced));
  });
}

}  // namespace orderplatform::inventory
