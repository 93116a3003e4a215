#include <signal.h>

#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::testenv {
namespace {

TEST(ProcessTest, CapturesStdoutLinesAndExitCodes) {
  auto p = Process::Start({.binary = "/bin/sh",
                           .args = {"-c", "echo hello; echo port=42; exec sleep 30"},
                           .name = "sh"});
  ASSERT_TRUE(p.ok()) << p.status();
  auto line = (*p)->WaitForStdoutLine("port=", absl::Seconds(5));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "port=42");
  auto code = (*p)->Terminate(absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST(ProcessTest, ReportsEarlyExitInsteadOfWaitingForTheTimeout) {
  auto p = Process::Start({.binary = "/bin/sh", .args = {"-c", "echo oops >&2; exit 3"},
                           .name = "sh"});
  ASSERT_TRUE(p.ok());
  auto line = (*p)->WaitForStdoutLine("never", absl::Seconds(30));
  EXPECT_EQ(line.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(line.status().message().find("oops"), std::string::npos);
}

TEST(RedisServerTest, KeepsAcknowledgedDataAcrossKill9) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisServer& server = **redis;
  ASSERT_TRUE(server.Ping());
  server.Kill9();
  EXPECT_FALSE(server.Ping());
  ASSERT_TRUE(server.Restart().ok());
  EXPECT_TRUE(server.Ping());
}

TEST(RedisServerTest, TwoServersGetDifferentPorts) {
  auto a = RedisServer::Start();
  auto b = RedisServer::Start();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->port(), (*b)->port());
}

}  // namespace
}  // namespace orderplatform::testenv
