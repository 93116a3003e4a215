// The chaos run's gRPC client of the whole platform: every instance of every service, over
// channels that reconnect within a second after a restart (gRPC's default backoff grows to two
// minutes, which would make a restarted service look dead to the test), and retries the way a
// real client does: UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED are tried again with backoff,
// on the next instance each time (as behind a load balancer), with the same request, until a
// patience runs out. Thread-safe: the stubs are.
//
//   PlatformClient client({.order = {"127.0.0.1:5001"}, .inventory = {...}, .payment = {...},
//                          .admin_token = stack->admin_token()});
//   absl::StatusOr<Order> order = client.Get("o-1");              // retried
//   absl::StatusOr<Order> once = client.GetOnce(/*instance=*/1, "o-1");  // one attempt
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_PLATFORM_CLIENT_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_PLATFORM_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"

namespace orderplatform::chaos {

// The codes a client retries with the same request: the platform may not have seen the
// request, or may have done it without answering; both are safe to repeat (PlaceOrder is
// idempotent on request_id, the rest are reads or idempotent writes).
bool IsRetryable(const absl::Status& status);

struct PlatformAddresses {
  std::vector<std::string> order;  // "127.0.0.1:PORT" of every instance
  std::vector<std::string> inventory;
  std::vector<std::string> payment;
  std::string admin_token;  // sent with SetStock and SetBehavior (testenv::Stack::admin_token)
};

struct RetryOutcome {
  int attempts = 0;
  absl::Status last_retryable;  // the last retryable error seen, OK if none
};

class PlatformClient {
 public:
  explicit PlatformClient(const PlatformAddresses& addresses,
                          absl::Duration call_timeout = absl::Seconds(10));

  int order_instances() const { return static_cast<int>(orders_.size()); }
  int inventory_instances() const { return static_cast<int>(inventories_.size()); }
  int payment_instances() const { return static_cast<int>(payments_.size()); }

  // One attempt each, on one instance.
  absl::StatusOr<orderplatform::v1::Order> PlaceOnce(
      int instance, const orderplatform::v1::PlaceOrderRequest& request);
  absl::StatusOr<orderplatform::v1::Order> GetOnce(int instance, const std::string& order_id);
  absl::StatusOr<orderplatform::v1::Order> CancelOnce(int instance, const std::string& order_id);
  // Every status the stream sent, until it ended (or `timeout` passed).
  absl::StatusOr<std::vector<orderplatform::v1::Order>> WatchOnce(int instance,
                                                                  const std::string& order_id,
                                                                  absl::Duration timeout);
  absl::StatusOr<orderplatform::v1::StockLevel> GetStockOnce(int instance, const std::string& sku);
  absl::StatusOr<orderplatform::v1::StockLevel> SetStockOnce(int instance, const std::string& sku,
                                                             int64_t available);
  absl::StatusOr<orderplatform::v1::Payment> GetPaymentOnce(int instance,
                                                            const std::string& order_id);
  absl::Status SetBehaviorOnce(int instance, const orderplatform::v1::PaymentBehavior& behavior);

  // Retried reads and admin writes, starting at instance 0.
  absl::StatusOr<orderplatform::v1::Order> Get(const std::string& order_id,
                                               absl::Duration patience = absl::Seconds(60));
  absl::StatusOr<orderplatform::v1::StockLevel> GetStock(
      const std::string& sku, absl::Duration patience = absl::Seconds(60));
  absl::StatusOr<orderplatform::v1::StockLevel> SetStock(
      const std::string& sku, int64_t available, absl::Duration patience = absl::Seconds(60));
  // NOT_FOUND when payment has no ledger entry for the order.
  absl::StatusOr<orderplatform::v1::Payment> GetPayment(
      const std::string& order_id, absl::Duration patience = absl::Seconds(60));
  absl::Status SetBehavior(const orderplatform::v1::PaymentBehavior& behavior,
                           absl::Duration patience = absl::Seconds(60));

 private:
  const absl::Duration call_timeout_;
  const std::string admin_token_;
  std::vector<std::unique_ptr<orderplatform::v1::OrderService::Stub>> orders_;
  std::vector<std::unique_ptr<orderplatform::v1::InventoryService::Stub>> inventories_;
  std::vector<std::unique_ptr<orderplatform::v1::PaymentService::Stub>> payments_;
};

// Calls `call(instance)` until it returns something other than a retryable error or `patience`
// has passed, starting at `first_instance` and moving to the next of `instances` after each
// retryable error; sleeps 50 ms doubling to 1 s between attempts. Returns the last result.
template <typename T>
absl::StatusOr<T> WithRetries(int instances, int first_instance, absl::Duration patience,
                              const std::function<absl::StatusOr<T>(int instance)>& call,
                              RetryOutcome* outcome = nullptr) {
  const absl::Time deadline = absl::Now() + patience;
  absl::Duration backoff = absl::Milliseconds(50);
  int instance = first_instance % instances;
  RetryOutcome local;
  RetryOutcome& out = outcome != nullptr ? *outcome : local;
  // Bounded by `deadline`: every turn that does not return sleeps at least 50 ms.
  while (true) {
    ++out.attempts;
    absl::StatusOr<T> result = call(instance);
    if (!IsRetryable(result.status())) return result;
    out.last_retryable = result.status();
    if (absl::Now() + backoff >= deadline) return result;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
    instance = (instance + 1) % instances;
  }
}

}  // namespace orderplatform::chaos

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_PLATFORM_CLIENT_H_
