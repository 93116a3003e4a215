#include "integration_tests/saga_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "platform/grpc/admin_auth.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::Order;

constexpr auto kCallTimeout = std::chrono::seconds(10);

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

}  // namespace

bool IsTerminal(orderplatform::v1::OrderStatus status) {
  return status == orderplatform::v1::CONFIRMED || status == orderplatform::v1::CANCELLED;
}

SagaClient::SagaClient(testenv::Stack* stack, int order_instance)
    : orders_(stack->OrderStub(order_instance)),
      inventory_(stack->InventoryStub()),
      payment_(stack->PaymentStub()),
      admin_token_(stack->admin_token()) {}

absl::StatusOr<Order> SagaClient::Place(const OrderSpec& spec) {
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id(spec.request_id);
  request.set_customer_id(spec.customer_id);
  for (const auto& [sku, quantity] : spec.lines) {
    auto* line = request.add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  request.set_amount_cents(spec.amount_cents);
  request.set_currency(spec.currency);
  grpc::ClientContext context;
  SetDeadline(&context);
  Order order;
  grpc::Status status = orders_->PlaceOrder(&context, request, &order);
  if (!status.ok()) return FromGrpc(status);
  return order;
}

absl::StatusOr<Order> SagaClient::Get(const std::string& order_id) {
  orderplatform::v1::GetOrderRequest request;
  request.set_order_id(order_id);
  grpc::ClientContext context;
  SetDeadline(&context);
  Order order;
  grpc::Status status = orders_->GetOrder(&context, request, &order);
  if (!status.ok()) return FromGrpc(status);
  return order;
}

absl::StatusOr<Order> SagaClient::Cancel(const std::string& order_id) {
  orderplatform::v1::CancelOrderRequest request;
  request.set_order_id(order_id);
  grpc::ClientContext context;
  SetDeadline(&context);
  Order order;
  grpc::Status status = orders_->CancelOrder(&context, request, &order);
  if (!status.ok()) return FromGrpc(status);
  return order;
}

absl::StatusOr<Order> SagaClient::AwaitTerminal(const std::string& order_id,
                                                absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<Order> order = Get(order_id);
  while (absl::Now() < deadline) {
    order = Get(order_id);
    if (order.ok() && IsTerminal(order->status())) return order;
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (!order.ok()) return order.status();
  return absl::DeadlineExceededError(
      absl::StrCat(order_id, " still ", orderplatform::v1::OrderStatus_Name(order->status()),
                   " after ", absl::FormatDuration(timeout)));
}

absl::StatusOr<std::vector<Order>> SagaClient::Watch(const std::string& order_id,
                                                     absl::Duration timeout) {
  orderplatform::v1::GetOrderRequest request;
  request.set_order_id(order_id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto reader = orders_->WatchOrder(&context, request);
  std::vector<Order> seen;
  Order order;
  while (reader->Read(&order)) seen.push_back(order);
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpc(status);
  return seen;
}

absl::StatusOr<orderplatform::v1::StockLevel> SagaClient::SetStock(const std::string& sku,
                                                                   int64_t available) {
  orderplatform::v1::SetStockRequest request;
  request.set_sku(sku);
  request.set_available(available);
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc_server::AddAdminToken(&context, admin_token_);
  orderplatform::v1::StockLevel level;
  grpc::Status status = inventory_->SetStock(&context, request, &level);
  if (!status.ok()) return FromGrpc(status);
  return level;
}

absl::StatusOr<orderplatform::v1::StockLevel> SagaClient::GetStock(const std::string& sku) {
  orderplatform::v1::GetStockRequest request;
  request.set_sku(sku);
  grpc::ClientContext context;
  SetDeadline(&context);
  orderplatform::v1::StockLevel level;
  grpc::Status status = inventory_->GetStock(&context, request, &level);
  if (!status.ok()) return FromGrpc(status);
  return level;
}

absl::Status SagaClient::SetBehavior(const orderplatform::v1::PaymentBehavior& behavior) {
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc_server::AddAdminToken(&context, admin_token_);
  orderplatform::v1::PaymentBehavior applied;
  return FromGrpc(payment_->SetBehavior(&context, behavior, &applied));
}

absl::StatusOr<orderplatform::v1::Payment> SagaClient::GetPayment(const std::string& order_id) {
  orderplatform::v1::GetPaymentRequest request;
  request.set_order_id(order_id);
  grpc::ClientContext context;
  SetDeadline(&context);
  orderplatform::v1::Payment payment;
  grpc::Status status = payment_->GetPayment(&context, request, &payment);
  if (!status.ok()) return FromGrpc(status);
  return payment;
}

std::vector<std::string> CheckInvariants(SagaClient& client, const InvariantInput& input) {
  std::vector<std::string> violations;
  std::map<std::string, int64_t> confirmed_quantity;
  for (const std::string& id : input.order_ids) {
    absl::StatusOr<Order> order = client.Get(id);
    if (!order.ok()) {
      violations.push_back(absl::StrCat("I2: ", id, " unreadable: ", order.status().ToString()));
      continue;
    }
    if (!IsTerminal(order->status())) {
      violations.push_back(absl::StrCat("I2: ", id, " is ",
                                        orderplatform::v1::OrderStatus_Name(order->status())));
    }
    absl::StatusOr<orderplatform::v1::Payment> payment = client.GetPayment(id);
    const bool authorized = payment.ok() && payment->state() == orderplatform::v1::AUTHORIZED;
    if (order->status() == orderplatform::v1::CONFIRMED) {
      for (const auto& line : order->lines()) confirmed_quantity[line.sku()] += line.quantity();
      if (!authorized) violations.push_back(absl::StrCat("I4: CONFIRMED ", id, " has no AUTHORIZED payment"));
    }
    if (order->status() == orderplatform::v1::CANCELLED && authorized) {
      violations.push_back(absl::StrCat("I4: CANCELLED ", id, " keeps an AUTHORIZED payment"));
    }
  }
  for (const auto& [sku, total] : input.stock_set) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = client.GetStock(sku);
    if (!level.ok()) {
      violations.push_back(absl::StrCat("I1: ", sku, " unreadable: ", level.status().ToString()));
      continue;
    }
    if (level->available() < 0) violations.push_back(absl::StrCat("I1: ", sku, " available < 0"));
    const int64_t sum = level->available() + level->reserved() + level->sold();
    if (sum != total) {
      violations.push_back(absl::StrCat("I1: ", sku, " available+reserved+sold=", sum,
                                        " but ", total, " was set"));
    }
    if (level->reserved() != 0) {
      violations.push_back(absl::StrCat("I2: ", sku, " still has ", level->reserved(), " reserved"));
    }
    if (level->sold() != confirmed_quantity[sku]) {
      violations.push_back(absl::StrCat("I3: ", sku, " sold=", level->sold(),
                                        " but CONFIRMED orders hold ", confirmed_quantity[sku]));
    }
  }
  return violations;
}

std::string Snapshot(SagaClient& client, const InvariantInput& input) {
  std::string out;
  for (const std::string& id : input.order_ids) {
    absl::StatusOr<Order> order = client.Get(id);
    absl::StrAppend(&out, id, ":",
                    order.ok() ? orderplatform::v1::OrderStatus_Name(order->status()) : "?", "/",
                    order.ok() ? orderplatform::v1::CancelReason_Name(order->cancel_reason()) : "?");
    absl::StatusOr<orderplatform::v1::Payment> payment = client.GetPayment(id);
    absl::StrAppend(&out, " payment:",
                    payment.ok() ? orderplatform::v1::PaymentState_Name(payment->state()) : "none",
                    "\n");
  }
  for (const auto& [sku, total] : input.stock_set) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = client.GetStock(sku);
    if (level.ok()) {
      absl::StrAppend(&out, sku, ": ", level->available(), "/", level->reserved(), "/",
                      level->sold(), "\n");
    }
  }
  return out;
}

}  // namespace orderplatform::integration
