// The whole platform for one test: redis-server, devbroker and the three services (one or more
// instances each), on free ports, torn down with the object. Gives gRPC stubs to every instance.
//
//   auto stack = Stack::Start({.reservation_ttl_ms = 3000});
//   ASSERT_TRUE(stack.ok()) << stack.status();
//   auto order_stub = (*stack)->OrderStub();
//   grpc::ClientContext context;
//   grpc_server::AddAdminToken(&context, (*stack)->admin_token());  // for SetStock/SetBehavior
//   (*stack)->inventory(0).Kill9();  (*stack)->inventory(0).Restart();
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_STACK_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_STACK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration_tests/testenv/devbroker.h"
#include "integration_tests/testenv/redis_server.h"
#include "integration_tests/testenv/service_process.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"

namespace orderplatform::testenv {

struct StackOptions {
  int brokers = 1;
  int partitions = 3;
  int order_instances = 1;
  int inventory_instances = 1;
  int payment_instances = 1;
  int64_t reservation_ttl_ms = 900000;
  int64_t expiry_interval_ms = 200;
  std::vector<std::string> order_flags;      // extra flags for each order instance
  std::vector<std::string> inventory_flags;
  std::vector<std::string> payment_flags;
  // Inventory and payment get it through ADMIN_TOKEN; empty: a random one per stack.
  std::string admin_token;
  // Non-empty: redis-server requires it, and every service gets it through REDIS_PASSWORD.
  std::string redis_password;
  // Every service serves /metrics on a port of its own (ServiceProcess::metrics_port()).
  bool metrics = false;
};

class Stack {
 public:
  static absl::StatusOr<std::unique_ptr<Stack>> Start(StackOptions options = {});

  RedisServer& redis() { return *redis_; }
  DevBroker& kafka() { return *kafka_; }
  ServiceProcess& order(int i = 0) { return *orders_.at(i); }
  ServiceProcess& inventory(int i = 0) { return *inventories_.at(i); }
  ServiceProcess& payment(int i = 0) { return *payments_.at(i); }
  int order_instances() const { return static_cast<int>(orders_.size()); }
  // What admin RPCs must send (grpc_server::AddAdminToken).
  const std::string& admin_token() const { return admin_token_; }

  std::unique_ptr<orderplatform::v1::OrderService::Stub> OrderStub(int i = 0);
  std::unique_ptr<orderplatform::v1::InventoryService::Stub> InventoryStub(int i = 0);
  std::unique_ptr<orderplatform::v1::PaymentService::Stub> PaymentStub(int i = 0);

  // Every service process of the stack, for kill/restart loops.
  std::vector<ServiceProcess*> services();

 private:
  Stack() = default;

  std::string admin_token_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<DevBroker> kafka_;
  std::vector<std::unique_ptr<ServiceProcess>> orders_;
  std::vector<std::unique_ptr<ServiceProcess>> inventories_;
  std::vector<std::unique_ptr<ServiceProcess>> payments_;
};

}  // namespace orderplatform::testenv

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_STACK_H_
