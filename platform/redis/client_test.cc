// RedisClient against a real redis-server (AOF on, its own port and directory per test).
#include "platform/redis/client.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::redis {
namespace {

using ::orderplatform::testenv::RedisServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kConnectWait = absl::Seconds(5);

RedisOptions OptionsFor(const RedisServer& server) {
  RedisOptions options;
  options.host = server.host();
  options.port = server.port();
  return options;
}

// All bytes of a string literal, embedded NULs included (not the terminating one).
template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

const LuaScript kIncrementBy{
    "increment_by", "return redis.call('INCRBY', KEYS[1], ARGV[1])"};
const LuaScript kAppendTag{
    "append_tag", "redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('LLEN', KEYS[1])"};
const LuaScript kRefuse{"refuse", "return redis.error_reply('OUT_OF_STOCK sku ' .. ARGV[1])"};

// ---------------------------------------------------------------------------------------------
// ParseRedisAddress

TEST(ParseRedisAddressTest, AcceptsHostPortAndBracketedIpv6) {
  absl::StatusOr<RedisOptions> plain = ParseRedisAddress("redis.internal:6380");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->host, "redis.internal");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->command_timeout, absl::Seconds(2));  // defaults are kept

  absl::StatusOr<RedisOptions> ipv6 = ParseRedisAddress("[::1]:7000");
  ASSERT_TRUE(ipv6.ok()) << ipv6.status();
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->port, 7000);
}

TEST(ParseRedisAddressTest, RejectsMalformedAddresses) {
  for (const char* bad : {"", "redis", "redis:", ":6379", "redis:0", "redis:65536", "redis:63a9",
                          "redis:+6379", "a:b:6379", "[::1]6379", "[::1", "[]:6379"}) {
    absl::StatusOr<RedisOptions> parsed = ParseRedisAddress(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// Commands, pipelines and error replies on a healthy server

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    absl::StatusOr<std::unique_ptr<RedisClient>> client =
        RedisClient::Connect(OptionsFor(*server_), kConnectWait);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  // A command that must get a (non-error) reply.
  RedisReply Must(const std::vector<std::string>& argv) {
    absl::StatusOr<RedisReply> reply = client_->Command(argv);
    EXPECT_TRUE(reply.ok()) << argv.front() << ": " << reply.status();
    if (!reply.ok()) return RedisReply::Error("client failed");
    EXPECT_FALSE(reply->is_error()) << argv.front() << ": " << *reply;
    return *reply;
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisClient> client_;
};

TEST_F(RedisClientTest, StoresAndReturnsBinaryKeysAndValuesUnchanged) {
  const std::string key = Bytes("order:\0bin\r\n");
  const std::string value = Bytes("\0\r\n$3\r\n*1\xff\xfe end");
  EXPECT_EQ(Must({"SET", key, value}), RedisReply::Status("OK"));
  EXPECT_EQ(Must({"GET", key}), RedisReply::String(value));
  EXPECT_EQ(Must({"STRLEN", key}), RedisReply::Integer(15));

  EXPECT_EQ(Must({"SET", "empty", ""}), RedisReply::Status("OK"));
  EXPECT_EQ(Must({"GET", "empty"}), RedisReply::String(""));
  EXPECT_TRUE(Must({"GET", "missing"}).is_nil());
  EXPECT_EQ(Must({"INCRBY", "counter", "-5"}).AsInteger().value(), -5);
}

TEST_F(RedisClientTest, PipelineReturnsOneReplyPerCommandInOrder) {
  constexpr int kCommands = 500;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kCommands; ++i) commands.push_back({"RPUSH", "list", absl::StrCat("v", i)});
  commands.push_back({"LRANGE", "list", "0", "-1"});

  absl::StatusOr<std::vector<RedisReply>> replies = client_->Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), kCommands + 1);
  for (int i = 0; i < kCommands; ++i) {
    ASSERT_EQ((*replies)[i], RedisReply::Integer(i + 1)) << "reply " << i;
  }
  const RedisReply& range = replies->back();
  ASSERT_TRUE(range.is_array()) << range;
  ASSERT_EQ(range.elements.size(), kCommands);
  EXPECT_EQ(range.elements[0], RedisReply::String("v0"));
  EXPECT_EQ(range.elements[kCommands - 1], RedisReply::String(absl::StrCat("v", kCommands - 1)));
}

