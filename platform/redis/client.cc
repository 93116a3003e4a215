#include "platform/redis/client.h"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "platform/log/log.h"
#include "platform/redis/sigpipe_suppression.h"

namespace orderplatform::redis {
namespace {

using Commands = std::vector<std::vector<std::string>>;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

RedisReply CopyReply(const redisReply& raw) {
  switch (raw.type) {
    case REDIS_REPLY_STRING: return RedisReply::String(std::string(raw.str, raw.len));
    case REDIS_REPLY_STATUS: return RedisReply::Status(std::string(raw.str, raw.len));
    case REDIS_REPLY_ERROR: return RedisReply::Error(std::string(raw.str, raw.len));
    case REDIS_REPLY_INTEGER: return RedisReply::Integer(raw.integer);
    case REDIS_REPLY_NIL: return RedisReply::Nil();
    case REDIS_REPLY_ARRAY: {
      // Recursion depth is bounded by hiredis' reader, which rejects deeper nesting.
      std::vector<RedisReply> elements;
      elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) elements.push_back(CopyReply(*raw.element[i]));
      return RedisReply::Array(std::move(elements));
    }
  }
  // Only RESP3 has more reply types, and this client never switches to it (HELLO 3).
  log::LogError("redis_unknown_reply_type", {{"type", raw.type}});
  std::abort();
}

// Sends every command and reads one reply per command: a pipeline of one or more. On failure
// returns false, with the reason in context->err/errstr and the errno of the failing call.
bool Exchange(redisContext* context, const Commands& commands, std::vector<RedisReply>* replies,
              int* saved_errno) {
  // hiredis writes with write(2): a server that closed the socket must be an EPIPE, not a SIGPIPE.
  ScopedSigpipeSuppression no_sigpipe;
  std::vector<const char*> argv;
  std::vector<size_t> argv_len;
  for (const std::vector<std::string>& command : commands) {
    argv.clear();
    argv_len.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argv_len.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(),
                               argv_len.data()) != REDIS_OK) {
      *saved_errno = errno;
      return false;
    }
  }
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    // The first call flushes the whole output buffer, so all commands travel in one round trip.
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
      *saved_errno = errno;
      return false;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies->push_back(CopyReply(*reply));
  }
  return true;
}

std::string DescribeIoFailure(const redisContext& context, int saved_errno,
                              absl::Duration timeout) {
  // SO_RCVTIMEO/SO_SNDTIMEO expiring shows up as EAGAIN on the blocking socket.
  if (context.err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    return absl::StrCat("no reply within ", absl::FormatDuration(timeout));
  }
  if (context.errstr[0] == '\0') return "unknown I/O error";
  return context.errstr;
}

// One request/reply on a connection that is still being set up.
absl::StatusOr<RedisReply> HandshakeCommand(redisContext* context,
                                            const std::vector<std::string>& argv,
                                            absl::string_view address, absl::Duration timeout) {
  std::vector<RedisReply> replies;
  int saved_errno = 0;
  const std::string& command_name = argv.front();
  if (!Exchange(context, {argv}, &replies, &saved_errno)) {
    return absl::UnavailableError(absl::StrCat("redis at ", address, " failed during ",
                                               command_name, ": ",
                                               DescribeIoFailure(*context, saved_errno, timeout)));
  }
  return std::move(replies.front());
}

// True when the server has closed (or reset) a connection on which no reply is due: anything
// readable is then EOF or bytes that belong to no request, and the connection cannot serve the
// next command. Catching this before sending spares the caller a failure after a Redis restart.
bool IdleConnectionIsClosed(const redisContext& context) {
  pollfd descriptor{context.fd, POLLIN, 0};
  return poll(&descriptor, 1, /*timeout=*/0) > 0;
}

absl::Status ValidateOptions(const RedisOptions& options) {
  if (options.host.empty()) return absl::InvalidArgumentError("redis host is empty");
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("redis port ", options.port, " out of range"));
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.command_timeout <= absl::ZeroDuration() ||
      options.reconnect_backoff_initial <= absl::ZeroDuration() ||
      options.reconnect_backoff_max < options.reconnect_backoff_initial) {
    return absl::InvalidArgumentError(
        "redis timeouts must be positive and reconnect_backoff_max >= reconnect_backoff_initial");
  }
  return absl::OkStatus();
}

