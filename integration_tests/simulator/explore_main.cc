// explore: runs many seeded schedules of the saga simulator and reports how fast and whether any
// broke an invariant; a failing schedule is shrunk and printed as readable steps with its seed.
//
//   bazel run -c opt //integration_tests/simulator:explore -- --schedules=10000 --seed=1
//   bazel run //integration_tests/simulator:explore -- --seed=4711 --steps=40   # one seed, verbose
//
// Schedule i of a run uses seed (--seed + i), so a failure found in a long run is replayed on its
// own with --seed=<its seed> and the same --steps (--schedules defaults to 1, which prints the
// whole schedule). Each worker thread has its own redis-server; which worker runs a seed does not
// change its result. Exit status: 0 without violations, 1 with, 2 when the environment failed.
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "integration_tests/simulator/sim_redis.h"
#include "integration_tests/simulator/simulator.h"
#include "platform/log/log.h"

ABSL_FLAG(uint64_t, seed, 1, "Seed of the first schedule; schedule i uses seed + i.");
ABSL_FLAG(int64_t, schedules, 1,
          "How many schedules to run. 1 replays --seed alone and prints its whole schedule.");
ABSL_FLAG(int32_t, steps, 40, "Steps per schedule (before the drive to quiescence).");
ABSL_FLAG(int32_t, batch_max, 3, "Largest batch a simulated consumer is handed.");
ABSL_FLAG(int32_t, orders_max, 6, "Orders placed per schedule at most.");
ABSL_FLAG(bool, behavior_changes, false,
          "Also let the operator change the payment behavior mid-schedule (finds the known I5 "
          "gap for unanswered payments; see docs/RELIABILITY.md).");
ABSL_FLAG(int32_t, workers, 2, "Threads, each with its own redis-server (ignored with --redis).");
ABSL_FLAG(int32_t, report_max, 3, "Failing schedules to shrink and print; the rest are counted.");
ABSL_FLAG(bool, shrink, true, "Shrink a failing schedule before printing it.");
ABSL_FLAG(std::string, redis, "",
          "host:port of a redis-server to use; EVERY SCHEDULE FLUSHALLs IT. Empty: start one "
          "per worker.");

