#include "platform/config/service_config.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orderplatform::config {
namespace {

TEST(ResolveSettingTest, GivenFlagWinsOverEnvironment) {
  EXPECT_EQ(ResolveSetting("flag:1", "env:2", "default:3"), "flag:1");
}

TEST(ResolveSettingTest, EnvironmentWinsOverFallback) {
  EXPECT_EQ(ResolveSetting("", "env:2", "default:3"), "env:2");
}

TEST(ResolveSettingTest, EmptyOrMissingEnvironmentFallsBackToDefault) {
  EXPECT_EQ(ResolveSetting("", "", "default:3"), "default:3");
  EXPECT_EQ(ResolveSetting("", std::nullopt, "default:3"), "default:3");
}

TEST(LoadServiceConfigTest, GivenFlagsWinOverEnvironment) {
  setenv("REDIS_ADDR", "env-redis:6379", 1);
  setenv("GRPC_PORT", "7001", 1);
  absl::SetFlag(&FLAGS_redis, "flag-redis:6380");
  absl::SetFlag(&FLAGS_grpc_port, 0);
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({.grpc_port = 50051});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis_address, "flag-redis:6380");
  EXPECT_EQ(config->grpc_port, 0);
  absl::SetFlag(&FLAGS_redis, "");
  absl::SetFlag(&FLAGS_grpc_port, -1);
  unsetenv("REDIS_ADDR");
  unsetenv("GRPC_PORT");
}

TEST(LoadServiceConfigTest, ReadsContractEnvironmentVariables) {
  setenv("KAFKA_BROKERS", "k1:9092,k2:9092", 1);
  setenv("REDIS_ADDR", "redis:6379", 1);
  setenv("GRPC_PORT", "7001", 1);
  absl::StatusOr<ServiceConfig> config =
      LoadServiceConfig({.consumer_group = "orderplatform.order", .grpc_port = 50051});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->kafka_brokers, "k1:9092,k2:9092");
  EXPECT_EQ(config->redis_address, "redis:6379");
  EXPECT_EQ(config->grpc_port, 7001);
  EXPECT_EQ(config->consumer_group, "orderplatform.order");
  unsetenv("KAFKA_BROKERS");
  unsetenv("REDIS_ADDR");
  unsetenv("GRPC_PORT");
}

TEST(LoadServiceConfigTest, UsesServiceDefaultPortWithoutFlagOrEnv) {
  unsetenv("GRPC_PORT");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({.grpc_port = 50052});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->grpc_port, 50052);
}

TEST(LoadServiceConfigTest, RejectsMalformedPort) {
  setenv("GRPC_PORT", "abc", 1);
  EXPECT_EQ(LoadServiceConfig({}).status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv("GRPC_PORT");
}

TEST(LoadServiceConfigTest, MetricsAreOffWithoutFlagOrEnv) {
  unsetenv("METRICS_PORT");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_port, kMetricsOff);
}

TEST(LoadServiceConfigTest, MetricsPortFromFlagThenEnvironment) {
  setenv("METRICS_PORT", "9462", 1);
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_port, 9462);

  absl::SetFlag(&FLAGS_metrics_port, 0);  // given: wins, and 0 means "pick one"
  config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_port, 0);
  absl::SetFlag(&FLAGS_metrics_port, -1);

  setenv("METRICS_PORT", "-1", 1);  // turns off what an image's environment turned on
  config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_port, kMetricsOff);
  unsetenv("METRICS_PORT");
}

