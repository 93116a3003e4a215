// The security settings end to end, on the real service binaries (docs/RELIABILITY.md,
// "Security"): the admin token on SetStock/SetBehavior, the Redis password, librdkafka settings
// from --kafka_config/KAFKA_CONFIG, gRPC over TLS and mutual TLS, and secrets that never reach a
// log line, an error message or `ps`.
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/devbroker.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"
#include "integration_tests/testenv/stack.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"
#include "platform/grpc/admin_auth.h"
#include "platform/grpc/testing/test_tls.h"

namespace orderplatform::integration {
namespace {

using Env = std::map<std::string, std::string>;

constexpr char kRedisPassword[] = "redis-pw-4f1c9e7a2b";
constexpr char kAdminToken[] = "admin-token-8d2e6b1f0c";
constexpr char kSaslPassword[] = "sasl-pw-c3a95e18d7";
constexpr absl::Duration kExitWait = absl::Seconds(40);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Everything a process wrote, stdout and stderr.
std::string Output(const testenv::Process& process) {
  return ReadFile(process.stdout_path()) + ReadFile(process.stderr_path());
}

// Fails the test for every secret found in `text`.
void ExpectNoSecrets(const std::string& text, const std::vector<std::string>& secrets,
                     const std::string& where) {
  for (const std::string& secret : secrets) {
    EXPECT_FALSE(absl::StrContains(text, secret)) << where << " reveals " << secret << ":\n"
                                                  << text;
  }
}

grpc::Status SetStock(orderplatform::v1::InventoryService::Stub& stub, const std::string& token) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) grpc_server::AddAdminToken(&context, token);
  orderplatform::v1::SetStockRequest request;
  request.set_sku("SEC-1");
  request.set_available(5);
  orderplatform::v1::StockLevel level;
  return stub.SetStock(&context, request, &level);
}

grpc::Status SetBehavior(orderplatform::v1::PaymentService::Stub& stub, const std::string& token) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) grpc_server::AddAdminToken(&context, token);
  orderplatform::v1::PaymentBehavior behavior;
  orderplatform::v1::PaymentBehavior applied;
  return stub.SetBehavior(&context, behavior, &applied);
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response);
}

// Tests that start single service binaries against their own redis-server (with a password) and
// development broker.
class ServiceSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testenv::RedisServer::Start({.password = kRedisPassword});
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto kafka = testenv::DevBroker::Start(/*brokers=*/1, /*partitions=*/1);
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    kafka_ = *std::move(kafka);
  }

  // `service` is order, inventory or payment; --grpc_port=0 and the dependencies are added.
  std::unique_ptr<testenv::Process> Start(const std::string& service, std::vector<std::string> args,
                                          Env env) {
    args.push_back("--grpc_port=0");
    args.push_back("--redis=" + redis_->address());
    args.push_back("--kafka_brokers=" + kafka_->bootstrap());
    args.push_back("--dependency_wait_ms=20000");
    auto process = testenv::Process::Start({.binary = testenv::RunfilePath(absl::StrCat(
                                                "services/", service, "/", service, "_service")),
                                            .args = std::move(args),
                                            .env = std::move(env),
                                            .name = service});
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? *std::move(process) : nullptr;
  }

  // The port the service serves on, once it printed it; 0 if it did not.
  int WaitServing(testenv::Process& process) {
    absl::StatusOr<std::string> line = process.WaitForStdoutLine("grpc_port=", absl::Seconds(60));
    EXPECT_TRUE(line.ok()) << line.status() << "\n" << process.StderrTail();
    int port = 0;
    if (line.ok()) {
      EXPECT_TRUE(absl::SimpleAtoi(line->substr(strlen("grpc_port=")), &port)) << *line;
    }
    return port;
  }

  // The "<service>: reason" line of a service that refused to start (empty if it did not).
  std::string RefusalLine(testenv::Process& process, const std::string& service) {
    absl::StatusOr<int> code = process.Wait(kExitWait);
    EXPECT_TRUE(code.ok()) << code.status();
    EXPECT_NE(code.value_or(0), 0);
    std::string found;
    for (absl::string_view line : absl::StrSplit(ReadFile(process.stderr_path()), '\n')) {
      if (absl::StartsWith(line, service + ": ")) {
        EXPECT_TRUE(found.empty()) << "two reasons:\n" << process.StderrTail();
        found = std::string(line);
      }
    }
    EXPECT_FALSE(found.empty()) << process.StderrTail();
    return found;
  }

  Env RedisEnv() { return {{"REDIS_PASSWORD", kRedisPassword}}; }

  std::unique_ptr<testenv::RedisServer> redis_;
  std::unique_ptr<testenv::DevBroker> kafka_;
};

