// The Redis client's degraded-path counters (RedisClientStats) as metrics, read at scrape time:
//
//   orderplatform_redis_connects_total          connections opened, the first one included
//   orderplatform_redis_connect_failures_total  attempts that did not yield a connection
//   orderplatform_redis_connection_losses_total open connections found broken
//   orderplatform_redis_script_loads_total      scripts sent with SCRIPT LOAD
//   orderplatform_redis_noscript_retries_total  EVALSHA re-sent after NOSCRIPT (Redis forgot them)
//
//   metrics::CollectorHandle redis_metrics =
//       ExportRedisClientStats(&registry, [&client] { return client->stats(); });
#ifndef ORDERPLATFORM_PLATFORM_REDIS_CLIENT_METRICS_H_
#define ORDERPLATFORM_PLATFORM_REDIS_CLIENT_METRICS_H_

#include <functional>

#include "platform/metrics/registry.h"
#include "platform/redis/client.h"

namespace orderplatform::redis {

// `stats` is called at every scrape (a pool passes the sum over its connections); whatever it
// reads must outlive the returned handle.
[[nodiscard]] metrics::CollectorHandle ExportRedisClientStats(
    metrics::Registry* registry, std::function<RedisClientStats()> stats);

}  // namespace orderplatform::redis

#endif  // ORDERPLATFORM_PLATFORM_REDIS_CLIENT_METRICS_H_