absl::Status ValidateCommands(const Commands& commands) {
  if (commands.size() > RedisClient::kMaxPipelineLength) {
    return absl::InvalidArgumentError(absl::StrCat("pipeline of ", commands.size(),
                                                   " commands exceeds the limit of ",
                                                   RedisClient::kMaxPipelineLength));
  }
  for (const std::vector<std::string>& command : commands) {
    if (command.empty()) return absl::InvalidArgumentError("empty redis command");
  }
  return absl::OkStatus();
}

// The distinct scripts (by source) among `calls`, in order of first appearance.
std::vector<const LuaScript*> DistinctScripts(const std::vector<const LuaScript*>& scripts) {
  absl::flat_hash_set<absl::string_view> seen;
  std::vector<const LuaScript*> distinct;
  for (const LuaScript* script : scripts) {
    if (seen.insert(script->source).second) distinct.push_back(script);
  }
  return distinct;
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisAddress(absl::string_view address) {
  const absl::Status malformed = absl::InvalidArgumentError(
      absl::StrCat("redis address \"", address, "\" is not HOST:PORT"));
  absl::string_view host;
  absl::string_view port_text;
  absl::string_view rest = address;
  if (absl::ConsumePrefix(&rest, "[")) {  // [ipv6]:port
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return malformed;
    host = rest.substr(0, close);
    rest.remove_prefix(close + 1);
    if (!absl::ConsumePrefix(&rest, ":")) return malformed;
    port_text = rest;
  } else {
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos || rest.find(':', colon + 1) != absl::string_view::npos) {
      return malformed;
    }
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  int port = 0;
  if (host.empty() || port_text.empty() || !absl::c_all_of(port_text, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return malformed;
  }
  RedisOptions options;
  options.host = std::string(host);
  options.port = port;
  return options;
}

void RedisClient::ContextDeleter::operator()(redisContext* context) const { redisFree(context); }

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)), reconnect_backoff_(options_.reconnect_backoff_initial) {}

RedisClient::~RedisClient() = default;

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Connect(RedisOptions options,
                                                                  absl::Duration max_wait) {
  if (absl::Status valid = ValidateOptions(options); !valid.ok()) return valid;
  std::unique_ptr<RedisClient> client(new RedisClient(std::move(options)));
  const RedisOptions& opts = client->options_;
  const absl::Time deadline = absl::Now() + max_wait;
  absl::Duration backoff = opts.reconnect_backoff_initial;
  absl::Status opened;
  int attempts = 0;
  {
    absl::MutexLock lock(&client->mu_);
    // Bounded by the deadline: every failed round sleeps until the deadline at the latest.
    while (true) {
      ++attempts;
      // The last attempt gets only what is left of max_wait, so Connect stays within its bound.
      const absl::Duration attempt_timeout =
          std::max(std::min(deadline - absl::Now(), opts.connect_timeout), absl::Milliseconds(1));
      opened = client->OpenConnectionLocked(attempt_timeout);
      if (opened.ok()) break;
      ++client->stats_.connect_failures;
      // A wrong password or a bad address does not get better by waiting.
      if (!absl::IsUnavailable(opened)) return opened;
      const absl::Duration remaining = deadline - absl::Now();
      if (remaining <= absl::ZeroDuration()) break;
      absl::SleepFor(std::min(backoff, remaining));
      backoff = std::min(backoff * 2, opts.reconnect_backoff_max);
    }
  }
  if (!opened.ok()) {
    return absl::UnavailableError(absl::StrCat("gave up after ", absl::FormatDuration(max_wait),
                                               " and ", attempts, " attempts: ",
                                               opened.message()));
  }
  log::LogInfo("redis_connected", {{"redis", client->address()}, {"attempts", attempts}});
  return client;
}

std::string RedisClient::address() const {
  if (absl::StrContains(options_.host, ':')) {
    return absl::StrCat("[", options_.host, "]:", options_.port);
  }
  return absl::StrCat(options_.host, ":", options_.port);
}