TEST_F(RedisClientTest, EmptyPipelineNeedsNoRoundTrip) {
  absl::StatusOr<std::vector<RedisReply>> replies = client_->Pipeline({});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_TRUE(replies->empty());
}

TEST_F(RedisClientTest, ErrorReplyIsAnOkResultHoldingTheError) {
  Must({"SET", "text", "not a number"});
  absl::StatusOr<RedisReply> incr = client_->Command({"INCR", "text"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_TRUE(incr->is_error());
  EXPECT_EQ(incr->error_code(), "ERR");
  EXPECT_THAT(incr->str, HasSubstr("not an integer"));

  absl::StatusOr<RedisReply> unknown = client_->Command({"NOSUCHCOMMAND", "x"});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_TRUE(unknown->is_error());

  // An error in the middle of a pipeline takes only its own slot; the connection stays usable.
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->Pipeline({{"SET", "a", "1"}, {"LPUSH", "text", "x"}, {"GET", "a"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3);
  EXPECT_EQ((*replies)[0], RedisReply::Status("OK"));
  EXPECT_EQ((*replies)[1].error_code(), "WRONGTYPE");
  EXPECT_EQ((*replies)[2], RedisReply::String("1"));
  EXPECT_EQ(client_->stats().connection_losses, 0);
}

TEST_F(RedisClientTest, RejectsEmptyCommandsAndOversizedPipelinesWithoutSending) {
  EXPECT_EQ(client_->Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->Pipeline({{"PING"}, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::vector<std::string>> too_many(RedisClient::kMaxPipelineLength + 1,
                                                 {"INCR", "sent"});
  EXPECT_EQ(client_->Pipeline(too_many).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Must({"GET", "sent"}).is_nil());
}

TEST_F(RedisClientTest, SerializesConcurrentCallersOnOneConnection) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Each thread checks that it gets its own reply back, not a neighbour's.
        const std::string mine = absl::StrCat("thread-", t, "-call-", i);
        absl::StatusOr<RedisReply> echo = client_->Command({"ECHO", mine});
        ASSERT_TRUE(echo.ok()) << echo.status();
        ASSERT_EQ(*echo, RedisReply::String(mine));
        ASSERT_TRUE(client_->Command({"INCR", "shared"}).ok());
        ASSERT_TRUE(client_->EvalSha(kIncrementBy, {"by_script"}, {"2"}).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Must({"GET", "shared"}).AsInteger().value(), kThreads * kCallsPerThread);
  EXPECT_EQ(Must({"GET", "by_script"}).AsInteger().value(), 2 * kThreads * kCallsPerThread);
  EXPECT_EQ(client_->stats().script_loads, 1);
}

// ---------------------------------------------------------------------------------------------
// Lua scripts

TEST_F(RedisClientTest, EvalShaRunsTheScriptWithKeysAndArgs) {
  absl::StatusOr<RedisReply> first = client_->EvalSha(kIncrementBy, {"stock"}, {"5"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, RedisReply::Integer(5));
  absl::StatusOr<RedisReply> second = client_->EvalSha(kIncrementBy, {"stock"}, {"-2"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, RedisReply::Integer(3));
  EXPECT_EQ(client_->stats().script_loads, 1);  // loaded on first use only
}

TEST_F(RedisClientTest, ScriptErrorReplyIsAnOkResultHoldingTheError) {
  absl::StatusOr<RedisReply> refused = client_->EvalSha(kRefuse, {}, {"sku-1"});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_TRUE(refused->is_error());
  EXPECT_EQ(refused->error_code(), "OUT_OF_STOCK");
  EXPECT_THAT(refused->str, HasSubstr("sku-1"));
}

TEST_F(RedisClientTest, ScriptThatDoesNotCompileIsInvalidArgument) {
  const LuaScript broken{"broken", "return (("};
  absl::StatusOr<RedisReply> reply = client_->EvalSha(broken, {}, {});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reply.status().message(), HasSubstr("broken"));
  EXPECT_TRUE(client_->EvalSha(kIncrementBy, {"after"}, {"1"}).ok());
}

TEST_F(RedisClientTest, EvalShaReloadsTheScriptAfterScriptFlush) {
  ASSERT_EQ(client_->EvalSha(kIncrementBy, {"stock"}, {"10"}).value(), RedisReply::Integer(10));
  Must({"SCRIPT", "FLUSH"});

  absl::StatusOr<RedisReply> after_flush = client_->EvalSha(kIncrementBy, {"stock"}, {"10"});
  ASSERT_TRUE(after_flush.ok()) << after_flush.status();
  // 20, not 30: the NOSCRIPT attempt did not run, and the retry ran exactly once.
  EXPECT_EQ(*after_flush, RedisReply::Integer(20));
  RedisClientStats stats = client_->stats();
  EXPECT_EQ(stats.noscript_retries, 1);
  EXPECT_EQ(stats.script_loads, 2);
}

TEST_F(RedisClientTest, EvalShaPipelineReloadsAfterScriptFlushAndKeepsReplyOrder) {
  std::vector<ScriptCall> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back({.script = &kIncrementBy, .keys = {"n"}, .args = {"1"}});
    calls.push_back({.script = &kAppendTag, .keys = {"tags"}, .args = {absl::StrCat("t", i)}});
  }
  absl::StatusOr<std::vector<RedisReply>> before = client_->EvalShaPipeline(calls);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(client_->stats().script_loads, 2);
  Must({"SCRIPT", "FLUSH"});

  absl::StatusOr<std::vector<RedisReply>> replies = client_->EvalShaPipeline(calls);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), calls.size());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*replies)[2 * i], RedisReply::Integer(3 + i + 1)) << "call " << 2 * i;
    EXPECT_EQ((*replies)[2 * i + 1], RedisReply::Integer(3 + i + 1)) << "call " << 2 * i + 1;
  }
  RedisClientStats stats = client_->stats();
  EXPECT_EQ(stats.noscript_retries, 6);
  EXPECT_EQ(stats.script_loads, 4);
  // Tags pushed in call order, each call exactly once.
  RedisReply tags = Must({"LRANGE", "tags", "0", "-1"});
  ASSERT_EQ(tags.elements.size(), 6);
  EXPECT_EQ(tags.elements[3], RedisReply::String("t0"));
  EXPECT_EQ(tags.elements[5], RedisReply::String("t2"));
}

TEST_F(RedisClientTest, EvalShaPipelineRejectsACallWithoutAScript) {
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->EvalShaPipeline({{.script = &kIncrementBy, .keys = {"k"}, .args = {"1"}}, {}});
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Must({"GET", "k"}).is_nil());
}

