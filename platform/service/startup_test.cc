// The translation from the resolved configuration to the clients' options, and the Kafka
// start-up check with the operator's librdkafka settings, against librdkafka's mock cluster.
#include "platform/service/startup.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::service {
namespace {

config::ServiceConfig ConfigWith(config::KafkaConfigList kafka_config) {
  config::ServiceConfig config;
  config.kafka_brokers = "127.0.0.1:1";
  config.redis_address = "127.0.0.1:6390";
  config.kafka_config = std::move(kafka_config);
  return config;
}

TEST(KafkaOptionsForTest, CarriesTheOperatorsSettingsToEveryClient) {
  const config::ServiceConfig config =
      ConfigWith({{"security.protocol", "SASL_SSL"}, {"sasl.password", "p"}});
  const kafka::KafkaOptions options = KafkaOptionsFor(config, "payment");
  EXPECT_EQ(options.brokers, "127.0.0.1:1");
  EXPECT_EQ(options.client_id, "orderplatform-payment");
  EXPECT_EQ(options.extra_config, config.kafka_config);
}

TEST(RedisOptionsForTest, CarriesThePassword) {
  config::ServiceConfig config = ConfigWith({});
  config.redis_password = "redis-secret";
  absl::StatusOr<redis::RedisOptions> options = RedisOptionsFor(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 6390);
  EXPECT_EQ(options->password, "redis-secret");
  config.redis_address = "no-port";
  EXPECT_EQ(RedisOptionsFor(config).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GrpcServerOptionsForTest, CarriesThePortAndTheTlsFiles) {
  config::ServiceConfig config = ConfigWith({});
  config.grpc_port = 7001;
  config.grpc_tls_cert_path = "/tls/cert.pem";
  config.grpc_tls_key_path = "/tls/key.pem";
  config.grpc_tls_client_ca_path = "/tls/ca.pem";
  const grpc_server::GrpcServerOptions options = GrpcServerOptionsFor(config);
  EXPECT_EQ(options.port, 7001);
  EXPECT_EQ(options.tls.cert_path, "/tls/cert.pem");
  EXPECT_EQ(options.tls.key_path, "/tls/key.pem");
  EXPECT_EQ(options.tls.client_ca_path, "/tls/ca.pem");
}

class WaitForKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafka::testing::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  kafka::KafkaOptions Options(config::KafkaConfigList extra) {
    return {.brokers = cluster_->bootstrap(),
            .client_id = "startup-test",
            .extra_config = std::move(extra)};
  }

  std::unique_ptr<kafka::testing::MockCluster> cluster_;
};

TEST_F(WaitForKafkaTest, HarmlessSettingsReachLibrdkafkaAndTheBrokerAnswers) {
  EXPECT_TRUE(WaitForKafka(Options({{"client.rack", "rack-1"}, {"socket.timeout.ms", "30000"}}),
                           absl::Seconds(10))
                  .ok());
}

TEST_F(WaitForKafkaTest, LibrdkafkaRefusesAnInvalidValueAndTheMessageNamesOnlyTheKey) {
  absl::Status status = WaitForKafka(
      Options({{"client.rack", "rack-1"}, {"security.protocol", "secret-looking-protocol"}}),
      absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invalid value for librdkafka property security.protocol");
  // The minimum of socket.timeout.ms is librdkafka's knowledge, not ours: the value reached it.
  status = WaitForKafka(Options({{"socket.timeout.ms", "5"}}), absl::Seconds(10));
  EXPECT_EQ(status.message(), "invalid value for librdkafka property socket.timeout.ms");
}

TEST_F(WaitForKafkaTest, AnUnknownPropertyIsRefusedAtOnce) {
  const absl::Time start = absl::Now();
  absl::Status status = WaitForKafka(Options({{"no.such.property", "x"}}), absl::Seconds(30));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "unknown librdkafka property no.such.property");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(WaitForKafkaTest, AClientLibrdkafkaCannotCreateIsRefusedWithoutQuotingValues) {
  absl::Status status = WaitForKafka(
      Options({{"security.protocol", "sasl_plaintext"}, {"sasl.mechanisms", "SECRET-MECHANISM"}}),
      absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(status.message(), "kafka client: ")) << status;
  EXPECT_FALSE(absl::StrContains(status.message(), "SECRET-MECHANISM")) << status;
}

}  // namespace
}  // namespace orderplatform::service
