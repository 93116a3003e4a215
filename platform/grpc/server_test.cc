#include "platform/grpc/server.h"

#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace orderplatform::grpc_server {
namespace {

TEST(GrpcServerTest, PicksAFreePortAndServesHealth) {
  auto server = GrpcServer::Start({.port = 0, .host = "127.0.0.1", .print_port = false}, {});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  (*server)->SetServing(true);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  (*server)->SetServing(false);
  grpc::ClientContext context2;
  ASSERT_TRUE(stub->Check(&context2, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

}  // namespace
}  // namespace orderplatform::grpc_server
