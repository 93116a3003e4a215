#include "integration_tests/simulator/sim_redis.h"

#include <utility>

namespace orderplatform::simulator {
namespace {

constexpr absl::Duration kConnectWaitMax = absl::Seconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<SimRedis>> SimRedis::Start(const std::string& address) {
  std::unique_ptr<SimRedis> redis(new SimRedis());
  if (address.empty()) {
    absl::StatusOr<std::unique_ptr<testenv::RedisServer>> server =
        testenv::RedisServer::Start({.append_only = false});
    if (!server.ok()) return server.status();
    redis->server_ = *std::move(server);
    redis->address_ = redis->server_->address();
  } else {
    redis->address_ = address;
  }
  absl::StatusOr<redis::RedisOptions> options = redis::ParseRedisAddress(redis->address_);
  if (!options.ok()) return options.status();
  for (std::unique_ptr<redis::RedisClient>* client :
       {&redis->inventory_, &redis->payment_, &redis->checker_}) {
    absl::StatusOr<std::unique_ptr<redis::RedisClient>> connected =
        redis::RedisClient::Connect(*options, kConnectWaitMax);
    if (!connected.ok()) return connected.status();
    *client = *std::move(connected);
  }
  // One connection is enough: the simulator is single-threaded, so no two check-and-sets of
  // the order store ever overlap.
  absl::StatusOr<std::unique_ptr<order::RedisSessionPool>> pool =
      order::RedisSessionPool::Connect(*options, /*size=*/1, kConnectWaitMax);
  if (!pool.ok()) return pool.status();
  redis->order_ = *std::move(pool);
  return redis;
}

RedisConnections SimRedis::connections() const {
  return RedisConnections{.inventory = inventory_.get(),
                          .payment = payment_.get(),
                          .order = order_.get(),
                          .checker = checker_.get()};
}

}  // namespace orderplatform::simulator