TEST(LoadServiceConfigTest, RejectsMalformedOrCollidingMetricsPort) {
  for (const char* bad : {"abc", "-2", "65536", "9090x"}) {
    setenv("METRICS_PORT", bad, 1);
    EXPECT_EQ(LoadServiceConfig({}).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  setenv("METRICS_PORT", "7001", 1);
  setenv("GRPC_PORT", "7001", 1);
  EXPECT_EQ(LoadServiceConfig({}).status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv("GRPC_PORT");
  unsetenv("METRICS_PORT");
}

TEST(LoadServiceConfigTest, ConsumerGroupFlagOverridesDefault) {
  absl::SetFlag(&FLAGS_consumer_group, "custom.group");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({.consumer_group = "orderplatform.payment"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->consumer_group, "custom.group");
  absl::SetFlag(&FLAGS_consumer_group, "");
}

TEST(LoadServiceConfigTest, SecretsComeFromTheEnvironment) {
  setenv("REDIS_PASSWORD", "redis-secret", 1);
  setenv("ADMIN_TOKEN", "0123456789abcdef-token", 1);
  setenv("KAFKA_CONFIG", "security.protocol=SASL_PLAINTEXT,sasl.password=kafka-secret", 1);
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis_password, "redis-secret");
  EXPECT_EQ(config->admin_token, "0123456789abcdef-token");
  EXPECT_EQ(config->kafka_config, (KafkaConfigList{{"security.protocol", "SASL_PLAINTEXT"},
                                                   {"sasl.password", "kafka-secret"}}));
  unsetenv("REDIS_PASSWORD");
  unsetenv("ADMIN_TOKEN");
  unsetenv("KAFKA_CONFIG");
}

TEST(LoadServiceConfigTest, GivenSecretFlagsWinOverTheEnvironment) {
  setenv("REDIS_PASSWORD", "env-password", 1);
  setenv("ADMIN_TOKEN", "env-token-0123456789", 1);
  setenv("KAFKA_CONFIG", "client.rack=env", 1);
  absl::SetFlag(&FLAGS_redis_password, "flag-password");
  absl::SetFlag(&FLAGS_admin_token, "flag-token-0123456789");
  absl::SetFlag(&FLAGS_kafka_config, "client.rack=flag");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis_password, "flag-password");
  EXPECT_EQ(config->admin_token, "flag-token-0123456789");
  EXPECT_EQ(config->kafka_config, (KafkaConfigList{{"client.rack", "flag"}}));
  absl::SetFlag(&FLAGS_redis_password, "");
  absl::SetFlag(&FLAGS_admin_token, "");
  absl::SetFlag(&FLAGS_kafka_config, "");
  unsetenv("REDIS_PASSWORD");
  unsetenv("ADMIN_TOKEN");
  unsetenv("KAFKA_CONFIG");
}

TEST(LoadServiceConfigTest, NoSecretsByDefault) {
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis_password, "");
  EXPECT_EQ(config->admin_token, "");
  EXPECT_TRUE(config->kafka_config.empty());
  EXPECT_EQ(config->grpc_tls_cert_path, "");
}

TEST(LoadServiceConfigTest, RefusesAWeakAdminTokenWithoutEchoingIt) {
  for (const char* token : {"short-token", "has a space in it ok?", "tab\tinside-0123456789"}) {
    setenv("ADMIN_TOKEN", token, 1);
    absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_TRUE(absl::StrContains(config.status().message(), "admin token")) << config.status();
    EXPECT_FALSE(absl::StrContains(config.status().message(), token)) << config.status();
  }
  unsetenv("ADMIN_TOKEN");
}

TEST(LoadServiceConfigTest, RefusesAGuaranteeKeyInKafkaConfigWithItsReason) {
  setenv("KAFKA_CONFIG", "sasl.password=do-not-print,enable.idempotence=false", 1);
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(config.status().message(), "enable.idempotence cannot be set"))
      << config.status();
  EXPECT_FALSE(absl::StrContains(config.status().message(), "do-not-print")) << config.status();
  unsetenv("KAFKA_CONFIG");
}

// An empty file at a fresh path under the test's temp dir.
std::string TempFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  std::ofstream(path) << "";
  return path;
}

