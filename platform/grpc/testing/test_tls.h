// TEST-ONLY certificates and keys, made with the `openssl` command in a fresh temp dir each time a
// test asks (tools/setup.sh installs it), so no key material is committed. Every certificate is
// self-signed for `localhost` and 127.0.0.1 and valid for two days, and so serves as its own CA.
//
//   absl::StatusOr<TestTlsFiles> tls = MakeTestTlsFiles();
//   GrpcServer::Start({.tls = {.cert_path = tls->server_cert, .key_path = tls->server_key}}, ...);
//   auto channel = TlsChannel(address, *tls, /*client_certificate=*/false);
#ifndef ORDERPLATFORM_PLATFORM_GRPC_TESTING_TEST_TLS_H_
#define ORDERPLATFORM_PLATFORM_GRPC_TESTING_TEST_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace orderplatform::grpc_server::testing {

// Paths of PEM files.
struct TestTlsFiles {
  std::string server_cert;  // the server's certificate, and the CA its clients trust
  std::string server_key;
  std::string client_cert;  // a client's certificate, and the client CA a mutual-TLS server trusts
  std::string client_key;
  std::string stranger_cert;  // a client certificate no server trusts
  std::string stranger_key;
};

absl::StatusOr<TestTlsFiles> MakeTestTlsFiles();

// A channel to `address` (HOST:PORT) over TLS that trusts `files.server_cert`, presenting
// `client_cert_path`/`client_key_path` when they are given.
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const TestTlsFiles& files,
                                          const std::string& client_cert_path = "",
                                          const std::string& client_key_path = "");

// A file's contents; empty when it cannot be read.
std::string ReadTextFile(const std::string& path);

}  // namespace orderplatform::grpc_server::testing

#endif  // ORDERPLATFORM_PLATFORM_GRPC_TESTING_TEST_TLS_H_
