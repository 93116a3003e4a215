#include "platform/grpc/server.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "platform/grpc/server_metrics.h"
#include "platform/log/log.h"

namespace orderplatform::grpc_server {
namespace {

// Reads a PEM file. The message names the file and what it is for, never what it holds: a key
// file's contents are a secret, and a misplaced one may be too.
absl::StatusOr<std::string> ReadPemFile(absl::string_view what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the TLS ", what, " file ", path, ": ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  // gRPC would only say "handshaker factory creation failed" at listen time.
  if (!absl::StrContains(contents.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the TLS ", what, " file ", path, " holds no PEM block"));
  }
  return contents.str();
}

absl::string_view TlsMode(const GrpcTlsFiles& tls) {
  if (!tls.enabled()) return "off";
  return tls.client_ca_path.empty() ? "server" : "mutual";
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const GrpcTlsFiles& tls) {
  if (!tls.enabled()) {
    if (!tls.client_ca_path.empty()) {
      return absl::InvalidArgumentError("a TLS client CA needs a server certificate and key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_path.empty() || tls.key_path.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and its private key");
  }
  absl::StatusOr<std::string> cert = ReadPemFile("certificate", tls.cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile("private key", tls.key_path);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_path.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_path.empty()) {
    absl::StatusOr<std::string> client_ca = ReadPemFile("client CA", tls.client_ca_path);
    if (!client_ca.ok()) return client_ca.status();
    options.pem_root_certs = *std::move(client_ca);
  }
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<grpc::Service*>& services) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(options.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  if (options.threads_max < 1 || options.receive_message_bytes_max < 1) {
    return absl::InvalidArgumentError("threads_max and receive_message_bytes_max must be >= 1");
  }
  grpc::ResourceQuota quota("orderplatform-grpc-server");
  quota.SetMaxThreads(options.threads_max);

  grpc::ServerBuilder builder;
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(options.receive_message_bytes_max);
  int selected_port = 0;
  builder.AddListeningPort(absl::StrCat(options.host, ":", options.port), *credentials,
                           &selected_port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (options.metrics != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(std::make_unique<MetricsInterceptorFactory>(options.metrics));
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.host, ":", options.port,
        options.tls.enabled() ? " with TLS (is the port free, and do the certificate and key "
                                "belong together?)"
                              : ""));
  }
  if (options.print_port) {
    // A line of its own on stdout, flushed now: tests wait for it before connecting.
    std::printf("grpc_port=%d\n", selected_port);
    std::fflush(stdout);
  }
  log::LogInfo("grpc_listening",
               {{"port", selected_port},
                {"tls", TlsMode(options.tls)},
                {"threads_max", options.threads_max},
                {"receive_message_bytes_max", options.receive_message_bytes_max}});
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), selected_port));
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) health->SetServingStatus(serving);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace orderplatform::grpc_server