TEST_F(ServiceSecurityTest, AdminRpcsAreDisabledWithoutAConfiguredToken) {
  auto inventory = Start("inventory", {}, RedisEnv());
  auto payment = Start("payment", {}, RedisEnv());
  ASSERT_NE(inventory, nullptr);
  ASSERT_NE(payment, nullptr);
  const int inventory_port = WaitServing(*inventory);
  const int payment_port = WaitServing(*payment);
  ASSERT_GT(inventory_port, 0);
  ASSERT_GT(payment_port, 0);
  auto inventory_stub = orderplatform::v1::InventoryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", inventory_port), grpc::InsecureChannelCredentials()));
  auto payment_stub = orderplatform::v1::PaymentService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", payment_port), grpc::InsecureChannelCredentials()));
  for (const std::string& token : {std::string(), std::string(kAdminToken)}) {
    EXPECT_EQ(SetStock(*inventory_stub, token).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(SetBehavior(*payment_stub, token).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(ServiceSecurityTest, TheRightRedisPasswordWorksAndAWrongOrMissingOneIsRefusedUnsaid) {
  for (const std::string service : {"order", "inventory", "payment"}) {
    auto right = Start(service, {}, RedisEnv());
    ASSERT_NE(right, nullptr);
    EXPECT_GT(WaitServing(*right), 0) << service;
    ASSERT_TRUE(right->Terminate(absl::Seconds(30)).ok());

    const std::string wrong_password = "wrong-redis-pw-77a1b2";
    auto wrong = Start(service, {}, {{"REDIS_PASSWORD", wrong_password}});
    ASSERT_NE(wrong, nullptr);
    const std::string wrong_reason = RefusalLine(*wrong, service);
    EXPECT_TRUE(absl::StrContains(wrong_reason, "rejected AUTH")) << wrong_reason;
    ExpectNoSecrets(Output(*wrong), {wrong_password, kRedisPassword}, service);

    auto missing = Start(service, {}, {});
    ASSERT_NE(missing, nullptr);
    const std::string missing_reason = RefusalLine(*missing, service);
    EXPECT_TRUE(absl::StrContains(missing_reason, "requires a password")) << missing_reason;
  }
}

TEST_F(ServiceSecurityTest, KafkaConfigReachesLibrdkafkaAndGuaranteeKeysAreRefused) {
  // Harmless settings: the service starts and serves with them.
  auto tuned =
      Start("inventory", {"--kafka_config=client.rack=rack-1,socket.timeout.ms=30000"}, RedisEnv());
  ASSERT_NE(tuned, nullptr);
  EXPECT_GT(WaitServing(*tuned), 0);
  ASSERT_TRUE(tuned->Terminate(absl::Seconds(30)).ok());

  const std::vector<std::pair<std::string, std::string>> refused = {
      {"enable.idempotence=false",
       "enable.idempotence cannot be set: the producer must be idempotent"},
      {"acks=1", "acks cannot be set"},
      {"client.rack=rack-1,no.such.property=1", "unknown librdkafka property no.such.property"},
      // socket.timeout.ms must be >= 10: librdkafka itself refuses, so the value reached it.
      {"socket.timeout.ms=5", "invalid value for librdkafka property socket.timeout.ms"},
  };
  for (const auto& [kafka_config, reason] : refused) {
    auto service = Start("inventory", {},
                         {{"REDIS_PASSWORD", kRedisPassword}, {"KAFKA_CONFIG", kafka_config}});
    ASSERT_NE(service, nullptr);
    const std::string line = RefusalLine(*service, "inventory");
    EXPECT_TRUE(absl::StrContains(line, reason)) << kafka_config << " -> " << line;
  }
}

TEST_F(ServiceSecurityTest, GrpcOverTlsServesTlsClientsOnlyAndMutualTlsWantsTheirCertificate) {
  absl::StatusOr<grpc_server::testing::TestTlsFiles> tls = grpc_server::testing::MakeTestTlsFiles();
  ASSERT_TRUE(tls.ok()) << tls.status();

  auto server_tls =
      Start("payment", {"--grpc_tls_cert=" + tls->server_cert, "--grpc_tls_key=" + tls->server_key},
            RedisEnv());
  ASSERT_NE(server_tls, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", WaitServing(*server_tls));
  grpc::Status with_tls = CheckHealth(grpc_server::testing::TlsChannel(address, *tls));
  EXPECT_TRUE(with_tls.ok()) << with_tls.error_message();
  EXPECT_FALSE(CheckHealth(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())).ok());
  ASSERT_TRUE(server_tls->Terminate(absl::Seconds(30)).ok());

  // The TLS files through the environment this time, with a client CA: mutual TLS.
  Env env = RedisEnv();
  env["GRPC_TLS_CERT"] = tls->server_cert;
  env["GRPC_TLS_KEY"] = tls->server_key;
  env["GRPC_TLS_CLIENT_CA"] = tls->client_cert;
  auto mutual = Start("inventory", {}, env);
  ASSERT_NE(mutual, nullptr);
  const std::string mutual_address = absl::StrCat("127.0.0.1:", WaitServing(*mutual));
  grpc::Status with_certificate = CheckHealth(
      grpc_server::testing::TlsChannel(mutual_address, *tls, tls->client_cert, tls->client_key));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_FALSE(CheckHealth(grpc_server::testing::TlsChannel(mutual_address, *tls)).ok());
  EXPECT_FALSE(
      CheckHealth(grpc::CreateChannel(mutual_address, grpc::InsecureChannelCredentials())).ok());
}

TEST_F(ServiceSecurityTest, SecretsNeverReachLogsMessagesOrPs) {
  const std::string wrong_token = "wrong-admin-token-5e9d0a3c";
  const std::string kafka_config =
      absl::StrCat("client.rack=rack-1,sasl.username=svc,sasl.password=", kSaslPassword);
  const std::vector<std::string> secrets = {kRedisPassword, kAdminToken, kSaslPassword,
                                            wrong_token};
  for (const std::string service : {"order", "inventory", "payment"}) {
    // As flags, the form that shows in ps: the service overwrites them once it has read them.
    auto process =
        Start(service,
              {absl::StrCat("--redis_password=", kRedisPassword),
               absl::StrCat("--admin_token=", kAdminToken), "--kafka_config", kafka_config},
              {});
    ASSERT_NE(process, nullptr);
    const int port = WaitServing(*process);
    ASSERT_GT(port, 0) << service;
    ExpectNoSecrets(ReadFile(absl::StrCat("/proc/", process->pid(), "/cmdline")), secrets,
                    absl::StrCat(service, "'s command line"));

    // Refused admin calls, with a wrong token and with the right one in the wrong header.
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    if (service == "inventory") {
      auto stub = orderplatform::v1::InventoryService::NewStub(channel);
      EXPECT_EQ(SetStock(*stub, wrong_token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(SetStock(*stub, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_TRUE(SetStock(*stub, kAdminToken).ok());
    } else if (service == "payment") {
      auto stub = orderplatform::v1::PaymentService::NewStub(channel);
      EXPECT_EQ(SetBehavior(*stub, wrong_token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(SetBehavior(*stub, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_TRUE(SetBehavior(*stub, kAdminToken).ok());
    }
    absl::StatusOr<int> code = process->Terminate(absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << process->StderrTail();
    ExpectNoSecrets(Output(*process), secrets, service);
  }

  // Refusals with secrets in play: a wrong Redis password, a bad setting next to a secret one.
  auto wrong_password = Start("payment", {}, {{"REDIS_PASSWORD", wrong_token}});
  ASSERT_NE(wrong_password, nullptr);
  RefusalLine(*wrong_password, "payment");
  ExpectNoSecrets(Output(*wrong_password), secrets, "a wrong Redis password's refusal");
  for (const std::string& bad : {absl::StrCat(kafka_config, ",acks=0"),
                                 absl::StrCat(kafka_config, ",sasl.mechanisms=", kAdminToken,
                                              ",security.protocol=sasl_plaintext")}) {
    auto refused =
        Start("payment", {}, {{"REDIS_PASSWORD", kRedisPassword}, {"KAFKA_CONFIG", bad}});
    ASSERT_NE(refused, nullptr);
    RefusalLine(*refused, "payment");
    ExpectNoSecrets(Output(*refused), secrets, "a Kafka setting's refusal");
  }
}

// The whole saga with a Redis password and the admin token, as the integration tests and the demo
// run it: every service reaches Redis with the password, SagaClient sends the stack's token.
TEST(StackSecurityTest, TheSagaRunsWithARedisPasswordAndTheAdminToken) {
  auto stack = testenv::Stack::Start({.redis_password = kRedisPassword});
  ASSERT_TRUE(stack.ok()) << stack.status();
  SagaClient client(stack->get());
  ASSERT_TRUE(client.SetStock("SEC-SAGA", 3).ok());
  ASSERT_TRUE(client.SetBehavior(orderplatform::v1::PaymentBehavior()).ok());
  absl::StatusOr<orderplatform::v1::Order> order =
      client.Place({.request_id = "sec-1", .lines = {{"SEC-SAGA", 2}}});
  ASSERT_TRUE(order.ok()) << order.status();
  absl::StatusOr<orderplatform::v1::Order> done =
      client.AwaitTerminal(order->order_id(), absl::Seconds(60));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status(), orderplatform::v1::CONFIRMED);
  for (const std::string& violation : CheckInvariants(
           client, {.stock_set = {{"SEC-SAGA", 3}}, .order_ids = {order->order_id()}})) {
    ADD_FAILURE() << violation;
  }

  // The stack's token is what makes the admin calls pass: without it they are refused.
  auto inventory = (*stack)->InventoryStub();
  EXPECT_EQ(SetStock(*inventory, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(SetStock(*inventory, "not-the-stack-token-0000").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto payment = (*stack)->PaymentStub();
  EXPECT_EQ(SetBehavior(*payment, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(SetBehavior(*payment, (*stack)->admin_token()).ok());
}

}  // namespace
}  // namespace orderplatform::integration