// ---------------------------------------------------------------------------------------------
// Losing the server

TEST_F(RedisClientTest, SurvivesKill9AndRestartAndKeepsAcknowledgedData) {
  Must({"SET", "before_kill", "kept"});
  ASSERT_EQ(client_->EvalSha(kIncrementBy, {"stock"}, {"7"}).value(), RedisReply::Integer(7));
  server_->Kill9();

  const absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> while_down = client_->Command({"GET", "before_kill"});
  EXPECT_EQ(while_down.status().code(), absl::StatusCode::kUnavailable) << while_down.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "a dead server must fail fast, not hang";

  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(Must({"GET", "before_kill"}), RedisReply::String("kept"));  // from the AOF
  // The restarted server has no script cache: NOSCRIPT, reload, retry.
  absl::StatusOr<RedisReply> script = client_->EvalSha(kIncrementBy, {"stock"}, {"1"});
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_EQ(*script, RedisReply::Integer(8));
  RedisClientStats stats = client_->stats();
  EXPECT_EQ(stats.noscript_retries, 1);
  EXPECT_GE(stats.connection_losses, 1);
  EXPECT_EQ(stats.connects, 2);
}

TEST_F(RedisClientTest, ReconnectsWithoutAFailedCallAfterARestartWhileIdle) {
  Must({"SET", "k", "v"});
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  absl::SleepFor(client_->options().idle_check_after);
  // The server closed the old connection while the client was idle: the client notices before
  // sending, so the caller does not see the restart at all.
  absl::StatusOr<RedisReply> reply = client_->Command({"GET", "k"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, RedisReply::String("v"));
  EXPECT_EQ(client_->stats().connection_losses, 1);
}

// A connection in steady use is not checked before each call (RedisOptions::idle_check_after):
// a restart between two close calls fails at most the first one, and the next reconnects.
TEST_F(RedisClientTest, ARestartDuringSteadyUseFailsAtMostOneCall) {
  Must({"SET", "k", "v"});
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  absl::StatusOr<RedisReply> first = client_->Command({"GET", "k"});
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  }
  absl::StatusOr<RedisReply> second = client_->Command({"GET", "k"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, RedisReply::String("v"));
  EXPECT_EQ(client_->stats().connection_losses, 1);
}

TEST(RedisClientBackoffTest, BacksOffExponentiallyWhileTheServerStaysDown) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options = OptionsFor(**server);
  options.reconnect_backoff_initial = absl::Milliseconds(40);
  options.reconnect_backoff_max = absl::Milliseconds(160);
  absl::StatusOr<std::unique_ptr<RedisClient>> client = RedisClient::Connect(options, kConnectWait);
  ASSERT_TRUE(client.ok()) << client.status();
  (*server)->Kill9();

  // Attempts: immediately, then after 40, 80, 160 and 160 (the max) milliseconds.
  const absl::Time start = absl::Now();
  for (int call = 0; call < 5; ++call) {
    absl::StatusOr<RedisReply> reply = (*client)->Command({"PING"});
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  }
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(40 + 80 + 160 + 160));
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_EQ((*client)->stats().connect_failures, 5);

  ASSERT_TRUE((*server)->Restart().ok());
  absl::StatusOr<RedisReply> pong = (*client)->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(*pong, RedisReply::Status("PONG"));
}