TEST(LoadServiceConfigTest, ReadsTlsFilesFromFlagsOrEnvironment) {
  const std::string env_cert = TempFile("env-cert.pem");
  const std::string flag_key = TempFile("flag-key.pem");
  const std::string env_ca = TempFile("env-ca.pem");
  setenv("GRPC_TLS_CERT", env_cert.c_str(), 1);
  setenv("GRPC_TLS_KEY", "/env/key.pem", 1);
  setenv("GRPC_TLS_CLIENT_CA", env_ca.c_str(), 1);
  absl::SetFlag(&FLAGS_grpc_tls_key, flag_key);
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->grpc_tls_cert_path, env_cert);
  EXPECT_EQ(config->grpc_tls_key_path, flag_key);
  EXPECT_EQ(config->grpc_tls_client_ca_path, env_ca);
  absl::SetFlag(&FLAGS_grpc_tls_key, "");
  unsetenv("GRPC_TLS_CERT");
  unsetenv("GRPC_TLS_KEY");
  unsetenv("GRPC_TLS_CLIENT_CA");
}

TEST(LoadServiceConfigTest, TlsCertAndKeyGoTogetherAndClientCaNeedsThem) {
  const std::string file = TempFile("tls.pem");
  absl::SetFlag(&FLAGS_grpc_tls_cert, file);
  EXPECT_TRUE(absl::StrContains(LoadServiceConfig({}).status().message(), "go together"));
  absl::SetFlag(&FLAGS_grpc_tls_cert, "");
  absl::SetFlag(&FLAGS_grpc_tls_key, file);
  EXPECT_TRUE(absl::StrContains(LoadServiceConfig({}).status().message(), "go together"));
  absl::SetFlag(&FLAGS_grpc_tls_key, "");
  absl::SetFlag(&FLAGS_grpc_tls_client_ca, file);
  EXPECT_TRUE(absl::StrContains(LoadServiceConfig({}).status().message(), "needs --grpc_tls_cert"));
  absl::SetFlag(&FLAGS_grpc_tls_client_ca, "");
}

TEST(LoadServiceConfigTest, RefusesAnUnreadableTlsFileBeforeAnythingConnects) {
  const std::string cert = TempFile("cert.pem");
  absl::SetFlag(&FLAGS_grpc_tls_cert, cert);
  absl::SetFlag(&FLAGS_grpc_tls_key, "/no/such/key.pem");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(config.status().message(), "--grpc_tls_key file /no/such/key.pem"))
      << config.status();
  absl::SetFlag(&FLAGS_grpc_tls_cert, "");
  absl::SetFlag(&FLAGS_grpc_tls_key, "");
}

// A mutable argv, as main() gets it.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : storage_(std::move(args)) {
    for (std::string& arg : storage_) pointers_.push_back(arg.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }
  std::string operator[](int i) const { return pointers_[i]; }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

TEST(HideSecretFlagValuesTest, OverwritesSecretValuesInEveryFlagForm) {
  Argv args({"service", "--redis=127.0.0.1:6379", "--redis_password=pw1", "-admin_token=tok2",
             "--kafka_config", "sasl.password=k3", "-redis_password", "pw4", "--grpc_port=0",
             "--", "--admin_token=positional"});
  HideSecretFlagValues(args.argc(), args.argv());
  EXPECT_EQ(args[1], "--redis=127.0.0.1:6379");
  EXPECT_EQ(args[2], "--redis_password=***");
  EXPECT_EQ(args[3], "-admin_token=****");
  EXPECT_EQ(args[4], "--kafka_config");
  EXPECT_EQ(args[5], "****************");
  EXPECT_EQ(args[6], "-redis_password");
  EXPECT_EQ(args[7], "***");
  EXPECT_EQ(args[8], "--grpc_port=0");
  EXPECT_EQ(args[10], "--admin_token=positional");  // after "--" it is not a flag
}

TEST(HideSecretFlagValuesTest, ATrailingFlagWithoutValueIsLeftAlone) {
  Argv args({"service", "--admin_token"});
  HideSecretFlagValues(args.argc(), args.argv());
  EXPECT_EQ(args[1], "--admin_token");
}

}  // namespace
}  // namespace orderplatform::config
