// The inventory's Redis adapter: runs the Lua scripts of lua/ and nothing else touches stock.
//
// Every method maps one script reply to a plain outcome (reservation_outcomes.h). Connection
// trouble comes back as UNAVAILABLE (retry later; the consumer then re-delivers), a script error
// as INTERNAL (a bug or corrupt data: the message goes to the .dlq instead of blocking its
// partition forever).
//
// Every script round trip is timed (orderplatform_lua_script_duration_seconds{script}; the calls
// of one pipeline share one observation per script) and failures are counted
// (orderplatform_lua_script_errors_total{script,reason}) when a registry is given.
//
//   ReservationStore store(&redis, InventoryKeys(), absl::Hours(24 * 7), &registry);
//   absl::StatusOr<ReserveOutcome> r = store.Reserve("o-1", lines, now_ms, now_ms + ttl_ms);
//   absl::StatusOr<CloseOutcome> c = store.Commit("o-1", now_ms);
//   // A consumer batch: the scripts of many orders in two round trips instead of two per order.
//   absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> all = store.RunBatch(ops);
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orderplatform/v1/inventory_service.pb.h"
#include "orderplatform/v1/types.pb.h"
#include "platform/metrics/registry.h"
#include "platform/redis/client.h"
#include "services/inventory/inventory_keys.h"
#include "services/inventory/reservation_outcomes.h"

namespace orderplatform::inventory {

// One script call of a batch (ReservationStore::RunBatch).
struct ReservationOp {
  enum class Kind { kReserve, kCommit, kRelease };
  Kind kind = Kind::kReserve;
  std::string order_id;
  std::vector<orderplatform::v1::OrderLine> lines;  // kReserve: normalized lines
  orderplatform::v1::CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED;  // kRelease
  int64_t now_ms = 0;
  int64_t deadline_ms = 0;  // kReserve
  // kReserve: the OrderPlaced's trace, kept with a new record for the expiry that no message
  // causes ("" when none).
  std::string traceparent;
};
// ReserveOutcome for kReserve, CloseOutcome for kCommit and kRelease.
using ReservationOutcome = std::variant<ReserveOutcome, CloseOutcome>;

// Sizes of the inventory's indexes, read for the metrics at scrape time.
struct ReservationCounts {
  int64_t open = 0;                  // reservations waiting for payment (the deadlines index)
  int64_t unannounced_expiries = 0;  // expired, StockReleased not acknowledged yet (the outbox)
};

class ReservationStore {
 public:
  // `retention` is how long a closed reservation record is kept: it must outlive the replay
  // horizon (Kafka retention), or a very late replay of OrderPlaced would reserve again.
  // `metrics` may be null (no script metrics) and must outlive the store.
  ReservationStore(redis::RedisClient* redis, InventoryKeys keys, absl::Duration retention,
                   metrics::Registry* metrics = nullptr);

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

  // Runs `ops` as if one after the other, in order, with few round trips: the ops are cut into
  // waves in which no order appears twice, and each wave is one pipeline of HMGET (the lines of
  // the records that commit and release close) plus one pipeline of EVALSHA. One order's ops
  // therefore run in order, in separate waves (an op that must see an earlier op's record never
  // shares its wave), while different orders' ops in a wave may run in any order, as they could
  // on different partitions. The outer status is not OK when Redis is unavailable (then any
  // prefix of the waves, and any part of the failed wave, may have run: every script is
  // idempotent, so the caller retries the whole batch); an op's own INTERNAL (a script error, a
  // corrupt record) fails only that op.
  absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> RunBatch(
      const std::vector<ReservationOp>& ops);

  // Releases up to `limit` reservations whose deadline is at or before `now_ms`; returns those
  // released by this call. Each is also recorded in the expiry outbox until MarkAnnounced.
  absl::StatusOr<std::vector<ExpiredReservation>> ExpireDue(int64_t now_ms, int limit);
  // Expiries released earlier whose StockReleased was not acknowledged yet (oldest first).
  absl::StatusOr<std::vector<ExpiredReservation>> UnannouncedExpiries(int limit);
  absl::Status MarkAnnounced(const std::vector<std::string>& order_ids);

  absl::StatusOr<orderplatform::v1::StockLevel> SetStock(const std::string& sku, int64_t available);
  absl::StatusOr<orderplatform::v1::StockLevel> GetStock(const std::string& sku);

  // ZCARD of the deadlines index and of the expiry outbox, in one round trip.
  absl::StatusOr<ReservationCounts> CountReservations();

 private:
  // EVALSHA of one script, timed and its failures counted.
  absl::StatusOr<redis::RedisReply> RunScript(const redis::LuaScript& script,
                                              const std::vector<std::string>& keys,
                                              const std::vector<std::string>& args);
  // Records one round trip that ran `scripts` (distinct) and took `elapsed`; `ok` false: no reply.
  void ObserveRoundTrip(const std::vector<const redis::LuaScript*>& scripts, absl::Duration elapsed,
                        bool ok);
  // Counts a failure of `script` with `reason` (unavailable, error_reply, unexpected_reply).
  void CountScriptError(absl::string_view script, absl::string_view reason);
  // INTERNAL for a reply that cannot be read; counted as error_reply (the script raised) or
  // unexpected_reply (script and binary disagree).
  absl::Status ScriptError(absl::string_view script, const redis::RedisReply& reply);

  // A released reservation's lines and stored traceparent, as the sweeper announces it.
  absl::StatusOr<ExpiredReservation> ReadExpired(const std::string& order_id);
  // One wave of RunBatch: ops[begin, end) name distinct orders.
  absl::Status RunWave(const std::vector<ReservationOp>& ops, size_t begin, size_t end,
                       std::vector<absl::StatusOr<ReservationOutcome>>* results);
  // The script call of a reserve, or of a commit/release over the record's `lines`.
  redis::ScriptCall ReserveCall(const ReservationOp& op) const;
  redis::ScriptCall CloseCall(const ReservationOp& op,
                              const std::vector<orderplatform::v1::OrderLine>& lines) const;

  redis::RedisClient* redis_;
  InventoryKeys keys_;
  int64_t retention_ms_;
  metrics::Family<metrics::Histogram>* script_duration_ = nullptr;
  metrics::Family<metrics::Counter>* script_errors_ = nullptr;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_STORE_H_
