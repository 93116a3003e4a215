#include "services/order/order_grpc_service.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/log/log.h"
#include "platform/tracing/traceparent.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_validation.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::Order;

// History entries read per poll; a longer history is streamed in several polls without pausing.
constexpr int kHistoryBatch = 100;

// The caller's valid `traceparent` metadata, or "" (none, invalid, or no call context: the
// simulator calls the service directly). An invalid value is ignored, as W3C asks: tracing never
// fails a request.
std::string IncomingTraceparent(const grpc::ServerContext* context) {
  if (context == nullptr) return "";
  const auto& metadata = context->client_metadata();
  auto [begin, end] = metadata.equal_range(tracing::kTraceparentKey);
  for (auto it = begin; it != end; ++it) {
    const absl::string_view value(it->second.data(), it->second.size());
    if (tracing::IsValidTraceparent(value)) return std::string(value);
  }
  return "";
}

// The trace id the order's events carry, also for an order stored before tracing.
std::string TraceIdForLog(const OrderRecord& record) {
  const std::string stored = tracing::TraceIdOf(record.traceparent);
  return stored.empty() ? tracing::TraceForOrder(record.order.order_id()).trace_id : stored;
}

// The order as the RPCs answer it: the stored one plus the trace id of its saga.
Order Public(const OrderRecord& record) {
  Order order = record.order;
  order.set_trace_id(TraceIdForLog(record));
  return order;
}

grpc::Status ToGrpc(const absl::Status& status) {
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The RPC's answer when its events were not acknowledged: the stored state stays, so the
// caller retries the same call.
grpc::Status NotAnnounced(const std::string& order_id, const absl::Status& status) {
  return ToGrpc(absl::Status(
      status.code(), absl::StrCat("order ", order_id, " is stored but its event was not "
                                  "acknowledged yet (retry the same call): ", status.message())));
}

// Holds one of the bounded watch slots for the life of a stream.
class WatcherSlot {
 public:
  explicit WatcherSlot(std::atomic<int>* active) : active_(active) {}
  ~WatcherSlot() { active_->fetch_sub(1); }
  WatcherSlot(const WatcherSlot&) = delete;
  WatcherSlot& operator=(const WatcherSlot&) = delete;

 private:
  std::atomic<int>* active_;
};

}  // namespace

OrderGrpcService::OrderGrpcService(OrderStore* store, OrderOutbox* outbox, OrderCounters* counters,
                                   OrderServiceOptions options)
    : store_(store), outbox_(outbox), counters_(counters), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (!options_.new_traceparent) {
    options_.new_traceparent = [](const std::string&) {
      thread_local absl::BitGen random;
      return tracing::FormatTraceparent(tracing::NewTrace(random));
    };
  }
}

grpc::Status OrderGrpcService::PlaceOrder(grpc::ServerContext* context,
                                          const orderplatform::v1::PlaceOrderRequest* request,
                                          Order* response) {
  if (absl::Status valid = ValidatePlaceOrder(*request); !valid.ok()) return ToGrpc(valid);
  const std::string order_id = OrderIdForRequest(request->request_id());
  OrderRecord record = NewOrderRecord(*request, order_id, options_.now_ms());
  // The saga joins the caller's trace, or starts one.
  record.traceparent = IncomingTraceparent(context);
  if (record.traceparent.empty()) record.traceparent = options_.new_traceparent(order_id);
  log::ScopedContext log_context(
      {{"order_id", order_id}, {"trace_id", tracing::TraceIdOf(record.traceparent)}});
  absl::StatusOr<OrderStore::CreateResult> created = store_->Create(record);
  if (!created.ok()) return ToGrpc(created.status());
  // A retry keeps the first request's trace, as it keeps the rest of the first request.
  log::ScopedContext stored_context({{"trace_id", TraceIdForLog(created->record)}});
  Increment(created->created ? counters_->orders_created : counters_->orders_replayed);
  log::LogInfo(created->created ? "order_placed" : "order_place_replayed",
               {{"order_id", order_id},
                {"request_id", request->request_id()},
                {"lines", request->lines_size()},
                {"unpublished", created->unpublished.size()}});
  if (absl::Status published = outbox_->Publish(created->record, created->unpublished);
      !published.ok()) {
    return NotAnnounced(order_id, published);
  }
  *response = Public(created->record);
  return grpc::Status::OK;
}

grpc::Status OrderGrpcService::GetOrder(grpc::ServerContext*,
                                        const orderplatform::v1::GetOrderRequest* request,
                                        Order* response) {
  if (absl::Status valid = ValidateOrderId(request->order_id()); !valid.ok()) return ToGrpc(valid);
  absl::StatusOr<OrderRecord> record = store_->Get(request->order_id());
  if (!record.ok()) return ToGrpc(record.status());
  *response = Public(*record);
  return grpc::Status::OK;
}