TEST_F(RedisClientTest, CommandTimeoutIsUnavailableAndTheClientRecovers) {
  RedisOptions options = OptionsFor(*server_);
  options.command_timeout = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<RedisClient>> impatient =
      RedisClient::Connect(options, kConnectWait);
  ASSERT_TRUE(impatient.ok()) << impatient.status();

  // Redis 7 refuses DEBUG SLEEP unless started with enable-debug-command; a blocking pop on an
  // empty list holds the reply back just the same (for 2 s).
  const absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> blocked = (*impatient)->Command({"BLPOP", "never-filled", "2"});
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable) << blocked.status();
  EXPECT_THAT(blocked.status().message(), HasSubstr("no reply within 200ms"));
  EXPECT_GE(elapsed, absl::Milliseconds(150));
  EXPECT_LT(elapsed, absl::Seconds(1));

  absl::StatusOr<RedisReply> pong = (*impatient)->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(*pong, RedisReply::Status("PONG"));  // not the late BLPOP reply: a fresh connection
  EXPECT_EQ((*impatient)->stats().connection_losses, 1);
}

TEST_F(RedisClientTest, ServerDroppingTheConnectionMidWriteIsUnavailableAndRecovers) {
  // The server rejects a bulk argument longer than proto-max-bulk-len as soon as it reads the
  // length, and drops the connection while the client is still writing the 16 MiB value.
  Must({"CONFIG", "SET", "proto-max-bulk-len", "1mb"});
  const std::string too_long(16 << 20, 'x');
  absl::StatusOr<RedisReply> reply = client_->Command({"SET", "big", too_long});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_EQ(client_->stats().connection_losses, 1);
  EXPECT_EQ(Must({"PING"}), RedisReply::Status("PONG"));
  EXPECT_TRUE(Must({"GET", "big"}).is_nil());
}

