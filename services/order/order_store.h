// The order service's Redis adapter: the order records, their status histories and the outbox,
// with plain commands only (no Lua). Every write that depends on what is stored is a
// check-and-set: WATCH the order's hash, read it, decide, then MULTI..EXEC the writes; a
// concurrent write aborts the EXEC and the attempt is repeated (bounded), so two instances
// handling the same order from the two topics never lose each other's update.
//
//   OrderStore store(&pool, OrderKeys(), &counters);
//   absl::StatusOr<OrderStore::CreateResult> created = store.Create(NewOrderRecord(...));
//   absl::StatusOr<OrderRecord> updated = store.Update("o-1", [&](const OrderRecord& current)
//       -> absl::StatusOr<std::optional<OrderStore::Change>> { ... });
//   absl::StatusOr<std::vector<StatusEntry>> history = store.History("o-1", /*start=*/0, 100);
//
// Create stores the record, its first history entry (PENDING) and its OrderPlaced outbox entry
// in one MULTI/EXEC, so "stored" and "to be announced" can never disagree after a crash.
// Records are kept forever: a request_id must stay idempotent for as long as a client may retry
// it, and a replayed event must find its order (see docs/ORDER_SERVICE.md).
//
// Errors: UNAVAILABLE (Redis down, or every pooled connection busy: retry), NOT_FOUND (no such
// order), ABORTED (the check-and-set lost to concurrent writers cas_attempts_max times in a row:
// retry at a higher level), INTERNAL (a stored record does not parse, or a request_id hash
// collision: a bug or corrupt data, not retryable).
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_STORE_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/order/order_counters.h"
#include "services/order/order_keys.h"
#include "services/order/order_record.h"
#include "services/order/redis_session_pool.h"

namespace orderplatform::order {

struct OrderStoreOptions {
  int cas_attempts_max = 16;
};

class OrderStore {
 public:
  // Bounds one Update of the outbox or one read of a history slice.
  static constexpr int kBatchMax = 1000;

  OrderStore(RedisSessionPool* pool, OrderKeys keys, OrderCounters* counters,
             OrderStoreOptions options = {});

  struct CreateResult {
    OrderRecord record;  // as stored: the given one, or the one already there
    bool created = false;
    // This order's outbox entries (event ids) not yet acknowledged, in publish order.
    std::vector<std::string> unpublished;
  };
  // Stores `record` (status PENDING), its first history entry and its OrderPlaced outbox entry
  // (enqueued at created_at_ms), unless the order exists: then returns the stored one. INTERNAL
  // if the stored one has another request_id.
  absl::StatusOr<CreateResult> Create(const OrderRecord& record);

  absl::StatusOr<OrderRecord> Get(const std::string& order_id);

  struct Change {
    OrderRecord record;            // the whole record after the change
    bool append_history = false;   // the status changed: append CurrentStatus(record)
    // Statuses the order passed through without an event of their own (see Projection),
    // appended before CurrentStatus(record) so WatchOrder streams every one of them.
    std::vector<StatusEntry> history_before;
    std::vector<std::string> outbox_add;  // event ids, enqueued at record.order.updated_at_ms()
  };
  // nullopt: nothing to write. An error aborts the update and is returned as is.
  using Decide =
      std::function<absl::StatusOr<std::optional<Change>>(const OrderRecord& current)>;
  // Check-and-set: `decide` sees the current record (it may run several times, once per
  // attempt); returns the record as stored afterwards. NOT_FOUND for an unknown order.
  absl::StatusOr<OrderRecord> Update(const std::string& order_id, const Decide& decide);

  struct BatchUpdate {
    std::string order_id;
    Decide decide;
  };
  // Many updates as one check-and-set: WATCH every order and read them in one round trip, run
  // the updates in order in memory (an order updated twice sees its first update), and write
  // everything in one MULTI/EXEC, so a consumer batch costs two round trips and one fsync instead
  // of two per event. A concurrent write to any of the orders aborts the EXEC and the whole
  // batch is decided again (bounded by cas_attempts_max, then ABORTED). The outer status is not
  // OK for UNAVAILABLE and ABORTED; each update's own result is what Update would return (the
  // record as stored afterwards, NOT_FOUND for an unknown order, a decide error, INTERNAL for a
  // record that does not parse), and a failed update writes nothing.
  absl::StatusOr<std::vector<absl::StatusOr<OrderRecord>>> UpdateBatch(
      const std::vector<BatchUpdate>& updates);

  // Up to `count_max` history entries from index `start` (0 = the first, PENDING).
  absl::StatusOr<std::vector<StatusEntry>> History(const std::string& order_id, int64_t start,
                                                   int count_max);

  struct OutboxItem {
    std::string event_id;
    int64_t enqueued_at_ms = 0;
  };
  // Up to `limit` outbox entries enqueued at or before `enqueued_at_ms_max`, oldest first.
  absl::StatusOr<std::vector<OutboxItem>> OutboxDue(int64_t enqueued_at_ms_max, int limit);
  // This order's outbox entries, in publish order (OrderPlaced first).
  absl::StatusOr<std::vector<std::string>> PendingOutbox(const std::string& order_id);
  absl::Status RemoveFromOutbox(const std::vector<std::string>& event_ids);

 private:
  using Command = std::vector<std::string>;
  // Decides the writes from the record read under WATCH (nullopt: no such order). No writes:
  // nothing is sent. An error is returned as is.
  using Planner =
      std::function<absl::StatusOr<std::vector<Command>>(const std::optional<OrderRecord>& current)>;

  // The WATCH/MULTI/EXEC loop around `plan`, bounded by cas_attempts_max.
  absl::Status CheckAndSet(const std::string& order_id, const Planner& plan);
  // One attempt on a leased connection: true when done (written, or nothing to write), false
  // when a concurrent write aborted the EXEC.
  absl::StatusOr<bool> TryCheckAndSet(const std::string& order_id, const Planner& plan);
  // One attempt of UpdateBatch; nullopt when a concurrent write aborted the EXEC.
  absl::StatusOr<std::optional<std::vector<absl::StatusOr<OrderRecord>>>> TryUpdateBatch(
      const std::vector<BatchUpdate>& updates);
  // MULTI, `writes`, EXEC on a session that holds a WATCH: false when a watched key changed.
  // `what` names the orders in a log line.
  absl::StatusOr<bool> ExecWatched(redis::RedisClient* session, std::vector<Command> writes,
                                   absl::string_view what);
  // Checks `change` of `order_id` and appends its writes; the record as it will be stored.
  absl::StatusOr<OrderRecord> PlanChange(const std::string& order_id, Change change,
                                         std::vector<Command>* writes) const;
  std::vector<Command> RecordWrites(const OrderRecord& record, bool append_history,
                                    const std::vector<StatusEntry>& history_before,
                                    const std::vector<std::string>& outbox_add) const;

  RedisSessionPool* pool_;
  OrderKeys keys_;
  OrderCounters* counters_;
  OrderStoreOptions options_;
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_STORE_H_
