// Runs a ChaosPlan against a whole platform started for it (testenv::Stack): client threads
// place the plan's orders on time, retrying the way a real client does (same request_id on
// UNAVAILABLE / DEADLINE_EXCEEDED / ABORTED), customers cancel some of them, a monitor samples
// every SKU's stock (I1 at every instant), and the calling thread injects the plan's faults on
// schedule (kill -9 and restart of services and redis-server, broker outages, slow brokers,
// leader moves, injected Kafka request errors), restarting any service that exits by itself, as
// a supervisor would. Then it waits for quiescence (bounded) and checks every invariant:
//
//   I1-I4  gRPC state and topic facts (invariant_checker.h), from every order instance
//   I2     every accepted order terminal within `settle_timeout` after the faults stopped
//   I5     every saga message produced again: after the consumers caught up, nothing changed
//   I6     the clients' own retries and repeats, plus PlaceOrder twice on every instance
//   I7     garbage on each topic lands in its .dlq, changes nothing, kills no service; bad
//          gRPC requests get INVALID_ARGUMENT and emit nothing
//   I8     all of the above after the kills and restarts
//
// Must be called from a thread that outlives the run (the test's main thread): it starts and
// restarts child processes, whose PR_SET_PDEATHSIG is tied to the thread that forked them.
//
//   ChaosPlan plan = MakePlan({.seed = 7, .orders = 200, .faults = 8});
//   absl::StatusOr<ChaosReport> report = RunChaos(plan, {.reservation_ttl_ms = 4000});
//   ASSERT_TRUE(report.ok()) << report.status();        // the harness itself worked
//   EXPECT_TRUE(report->violations.empty()) << report->Summary();
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_RUNNER_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_RUNNER_H_

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration_tests/chaos/chaos_plan.h"
#include "integration_tests/chaos/invariant_checker.h"
#include "integration_tests/testenv/stack.h"

namespace orderplatform::chaos {

struct ChaosOptions {
  int64_t reservation_ttl_ms = 4000;
  int64_t expiry_interval_ms = 200;
  int client_threads = 8;
  // How long a client keeps retrying one PlaceOrder or CancelOrder before it gives up.
  absl::Duration placement_patience = absl::Seconds(90);
  // I2's bound: every accepted order is terminal this long after the last fault was reverted
  // (and the last order placed), and the consumer groups have caught up.
  absl::Duration settle_timeout = absl::Seconds(120);
  // Reading, or producing again, whole topics.
  absl::Duration topic_timeout = absl::Seconds(120);
  // How long the checker retries one read (GetOrder, GetPayment, GetStock) that times out.
  absl::Duration read_patience = absl::Seconds(60);
  // Orders whose WatchOrder stream is read from every order instance; negative: all of them.
  int watch_sample = 100;
  // Progress lines go here (nullptr: silent).
  std::ostream* log = nullptr;
  // Called on the calling thread right after a fault was applied (`applied` true) and right
  // before it is reverted (false); for tests that look closer at one kind of fault.
  std::function<void(const PlannedFault& fault, bool applied, testenv::Stack& stack)> fault_hook;
};

struct ChaosReport {
  uint64_t seed = 0;
  std::string digest;
  int orders_planned = 0;
  int orders_acknowledged = 0;           // PlaceOrder answered OK
  int orders_stored_unacknowledged = 0;  // every attempt failed, but the order exists
  int orders_never_stored = 0;           // every attempt failed and GetOrder finds nothing
  int placement_attempts = 0;            // PlaceOrder calls, retries included
  int placed_twice = 0;                  // requests sent again after their success (I6)
  int cancels_requested = 0;
  int cancels_refused_confirmed = 0;
  int cancels_unanswered = 0;
  std::map<std::string, int> outcomes;        // "CONFIRMED", "CANCELLED/OUT_OF_STOCK", ...
  std::map<std::string, int> faults_by_kind;  // injected, by FaultKindName
  int faults_injected = 0;
  std::vector<std::string> self_exits;  // services that exited without being killed, and why
  int64_t stock_samples = 0;            // GetStock reads the I1 monitor checked
  int reproduced_messages = 0;
  int garbage_messages = 0;
  absl::Duration chaos_time;   // from the first order to the last fault reverted / order placed
  absl::Duration settle_time;  // from then until every order was terminal
  absl::Duration total_time;
  std::vector<Violation> violations;

  std::string Summary() const;
};

// Starts a stack shaped by plan.options, runs the plan, checks, tears the stack down. An error
// status means the harness could not do its job (a server did not start, a devbroker control
// failed); the platform's failures are `violations`.
absl::StatusOr<ChaosReport> RunChaos(const ChaosPlan& plan, const ChaosOptions& options);

}  // namespace orderplatform::chaos

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_RUNNER_H_
