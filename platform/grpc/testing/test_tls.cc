#include "platform/grpc/testing/test_tls.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "integration_tests/testenv/process.h"

namespace orderplatform::grpc_server::testing {
namespace {

// One self-signed EC certificate (fast to make) with its key; openssl's output goes to a log
// file that the error quotes.
absl::Status MakeSelfSigned(const std::string& dir, const std::string& name, std::string* cert,
                            std::string* key) {
  *cert = absl::StrCat(dir, "/", name, ".crt");
  *key = absl::StrCat(dir, "/", name, ".key");
  const std::string log = absl::StrCat(dir, "/", name, ".openssl.log");
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2",
      " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1", " -keyout '", *key,
      "' -out '", *cert, "' >'", log, "' 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(
        "openssl could not make a test certificate (is it installed? tools/setup.sh): ",
        ReadTextFile(log)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TestTlsFiles> MakeTestTlsFiles() {
  const std::string dir = testenv::MakeTempDir("test-tls");
  TestTlsFiles files;
  for (auto [name, cert, key] :
       {std::tuple{"server", &files.server_cert, &files.server_key},
        std::tuple{"client", &files.client_cert, &files.client_key},
        std::tuple{"stranger", &files.stranger_cert, &files.stranger_key}}) {
    if (absl::Status made = MakeSelfSigned(dir, name, cert, key); !made.ok()) return made;
  }
  return files;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const TestTlsFiles& files,
                                          const std::string& client_cert_path,
                                          const std::string& client_key_path) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadTextFile(files.server_cert);
  if (!client_cert_path.empty()) {
    options.pem_cert_chain = ReadTextFile(client_cert_path);
    options.pem_private_key = ReadTextFile(client_key_path);
  }
  grpc::ChannelArguments arguments;
  // The certificates name localhost; the tests dial 127.0.0.1 to avoid an IPv6 detour.
  arguments.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), arguments);
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace orderplatform::grpc_server::testing
