#include "integration_tests/chaos/platform_client.h"

#include "grpcpp/grpcpp.h"
#include "platform/grpc/admin_auth.h"

namespace orderplatform::chaos {
namespace {

using orderplatform::v1::Order;
using orderplatform::v1::Payment;
using orderplatform::v1::StockLevel;

absl::Status FromGrpc(const grpc::Status& status) {
  // gRPC and absl share the canonical code numbers.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& address) {
  grpc::ChannelArguments args;
  // A restarted service is back on the same port within seconds; the default backoff (1 s
  // growing to 120 s) would keep the channel in TRANSIENT_FAILURE long after that.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

template <typename Service>
std::vector<std::unique_ptr<typename Service::Stub>> Stubs(
    const std::vector<std::string>& addresses) {
  std::vector<std::unique_ptr<typename Service::Stub>> stubs;
  for (const std::string& address : addresses) {
    stubs.push_back(Service::NewStub(FastReconnectChannel(address)));
  }
  return stubs;
}

using OrderStub = orderplatform::v1::OrderService::Stub;
using InventoryStub = orderplatform::v1::InventoryService::Stub;
using PaymentStub = orderplatform::v1::PaymentService::Stub;

// One unary call with the client's deadline; `admin_token` is sent when not empty.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Unary(
    Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, absl::Duration timeout, const std::string& admin_token = "") {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!admin_token.empty()) grpc_server::AddAdminToken(&context, admin_token);
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

}  // namespace

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) || absl::IsAborted(status);
}

PlatformClient::PlatformClient(const PlatformAddresses& addresses, absl::Duration call_timeout)
    : call_timeout_(call_timeout),
      admin_token_(addresses.admin_token),
      orders_(Stubs<orderplatform::v1::OrderService>(addresses.order)),
      inventories_(Stubs<orderplatform::v1::InventoryService>(addresses.inventory)),
      payments_(Stubs<orderplatform::v1::PaymentService>(addresses.payment)) {}

absl::StatusOr<Order> PlatformClient::PlaceOnce(
    int instance, const orderplatform::v1::PlaceOrderRequest& request) {
  return Unary(orders_.at(instance).get(), &OrderStub::PlaceOrder, request, call_timeout_);
}

absl::StatusOr<Order> PlatformClient::GetOnce(int instance, const std::string& order_id) {
  orderplatform::v1::GetOrderRequest request;
  request.set_order_id(order_id);
  return Unary(orders_.at(instance).get(), &OrderStub::GetOrder, request, call_timeout_);
}

absl::StatusOr<Order> PlatformClient::CancelOnce(int instance, const std::string& order_id) {
  orderplatform::v1::CancelOrderRequest request;
  request.set_order_id(order_id);
  return Unary(orders_.at(instance).get(), &OrderStub::CancelOrder, request, call_timeout_);
}

absl::StatusOr<StockLevel> PlatformClient::GetStockOnce(int instance, const std::string& sku) {
  orderplatform::v1::GetStockRequest request;
  request.set_sku(sku);
  return Unary(inventories_.at(instance).get(), &InventoryStub::GetStock, request, call_timeout_);
}

absl::StatusOr<StockLevel> PlatformClient::SetStockOnce(int instance, const std::string& sku,
                                                        int64_t available) {
  orderplatform::v1::SetStockRequest request;
  request.set_sku(sku);
  request.set_available(available);
  return Unary(inventories_.at(instance).get(), &InventoryStub::SetStock, request, call_timeout_,
               admin_token_);
}

absl::StatusOr<Payment> PlatformClient::GetPaymentOnce(int instance, const std::string& order_id) {
  orderplatform::v1::GetPaymentRequest request;
  request.set_order_id(order_id);
  return Unary(payments_.at(instance).get(), &PaymentStub::GetPayment, request, call_timeout_);
}

absl::Status PlatformClient::SetBehaviorOnce(int instance,
                                             const orderplatform::v1::PaymentBehavior& behavior) {
  return Unary(payments_.at(instance).get(), &PaymentStub::SetBehavior, behavior, call_timeout_,
               admin_token_)
      .status();
}

absl::StatusOr<std::vector<Order>> PlatformClient::WatchOnce(int instance,
                                                             const std::string& order_id,
                                                             absl::Duration timeout) {
  orderplatform::v1::GetOrderRequest request;
  request.set_order_id(order_id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  std::unique_ptr<grpc::ClientReader<Order>> reader =
      orders_.at(instance)->WatchOrder(&context, request);
  std::vector<Order> seen;
  Order order;
  // Bounded by the deadline: the stream ends at a terminal status or when the deadline passes.
  while (reader->Read(&order)) seen.push_back(order);
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpc(status);
  return seen;
}

absl::StatusOr<Order> PlatformClient::Get(const std::string& order_id, absl::Duration patience) {
  return WithRetries<Order>(order_instances(), 0, patience,
                            [&](int i) { return GetOnce(i, order_id); });
}

absl::StatusOr<StockLevel> PlatformClient::GetStock(const std::string& sku,
                                                    absl::Duration patience) {
  return WithRetries<StockLevel>(inventory_instances(), 0, patience,
                                 [&](int i) { return GetStockOnce(i, sku); });
}

absl::StatusOr<StockLevel> PlatformClient::SetStock(const std::string& sku, int64_t available,
                                                    absl::Duration patience) {
  return WithRetries<StockLevel>(inventory_instances(), 0, patience,
                                 [&](int i) { return SetStockOnce(i, sku, available); });
}

absl::StatusOr<Payment> PlatformClient::GetPayment(const std::string& order_id,
                                                   absl::Duration patience) {
  return WithRetries<Payment>(payment_instances(), 0, patience,
                              [&](int i) { return GetPaymentOnce(i, order_id); });
}

absl::Status PlatformClient::SetBehavior(const orderplatform::v1::PaymentBehavior& behavior,
                                         absl::Duration patience) {
  absl::StatusOr<bool> done =
      WithRetries<bool>(payment_instances(), 0, patience, [&](int i) -> absl::StatusOr<bool> {
        absl::Status status = SetBehaviorOnce(i, behavior);
        if (!status.ok()) return status;
        return true;
      });
  return done.status();
}

}  // namespace orderplatform::chaos
