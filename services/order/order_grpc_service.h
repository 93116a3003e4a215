// gRPC OrderService: PlaceOrder, GetOrder, CancelOrder and WatchOrder over the order store, with
// orders.v1 announcements through the outbox (order_outbox.h).
//
//   PlaceOrder   INVALID_ARGUMENT (nothing stored or produced) for a request the contract
//                refuses. The saga's trace is the caller's W3C `traceparent` metadata when valid,
//                else a new one; it is stored with the order, and every event continues it. The order id is derived from request_id (order_id.h), so a retry finds
//                the same order (I6) and gets it back as it is now. A new order is stored with
//                its outbox entry in one transaction, then OrderPlaced is produced and the call
//                waits for the ack; UNAVAILABLE if it does not come within produce_timeout (the
//                order is kept and announced later; retry with the same request_id). A retry
//                whose order is still in the outbox publishes it before answering.
//   GetOrder     INVALID_ARGUMENT for an empty id, NOT_FOUND for an unknown one.
//   CancelOrder  (continues the order's trace) NOT_FOUND; FAILED_PRECONDITION once CONFIRMED; a CANCELLED order is returned
//                as is; otherwise marks cancellation_requested (check-and-set, with an outbox
//                entry) and produces OrderCancellationRequested (UNAVAILABLE if not acked; the
//                retry is idempotent). Inventory then releases with CUSTOMER_REQUEST, or, if it
//                already committed, the order ends CONFIRMED.
//   WatchOrder   NOT_FOUND; streams the order once per status in its history, from the first
//                (PENDING), then follows new ones by polling Redis every watch_poll_interval,
//                and ends after the terminal status. Works on any instance (state is in Redis).
//                At most watchers_max streams at once (RESOURCE_EXHAUSTED beyond); a stream
//                lasts at most watch_duration_max and ends with UNAVAILABLE at shutdown
//                (watch again: the history is replayed from the start).
//
//   OrderGrpcService service(&store, &outbox, &counters, {.produce_timeout = absl::Seconds(5)});
//   GrpcServer::Start({.port = 0}, {&service});
//   ...
//   service.BeginShutdown();   // ends the watch streams, so the server's grace is not spent on them
#ifndef ORDERPLATFORM_SERVICES_ORDER_ORDER_GRPC_SERVICE_H_
#define ORDERPLATFORM_SERVICES_ORDER_ORDER_GRPC_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "services/order/order_counters.h"
#include "services/order/order_outbox.h"
#include "services/order/order_store.h"

namespace orderplatform::order {

struct OrderServiceOptions {
  int watchers_max = 256;
  absl::Duration watch_poll_interval = absl::Milliseconds(50);
  absl::Duration watch_duration_max = absl::Hours(1);
  std::function<int64_t()> now_ms;  // default: wall clock
  // The traceparent of an order placed without a valid one: by default a new random trace.
  // Replaceable so the deterministic simulator gets the same trace for the same order.
  std::function<std::string(const std::string& order_id)> new_traceparent;
};

class OrderGrpcService final : public orderplatform::v1::OrderService::Service {
 public:
  OrderGrpcService(OrderStore* store, OrderOutbox* outbox, OrderCounters* counters,
                   OrderServiceOptions options);

  grpc::Status PlaceOrder(grpc::ServerContext* context,
                          const orderplatform::v1::PlaceOrderRequest* request,
                          orderplatform::v1::Order* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context,
                        const orderplatform::v1::GetOrderRequest* request,
                        orderplatform::v1::Order* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context,
                           const orderplatform::v1::CancelOrderRequest* request,
                           orderplatform::v1::Order* response) override;
  grpc::Status WatchOrder(grpc::ServerContext* context,
                          const orderplatform::v1::GetOrderRequest* request,
                          grpc::ServerWriter<orderplatform::v1::Order>* writer) override;

  // Ends every watch stream (UNAVAILABLE) and refuses new ones. Idempotent and thread-safe.
  void BeginShutdown();
  int active_watchers() const { return active_watchers_.load(); }

 private:
  // The stream of one watch: `send` returns false once the client is gone.
  absl::Status Watch(const std::string& order_id, grpc::ServerContext* context,
                     const std::function<bool(const orderplatform::v1::Order&)>& send);

  OrderStore* store_;
  OrderOutbox* outbox_;
  OrderCounters* counters_;
  OrderServiceOptions options_;
  std::atomic<int> active_watchers_{0};
  std::once_flag shutdown_once_;
  absl::Notification shutdown_;
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_ORDER_GRPC_SERVICE_H_
