#include "tools/bench/redis_ceiling.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace orderplatform::bench {
namespace {

TEST(RedisCeilingTest, ParsesTheCsvRow) {
  const char* output =
      "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\"\n"
      "\"SET\",\"4453.35\",\"7.664\",\"0.504\",\"1.991\"\n";
  absl::StatusOr<double> rps = ParseRedisBenchmarkCsv(output);
  ASSERT_TRUE(rps.ok()) << rps.status();
  EXPECT_DOUBLE_EQ(*rps, 4453.35);
}

TEST(RedisCeilingTest, ParsesACustomCommandNameWithCommasAndQuotes) {
  const char* output =
      "\"test\",\"rps\"\n"
      "\"EVALSHA abc 3 {bench}:resv:__rand_int__ a,b\",\"17094.02\",\"1.589\"\n";
  EXPECT_DOUBLE_EQ(*ParseRedisBenchmarkCsv(output), 17094.02);
}

TEST(RedisCeilingTest, RefusesOutputWithoutAResult) {
  EXPECT_FALSE(ParseRedisBenchmarkCsv("").ok());
  EXPECT_FALSE(ParseRedisBenchmarkCsv("\"test\",\"rps\"\n").ok());
  EXPECT_FALSE(ParseRedisBenchmarkCsv("Could not connect to Redis\n").ok());
}

TEST(RedisCeilingTest, ParsesCommandStats) {
  const char* info =
      "# Commandstats\r\n"
      "cmdstat_evalsha:calls=120,usec=4000,usec_per_call=33.33,rejected_calls=0,failed_calls=0\r\n"
      "cmdstat_hset:calls=7,usec=10,usec_per_call=1.43,rejected_calls=0,failed_calls=0\r\n"
      "garbage\r\n";
  const std::map<std::string, int64_t> calls = ParseCommandCalls(info);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls.at("evalsha"), 120);
  EXPECT_EQ(calls.at("hset"), 7);
}

TEST(RedisCeilingTest, ParsesInfoIntegers) {
  const char* info = "# Stats\r\ntotal_reads_processed:4890\r\ntotal_reads_processed_x:1\r\n"
                     "io_threaded_reads_processed:0\r\nbad:abc\r\n";
  EXPECT_EQ(ParseInfoInteger(info, "total_reads_processed"), 4890);
  EXPECT_EQ(ParseInfoInteger(info, "io_threaded_reads_processed"), 0);
  EXPECT_EQ(ParseInfoInteger(info, "bad"), std::nullopt);
  EXPECT_EQ(ParseInfoInteger(info, "missing"), std::nullopt);
}

TEST(RedisCeilingTest, EvalShaArgumentsMatchReserveLua) {
  const std::vector<std::string> args =
      EvalShaBenchmarkArgs({.host = "127.0.0.1", .port = 7, .requests = 10, .clients = 2}, "SHA");
  // ... EVALSHA SHA 3 record deadlines stock | order_id now deadline retention traceparent sku qty
  const auto evalsha = std::find(args.begin(), args.end(), "EVALSHA");
  ASSERT_NE(evalsha, args.end());
  const std::vector<std::string> command(evalsha, args.end());
  ASSERT_EQ(command.size(), 13u);
  EXPECT_EQ(command[2], "3");
  EXPECT_EQ(command[4], "{bench}:deadlines") << "never the inventory's {op} keys";
  EXPECT_EQ(command[5], "{bench}:stock:s1");
  EXPECT_EQ(command[10], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(command[11], "s1");
  EXPECT_NE(std::find(args.begin(), args.end(), "--csv"), args.end());
}

}  // namespace
}  // namespace orderplatform::bench
