// The chaos run's schedule, as a pure function of a seed: which orders are placed when (and
// which of them the customer cancels), and which faults hit the platform when and for how long.
// Nothing here touches a process, a clock or a socket, so the same seed always yields the same
// plan (byte for byte: see Describe() and Digest()), and a failing run can be replayed with its
// seed. The timing of the real system around the plan is not deterministic; the plan is.
//
//   ChaosPlan plan = MakePlan({.seed = 42, .orders = 200, .faults = 8,
//                              .duration = absl::Seconds(60)});
//   std::cout << "seed=" << plan.options.seed << " digest=" << plan.Digest() << "\n" <<
//   plan.Describe(); for (const PlannedFault& fault : plan.faults) { ... fault.start,
//   fault.duration ... }
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_PLAN_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_PLAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace orderplatform::chaos {

// What an order is meant to exercise. The outcome is decided by the platform (a cancelled order
// may already be CONFIRMED, a plain one may expire while payment is down); the kind only bounds
// which outcomes are legal (see invariant_checker.h).
enum class OrderKind {
  kPlain,             // 1-3 lines of plentiful SKUs
  kMultiLine,         // 2-5 lines, sometimes one SKU on two lines, sometimes a hot SKU
  kHot,               // takes units of a scarce SKU: some end OUT_OF_STOCK
  kDeclinedCustomer,  // a customer in PaymentBehavior.decline_customers: never CONFIRMED
  kOverLimit,         // amount above PaymentBehavior.max_amount_cents: never CONFIRMED
  kCancelled,         // the customer calls CancelOrder `cancel_after` after placing it
};
const char* OrderKindName(OrderKind kind);

enum class ServiceKind { kOrder, kInventory, kPayment };
const char* ServiceKindName(ServiceKind kind);

enum class FaultKind {
  kKillService,    // kill -9 one service instance; started again after `duration`
  kRedisRestart,   // kill -9 redis-server; started again from its AOF after `duration`
  kKafkaOutage,    // every broker down for `duration` (the data stays)
  kBrokerDown,     // one broker down for `duration`: its partitions and groups stall
  kSlowBroker,     // one broker answers `rtt_ms` late for `duration`
  kLeaderMove,     // one partition's leadership moves to another broker for `duration`
  kRequestErrors,  // the next requests of one API fail with `error_codes`; cleared after
                   // `duration` (whatever is left of the queue)
};
const char* FaultKindName(FaultKind kind);

struct PlannedOrder {
  int index = 0;
  std::string request_id;
  std::string customer_id;
  std::vector<std::pair<std::string, int>> lines;
  int64_t amount_cents = 0;
  OrderKind kind = OrderKind::kPlain;
  absl::Duration place_at;                     // since the start of the run
  std::optional<absl::Duration> cancel_after;  // since PlaceOrder succeeded; kCancelled only
  bool place_twice = false;  // the client sends the same request again after success (I6)
  int order_instance = 0;    // the instance the client tries first
};

struct PlannedFault {
  FaultKind kind = FaultKind::kKillService;
  absl::Duration start;                       // since the start of the run
  absl::Duration duration;                    // until the fault is reverted
  ServiceKind service = ServiceKind::kOrder;  // kKillService
  int instance = 0;                           // kKillService
  int broker = 0;                    // kBrokerDown, kSlowBroker; kLeaderMove: the new leader
  int rtt_ms = 0;                    // kSlowBroker
  std::string topic;                 // kLeaderMove
  int partition = 0;                 // kLeaderMove
  int16_t api_key = 0;               // kRequestErrors: a Kafka API key (see testenv::KafkaApiKey)
  std::vector<int32_t> error_codes;  // kRequestErrors

  absl::Duration end() const { return start + duration; }
  std::string Describe() const;
};

struct PlanOptions {
  uint64_t seed = 1;
  int orders = 200;
  // Faults besides nothing: at least 1. With 6 or more the plan holds a redis-server restart,
  // a kill -9 of every service kind, a Kafka outage and injected request errors.
  int faults = 8;
  int redis_restarts = 1;  // how many of the faults are redis-server restarts (at most `faults`)
  absl::Duration duration = absl::Seconds(60);  // orders and faults are spread over this
  int brokers = 3;
  int partitions = 6;
  int order_instances = 1;
  int inventory_instances = 1;
  int payment_instances = 1;
};

struct ChaosPlan {
  PlanOptions options;                   // what it was made from: seed, duration, topology
  std::map<std::string, int64_t> stock;  // SKU -> units set before the first order
  // PaymentBehavior for the run (payment's decision is a pure function of it and the order).
  std::vector<std::string> decline_customers;
  double decline_rate = 0;
  double no_answer_rate = 0;
  int64_t max_amount_cents = 0;
  std::vector<PlannedOrder> orders;  // by place_at
  std::vector<PlannedFault> faults;  // by start; they do not overlap

  // Every field of the plan as text, one order or fault per line.
  std::string Describe() const;
  // A short fingerprint of Describe(): two runs with one seed print the same digest.
  std::string Digest() const;
  int CountFaults(FaultKind kind) const;
};

ChaosPlan MakePlan(const PlanOptions& options);

// A seeded pseudo-random generator whose sequence is fixed by this code alone (SplitMix64),
// unlike the <random> distributions, whose output may differ between standard libraries.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, bound); bound > 0.
  uint64_t Below(uint64_t bound);
  // Uniform in [low, high]; low <= high.
  int64_t Between(int64_t low, int64_t high);
  // Uniform in [0, 1).
  double Unit();
  bool Chance(double probability) { return Unit() < probability; }

 private:
  uint64_t state_;
};

}  // namespace orderplatform::chaos

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_CHAOS_PLAN_H_
