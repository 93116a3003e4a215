#include "platform/grpc/server_metrics.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "platform/grpc/server.h"

namespace orderplatform::grpc_server {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

TEST(SplitMethodNameTest, ServiceAndMethod) {
  EXPECT_EQ(SplitMethodName("/orderplatform.v1.OrderService/PlaceOrder"),
            std::make_pair(std::string("orderplatform.v1.OrderService"),
                           std::string("PlaceOrder")));
  for (const char* odd : {"", "/", "PlaceOrder", "/OnlyService", "/a/b/c", "//m", "/s/"}) {
    EXPECT_EQ(SplitMethodName(odd), std::make_pair(std::string("unknown"), std::string("unknown")))
        << odd;
  }
}

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = GrpcServer::Start(
        {.port = 0, .host = "127.0.0.1", .print_port = false, .metrics = &registry_}, {});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->SetServing(true);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  grpc::Status Check(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    return Health::NewStub(channel_)->Check(&context, request, &response);
  }

  const metrics::Sample* Find(absl::string_view name, const std::vector<std::string>& labels) {
    snapshot_ = registry_.Collect();
    for (const metrics::FamilySnapshot& family : snapshot_) {
      if (family.name != name) continue;
      for (const metrics::Sample& sample : family.samples) {
        if (sample.label_values == labels) return &sample;
      }
    }
    return nullptr;
  }

  metrics::Registry registry_;
  std::vector<metrics::FamilySnapshot> snapshot_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServerMetricsTest, CallsAreCountedByCodeAndTimed) {
  ASSERT_TRUE(Check("").ok());
  ASSERT_TRUE(Check("").ok());
  ASSERT_EQ(Check("no.such.Service").error_code(), grpc::StatusCode::NOT_FOUND);

  const metrics::Sample* ok = Find("orderplatform_grpc_server_handled_total",
                                   {"grpc.health.v1.Health", "Check", "OK"});
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->value, 2);
  const metrics::Sample* not_found = Find("orderplatform_grpc_server_handled_total",
                                          {"grpc.health.v1.Health", "Check", "NOT_FOUND"});
  ASSERT_NE(not_found, nullptr);
  EXPECT_EQ(not_found->value, 1);
  const metrics::Sample* latency =
      Find("orderplatform_grpc_server_handling_seconds", {"grpc.health.v1.Health", "Check"});
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->histogram.count, 3u);
  EXPECT_GT(latency->histogram.sum, 0);
  EXPECT_LT(latency->histogram.sum, 15);
}

TEST_F(ServerMetricsTest, UnregisteredMethodsShareOneSeries) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty("");  // a request must be a valid buffer, even an empty one
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  bool done = false;
  absl::Mutex mu;
  stub.UnaryCall(&context, "/made.up.Service/Nope", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   absl::MutexLock lock(&mu);
                   status = std::move(s);
                   done = true;
                 });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // Counted, but under one shared series: a client cannot add series by inventing names.
  const metrics::Sample* unknown = Find("orderplatform_grpc_server_handled_total",
                                        {"unknown", "unknown", "UNIMPLEMENTED"});
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->value, 1);
  EXPECT_EQ(Find("orderplatform_grpc_server_handled_total",
                 {"made.up.Service", "Nope", "UNIMPLEMENTED"}),
            nullptr);
}

}  // namespace
}  // namespace orderplatform::grpc_server