grpc::Status OrderGrpcService::CancelOrder(grpc::ServerContext*,
                                           const orderplatform::v1::CancelOrderRequest* request,
                                           Order* response) {
  const std::string& order_id = request->order_id();
  if (absl::Status valid = ValidateOrderId(order_id); !valid.ok()) return ToGrpc(valid);
  const int64_t now_ms = options_.now_ms();
  bool requested_now = false;
  // The order's trace is known once its record is read; lines logged before carry the order id.
  log::ScopedContext log_context({{"order_id", order_id}});
  std::optional<log::ScopedContext> trace_context;
  absl::StatusOr<OrderRecord> updated = store_->Update(
      order_id,
      [&](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
        requested_now = false;
        // Re-set on every attempt; nothing else is scoped on this thread in between.
        trace_context.reset();
        trace_context.emplace(std::initializer_list<log::Field>{
            {"trace_id", TraceIdForLog(current)}});
        if (current.order.status() == orderplatform::v1::CONFIRMED) {
          return absl::FailedPreconditionError(
              absl::StrCat("order ", order_id, " is CONFIRMED and can no longer be cancelled"));
        }
        if (current.order.status() == orderplatform::v1::CANCELLED ||
            current.order.cancellation_requested()) {
          return std::optional<OrderStore::Change>();
        }
        OrderStore::Change change{.record = current,
                                  .outbox_add = {OutboxMember(order_id,
                                                              kOrderCancellationRequested)}};
        change.record.order.set_cancellation_requested(true);
        change.record.order.set_updated_at_ms(now_ms);
        change.record.cancellation_requested_at_ms = now_ms;
        requested_now = true;
        return std::optional<OrderStore::Change>(std::move(change));
      });
  if (!updated.ok()) return ToGrpc(updated.status());
  if (requested_now) {
    Increment(counters_->cancellations_requested);
    log::LogInfo("order_cancellation_requested", {{"order_id", order_id}});
  }
  if (updated->order.status() != orderplatform::v1::CANCELLED) {
    // Also after an earlier call that was not acknowledged: publish what is still pending
    // (OrderPlaced first, if even that is still there).
    absl::StatusOr<std::vector<std::string>> pending = store_->PendingOutbox(order_id);
    if (!pending.ok()) return ToGrpc(pending.status());
    if (absl::Status published = outbox_->Publish(*updated, *pending); !published.ok()) {
      return NotAnnounced(order_id, published);
    }
  }
  *response = Public(*updated);
  return grpc::Status::OK;
}

grpc::Status OrderGrpcService::WatchOrder(grpc::ServerContext* context,
                                          const orderplatform::v1::GetOrderRequest* request,
                                          grpc::ServerWriter<Order>* writer) {
  if (absl::Status valid = ValidateOrderId(request->order_id()); !valid.ok()) return ToGrpc(valid);
  if (shutdown_.HasBeenNotified()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down");
  }
  if (active_watchers_.fetch_add(1) >= options_.watchers_max) {
    active_watchers_.fetch_sub(1);
    Increment(counters_->watches_rejected);
    log::LogWarn("order_watch_rejected", {{"watchers_max", options_.watchers_max}});
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("more than ", options_.watchers_max,
                                     " WatchOrder streams at once; try again later"));
  }
  WatcherSlot slot(&active_watchers_);
  Increment(counters_->watches_started);
  return ToGrpc(Watch(request->order_id(), context,
                      [writer](const Order& order) { return writer->Write(order); }));
}

absl::Status OrderGrpcService::Watch(const std::string& order_id, grpc::ServerContext* context,
                                     const std::function<bool(const Order&)>& send) {
  absl::StatusOr<OrderRecord> record = store_->Get(order_id);
  if (!record.ok()) return record.status();
  const absl::Time deadline = absl::Now() + options_.watch_duration_max;
  int64_t next = 0;  // index of the next history entry to send
  // Bounded by `deadline`: every turn either sends a full batch or sleeps one poll interval.
  while (true) {
    if (context->IsCancelled()) return absl::CancelledError("the client cancelled the watch");
    absl::StatusOr<std::vector<StatusEntry>> entries =
        store_->History(order_id, next, kHistoryBatch);
    if (!entries.ok()) return entries.status();
    if (!entries->empty()) {
      if (next > 0) {
        // Fields besides the status may have changed since (cancellation_requested).
        record = store_->Get(order_id);
        if (!record.ok()) return record.status();
      }
      for (const StatusEntry& entry : *entries) {
        Order snapshot = Public(*record);
        snapshot.set_status(entry.status);
        snapshot.set_cancel_reason(entry.cancel_reason);
        snapshot.set_updated_at_ms(entry.at_ms);
        if (!send(snapshot)) return absl::CancelledError("the client went away");
        ++next;
        // A terminal status is never left, so nothing can follow it.
        if (IsTerminal(entry.status)) return absl::OkStatus();
      }
      if (entries->size() == static_cast<size_t>(kHistoryBatch)) continue;
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat("the watch reached its limit of ",
                                                 absl::FormatDuration(options_.watch_duration_max),
                                                 "; watch again"));
    }
    if (shutdown_.WaitForNotificationWithTimeout(options_.watch_poll_interval)) {
      return absl::UnavailableError("the server is shutting down; watch again");
    }
  }
}

void OrderGrpcService::BeginShutdown() {
  std::call_once(shutdown_once_, [this] { shutdown_.Notify(); });
}

}  // namespace orderplatform::order
