#include "platform/redis/client_metrics.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::redis {
namespace {

double Value(const metrics::Registry& registry, absl::string_view name) {
  for (const metrics::FamilySnapshot& family : registry.Collect()) {
    if (family.name == name && family.samples.size() == 1) return family.samples[0].value;
  }
  return -1;
}

TEST(RedisClientMetricsTest, ExportsTheClientsCountersAtScrapeTime) {
  auto server = testenv::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = RedisClient::Connect({.host = (*server)->host(), .port = (*server)->port()},
                                     absl::Seconds(5));
  ASSERT_TRUE(client.ok()) << client.status();
  metrics::Registry registry;
  metrics::CollectorHandle exported =
      ExportRedisClientStats(&registry, [&client] { return (*client)->stats(); });
  EXPECT_EQ(Value(registry, "orderplatform_redis_connects_total"), 1);
  EXPECT_EQ(Value(registry, "orderplatform_redis_script_loads_total"), 0);

  const LuaScript script{"answer", "return 42"};
  ASSERT_TRUE((*client)->EvalSha(script, {}, {}).ok());
  ASSERT_TRUE((*client)->Command({"SCRIPT", "FLUSH"}).ok());
  ASSERT_TRUE((*client)->EvalSha(script, {}, {}).ok());  // NOSCRIPT, loaded again
  EXPECT_EQ(Value(registry, "orderplatform_redis_script_loads_total"), 2);
  EXPECT_EQ(Value(registry, "orderplatform_redis_noscript_retries_total"), 1);
  EXPECT_EQ(Value(registry, "orderplatform_redis_connection_losses_total"), 0);
  EXPECT_EQ(Value(registry, "orderplatform_redis_connect_failures_total"), 0);
}

}  // namespace
}  // namespace orderplatform::redis
