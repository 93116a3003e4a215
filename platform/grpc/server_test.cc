#include "platform/grpc/server.h"

#include <chrono>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "integration_tests/testenv/process.h"
#include "platform/grpc/testing/test_tls.h"

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

// The health check's status on `channel`, with a deadline so a refused handshake cannot hang.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response);
}

std::shared_ptr<grpc::Channel> PlaintextChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

class GrpcServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TestTlsFiles> files = testing::MakeTestTlsFiles();
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *std::move(files);
  }

  std::unique_ptr<GrpcServer> StartServer(GrpcTlsFiles tls) {
    auto server =
        GrpcServer::Start({.port = 0, .host = "127.0.0.1", .print_port = false, .tls = tls}, {});
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    (*server)->SetServing(true);
    return *std::move(server);
  }

  std::string Address(const GrpcServer& server) {
    return absl::StrCat("127.0.0.1:", server.port());
  }

  testing::TestTlsFiles files_;
};

TEST_F(GrpcServerTlsTest, ATlsClientThatTrustsTheCertificateIsServedAndAPlaintextOneIsNot) {
  std::unique_ptr<GrpcServer> server =
      StartServer({.cert_path = files_.server_cert, .key_path = files_.server_key});
  ASSERT_NE(server, nullptr);
  grpc::Status tls = CheckHealth(testing::TlsChannel(Address(*server), files_));
  EXPECT_TRUE(tls.ok()) << tls.error_message();
  EXPECT_FALSE(CheckHealth(PlaintextChannel(server->port())).ok());
}

TEST_F(GrpcServerTlsTest, AClientThatDoesNotTrustTheCertificateIsRefused) {
  std::unique_ptr<GrpcServer> server =
      StartServer({.cert_path = files_.stranger_cert, .key_path = files_.stranger_key});
  ASSERT_NE(server, nullptr);
  // The client trusts files_.server_cert only.
  EXPECT_FALSE(CheckHealth(testing::TlsChannel(Address(*server), files_)).ok());
}

TEST_F(GrpcServerTlsTest, MutualTlsServesOnlyClientsWithACertificateTheClientCaSigned) {
  std::unique_ptr<GrpcServer> server = StartServer({.cert_path = files_.server_cert,
                                                    .key_path = files_.server_key,
                                                    .client_ca_path = files_.client_cert});
  ASSERT_NE(server, nullptr);
  grpc::Status with_certificate = CheckHealth(
      testing::TlsChannel(Address(*server), files_, files_.client_cert, files_.client_key));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_FALSE(CheckHealth(testing::TlsChannel(Address(*server), files_)).ok());
  EXPECT_FALSE(CheckHealth(testing::TlsChannel(Address(*server), files_, files_.stranger_cert,
                                               files_.stranger_key))
                   .ok());
  EXPECT_FALSE(CheckHealth(PlaintextChannel(server->port())).ok());
}

TEST_F(GrpcServerTlsTest, RefusesIncompleteOrUnreadableFilesNamingThemButNotTheirContents) {
  const std::string not_pem = absl::StrCat(testenv::MakeTempDir("not-pem"), "/key.txt");
  std::ofstream(not_pem) << "secret-looking-bytes";
  const std::vector<GrpcTlsFiles> bad = {
      {.cert_path = files_.server_cert},
      {.key_path = files_.server_key},
      {.client_ca_path = files_.client_cert},
      {.cert_path = files_.server_cert, .key_path = "/no/such/key.pem"},
      {.cert_path = files_.server_cert, .key_path = not_pem},
      {.cert_path = files_.server_cert, .key_path = files_.server_key,
       .client_ca_path = "/no/such/ca.pem"},
  };
  for (const GrpcTlsFiles& tls : bad) {
    auto server =
        GrpcServer::Start({.port = 0, .host = "127.0.0.1", .print_port = false, .tls = tls}, {});
    ASSERT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << tls.cert_path << " " << tls.key_path << " " << tls.client_ca_path;
    EXPECT_FALSE(absl::StrContains(server.status().message(), "secret-looking-bytes"));
    EXPECT_FALSE(absl::StrContains(server.status().message(), "PRIVATE KEY"));
  }
  auto missing = GrpcServer::Start(
      {.port = 0, .print_port = false,
       .tls = {.cert_path = files_.server_cert, .key_path = "/no/such/key.pem"}},
      {});
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "/no/such/key.pem"))
      << missing.status();
}

TEST_F(GrpcServerTlsTest, AKeyThatDoesNotBelongToTheCertificateCannotListen) {
  auto server = GrpcServer::Start(
      {.port = 0, .host = "127.0.0.1", .print_port = false,
       .tls = {.cert_path = files_.server_cert, .key_path = files_.client_key}},
      {});
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "with TLS")) << server.status();
}

}  // namespace
}  // namespace orderplatform::grpc_server
