#include "platform/config/service_config.h"

#include <cstdlib>

#include "absl/flags/flag.h"
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

TEST(LoadServiceConfigTest, ConsumerGroupFlagOverridesDefault) {
  absl::SetFlag(&FLAGS_consumer_group, "custom.group");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig({.consumer_group = "orderplatform.payment"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->consumer_group, "custom.group");
  absl::SetFlag(&FLAGS_consumer_group, "");
}

}  // namespace
}  // namespace orderplatform::config
