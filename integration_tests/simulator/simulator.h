// The deterministic saga simulator: the three services' real handlers, the real Lua scripts on a
// real redis-server, and a seeded scheduler in place of Kafka (saga_world.h). A schedule is a
// list of steps (deliver a batch, crash between effect and commit, redeliver, rewind, re-produce,
// place, cancel, relay, tick the clock, sweep expiries); after every step the invariants that
// hold at every instant are checked, and at the end the world is driven to quiescence and
// checked against I1-I5 (invariants.h).
//
//   Simulator simulator(connections, {.steps = 40});
//   absl::StatusOr<RunResult> result = simulator.RunSeed(7);          // same seed, same run
//   if (result->violation) {
//     absl::StatusOr<RunResult> minimal = simulator.Shrink(*result);   // shortest failing schedule
//     std::cout << FormatReport(*minimal);
//   }
//
// Determinism: the schedule is drawn from SplitMix64 seeded by the seed; the clock is simulated
// (every handler, the sweeper and the outbox get it as now_ms, the payment mock's latency
// advances it); Redis is flushed before each schedule; nothing reads the wall clock or iterates
// an unordered container to decide anything. The same seed and step count therefore give the
// same steps, the same state and the same fingerprint on every run.
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIMULATOR_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration_tests/simulator/invariants.h"
#include "integration_tests/simulator/saga_world.h"
#include "orderplatform/v1/order_service.pb.h"
#include "orderplatform/v1/payment_service.pb.h"

namespace orderplatform::simulator {

enum class StepKind {
  kPlace,       // PlaceOrder (a new request_id)
  kRetryPlace,  // PlaceOrder again with an earlier request_id (the client's retry)
  kCancel,      // CancelOrder
  kRelay,       // one pass of the order outbox's relay
  kDeliver,     // a consumer handles its next batch of one partition and commits
  kCrash,       // ... handles it, a prefix of its events is acknowledged, and it dies: no commit
  kRedeliver,   // ... handles an already committed batch again (zombie, lost commit)
  kRewind,      // ... restarts from an older committed offset
  kReproduce,   // a record is produced again (producer retry): a duplicate at a later offset
  kTick,        // the clock advances
  kSweep,       // one pass of the expiry sweeper
  kSetBehavior, // the operator changes the payment mock's behavior (SimulatorOptions)
};

struct Step {
  StepKind kind = StepKind::kTick;
  orderplatform::v1::PlaceOrderRequest request;  // kPlace; the others use request.request_id()
  // kPlace, kRetryPlace, kCancel, kSweep, kCrash: how many of the published events the broker
  // acknowledged before the crash; -1: all of them, no crash.
  int events_acked = -1;
  int consumer = 0;  // index into SagaWorld::consumers()
  std::string topic;
  int partition = 0;
  int count = 1;       // batch size
  int64_t offset = 0;  // kRedeliver: from; kRewind: to; kReproduce: which record
  int64_t tick_ms = 0;  // kTick
  orderplatform::v1::PaymentBehavior behavior;  // kSetBehavior
};

// One readable line, e.g. "deliver inventory <- orders.v1/1 x2".
std::string Describe(const Step& step);

struct SimulatorOptions {
  int steps = 40;        // steps of a generated schedule
  int batch_max = 3;     // largest batch a consumer is handed
  int orders_max = 6;    // placements per schedule
  // Also generate kSetBehavior steps. Off by default: a behavior change between an order's
  // unanswered StockReserved and its replay makes the replay decide anew (see
  // docs/RELIABILITY.md, "Deterministic simulator"), which I5 reports.
  bool behavior_changes = false;
  WorldOptions world;    // test seams
};

struct RunResult {
  SagaSetup setup;
  std::vector<Step> steps;  // as run
  std::optional<Violation> violation;
  // Index of the step after which the violation was seen; -1 when it was seen while driving to
  // quiescence or replaying (see `phase`).
  int violation_step = -1;
  std::string phase;        // "step", "quiescence", "replay"; empty without a violation
  std::string fingerprint;  // hash of the final state and the topics' sizes
  int64_t messages_handled = 0;
  int64_t records = 0;  // records in all topics at the end
  // How the orders ended: "CONFIRMED", "CANCELLED(PAYMENT_DECLINED)", ... -> count. Tests use it
  // to show that the schedules reach every ending of the saga.
  std::map<std::string, int> outcomes;
};

class Simulator {
 public:
  Simulator(RedisConnections redis, SimulatorOptions options);

  // The world a seed starts from (partitions, stock, payment behavior).
  static SagaSetup SetupFor(uint64_t seed);

  // Generates options.steps steps from `seed` (each picked from what is possible in the state
  // at that point) and runs them. An error is the test environment's (Redis down), never a
  // violation.
  absl::StatusOr<RunResult> RunSeed(uint64_t seed);
  // Runs the given steps as they are; a step that finds nothing to do does nothing.
  absl::StatusOr<RunResult> RunSteps(const SagaSetup& setup, const std::vector<Step>& steps);

  // Greedily finds a short schedule that still violates the same invariant: the shortest
  // failing prefix, then removal of ever smaller chunks of steps (delta debugging), then smaller
  // batches. Bounded by `runs_max` runs. `failing` must hold a violation.
  absl::StatusOr<RunResult> Shrink(const RunResult& failing, int runs_max = 3000);

  // One schedule in progress (simulator.cc).
  class Run;

 private:
  // What both ways of running share; the steps come from `next`.
  absl::StatusOr<RunResult> RunSchedule(const SagaSetup& setup, int steps,
                                        const std::function<Step(int index, Run& run)>& next);

  RedisConnections redis_;
  SimulatorOptions options_;
};

// The setup, the numbered steps and the violation, ready to print.
std::string FormatReport(const RunResult& result);

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIMULATOR_H_