// ---------------------------------------------------------------------------------------------
// Connecting

TEST(RedisClientConnectTest, GivesUpAfterRoughlyMaxWaitWhenNothingListens) {
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = *port;

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<RedisClient>> client =
      RedisClient::Connect(options, absl::Milliseconds(600));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable) << client.status();
  EXPECT_THAT(client.status().message(), HasSubstr(absl::StrCat("127.0.0.1:", *port)));
  EXPECT_THAT(client.status().message(), HasSubstr("gave up after 600ms"));
  EXPECT_THAT(std::string(client.status().message()), Not(HasSubstr("\n")));
  EXPECT_GE(elapsed, absl::Milliseconds(600));
  EXPECT_LT(elapsed, absl::Milliseconds(600) + absl::Seconds(1));
}

TEST(RedisClientConnectTest, WaitsForAServerThatComesUpWithinMaxWait) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Stop().ok());
  absl::StatusOr<std::unique_ptr<RedisClient>> client;
  std::thread connecting(
      [&] { client = RedisClient::Connect(OptionsFor(**server), absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(500));
  // Restarted from this thread: the server dies with the thread that started it (PDEATHSIG).
  EXPECT_TRUE((*server)->Restart().ok());
  connecting.join();
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_GE((*client)->stats().connect_failures, 1);
  EXPECT_TRUE((*client)->Command({"PING"}).ok());
}

TEST(RedisClientConnectTest, RejectsInvalidOptions) {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  EXPECT_EQ(RedisClient::Connect(options, absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class RedisAuthTest : public ::testing::Test {
 protected:
  static constexpr char kPassword[] = "s3cret-pass";

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start({.password = kPassword});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisAuthTest, RightPasswordWorksAndIsSentAgainAfterReconnect) {
  RedisOptions options = OptionsFor(*server_);
  options.password = kPassword;
  absl::StatusOr<std::unique_ptr<RedisClient>> client = RedisClient::Connect(options, kConnectWait);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_EQ((*client)->Command({"SET", "k", "v"}).value(), RedisReply::Status("OK"));

  server_->Kill9();
  ASSERT_TRUE(server_->Restart().ok());
  absl::SleepFor(options.idle_check_after);  // idle: the client notices the close before a call
  absl::StatusOr<RedisReply> after = (*client)->Command({"GET", "k"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, RedisReply::String("v"));  // not -NOAUTH: AUTH was sent on the new connection
}

TEST_F(RedisAuthTest, WrongPasswordFailsAtOnceWithoutEchoingIt) {
  RedisOptions options = OptionsFor(*server_);
  options.password = "not-the-password";
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<RedisClient>> client = RedisClient::Connect(options, kConnectWait);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated) << client.status();
  EXPECT_THAT(client.status().message(), HasSubstr("rejected AUTH"));
  EXPECT_THAT(client.status().message(), Not(HasSubstr("not-the-password")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "waiting cannot fix a wrong password";
}

TEST_F(RedisAuthTest, MissingPasswordFailsAtOnce) {
  absl::StatusOr<std::unique_ptr<RedisClient>> client =
      RedisClient::Connect(OptionsFor(*server_), kConnectWait);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated) << client.status();
  EXPECT_THAT(client.status().message(), HasSubstr("requires a password"));
}

}  // namespace
}  // namespace orderplatform::redis