namespace orderplatform::simulator {
namespace {

constexpr int kWorkersMax = 16;

// What the workers add up, under `mu`.
struct Totals {
  absl::Mutex mu;
  int64_t violations = 0;
  int64_t steps = 0;
  int64_t messages = 0;
  std::map<std::string, int64_t> endings;  // how the orders ended, over every schedule
  std::string environment_error;           // set: stop, exit 2
};

// Runs seeds first_seed + i for every i < schedules with i % workers == worker.
void Work(int worker, int workers, Totals* totals) {
  const int64_t schedules = absl::GetFlag(FLAGS_schedules);
  const uint64_t first_seed = absl::GetFlag(FLAGS_seed);
  auto fail = [totals](const std::string& why) {
    absl::MutexLock lock(&totals->mu);
    if (totals->environment_error.empty()) totals->environment_error = why;
  };
  absl::StatusOr<std::unique_ptr<SimRedis>> redis = SimRedis::Start(absl::GetFlag(FLAGS_redis));
  if (!redis.ok()) return fail(absl::StrCat("no redis: ", redis.status().ToString()));
  Simulator simulator((*redis)->connections(),
                      {.steps = absl::GetFlag(FLAGS_steps),
                       .batch_max = absl::GetFlag(FLAGS_batch_max),
                       .orders_max = absl::GetFlag(FLAGS_orders_max),
                       .behavior_changes = absl::GetFlag(FLAGS_behavior_changes)});
  for (int64_t i = worker; i < schedules; i += workers) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    absl::StatusOr<RunResult> result = simulator.RunSeed(seed);
    if (!result.ok()) {
      return fail(absl::StrCat("seed ", seed, ": ", result.status().ToString()));
    }
    int64_t violation_number = 0;
    {
      absl::MutexLock lock(&totals->mu);
      if (!totals->environment_error.empty()) return;
      totals->steps += static_cast<int64_t>(result->steps.size());
      totals->messages += result->messages_handled;
      for (const auto& [ending, count] : result->outcomes) totals->endings[ending] += count;
      if (result->violation.has_value()) violation_number = ++totals->violations;
    }
    std::string report;
    if (schedules == 1) report = FormatReport(*result);
    if (violation_number > 0 && violation_number <= absl::GetFlag(FLAGS_report_max)) {
      absl::StrAppend(&report, "\nseed ", seed, " violates ", result->violation->invariant, ": ",
                      result->violation->detail, "\n");
      if (absl::GetFlag(FLAGS_shrink)) {
        absl::StatusOr<RunResult> minimal = simulator.Shrink(*result);
        if (!minimal.ok()) return fail(absl::StrCat("shrinking: ", minimal.status().ToString()));
        absl::StrAppend(&report, "minimal schedule (", minimal->steps.size(), " of ",
                        result->steps.size(), " steps):\n", FormatReport(*minimal));
      }
      absl::StrAppend(&report, "replay: bazel run //integration_tests/simulator:explore -- --seed=",
                      seed, " --steps=", absl::GetFlag(FLAGS_steps), " --orders_max=",
                      absl::GetFlag(FLAGS_orders_max), " --batch_max=",
                      absl::GetFlag(FLAGS_batch_max),
                      absl::GetFlag(FLAGS_behavior_changes) ? " --behavior_changes" : "", "\n");
    }
    if (!report.empty()) {
      absl::MutexLock lock(&totals->mu);
      std::cout << report << std::flush;
    }
  }
}

int Main() {
  log::SetMinLevel(log::Level::kError);  // the services' info lines would drown the report
  const int64_t schedules = absl::GetFlag(FLAGS_schedules);
  if (schedules < 1 || absl::GetFlag(FLAGS_steps) < 0 || absl::GetFlag(FLAGS_batch_max) < 1 ||
      absl::GetFlag(FLAGS_orders_max) < 1 || absl::GetFlag(FLAGS_workers) < 1 ||
      absl::GetFlag(FLAGS_workers) > kWorkersMax) {
    std::cerr << "explore: --schedules, --batch_max, --orders_max must be >= 1, --steps >= 0, "
                 "--workers in [1, "
              << kWorkersMax << "]\n";
    return 2;
  }
  // A shared server would have the workers flush each other's schedules.
  const int workers = absl::GetFlag(FLAGS_redis).empty()
                          ? static_cast<int>(std::min<int64_t>(absl::GetFlag(FLAGS_workers),
                                                               schedules))
                          : 1;
  std::cout << "explore: " << schedules << " schedule(s) from seed " << absl::GetFlag(FLAGS_seed)
            << ", " << absl::GetFlag(FLAGS_steps) << " steps each, " << workers << " worker(s)"
            << std::endl;

  Totals totals;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int worker = 0; worker < workers; ++worker) {
    threads.emplace_back(Work, worker, workers, &totals);
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  absl::MutexLock lock(&totals.mu);
  if (!totals.environment_error.empty()) {
    std::cerr << "explore: environment failed: " << totals.environment_error << "\n";
    return 2;
  }
  std::cout << absl::StrFormat(
                   "schedules=%d violations=%d seconds=%.1f schedules_per_second=%.1f "
                   "steps=%d messages_handled=%d",
                   schedules, totals.violations, seconds, static_cast<double>(schedules) / seconds,
                   totals.steps, totals.messages)
            << std::endl;
  std::string endings;
  for (const auto& [ending, count] : totals.endings) {
    absl::StrAppend(&endings, endings.empty() ? "" : " ", ending, "=", count);
  }
  std::cout << "order endings: " << endings << std::endl;
  return totals.violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::simulator

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Explores seeded schedules of the saga simulator; see docs/RELIABILITY.md.");
  absl::ParseCommandLine(argc, argv);
  return orderplatform::simulator::Main();
}
