// The long chaos soak: the chaos run of chaos_test.cc with as many orders and faults as asked,
// for a `bazel run`. Prints its seed first; the same seed replays the same schedule of orders
// and faults (the plan digest printed next proves it). Exits 0 when no invariant was violated,
// 1 when one was, 2 when the harness itself failed.
//
//   bazel run //integration_tests/chaos:chaos_soak -- --orders=20000 --faults=40 --seed=7
//   bazel run //integration_tests/chaos:chaos_soak -- --orders=500 --duration_s=120 --print_plan
#include <chrono>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "integration_tests/chaos/chaos_plan.h"
#include "integration_tests/chaos/chaos_runner.h"

ABSL_FLAG(uint64_t, seed, 0, "Seed of the schedule; 0 picks one from the clock (printed).");
ABSL_FLAG(int32_t, orders, 20000, "Orders to place.");
ABSL_FLAG(int32_t, faults, 40, "Faults to inject (one of them a redis-server restart).");
ABSL_FLAG(int32_t, redis_restarts, 1, "How many of the faults restart redis-server.");
ABSL_FLAG(int32_t, duration_s, 0,
          "Seconds over which orders and faults are spread; 0: orders / 40 (about what two "
          "cores sustain), at least 60.");
ABSL_FLAG(int32_t, brokers, 3, "Devbroker brokers.");
ABSL_FLAG(int32_t, partitions, 12,
          "Partitions per topic: the devbroker keeps at most 100,000 messages or 5 MB per "
          "partition, and the replay check doubles every topic.");
ABSL_FLAG(int32_t, instances, 1, "Instances of each service (same consumer groups).");
ABSL_FLAG(int32_t, client_threads, 16, "Client threads placing orders.");
ABSL_FLAG(int64_t, reservation_ttl_ms, 4000, "Inventory's --reservation_ttl_ms.");
ABSL_FLAG(int32_t, settle_timeout_s, 300,
          "I2's bound: every order terminal this long after the last fault.");
ABSL_FLAG(int32_t, topic_timeout_s, 600, "Bound on reading or producing whole topics.");
ABSL_FLAG(int32_t, read_patience_s, 180,
          "How long the checker retries one gRPC read that times out (a loaded machine).");
ABSL_FLAG(int32_t, watch_sample, 300,
          "Orders whose WatchOrder stream is checked on every order instance (-1: all).");
ABSL_FLAG(bool, print_plan, false, "Print every planned order too, not only the faults.");

namespace orderplatform::chaos {
namespace {

int Main() {
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) {
    seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch() /
                                 std::chrono::microseconds(1));
  }
  std::cout << "seed=" << seed << std::endl;
  const int orders = absl::GetFlag(FLAGS_orders);
  int duration_s = absl::GetFlag(FLAGS_duration_s);
  if (duration_s <= 0) duration_s = std::max(60, orders / 40);
  const ChaosPlan plan = MakePlan({.seed = seed,
                                   .orders = orders,
                                   .faults = std::max(1, absl::GetFlag(FLAGS_faults)),
                                   .redis_restarts = absl::GetFlag(FLAGS_redis_restarts),
                                   .duration = absl::Seconds(duration_s),
                                   .brokers = absl::GetFlag(FLAGS_brokers),
                                   .partitions = absl::GetFlag(FLAGS_partitions),
                                   .order_instances = absl::GetFlag(FLAGS_instances),
                                   .inventory_instances = absl::GetFlag(FLAGS_instances),
                                   .payment_instances = absl::GetFlag(FLAGS_instances)});
  std::cout << "plan digest=" << plan.Digest() << std::endl;
  if (absl::GetFlag(FLAGS_print_plan)) std::cout << plan.Describe();
  const absl::StatusOr<ChaosReport> report =
      RunChaos(plan, {.reservation_ttl_ms = absl::GetFlag(FLAGS_reservation_ttl_ms),
                      .client_threads = absl::GetFlag(FLAGS_client_threads),
                      .settle_timeout = absl::Seconds(absl::GetFlag(FLAGS_settle_timeout_s)),
                      .topic_timeout = absl::Seconds(absl::GetFlag(FLAGS_topic_timeout_s)),
                      .read_patience = absl::Seconds(absl::GetFlag(FLAGS_read_patience_s)),
                      .watch_sample = absl::GetFlag(FLAGS_watch_sample),
                      .log = &std::cout});
  if (!report.ok()) {
    std::cout << "seed=" << seed << " HARNESS FAILED: " << report.status() << std::endl;
    return 2;
  }
  std::cout << report->Summary() << std::flush;
  return report->violations.empty() ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::chaos

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The chaos soak: orders of every kind under a seeded schedule of faults, then every "
      "invariant of the contract checked.");
  absl::ParseCommandLine(argc, argv);
  return orderplatform::chaos::Main();
}
