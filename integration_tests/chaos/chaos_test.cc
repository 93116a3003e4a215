// The short chaos run of `bazel test //...`: ~200 orders of every kind while eight faults hit
// the platform (a redis-server restart, a kill -9 of every service, a Kafka outage, injected
// Kafka request errors, broker faults), then every invariant checked (chaos_runner.h).
//
// The seed is fixed so that CI replays one known schedule; another one is a flag away:
//   bazel test //integration_tests/chaos:chaos_test --test_env=CHAOS_SEED=12345
// A failure prints the seed, the plan's digest and every violation; the soak binary replays
// any seed with more orders (chaos_soak.cc).
#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "integration_tests/chaos/chaos_plan.h"
#include "integration_tests/chaos/chaos_runner.h"

namespace orderplatform::chaos {
namespace {

constexpr uint64_t kDefaultSeed = 20240611;

uint64_t Seed() {
  const char* text = std::getenv("CHAOS_SEED");
  uint64_t seed = kDefaultSeed;
  if (text != nullptr && !absl::SimpleAtoi(text, &seed)) {
    ADD_FAILURE() << "CHAOS_SEED=" << text << " is not a number";
  }
  return seed;
}

TEST(ChaosTest, MixedOrdersUnderFaultsKeepEveryInvariant) {
  const uint64_t seed = Seed();
  std::cerr << "chaos seed=" << seed << std::endl;
  const ChaosPlan plan = MakePlan({.seed = seed,
                                   .orders = 200,
                                   .faults = 8,
                                   .duration = absl::Seconds(70),
                                   .brokers = 3,
                                   .partitions = 6});
  ASSERT_EQ(plan.CountFaults(FaultKind::kRedisRestart), 1);
  const absl::StatusOr<ChaosReport> report = RunChaos(plan, {.reservation_ttl_ms = 4000,
                                                             .client_threads = 8,
                                                             .settle_timeout = absl::Seconds(120),
                                                             .watch_sample = 60,
                                                             .log = &std::cerr});
  ASSERT_TRUE(report.ok()) << "seed " << seed << ": " << report.status();
  std::cerr << report->Summary();
  EXPECT_TRUE(report->violations.empty()) << "seed " << seed << "\n" << report->Summary();
  // The run really did what it claims: faults injected and orders through the saga.
  EXPECT_EQ(report->faults_injected, 8);
  EXPECT_GE(report->orders_acknowledged, 190) << "clients retry until the platform answers";
  EXPECT_GT(report->outcomes.count("CONFIRMED"), 0u);
  EXPECT_GT(report->stock_samples, 0);
  EXPECT_GT(report->reproduced_messages, report->orders_acknowledged);
}

}  // namespace
}  // namespace orderplatform::chaos
