// The inventory's Redis adapter: runs the Lua scripts of lua/ and nothing else touches stock.
//
// Every method maps one script reply to a plain outcome (reservation_outcomes.h). Connection
// trouble comes back as UNAVAILABLE (retry later; the consumer then re-delivers), a script error
// as INTERNAL (a bug or corrupt data: the message goes to the .dlq instead of blocking its
// partition forever).
//
//   ReservationStore store(&redis, InventoryKeys(), absl::Hours(24 * 7));
//   absl::StatusOr<ReserveOutcome> r = store.Reserve("o-1", lines, now_ms, now_ms + ttl_ms);
//   absl::StatusOr<CloseOutcome> c = store.Commit("o-1", now_ms);
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orderplatform/v1/inventory_service.pb.h"
#include "orderplatform/v1/types.pb.h"
#include "platform/redis/client.h"
#include "services/inventory/inventory_keys.h"
#include "services/inventory/reservation_outcomes.h"

namespace orderplatform::inventory {

class ReservationStore {
 public:
  // `retention` is how long a closed reservation record is kept: it must outlive the replay
  // horizon (Kafka retention), or a very late replay of OrderPlaced would reserve again.
  ReservationStore(redis::RedisClient* redis, InventoryKeys keys, absl::Duration retention);

  // `lines` must be normalized (distinct SKUs; events::NormalizeLines). `traceparent` (the
  // OrderPlaced's) is kept with a new record, for the expiry that no message causes.
  absl::StatusOr<ReserveOutcome> Reserve(const std::string& order_id,
                                         const std::vector<orderplatform::v1::OrderLine>& lines,
                                         int64_t now_ms, int64_t deadline_ms,
                                         const std::string& traceparent = "");
  absl::StatusOr<CloseOutcome> Commit(const std::string& order_id, int64_t now_ms);
  // `reason`: PAYMENT_DECLINED or CUSTOMER_REQUEST.
  absl::StatusOr<CloseOutcome> Release(const std::string& order_id,
                                       orderplatform::v1::CancelReason reason, int64_t now_ms);

  // Releases up to `limit` reservations whose deadline is at or before `now_ms`; returns those
  // released by this call. Each is also recorded in the expiry outbox until MarkAnnounced.
  absl::StatusOr<std::vector<ExpiredReservation>> ExpireDue(int64_t now_ms, int limit);
  // Expiries released earlier whose StockReleased was not acknowledged yet (oldest first).
  absl::StatusOr<std::vector<ExpiredReservation>> UnannouncedExpiries(int limit);
  absl::Status MarkAnnounced(const std::vector<std::string>& order_ids);

  absl::StatusOr<orderplatform::v1::StockLevel> SetStock(const std::string& sku, int64_t available);
  absl::StatusOr<orderplatform::v1::StockLevel> GetStock(const std::string& sku);

 private:
  // The reservation's SKUs and quantities (empty when there is no record).
  absl::StatusOr<std::vector<orderplatform::v1::OrderLine>> ReadLines(const std::string& order_id);
  // Its lines and stored traceparent, as the sweeper announces it.
  absl::StatusOr<ExpiredReservation> ReadExpired(const std::string& order_id);
  absl::StatusOr<CloseOutcome> RunCloseScript(const redis::LuaScript& script,
                                              const std::string& order_id,
                                              std::vector<std::string> extra_args,
                                              int64_t now_ms);

  redis::RedisClient* redis_;
  InventoryKeys keys_;
  int64_t retention_ms_;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_
