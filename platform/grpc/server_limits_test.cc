// The in-flight bounds of GrpcServer (GrpcServerOptions::threads_max and
// receive_message_bytes_max): overload is refused at once with RESOURCE_EXHAUSTED, and the
// server serves again as soon as the load is gone.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "platform/grpc/server.h"

namespace orderplatform::grpc_server {
namespace {

using orderplatform::v1::GetStockRequest;
using orderplatform::v1::InventoryService;
using orderplatform::v1::StockLevel;

// GetStock holds its thread until released (at most 30 s, so a failing test still ends).
class BlockingInventory : public InventoryService::Service {
 public:
  grpc::Status GetStock(grpc::ServerContext*, const GetStockRequest* request,
                        StockLevel* response) override {
    entered_.fetch_add(1);
    if (block_) release_.WaitForNotificationWithTimeout(absl::Seconds(30));
    response->set_sku(request->sku().substr(0, 8));
    return grpc::Status::OK;
  }

  void set_block(bool block) { block_ = block; }
  void Release() { release_.Notify(); }
  int entered() const { return entered_.load(); }

 private:
  std::atomic<bool> block_{false};
  std::atomic<int> entered_{0};
  absl::Notification release_;
};

grpc::Status GetStock(InventoryService::Stub& stub, const std::string& sku) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(40));
  GetStockRequest request;
  request.set_sku(sku);
  StockLevel level;
  return stub.GetStock(&context, request, &level);
}

std::unique_ptr<InventoryService::Stub> StubFor(const GrpcServer& server) {
  return InventoryService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                                       grpc::InsecureChannelCredentials()));
}

TEST(GrpcServerLimitsTest, CallsBeyondTheThreadBoundAreRefusedAtOnceAndTheRestComplete) {
  constexpr int kThreadsMax = 8;
  constexpr int kCalls = 32;
  BlockingInventory service;
  service.set_block(true);
  auto server = GrpcServer::Start(
      {.port = 0, .host = "127.0.0.1", .print_port = false, .threads_max = kThreadsMax},
      {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = StubFor(**server);

  std::atomic<int> exhausted{0};
  std::atomic<int> ok{0};
  std::atomic<int> other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kCalls; ++i) {
    clients.emplace_back([&] {
      const grpc::Status status = GetStock(*stub, "A");
      if (status.ok()) {
        ok.fetch_add(1);
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        exhausted.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  // Every call is either running (holding a thread) or already refused.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (service.entered() + exhausted.load() + other.load() < kCalls && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const int running = service.entered();
  EXPECT_EQ(running + exhausted.load(), kCalls);
  EXPECT_GE(running, 1);
  EXPECT_LE(running, kThreadsMax);
  service.Release();
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), running);
  EXPECT_EQ(exhausted.load(), kCalls - running);
  EXPECT_EQ(other.load(), 0);

  // The load is gone: served again.
  service.set_block(false);
  EXPECT_TRUE(GetStock(*stub, "A").ok());
  (*server)->Shutdown(absl::Seconds(1));
}

TEST(GrpcServerLimitsTest, ARequestLargerThanTheBoundNeverReachesTheHandler) {
  BlockingInventory service;
  auto server = GrpcServer::Start(
      {.port = 0, .host = "127.0.0.1", .print_port = false, .receive_message_bytes_max = 64 * 1024},
      {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = StubFor(**server);
  EXPECT_TRUE(GetStock(*stub, std::string(60 * 1024, 's')).ok());
  EXPECT_EQ(service.entered(), 1);
  EXPECT_EQ(GetStock(*stub, std::string(70 * 1024, 's')).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(service.entered(), 1);
  (*server)->Shutdown(absl::Seconds(1));
}

TEST(GrpcServerLimitsTest, RefusesBoundsBelowOne) {
  BlockingInventory service;
  EXPECT_EQ(GrpcServer::Start({.port = 0, .print_port = false, .threads_max = 0}, {&service})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orderplatform::grpc_server
