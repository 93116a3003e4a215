#include "tools/bench/redis_ceiling.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "integration_tests/testenv/process.h"
#include "lua/lua_scripts.h"
#include "platform/redis/client.h"

namespace orderplatform::bench {
namespace {

constexpr char kRedisBenchmark[] = "/usr/bin/redis-benchmark";
constexpr char kStockKey[] = "{bench}:stock:s1";
// Far more than any run reserves, so every call succeeds.
constexpr char kAmpleStock[] = "1000000000000000";
// Random ids from this range: a repeat (which would take the cheap "already reserved" path)
// is rare in a few hundred thousand calls.
constexpr char kRandomRange[] = "1000000000";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<double> RunBenchmark(const RedisCeilingOptions& options,
                                    const std::vector<std::string>& args) {
  testenv::ProcessSpec spec{.binary = kRedisBenchmark, .args = args, .name = "redis-benchmark"};
  absl::StatusOr<std::unique_ptr<testenv::Process>> process = testenv::Process::Start(spec);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> exit_code = (*process)->Wait(options.timeout);
  const std::string output = ReadFile((*process)->stdout_path());
  const std::string errors = (*process)->StderrTail(500);
  // The capture directory is ours alone; a benchmark still running after the timeout is
  // killed when `process` goes out of scope.
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path((*process)->stdout_path()).parent_path(),
                              ignored);
  if (!exit_code.ok()) return exit_code.status();
  if (*exit_code != 0) {
    return absl::InternalError(absl::StrCat("redis-benchmark exited ", *exit_code, ": ", errors));
  }
  return ParseRedisBenchmarkCsv(output);
}

std::vector<std::string> CommonArgs(const RedisCeilingOptions& options, int requests,
                                    int clients) {
  return {"-h", options.host, "-p", absl::StrCat(options.port), "-n", absl::StrCat(requests),
          "-c", absl::StrCat(clients), "-r", kRandomRange, "--csv"};
}

}  // namespace

std::vector<std::string> EvalShaBenchmarkArgs(const RedisCeilingOptions& options,
                                              const std::string& sha) {
  std::vector<std::string> args = CommonArgs(options, options.requests, options.clients);
  // KEYS: record, deadlines, stock; ARGV: order id, now_ms, deadline_ms, retention_ms,
  // traceparent, sku, qty. A 60 s retention lets the records go away by themselves; the
  // traceparent is a real one, as the service stores one with every reservation.
  for (const char* arg : {"EVALSHA", sha.c_str(), "3", "{bench}:resv:__rand_int__",
                          "{bench}:deadlines", kStockKey, "__rand_int__", "1", "2", "60000",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "s1", "1"}) {
    args.push_back(arg);
  }
  return args;
}

absl::StatusOr<RedisCeilings> MeasureRedisCeilings(const RedisCeilingOptions& options) {
  redis::RedisOptions redis_options{.host = options.host, .port = options.port};
  absl::StatusOr<std::unique_ptr<redis::RedisClient>> client =
      redis::RedisClient::Connect(redis_options, absl::Seconds(10));
  if (!client.ok()) return client.status();
  absl::StatusOr<redis::RedisReply> sha =
      (*client)->Command({"SCRIPT", "LOAD", std::string(lua::k_reserve)});
  if (!sha.ok()) return sha.status();
  if (sha->is_error()) return absl::InternalError(absl::StrCat("SCRIPT LOAD: ", sha->str));
  absl::StatusOr<redis::RedisReply> seeded = (*client)->Command(
      {"HSET", kStockKey, "available", kAmpleStock, "reserved", "0", "sold", "0"});
  if (!seeded.ok()) return seeded.status();

  RedisCeilings ceilings;
  absl::StatusOr<double> evalsha = RunBenchmark(options, EvalShaBenchmarkArgs(options, sha->str));
  if (!evalsha.ok()) return evalsha.status();
  ceilings.evalsha_per_s = *evalsha;
  absl::StatusOr<redis::RedisReply> reserved = (*client)->Command({"HGET", kStockKey, "reserved"});
  if (!reserved.ok()) return reserved.status();
  if (!absl::SimpleAtoi(reserved->str, &ceilings.units_reserved) ||
      ceilings.units_reserved < options.requests * 9 / 10) {
    // redis-benchmark counts error replies as answers: make sure the script really reserved.
    return absl::InternalError(absl::StrCat("the EVALSHA benchmark reserved ", reserved->str,
                                            " units for ", options.requests,
                                            " calls: the script failed"));
  }

  std::vector<std::string> set_args = CommonArgs(options, options.requests, options.clients);
  for (const char* arg : {"-t", "set"}) set_args.push_back(arg);
  absl::StatusOr<double> set = RunBenchmark(options, set_args);
  if (!set.ok()) return set.status();
  ceilings.set_per_s = *set;

  std::vector<std::string> serial_args = CommonArgs(options, options.serial_requests, 1);
  for (const char* arg : {"-t", "set"}) serial_args.push_back(arg);
  absl::StatusOr<double> serial = RunBenchmark(options, serial_args);
  if (!serial.ok()) return serial.status();
  ceilings.set_serial_per_s = *serial;
  return ceilings;
}

absl::StatusOr<double> ParseRedisBenchmarkCsv(absl::string_view output) {
  std::optional<double> rps;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    // "name","rps",... ; the name may contain commas, so split from the end of the quoted name.
    if (absl::StartsWith(line, "\"test\"")) continue;
    const size_t name_end = line.find("\",\"", 1);
    if (!absl::StartsWith(line, "\"") || name_end == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(name_end + 3);
    const size_t value_end = rest.find('"');
    double value = 0;
    if (value_end != absl::string_view::npos &&
        absl::SimpleAtod(rest.substr(0, value_end), &value)) {
      rps = value;
    }
  }
  if (!rps.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no result row in redis-benchmark output: ", output.substr(0, 200)));
  }
  return *rps;
}

std::map<std::string, int64_t> ParseCommandCalls(absl::string_view info) {
  std::map<std::string, int64_t> calls;
  for (absl::string_view line : absl::StrSplit(info, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string command(line.substr(0, colon));
    for (absl::string_view field : absl::StrSplit(line.substr(colon + 1), ',')) {
      int64_t value = 0;
      if (absl::ConsumePrefix(&field, "calls=") && absl::SimpleAtoi(field, &value)) {
        calls[command] = value;
      }
    }
  }
  return calls;
}

std::optional<int64_t> ParseInfoInteger(absl::string_view info, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(info, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, field) || !absl::ConsumePrefix(&line, ":")) continue;
    int64_t value = 0;
    if (absl::SimpleAtoi(line, &value)) return value;
  }
  return std::nullopt;
}

}  // namespace orderplatform::bench
