// RedisClient: the platform's one way to talk to Redis. A blocking client over one hiredis
// connection, safe to share between threads (an internal mutex serializes the connection), that
// reconnects by itself with exponential backoff and runs Lua scripts by SHA, reloading them when
// Redis has forgotten them (NOSCRIPT after SCRIPT FLUSH or a restart).
//
//   ASSIGN_OR_RETURN(RedisOptions options, ParseRedisAddress(flag_redis));
//   ASSIGN_OR_RETURN(std::unique_ptr<RedisClient> redis,
//                    RedisClient::Connect(options, absl::Seconds(10)));  // refuse to start after
//   ASSIGN_OR_RETURN(RedisReply reply, redis->Command({"HGET", "order:o-1", "status"}));
//
//   static const LuaScript kReserve{"reserve", kReserveLuaSource};
//   ASSIGN_OR_RETURN(RedisReply outcome, redis->EvalSha(kReserve, {"stock:sku-1"}, {"2"}));
//
// Status codes carry retry meaning (see /work/shared/style.md):
//   OK + reply.is_error()  Redis answered with an error reply (-ERR, a script's error_reply): an
//                          answer, not a failure of the client.
//   UNAVAILABLE            connection refused, lost, or no reply within command_timeout. The
//                          command may or may not have run; call again (handlers are idempotent).
//   UNAUTHENTICATED        the password is wrong or missing; retrying does not help.
//   INVALID_ARGUMENT       the caller is wrong (empty command, a script that does not compile).
//
// Nothing is retried behind the caller's back except EVALSHA after NOSCRIPT, which is safe because
// a NOSCRIPT call did not run. Request/reply commands only: no SUBSCRIBE or MONITOR, whose unasked
// replies would break the one-reply-per-command rhythm. A call waits for the one connection, so a
// slow command (or a reconnect backoff) delays the other threads' calls too.
#ifndef ORDERPLATFORM_PLATFORM_REDIS_CLIENT_H_
#define ORDERPLATFORM_PLATFORM_REDIS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "platform/redis/reply.h"

struct redisContext;  // hiredis; only client.cc sees its definition

namespace orderplatform::redis {

struct RedisOptions {
  std::string host;
  int port = 6379;
  std::string password;  // empty: no AUTH. Never logged.
  absl::Duration connect_timeout = absl::Seconds(1);  // one TCP connect + AUTH + PING
  absl::Duration command_timeout = absl::Seconds(2);  // socket read/write timeout per command
  // The first call after a connection is lost reconnects at once. If that attempt fails, the next
  // one waits reconnect_backoff_initial, and every further failure doubles the wait, up to the
  // max. A call made during the wait sleeps it out (so a caller that retries in a loop is paced by
  // the client, not a hot loop), then makes one attempt.
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Seconds(2);
  // A connection unused for this long is checked (poll) for a close by the server before the
  // next call, so a restart while idle costs the caller nothing. One in steady use is not
  // checked: a poll per call was 4-5% of a busy service's CPU, and the call after a restart
  // fails at worst (UNAVAILABLE, which callers retry).
  absl::Duration idle_check_after = absl::Milliseconds(200);
};

// "host:port" or "[ipv6]:port" (the services' --redis flag and REDIS_ADDR) into options with the
// default timeouts. INVALID_ARGUMENT for anything else.
absl::StatusOr<RedisOptions> ParseRedisAddress(absl::string_view address);

// A Lua script, identified by its source; `name` only appears in messages and logs.
struct LuaScript {
  std::string name;
  std::string source;
};

struct ScriptCall {
  const LuaScript* script = nullptr;  // must outlive the call
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Counters for the degraded paths, to be exported as metrics. Monotonic.
struct RedisClientStats {
  int64_t connects = 0;           // connections opened, the first one included
  int64_t connect_failures = 0;   // attempts that did not yield a usable connection
  int64_t connection_losses = 0;  // open connections found broken (I/O error, timeout, peer closed)
  int64_t script_loads = 0;       // scripts sent with SCRIPT LOAD
  int64_t noscript_retries = 0;   // EVALSHA calls re-sent after a NOSCRIPT reply
};

class RedisClient {
 public:
  // Bounds the memory one call may queue; larger batches are the caller's to split.
  static constexpr size_t kMaxPipelineLength = 10000;

  // Opens the connection, retrying with backoff until `max_wait` has passed, then UNAVAILABLE
  // with a one-line reason. A wrong or missing password fails at once with UNAUTHENTICATED.
  static absl::StatusOr<std::unique_ptr<RedisClient>> Connect(RedisOptions options,
                                                              absl::Duration max_wait);

  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command; each argument is sent as is (binary-safe).
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& argv) ABSL_LOCKS_EXCLUDED(mu_);

  // All commands in one round trip; the replies come back in order, one per command. Either every
  // reply is returned or the status is not OK (then any prefix of the commands may have run).
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) ABSL_LOCKS_EXCLUDED(mu_);

  // EVALSHA, after SCRIPT LOAD on first use. A script's own error (redis.error_reply) is an error
  // reply; a script that does not compile is INVALID_ARGUMENT.
  absl::StatusOr<RedisReply> EvalSha(const LuaScript& script, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) ABSL_LOCKS_EXCLUDED(mu_);

  // Many EVALSHA in one round trip, one reply per call, in order. Calls answered NOSCRIPT did not
  // run; they are reloaded and re-sent once, so they run after the calls that did not fail. On a
  // status that is not OK, any of the calls may have run.
  absl::StatusOr<std::vector<RedisReply>> EvalShaPipeline(const std::vector<ScriptCall>& calls)
      ABSL_LOCKS_EXCLUDED(mu_);

  RedisClientStats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  const RedisOptions& options() const { return options_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  explicit RedisClient(RedisOptions options);

  std::string address() const;
  // One attempt: TCP connect, AUTH, PING. On success the connection becomes context_.
  absl::Status OpenConnectionLocked(absl::Duration connect_timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes context_ usable: drops it if the server closed it while idle, and reopens it (after the
  // backoff) if it is gone.
  absl::Status EnsureConnectedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the connection after an I/O problem and returns UNAVAILABLE describing it.
  absl::Status DropConnectionLocked(absl::string_view during, int saved_errno)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<RedisReply>> PipelineLocked(
      const std::vector<std::vector<std::string>>& commands) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SCRIPT LOAD for each script (one round trip), remembering the SHAs.
  absl::Status LoadScriptsLocked(const std::vector<const LuaScript*>& scripts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> EvalShaCommandLocked(const ScriptCall& call) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RedisOptions options_;

  mutable absl::Mutex mu_;
  ContextPtr context_ ABSL_GUARDED_BY(mu_);  // null while disconnected
  absl::Duration reconnect_backoff_ ABSL_GUARDED_BY(mu_);
  absl::Time next_connect_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // When a call last used the connection (see RedisOptions::idle_check_after).
  absl::Time last_used_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // SHA1 by script source. The SHA is a function of the source, so it stays valid across
  // reconnects; only the server's copy of the script can go missing (handled by NOSCRIPT).
  absl::flat_hash_map<std::string, std::string> sha_by_source_ ABSL_GUARDED_BY(mu_);
  RedisClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orderplatform::redis

#endif  // ORDERPLATFORM_PLATFORM_REDIS_CLIENT_H_
