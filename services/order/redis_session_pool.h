// A fixed set of Redis connections, each lent to one caller at a time.
//
// Why: WATCH/MULTI/EXEC state lives on a connection. RedisClient serializes single commands and
// pipelines, but a check-and-set spans two round trips (WATCH + read, then MULTI..EXEC); on a
// shared connection another thread's EXEC, UNWATCH or MULTI would land in between and silently
// drop the watch. A leased session has its connection to itself for the whole sequence.
//
//   auto pool = RedisSessionPool::Connect(options, /*size=*/8, absl::Seconds(15));
//   absl::StatusOr<RedisSessionPool::Session> session = (*pool)->Acquire();
//   if (!session.ok()) return session.status();           // UNAVAILABLE: all busy too long
//   (*session)->Pipeline({{"WATCH", key}, {"HGETALL", key}});
//   ...                                                    // returned when `session` goes away
//
// Remaining gap (see docs/ORDER_SERVICE.md): RedisClient reconnects by itself when it finds a
// connection that sat idle for idle_check_after (200 ms) closed by the server, and would then
// run the MULTI..EXEC on a fresh, unwatched connection. A check-and-set is never idle that long
// between WATCH and EXEC (a connection closed in between fails the EXEC with UNAVAILABLE and the
// caller retries), but a stalled process could be. Callers detect it afterwards through
// stats().connects (order_store.cc counts and logs it); closing it fully needs a RedisClient call
// that runs WATCH..EXEC without reconnecting.
#ifndef ORDERPLATFORM_SERVICES_ORDER_REDIS_SESSION_POOL_H_
#define ORDERPLATFORM_SERVICES_ORDER_REDIS_SESSION_POOL_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "platform/redis/client.h"

namespace orderplatform::order {

class RedisSessionPool {
 public:
  static constexpr int kSizeMax = 256;

  // Opens `size` connections, each waiting at most `max_wait` (the first one waits for Redis;
  // the rest then connect at once). UNAVAILABLE with RedisClient's reason when Redis stays away.
  static absl::StatusOr<std::unique_ptr<RedisSessionPool>> Connect(
      const redis::RedisOptions& options, int size, absl::Duration max_wait,
      absl::Duration acquire_wait_max = absl::Seconds(2));

  // At least one client; each must be used only through this pool from now on.
  RedisSessionPool(std::vector<std::unique_ptr<redis::RedisClient>> clients,
                   absl::Duration acquire_wait_max);
  ~RedisSessionPool();

  RedisSessionPool(const RedisSessionPool&) = delete;
  RedisSessionPool& operator=(const RedisSessionPool&) = delete;

  // A leased connection; returns it to the pool when destroyed. Move-only.
  class Session {
   public:
    Session(Session&& other) noexcept;
    Session& operator=(Session&& other) noexcept;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();

    redis::RedisClient* operator->() const { return client_; }
    redis::RedisClient& operator*() const { return *client_; }

   private:
    friend class RedisSessionPool;
    Session(RedisSessionPool* pool, redis::RedisClient* client) : pool_(pool), client_(client) {}

    RedisSessionPool* pool_;
    redis::RedisClient* client_;
  };

  // Waits at most acquire_wait_max for a free connection, then UNAVAILABLE (overloaded: retry).
  absl::StatusOr<Session> Acquire() ABSL_LOCKS_EXCLUDED(mu_);

  int size() const { return static_cast<int>(clients_.size()); }

  // The counters of every connection, summed (for the metrics).
  redis::RedisClientStats stats() const;

 private:
  void Release(redis::RedisClient* client) ABSL_LOCKS_EXCLUDED(mu_);

  const std::vector<std::unique_ptr<redis::RedisClient>> clients_;
  const absl::Duration acquire_wait_max_;
  absl::Mutex mu_;
  std::vector<redis::RedisClient*> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orderplatform::order

#endif  // ORDERPLATFORM_SERVICES_ORDER_REDIS_SESSION_POOL_H_
