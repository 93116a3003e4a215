#include "services/order/redis_session_pool.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::order {

absl::StatusOr<std::unique_ptr<RedisSessionPool>> RedisSessionPool::Connect(
    const redis::RedisOptions& options, int size, absl::Duration max_wait,
    absl::Duration acquire_wait_max) {
  if (size < 1 || size > kSizeMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis connection count must be in [1, ", kSizeMax, "], got ", size));
  }
  std::vector<std::unique_ptr<redis::RedisClient>> clients;
  clients.reserve(size);
  for (int i = 0; i < size; ++i) {
    absl::StatusOr<std::unique_ptr<redis::RedisClient>> client =
        redis::RedisClient::Connect(options, max_wait);
    if (!client.ok()) return client.status();
    clients.push_back(*std::move(client));
  }
  return std::make_unique<RedisSessionPool>(std::move(clients), acquire_wait_max);
}

RedisSessionPool::RedisSessionPool(std::vector<std::unique_ptr<redis::RedisClient>> clients,
                                   absl::Duration acquire_wait_max)
    : clients_(std::move(clients)), acquire_wait_max_(acquire_wait_max) {
  if (clients_.empty()) {
    log::LogError("redis_session_pool_empty");
    std::abort();
  }
  absl::MutexLock lock(&mu_);
  for (const auto& client : clients_) free_.push_back(client.get());
}

RedisSessionPool::~RedisSessionPool() {
  absl::MutexLock lock(&mu_);
  if (free_.size() != clients_.size()) {
    // A Session outlived its pool: it would return a dangling client.
    log::LogError("redis_session_pool_destroyed_while_leased",
                  {{"leased", clients_.size() - free_.size()}});
    std::abort();
  }
}

absl::StatusOr<RedisSessionPool::Session> RedisSessionPool::Acquire() {
  absl::MutexLock lock(&mu_);
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&available), acquire_wait_max_)) {
    return absl::UnavailableError(absl::StrCat("all ", clients_.size(),
                                               " redis connections stayed busy for ",
                                               absl::FormatDuration(acquire_wait_max_)));
  }
  redis::RedisClient* client = free_.back();
  free_.pop_back();
  return Session(this, client);
}

void RedisSessionPool::Release(redis::RedisClient* client) {
  absl::MutexLock lock(&mu_);
  free_.push_back(client);
}

RedisSessionPool::Session::Session(Session&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), client_(std::exchange(other.client_, nullptr)) {}

RedisSessionPool::Session& RedisSessionPool::Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr) pool_->Release(client_);
    pool_ = std::exchange(other.pool_, nullptr);
    client_ = std::exchange(other.client_, nullptr);
  }
  return *this;
}

RedisSessionPool::Session::~Session() {
  if (pool_ != nullptr) pool_->Release(client_);
}

redis::RedisClientStats RedisSessionPool::stats() const {
  redis::RedisClientStats total;
  for (const std::unique_ptr<redis::RedisClient>& client : clients_) {
    const redis::RedisClientStats one = client->stats();
    total.connects += one.connects;
    total.connect_failures += one.connect_failures;
    total.connection_losses += one.connection_losses;
    total.script_loads += one.script_loads;
    total.noscript_retries += one.noscript_retries;
  }
  return total;
}

}  // namespace orderplatform::order
