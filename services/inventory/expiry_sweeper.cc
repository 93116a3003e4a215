#include "services/inventory/expiry_sweeper.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/log/log.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"
#include "services/inventory/inventory_decisions.h"
#include "services/inventory/inventory_event_handler.h"

namespace orderplatform::inventory {

ExpirySweeper::ExpirySweeper(ReservationStore* store, kafka::Publisher* producer,
                             ExpirySweeperOptions options)
    : store_(store), producer_(producer), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (options_.metrics == nullptr) return;
  expired_ = &options_.metrics
                  ->AddCounter("orderplatform_inventory_reservations_expired_total",
                               "Reservations released because their payment did not come in "
                               "time (StockReleased RESERVATION_EXPIRED).")
                  .WithLabels({});
  failed_sweeps_ = &options_.metrics
                        ->AddCounter("orderplatform_inventory_expiry_sweeps_failed_total",
                                     "Expiry passes that stopped on an error (Redis or Kafka "
                                     "unavailable); the next pass retries.")
                        .WithLabels({});
}

ExpirySweeper::~ExpirySweeper() { Stop(); }

void ExpirySweeper::Start() {
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      absl::StatusOr<int> swept = SweepOnce();
      if (!swept.ok()) {
        log::LogWarn("expiry_sweep_failed", {{"error", swept.status().message()}});
      }
    }
  });
}

void ExpirySweeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status ExpirySweeper::Announce(const std::vector<ExpiredReservation>& expired) {
  if (expired.empty()) return absl::OkStatus();
  const int64_t now_ms = options_.now_ms();
  std::vector<kafka::OutgoingMessage> messages;
  std::vector<std::string> order_ids;
  for (const ExpiredReservation& reservation : expired) {
    messages.push_back(InventoryMessage(ExpiryEvent(reservation, now_ms)));
    order_ids.push_back(reservation.order_id);
  }
  absl::Status acked = producer_->ProduceAndWait(messages, options_.produce_timeout);
  if (!acked.ok()) return acked;
  for (const kafka::OutgoingMessage& message : messages) {
    log::LogInfo("reservation_expiry_announced",
                 {{"order_id", message.key},
                  {"trace_id", tracing::TraceIdOf(tracing::TraceparentHeader(message.headers))}});
  }
  return store_->MarkAnnounced(order_ids);
}

absl::StatusOr<int> ExpirySweeper::SweepOnce() {
  absl::StatusOr<int> swept = Sweep();
  if (!swept.ok() && failed_sweeps_ != nullptr) failed_sweeps_->Increment();
  return swept;
}

absl::StatusOr<int> ExpirySweeper::Sweep() {
  absl::StatusOr<std::vector<ExpiredReservation>> leftover =
      store_->UnannouncedExpiries(options_.batch_size);
  if (!leftover.ok()) return leftover.status();
  absl::Status status = Announce(*leftover);
  if (!status.ok()) return status;

  int released = 0;
  for (int batch = 0; batch < options_.batches_per_pass_max; ++batch) {
    absl::StatusOr<std::vector<ExpiredReservation>> expired =
        store_->ExpireDue(options_.now_ms(), options_.batch_size);
    if (!expired.ok()) return expired.status();
    // Released in Redis now, whether or not the announcement below gets through (the outbox
    // keeps it for the next pass).
    if (expired_ != nullptr) expired_->Increment(expired->size());
    status = Announce(*expired);
    if (!status.ok()) return status;
    released += static_cast<int>(expired->size());
    if (static_cast<int>(expired->size()) < options_.batch_size) break;
  }
  if (released > 0) log::LogInfo("reservations_expired", {{"count", released}});
  return released;
}

}  // namespace orderplatform::inventory