absl::Status RedisClient::OpenConnectionLocked(absl::Duration connect_timeout) {
  const timeval connect_timeval = absl::ToTimeval(connect_timeout);
  ContextPtr context(
      redisConnectWithTimeout(options_.host.c_str(), options_.port, connect_timeval));
  if (context == nullptr) {
    return absl::UnavailableError(absl::StrCat("no memory for a connection to redis at ",
                                               address()));
  }
  if (context->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to redis at ", address(), ": ", context->errstr));
  }
  // The handshake is bounded by the connect timeout too: a server that accepts but never answers
  // (stopped, overloaded) must not stretch Connect's bounded wait.
  if (redisSetTimeout(context.get(), connect_timeval) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot set socket timeouts for redis at ", address(), ": ", context->errstr));
  }
  if (!options_.password.empty()) {
    absl::StatusOr<RedisReply> auth =
        HandshakeCommand(context.get(), {"AUTH", options_.password}, address(), connect_timeout);
    if (!auth.ok()) return auth.status();
    if (auth->is_error()) {
      return absl::UnauthenticatedError(
          absl::StrCat("redis at ", address(), " rejected AUTH: ", auth->str));
    }
  }
  absl::StatusOr<RedisReply> pong =
      HandshakeCommand(context.get(), {"PING"}, address(), connect_timeout);
  if (!pong.ok()) return pong.status();
  if (pong->error_code() == "NOAUTH") {
    return absl::UnauthenticatedError(
        absl::StrCat("redis at ", address(), " requires a password: ", pong->str));
  }
  if (pong->is_error()) {
    // LOADING (replaying its AOF after a restart) and the like: ready soon, so retryable.
    return absl::UnavailableError(
        absl::StrCat("redis at ", address(), " is not ready: ", pong->str));
  }
  if (redisSetTimeout(context.get(), absl::ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot set socket timeouts for redis at ", address(), ": ", context->errstr));
  }
  context_ = std::move(context);
  ++stats_.connects;
  return absl::OkStatus();
}

absl::Status RedisClient::EnsureConnectedLocked() {
  if (context_ != nullptr) {
    // RedisOptions::idle_check_after says why only an idle connection is checked.
    const absl::Time now = absl::Now();
    const bool was_idle = now - last_used_ >= options_.idle_check_after;
    last_used_ = now;
    if (!was_idle || !IdleConnectionIsClosed(*context_)) return absl::OkStatus();
    ++stats_.connection_losses;
    log::LogWarn("redis_connection_lost",
                 {{"redis", address()}, {"reason", "server closed the idle connection"}});
    context_.reset();
  }
  // Only failed attempts push next_connect_time_ ahead, so the first attempt after a loss is
  // immediate and a server that stays down is tried at exponentially growing intervals.
  const absl::Duration wait = next_connect_time_ - absl::Now();
  if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
  absl::Status opened = OpenConnectionLocked(options_.connect_timeout);
  if (opened.ok()) {
    reconnect_backoff_ = options_.reconnect_backoff_initial;
    log::LogInfo("redis_reconnected", {{"redis", address()}});
    return absl::OkStatus();
  }
  ++stats_.connect_failures;
  next_connect_time_ = absl::Now() + reconnect_backoff_;
  reconnect_backoff_ = std::min(reconnect_backoff_ * 2, options_.reconnect_backoff_max);
  log::LogWarn("redis_reconnect_failed",
               {{"redis", address()}, {"reason", opened.message()},
                {"next_attempt_in", absl::FormatDuration(next_connect_time_ - absl::Now())}});
  return opened;
}

absl::Status RedisClient::DropConnectionLocked(absl::string_view during, int saved_errno) {
  const std::string reason =
      DescribeIoFailure(*context_, saved_errno, options_.command_timeout);
  context_.reset();
  ++stats_.connection_losses;
  log::LogWarn("redis_connection_lost",
               {{"redis", address()}, {"during", during}, {"reason", reason}});
  return absl::UnavailableError(absl::StrCat("redis at ", address(), ": ", reason, " during ",
                                             during, " (the next call reconnects)"));
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::PipelineLocked(const Commands& commands) {
  if (commands.empty()) return std::vector<RedisReply>();
  if (absl::Status connected = EnsureConnectedLocked(); !connected.ok()) return connected;
  std::vector<RedisReply> replies;
  int saved_errno = 0;
  if (!Exchange(context_.get(), commands, &replies, &saved_errno)) {
    // Replies may still be in flight, so the connection is out of step: it cannot be reused.
    return DropConnectionLocked(commands.size() == 1 ? commands.front().front() : "pipeline",
                                saved_errno);
  }
  return replies;
}

absl::StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& argv) {
  // A pipeline of one: redisAppendCommandArgv + redisGetReply is what redisCommandArgv does.
  absl::StatusOr<std::vector<RedisReply>> replies = Pipeline({argv});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(const Commands& commands) {
  if (absl::Status valid = ValidateCommands(commands); !valid.ok()) return valid;
  absl::MutexLock lock(&mu_);
  return PipelineLocked(commands);
}

absl::Status RedisClient::LoadScriptsLocked(const std::vector<const LuaScript*>& scripts) {
  Commands loads;
  loads.reserve(scripts.size());
  for (const LuaScript* script : scripts) loads.push_back({"SCRIPT", "LOAD", script->source});
  absl::StatusOr<std::vector<RedisReply>> shas = PipelineLocked(loads);
  if (!shas.ok()) return shas.status();
  stats_.script_loads += static_cast<int64_t>(scripts.size());
  for (size_t i = 0; i < scripts.size(); ++i) {
    const RedisReply& sha = (*shas)[i];
    if (sha.error_code() == "ERR") {
      return absl::InvalidArgumentError(
          absl::StrCat("lua script '", scripts[i]->name, "' does not load: ", sha.str));
    }
    if (!sha.is_string()) {  // LOADING, BUSY and the like: the server is not ready yet
      return absl::UnavailableError(absl::StrCat("SCRIPT LOAD of lua script '", scripts[i]->name,
                                                 "' answered ", sha.DebugString()));
    }
    sha_by_source_[scripts[i]->source] = sha.str;
  }
  return absl::OkStatus();
}

std::vector<std::string> RedisClient::EvalShaCommandLocked(const ScriptCall& call) const {
  auto sha = sha_by_source_.find(call.script->source);
  if (sha == sha_by_source_.end()) {
    // Every caller loads the scripts of its calls first.
    log::LogError("redis_script_not_loaded", {{"script", call.script->name}});
    std::abort();
  }
  std::vector<std::string> argv;
  argv.reserve(3 + call.keys.size() + call.args.size());
  argv.push_back("EVALSHA");
  argv.push_back(sha->second);
  argv.push_back(absl::StrCat(call.keys.size()));
  argv.insert(argv.end(), call.keys.begin(), call.keys.end());
  argv.insert(argv.end(), call.args.begin(), call.args.end());
  return argv;
}

absl::StatusOr<RedisReply> RedisClient::EvalSha(const LuaScript& script,
                                                const std::vector<std::string>& keys,
                                                const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<RedisReply>> replies =
      EvalShaPipeline({ScriptCall{.script = &script, .keys = keys, .args = args}});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::EvalShaPipeline(
    const std::vector<ScriptCall>& calls) {
  if (calls.size() > kMaxPipelineLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(calls.size(), " script calls exceed the limit of ", kMaxPipelineLength));
  }
  std::vector<const LuaScript*> scripts;
  scripts.reserve(calls.size());
  for (const ScriptCall& call : calls) {
    if (call.script == nullptr) return absl::InvalidArgumentError("script call without a script");
    scripts.push_back(call.script);
  }
  if (calls.empty()) return std::vector<RedisReply>();

  absl::MutexLock lock(&mu_);
  std::vector<const LuaScript*> unloaded;
  for (const LuaScript* script : DistinctScripts(scripts)) {
    if (!sha_by_source_.contains(script->source)) unloaded.push_back(script);
  }
  if (absl::Status loaded = LoadScriptsLocked(unloaded); !loaded.ok()) return loaded;

  Commands commands;
  commands.reserve(calls.size());
  for (const ScriptCall& call : calls) commands.push_back(EvalShaCommandLocked(call));
  absl::StatusOr<std::vector<RedisReply>> replies = PipelineLocked(commands);
  if (!replies.ok()) return replies.status();

  // NOSCRIPT: the server lost its script cache (SCRIPT FLUSH, a restart) and did not run the call.
  std::vector<size_t> forgotten;
  for (size_t i = 0; i < replies->size(); ++i) {
    if ((*replies)[i].error_code() == "NOSCRIPT") forgotten.push_back(i);
  }
  if (forgotten.empty()) return replies;

  std::vector<const LuaScript*> forgotten_scripts;
  for (size_t i : forgotten) forgotten_scripts.push_back(calls[i].script);
  if (absl::Status reloaded = LoadScriptsLocked(DistinctScripts(forgotten_scripts));
      !reloaded.ok()) {
    return reloaded;
  }
  Commands retries;
  for (size_t i : forgotten) retries.push_back(std::move(commands[i]));
  absl::StatusOr<std::vector<RedisReply>> retried = PipelineLocked(retries);
  if (!retried.ok()) return retried.status();
  stats_.noscript_retries += static_cast<int64_t>(forgotten.size());
  log::LogWarn("redis_scripts_reloaded",
               {{"redis", address()}, {"calls_retried", forgotten.size()}});
  // Retried once only: a second NOSCRIPT (a flush racing the reload) is returned as the reply.
  for (size_t k = 0; k < forgotten.size(); ++k) {
    (*replies)[forgotten[k]] = std::move((*retried)[k]);
  }
  return replies;
}

RedisClientStats RedisClient::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace orderplatform::redis
