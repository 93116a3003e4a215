#include "integration_tests/testenv/stack.h"

#include <cstdint>
#include <map>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace orderplatform::testenv {
namespace {

using Env = std::map<std::string, std::string>;

absl::Status StartInstances(const std::string& name, const std::string& binary, int count,
                            const std::vector<std::string>& args, const Env& env,
                            std::vector<std::unique_ptr<ServiceProcess>>* out) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::unique_ptr<ServiceProcess>> service =
        ServiceProcess::Start(absl::StrCat(name, "-", i), RunfilePath(binary), args, env);
    if (!service.ok()) return service.status();
    out->push_back(*std::move(service));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Channel(const ServiceProcess& service) {
  return grpc::CreateChannel(service.grpc_address(), grpc::InsecureChannelCredentials());
}

// 128 random bits in hex: what an operator would generate with `openssl rand -hex 16`.
std::string RandomToken() {
  absl::BitGen random;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(StackOptions options) {
  std::unique_ptr<Stack> stack(new Stack());
  stack->admin_token_ = options.admin_token.empty() ? RandomToken() : options.admin_token;
  absl::StatusOr<std::unique_ptr<RedisServer>> redis =
      RedisServer::Start({.password = options.redis_password});
  if (!redis.ok()) return redis.status();
  stack->redis_ = *std::move(redis);
  absl::StatusOr<std::unique_ptr<DevBroker>> kafka =
      DevBroker::Start(options.brokers, options.partitions);
  if (!kafka.ok()) return kafka.status();
  stack->kafka_ = *std::move(kafka);

  std::vector<std::string> common = {
      absl::StrCat("--kafka_brokers=", stack->kafka_->bootstrap()),
      absl::StrCat("--redis=", stack->redis_->address()),
      "--dependency_wait_ms=20000",
  };
  if (options.metrics) common.push_back("--metrics_port=0");
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

  // Secrets travel in the environment, as the docs recommend: command lines show in ps. Only
  // the services with admin RPCs get the admin token.
  Env env;
  if (!options.redis_password.empty()) env["REDIS_PASSWORD"] = options.redis_password;
  Env admin_env = env;
  admin_env["ADMIN_TOKEN"] = stack->admin_token_;

  absl::Status status = StartInstances("inventory", "services/inventory/inventory_service",
                                       options.inventory_instances, with(inventory_flags),
                                       admin_env, &stack->inventories_);
  if (status.ok()) {
    status = StartInstances("payment", "services/payment/payment_service",
                            options.payment_instances, with(options.payment_flags), admin_env,
                            &stack->payments_);
  }
  if (status.ok()) {
    status = StartInstances("order", "services/order/order_service", options.order_instances,
                            with(options.order_flags), env, &stack->orders_);
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
