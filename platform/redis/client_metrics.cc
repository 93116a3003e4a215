#include "platform/redis/client_metrics.h"

#include <utility>
#include <vector>

namespace orderplatform::redis {

metrics::CollectorHandle ExportRedisClientStats(metrics::Registry* registry,
                                                std::function<RedisClientStats()> stats) {
  return registry->AddCollector([stats = std::move(stats)](
                                    std::vector<metrics::FamilySnapshot>* out) {
    const RedisClientStats now = stats();
    auto add = [out](const char* name, const char* help, int64_t value) {
      metrics::FamilySnapshot family{
          .name = name, .help = help, .type = metrics::MetricType::kCounter};
      family.samples.push_back({.value = static_cast<double>(value)});
      out->push_back(std::move(family));
    };
    add("orderplatform_redis_connects_total",
        "Redis connections opened, the first one included (more than one: reconnects).",
        now.connects);
    add("orderplatform_redis_connect_failures_total",
        "Redis connection attempts that did not yield a usable connection.",
        now.connect_failures);
    add("orderplatform_redis_connection_losses_total",
        "Open Redis connections found broken (I/O error, timeout, closed by the server).",
        now.connection_losses);
    add("orderplatform_redis_script_loads_total", "Lua scripts sent to Redis with SCRIPT LOAD.",
        now.script_loads);
    add("orderplatform_redis_noscript_retries_total",
        "EVALSHA calls sent again after a NOSCRIPT reply (Redis restarted or flushed its "
        "scripts).",
        now.noscript_retries);
  });
}

}  // namespace orderplatform::redis
