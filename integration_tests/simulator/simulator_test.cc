// The saga simulator against the services as they are (no schedule may break an invariant), its
// determinism, and proof that it can fail: two deliberately broken variants of the platform are
// caught and shrunk to a few readable steps.
#include "integration_tests/simulator/simulator.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "integration_tests/simulator/sim_redis.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/topics.h"
#include "platform/log/log.h"
#include "services/inventory/inventory_keys.h"

namespace orderplatform::simulator {
namespace {

// Small schedules, many of them: 500 x 24 steps stays well inside the test's time on two cores.
constexpr int kSchedules = 500;
constexpr int kSchedulesPerBlock = 125;
constexpr int kSteps = 24;

class SimulatorTest : public ::testing::Test {
 protected:
  // One redis-server for the whole suite; every schedule starts with FLUSHALL.
  static void SetUpTestSuite() {
    log::SetMinLevel(log::Level::kError);
    absl::StatusOr<std::unique_ptr<SimRedis>> redis = SimRedis::Start("");
    if (!redis.ok()) {
      std::cerr << "no redis-server: " << redis.status() << "\n";
      return;
    }
    redis_ = redis->release();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(redis_, nullptr) << "redis-server did not start"; }

  static RedisConnections Connections() { return redis_->connections(); }

  // The first failing seed among [1, seeds_max], or nullopt.
  static std::optional<RunResult> FirstFailure(Simulator& simulator, int seeds_max) {
    for (int seed = 1; seed <= seeds_max; ++seed) {
      absl::StatusOr<RunResult> result = simulator.RunSeed(seed);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) return std::nullopt;
      if (result->violation.has_value()) return *std::move(result);
    }
    return std::nullopt;
  }

  static SimRedis* redis_;
};

SimRedis* SimulatorTest::redis_ = nullptr;

// 500 schedules in blocks of 125 seeds, so that the test's shards run blocks in parallel.
class SimulatorBlockTest : public SimulatorTest, public ::testing::WithParamInterface<int> {};

TEST_P(SimulatorBlockTest, SchedulesBreakNoInvariantAndReachEveryEnding) {
  Simulator simulator(Connections(), {.steps = kSteps});
  const int first_seed = 1 + GetParam() * kSchedulesPerBlock;
  int violations = 0;
  std::map<std::string, int> outcomes;
  for (int seed = first_seed; seed < first_seed + kSchedulesPerBlock; ++seed) {
    absl::StatusOr<RunResult> result = simulator.RunSeed(seed);
    ASSERT_TRUE(result.ok()) << "seed " << seed << ": " << result.status();
    for (const auto& [outcome, count] : result->outcomes) outcomes[outcome] += count;
    if (!result->violation.has_value()) continue;
    ++violations;
    absl::StatusOr<RunResult> minimal = simulator.Shrink(*result);
    ADD_FAILURE() << "seed " << seed << " breaks an invariant; minimal schedule:\n"
                  << (minimal.ok() ? FormatReport(*minimal) : FormatReport(*result))
                  << "replay: bazel run //integration_tests/simulator:explore -- --seed=" << seed
                  << " --steps=" << kSteps;
    if (violations >= 3) break;  // enough to debug; the rest would repeat it
  }
  EXPECT_EQ(violations, 0);
  // A simulator that never reached an ending would pass the loop above vacuously.
  for (const char* ending :
       {"CONFIRMED", "CANCELLED(OUT_OF_STOCK)", "CANCELLED(PAYMENT_DECLINED)",
        "CANCELLED(RESERVATION_EXPIRED)", "CANCELLED(CUSTOMER_REQUEST)"}) {
    EXPECT_GT(outcomes[ending], 0) << ending << " never happened in seeds " << first_seed
                                   << ".." << first_seed + kSchedulesPerBlock - 1;
  }
}

INSTANTIATE_TEST_SUITE_P(FiveHundredSchedules, SimulatorBlockTest,
                         ::testing::Range(0, kSchedules / kSchedulesPerBlock));

TEST_F(SimulatorTest, SameSeedGivesTheSameScheduleAndTheSameState) {
  Simulator simulator(Connections(), {.steps = 60});
  absl::StatusOr<RunResult> first = simulator.RunSeed(4711);
  absl::StatusOr<RunResult> second = simulator.RunSeed(4711);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(FormatReport(*first), FormatReport(*second));
  EXPECT_EQ(first->fingerprint, second->fingerprint);
  EXPECT_EQ(first->messages_handled, second->messages_handled);
  EXPECT_GT(first->messages_handled, 0);

  // The step list alone replays it too: what the shrinker and a printed schedule rely on.
  absl::StatusOr<RunResult> replayed = simulator.RunSteps(first->setup, first->steps);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->fingerprint, first->fingerprint);

  absl::StatusOr<RunResult> other = simulator.RunSeed(4712);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->fingerprint, first->fingerprint);
}

