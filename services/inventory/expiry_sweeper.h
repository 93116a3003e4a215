// The expiry sweeper: every interval, it releases reservations whose deadline has passed
// (expire.lua, a bounded batch at a time) and announces each as
// StockReleased(RESERVATION_EXPIRED) on inventory.v1.
//
// Expiry is the one saga step that no Kafka message triggers, so nothing would replay it after a
// crash: expire.lua records each expiry in an outbox, and the sweeper clears an entry only after
// the broker acknowledged its StockReleased. Every pass first re-announces what the outbox still
// holds. Several inventory instances may sweep at once: the script releases each reservation
// exactly once, and a doubly announced expiry is a duplicate with the same event id.
//
//   ExpirySweeper sweeper(&store, producer.get(), {.interval = absl::Seconds(1)});
//   sweeper.Start();  ...  sweeper.Stop();
//
// The publisher is any kafka::Publisher: the service passes its Producer; the saga simulator
// passes in-memory topics and calls SweepOnce() itself, on its own clock.
//
// With a registry it counts the reservations it expired
// (orderplatform_inventory_reservations_expired_total) and the passes that failed
// (orderplatform_inventory_expiry_sweeps_failed_total).
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_EXPIRY_SWEEPER_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_EXPIRY_SWEEPER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "platform/kafka/publisher.h"
#include "platform/metrics/registry.h"
#include "services/inventory/reservation_store.h"

namespace orderplatform::inventory {

struct ExpirySweeperOptions {
  absl::Duration interval = absl::Seconds(1);
  int batch_size = 100;           // reservations per expire.lua call
  int batches_per_pass_max = 50;  // bounds one pass; the rest waits for the next
  absl::Duration produce_timeout = absl::Seconds(10);
  std::function<int64_t()> now_ms;  // default: wall clock
  metrics::Registry* metrics = nullptr;  // null: not counted; must outlive the sweeper
};

class ExpirySweeper {
 public:
  ExpirySweeper(ReservationStore* store, kafka::Publisher* producer, ExpirySweeperOptions options);
  ~ExpirySweeper();

  void Start();
  void Stop();  // finishes the pass in progress

  // One pass: announce what the outbox holds, then expire due reservations batch by batch.
  // Returns how many reservations this pass released. UNAVAILABLE when Redis or Kafka is down
  // (the next pass retries; nothing is lost).
  absl::StatusOr<int> SweepOnce();

 private:
  absl::StatusOr<int> Sweep();
  absl::Status Announce(const std::vector<ExpiredReservation>& expired);

  ReservationStore* store_;
  kafka::Publisher* producer_;
  ExpirySweeperOptions options_;
  metrics::Counter* expired_ = nullptr;
  metrics::Counter* failed_sweeps_ = nullptr;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_EXPIRY_SWEEPER_H_
