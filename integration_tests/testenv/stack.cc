#include "integration_tests/testenv/stack.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace orderplatform::testenv {
namespace {

absl::Status StartInstances(const std::string& name, const std::string& binary, int count,
                            const std::vector<std::string>& args,
                            std::vector<std::unique_ptr<ServiceProcess>>* out) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::unique_ptr<ServiceProcess>> service =
        ServiceProcess::Start(absl::StrCat(name, "-", i), RunfilePath(binary), args);
    if (!service.ok()) return service.status();
    out->push_back(*std::move(service));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Channel(const ServiceProcess& service) {
  return grpc::CreateChannel(service.grpc_address(), grpc::InsecureChannelCredentials());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(StackOptions options) {
  std::unique_ptr<Stack> stack(new Stack());
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  if (!redis.ok()) return redis.status();
  stack->redis_ = *std::move(redis);
  absl::StatusOr<std::unique_ptr<DevBroker>> kafka =
      DevBroker::Start(options.brokers, options.partitions);
  if (!kafka.ok()) return kafka.status();
  stack->kafka_ = *std::move(kafka);

  const std::vector<std::string> common = {
      absl::StrCat("--kafka_brokers=", stack->kafka_->bootstrap()),
      absl::StrCat("--redis=", stack->redis_->address()),
      "--dependency_wait_ms=20000",
  };
  auto with = [&common](const std::vector<std::string>& extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  std::vector<std::string> inventory_flags = {
      absl::StrCat("--reservation_ttl_ms=", options.reservation_ttl_ms),
      absl::StrCat("--expiry_interval_ms=", options.expiry_interval_ms)};
  inventory_flags.insert(inventory_flags.end(), options.inventory_flags.begin(),
                         options.inventory_flags.end());

  absl::Status status = StartInstances("inventory", "services/inventory/inventory_service",
                                       options.inventory_instances, with(inventory_flags),
                                       &stack->inventories_);
  if (status.ok()) {
    status = StartInstances("payment", "services/payment/payment_service",
                            options.payment_instances, with(options.payment_flags),
                            &stack->payments_);
  }
  if (status.ok()) {
    status = StartInstances("order", "services/order/order_service", options.order_instances,
                            with(options.order_flags), &stack->orders_);
  }
  if (!status.ok()) return status;
  return stack;
}

std::unique_ptr<orderplatform::v1::OrderService::Stub> Stack::OrderStub(int i) {
  return orderplatform::v1::OrderService::NewStub(Channel(order(i)));
}
std::unique_ptr<orderplatform::v1::InventoryService::Stub> Stack::InventoryStub(int i) {
  return orderplatform::v1::InventoryService::NewStub(Channel(inventory(i)));
}
std::unique_ptr<orderplatform::v1::PaymentService::Stub> Stack::PaymentStub(int i) {
  return orderplatform::v1::PaymentService::NewStub(Channel(payment(i)));
}

std::vector<ServiceProcess*> Stack::services() {
  std::vector<ServiceProcess*> all;
  for (auto* group : {&orders_, &inventories_, &payments_}) {
    for (auto& service : *group) all.push_back(service.get());
  }
  return all;
}

}  // namespace orderplatform::testenv
