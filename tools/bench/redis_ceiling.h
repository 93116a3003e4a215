// The Redis ceilings of the bench, measured with redis-benchmark against a redis-server
// configured like the stack's (testenv::RedisServer: AOF on, appendfsync always):
//
//   EVALSHA  lua/reserve.lua, loaded with SCRIPT LOAD, reserving 1 unit of one well-stocked SKU
//            for a random order id (so every call takes the full reserve path: a new record,
//            HINCRBY x2, HSET, PEXPIRE, ZADD). Keys use their own hash tag ({bench}), never the
//            inventory's ({op}).
//   SET      plain SET of random keys: Redis's round trip without a script; with `clients`
//            clients, and with one client (a sequential writer, as each service's consumer
//            is: every write waits for its own reply, so with appendfsync always for its own
//            fsync).
//
//   absl::StatusOr<RedisCeilings> c = MeasureRedisCeilings({.host = "127.0.0.1", .port = p});
//
// Also INFO commandstats parsing, with which the bench counts the services' commands per order.
#ifndef ORDERPLATFORM_TOOLS_BENCH_REDIS_CEILING_H_
#define ORDERPLATFORM_TOOLS_BENCH_REDIS_CEILING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orderplatform::bench {

struct RedisCeilingOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int requests = 200000;  // per benchmark
  int clients = 50;
  int serial_requests = 2000;  // the one-client SET run
  absl::Duration timeout = absl::Minutes(3);  // per redis-benchmark run
};

struct RedisCeilings {
  double evalsha_per_s = 0;
  double set_per_s = 0;
  double set_serial_per_s = 0;  // one client
  int64_t units_reserved = 0;  // what the EVALSHA run reserved: proof it took the reserve path
};

absl::StatusOr<RedisCeilings> MeasureRedisCeilings(const RedisCeilingOptions& options);

// The rps of the last data row of `redis-benchmark --csv` output (header
// "test","rps",...). INVALID_ARGUMENT when there is none.
absl::StatusOr<double> ParseRedisBenchmarkCsv(absl::string_view output);

// calls per command from INFO commandstats ("cmdstat_evalsha:calls=12,usec=...").
std::map<std::string, int64_t> ParseCommandCalls(absl::string_view info);

// An integer field of INFO ("total_reads_processed:4890"); nullopt when absent or malformed.
// total_reads_processed counts the socket reads that brought commands: with clients that wait
// for each reply, one per round trip.
std::optional<int64_t> ParseInfoInteger(absl::string_view info, absl::string_view field);

// The redis-benchmark arguments of the EVALSHA run (exposed for tests and the docs).
std::vector<std::string> EvalShaBenchmarkArgs(const RedisCeilingOptions& options,
                                              const std::string& sha);

}  // namespace orderplatform::bench

#endif  // ORDERPLATFORM_TOOLS_BENCH_REDIS_CEILING_H_
