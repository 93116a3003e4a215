// A small gRPC client of the whole platform for integration tests, the chaos run and the demo:
// place, follow and cancel orders, set stock and payment behaviour, and read what invariants
// I1–I5 are checked against. Every call has a deadline; none retries on its own.
//
//   SagaClient client(stack.get());
//   absl::StatusOr<Order> order = client.Place({.request_id = "r-1", .lines = {{"SKU", 2}}});
//   absl::StatusOr<Order> done = client.AwaitTerminal(order->order_id(), absl::Seconds(20));
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SAGA_CLIENT_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SAGA_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration_tests/testenv/stack.h"

namespace orderplatform::integration {

struct OrderSpec {
  std::string request_id;
  std::string customer_id = "customer";
  std::vector<std::pair<std::string, int>> lines;
  int64_t amount_cents = 1000;
  std::string currency = "EUR";
};

bool IsTerminal(orderplatform::v1::OrderStatus status);

class SagaClient {
 public:
  // `order_instance` picks which order service instance the calls go to.
  explicit SagaClient(testenv::Stack* stack, int order_instance = 0);

  absl::StatusOr<orderplatform::v1::Order> Place(const OrderSpec& spec);
  absl::StatusOr<orderplatform::v1::Order> Get(const std::string& order_id);
  absl::StatusOr<orderplatform::v1::Order> Cancel(const std::string& order_id);
  // Polls GetOrder until the order is CONFIRMED or CANCELLED.
  absl::StatusOr<orderplatform::v1::Order> AwaitTerminal(const std::string& order_id,
                                                         absl::Duration timeout);
  // Every status WatchOrder streams, until it ends.
  absl::StatusOr<std::vector<orderplatform::v1::Order>> Watch(const std::string& order_id,
                                                              absl::Duration timeout);

  absl::StatusOr<orderplatform::v1::StockLevel> SetStock(const std::string& sku, int64_t available);
  absl::StatusOr<orderplatform::v1::StockLevel> GetStock(const std::string& sku);
  absl::Status SetBehavior(const orderplatform::v1::PaymentBehavior& behavior);
  // NOT_FOUND when the ledger has no entry for the order.
  absl::StatusOr<orderplatform::v1::Payment> GetPayment(const std::string& order_id);

 private:
  std::unique_ptr<orderplatform::v1::OrderService::Stub> orders_;
  std::unique_ptr<orderplatform::v1::InventoryService::Stub> inventory_;
  std::unique_ptr<orderplatform::v1::PaymentService::Stub> payment_;
  std::string admin_token_;  // sent with SetStock and SetBehavior
};

// The invariants of the contract that can be read back through the gRPC APIs.
struct InvariantInput {
  std::map<std::string, int64_t> stock_set;  // SKU -> the total that was set
  std::vector<std::string> order_ids;        // every order placed
};

// Violations of I1 (no oversell), I2 (all terminal, nothing reserved), I3 (sold = confirmed
// quantities) and I4 (payments match outcomes); empty when all hold.
std::vector<std::string> CheckInvariants(SagaClient& client, const InvariantInput& input);

// Orders, payments and stock levels as one comparable text: equal before and after a replay
// means the replay changed nothing (I5).
std::string Snapshot(SagaClient& client, const InvariantInput& input);

}  // namespace orderplatform::integration

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SAGA_CLIENT_H_