// The contract's consumer stores offsets only after the effect; this one commits first, so a
// crash right after the commit skips the batch.
TEST_F(SimulatorTest, CatchesAConsumerThatCommitsBeforeItsEffectAndShrinksIt) {
  Simulator simulator(Connections(), {.steps = kSteps,
                                      .world = {.consumers_commit_before_effect = true}});
  std::optional<RunResult> failing = FirstFailure(simulator, 100);
  ASSERT_TRUE(failing.has_value()) << "no schedule caught a consumer that commits first";
  absl::StatusOr<RunResult> minimal = simulator.Shrink(*failing);
  ASSERT_TRUE(minimal.ok()) << minimal.status();
  std::cout << "commit-before-effect, seed " << failing->setup.seed << ", "
            << failing->steps.size() << " steps shrunk to " << minimal->steps.size() << ":\n"
            << FormatReport(*minimal);
  ASSERT_TRUE(minimal->violation.has_value());
  EXPECT_EQ(minimal->violation->invariant, failing->violation->invariant);
  // The smallest story: a placement and a crash of a consumer that had already committed.
  EXPECT_LE(minimal->steps.size(), 3u);
  bool has_crash = false;
  for (const Step& step : minimal->steps) has_crash |= step.kind == StepKind::kCrash;
  EXPECT_TRUE(has_crash) << "only a crash can expose a commit that came too early";

  // The printed schedule is replayable as it is.
  absl::StatusOr<RunResult> again = simulator.RunSteps(minimal->setup, minimal->steps);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->violation.has_value());
  EXPECT_EQ(again->violation->detail, minimal->violation->detail);
}

// The bug the style guide remembers from the seed: a reservation record dropped once it is
// closed ("cleanup"), so the dedup marker is gone and a replayed OrderPlaced reserves again.
class ForgetfulInventory : public kafka::BatchHandler {
 public:
  ForgetfulInventory(kafka::BatchHandler* real, redis::RedisClient* redis)
      : real_(real), redis_(redis) {}

  absl::StatusOr<std::vector<kafka::OutgoingMessage>> Handle(
      absl::Span<const kafka::ConsumedMessage> batch) override {
    absl::StatusOr<std::vector<kafka::OutgoingMessage>> out = real_->Handle(batch);
    if (!out.ok()) return out;
    for (const kafka::OutgoingMessage& message : *out) {
      orderplatform::v1::InventoryEvent event;
      if (message.topic != events::kInventoryTopic || !event.ParseFromString(message.value) ||
          !event.has_stock_committed()) {
        continue;
      }
      absl::StatusOr<redis::RedisReply> deleted = redis_->Command(
          {"DEL", inventory::InventoryKeys().Reservation(event.envelope().order_id())});
      if (!deleted.ok()) return deleted.status();
    }
    return out;
  }

 private:
  kafka::BatchHandler* real_;
  redis::RedisClient* redis_;
};

TEST_F(SimulatorTest, CatchesAnInventoryThatForgetsClosedReservationsAndShrinksIt) {
  WorldOptions broken{.wrap_inventory_handler = [](kafka::BatchHandler* real,
                                                   redis::RedisClient* redis) {
    return std::unique_ptr<kafka::BatchHandler>(new ForgetfulInventory(real, redis));
  }};
  Simulator simulator(Connections(), {.steps = kSteps, .world = broken});
  std::optional<RunResult> failing = FirstFailure(simulator, 100);
  ASSERT_TRUE(failing.has_value()) << "no schedule caught an inventory that forgets";
  absl::StatusOr<RunResult> minimal = simulator.Shrink(*failing);
  ASSERT_TRUE(minimal.ok()) << minimal.status();
  std::cout << "forgetful inventory, seed " << failing->setup.seed << ", "
            << failing->steps.size() << " steps shrunk to " << minimal->steps.size() << ":\n"
            << FormatReport(*minimal);
  ASSERT_TRUE(minimal->violation.has_value());
  EXPECT_EQ(minimal->violation->invariant, failing->violation->invariant);
  // The drive to quiescence sells what a schedule placed, so a placement may be all it takes.
  EXPECT_LE(minimal->steps.size(), 5u);
}

// A finding of the simulator, now a regression test (docs/RELIABILITY.md, "Deterministic
// simulator"): the payment mock used to record nothing for an order it never answered, so after
// the operator changed the behavior, a replayed StockReserved was decided anew and authorized an
// order whose reservation had expired long ago; release and refund followed (I4 held), but the
// replay created a payment (I5). The ledger now records "no answer" like a decision.
TEST_F(SimulatorTest, BehaviorChangeDoesNotLetAReplayPayAnOrderThatWasNeverAnswered) {
  SagaSetup setup{.seed = 0, .partitions = 1, .reservation_ttl_ms = 1000,
                  .stock = {{"SKU-A", 5}}};
  setup.behavior.set_no_answer_rate(1);
  std::vector<Step> steps(4);
  steps[0].kind = StepKind::kPlace;
  steps[0].request.set_request_id("req-0");
  steps[0].request.set_customer_id("c-1");
  steps[0].request.set_amount_cents(1000);
  steps[0].request.set_currency("EUR");
  orderplatform::v1::OrderLine* line = steps[0].request.add_lines();
  line->set_sku("SKU-A");
  line->set_quantity(1);
  steps[1] = Step{.kind = StepKind::kDeliver, .consumer = 0, .topic = events::kOrdersTopic};
  steps[2] = Step{.kind = StepKind::kDeliver, .consumer = 1, .topic = events::kInventoryTopic};
  steps[3] = Step{.kind = StepKind::kSetBehavior};  // the defaults: authorize everything

  Simulator simulator(Connections(), {});
  absl::StatusOr<RunResult> result = simulator.RunSteps(setup, steps);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->violation.has_value()) << FormatReport(*result);
  // The order ended by expiry, and the replay from offset 0 (checked for I5 by RunSteps) kept
  // it that way: no payment appeared.
  EXPECT_EQ(result->outcomes,
            (std::map<std::string, int>{{"CANCELLED(RESERVATION_EXPIRED)", 1}}));
}

}  // namespace
}  // namespace orderplatform::simulator
