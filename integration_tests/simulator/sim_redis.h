// The simulator's Redis: a redis-server of its own (without persistence: a schedule's data
// lives for milliseconds and is flushed before the next one) or an existing server given by
// address, and the distinct connections the services' stores need (see RedisConnections).
//
//   absl::StatusOr<std::unique_ptr<SimRedis>> redis = SimRedis::Start("");  // own server
//   Simulator simulator((*redis)->connections(), {});
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_REDIS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_REDIS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "integration_tests/simulator/saga_world.h"
#include "integration_tests/testenv/redis_server.h"
#include "platform/redis/client.h"
#include "services/order/redis_session_pool.h"

namespace orderplatform::simulator {

class SimRedis {
 public:
  // `address` "host:port" uses that server, which every schedule FLUSHALLs: never point it at
  // data you want to keep. Empty: starts a redis-server on a free port, stopped with this object.
  static absl::StatusOr<std::unique_ptr<SimRedis>> Start(const std::string& address);

  RedisConnections connections() const;
  std::string address() const { return address_; }

 private:
  SimRedis() = default;

  std::unique_ptr<testenv::RedisServer> server_;
  std::string address_;
  std::unique_ptr<redis::RedisClient> inventory_;
  std::unique_ptr<redis::RedisClient> payment_;
  std::unique_ptr<redis::RedisClient> checker_;
  std::unique_ptr<order::RedisSessionPool> order_;
};

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_REDIS_H_
