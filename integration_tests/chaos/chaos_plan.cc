#include "integration_tests/chaos/chaos_plan.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace orderplatform::chaos {
namespace {

// The saga topics a leadership move may pick (the .dlq topics carry no saga traffic).
const char* const kSagaTopics[] = {"orders.v1", "inventory.v1", "payments.v1"};

constexpr int kPlainSkus = 20;
constexpr int kHotSkus = 3;
constexpr int kCustomers = 100;
constexpr int kDeclinedCustomers = 5;
constexpr int64_t kMaxAmountCents = 100000;
constexpr double kDeclineRate = 0.05;
constexpr double kNoAnswerRate = 0.05;
constexpr double kPlaceTwiceChance = 0.05;
constexpr int64_t kCancelAfterMsMax = 2500;

// Kafka API keys (testenv::KafkaApiKey) and the error codes a fault may inject for each: the
// ones a correct client must ride out (retriable errors, a dropped connection = -195,
// coordinator moves, a forced rebalance), not ones that mean "your data is wrong".
struct ApiErrors {
  int16_t api_key;
  std::vector<int32_t> codes;
};
const std::vector<ApiErrors>& InjectableErrors() {
  static const auto* errors = new std::vector<ApiErrors>{
      {0, {6, 7, 19, 20, -195}},  // Produce: NOT_LEADER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS*
      {1, {6, 7, -195}},          // Fetch
      {8, {7, 15, 16, 27}},       // OffsetCommit: timeouts, coordinator moves, rebalance
      {10, {15}},                 // FindCoordinator: COORDINATOR_NOT_AVAILABLE
      {11, {15, 16}},             // JoinGroup
      {12, {16, 27}},             // Heartbeat: NOT_COORDINATOR, REBALANCE_IN_PROGRESS
  };
  return *errors;
}

std::string PlainSku(int i) { return absl::StrFormat("sku-%02d", i); }
std::string HotSku(int i) { return absl::StrCat("hot-", i); }

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

template <typename T>
void Shuffle(std::vector<T>* items, SeededRandom* random) {
  for (size_t i = items->size(); i > 1; --i) {
    std::swap((*items)[i - 1], (*items)[random->Below(i)]);
  }
}

// 1..max_lines lines of distinct plain SKUs, 1..3 units each.
std::vector<std::pair<std::string, int>> PlainLines(int max_lines, SeededRandom* random) {
  std::vector<int> skus(kPlainSkus);
  for (int i = 0; i < kPlainSkus; ++i) skus[i] = i;
  Shuffle(&skus, random);
  const int count = static_cast<int>(random->Between(1, max_lines));
  std::vector<std::pair<std::string, int>> lines;
  for (int i = 0; i < count; ++i) {
    lines.emplace_back(PlainSku(skus[i]), static_cast<int>(random->Between(1, 3)));
  }
  return lines;
}

std::pair<std::string, int> HotLine(SeededRandom* random) {
  return {HotSku(static_cast<int>(random->Below(kHotSkus))),
          static_cast<int>(random->Between(1, 2))};
}

PlannedOrder MakeOrder(int index, const PlanOptions& options, SeededRandom* random) {
  PlannedOrder order;
  order.index = index;
  order.request_id = absl::StrCat("chaos-", options.seed, "-", index);
  order.customer_id = absl::StrCat("cust-", random->Below(kCustomers));
  order.amount_cents = random->Between(100, kMaxAmountCents - 1);
  order.place_at = options.duration * index / std::max(1, options.orders);
  order.order_instance = static_cast<int>(random->Below(options.order_instances));
  order.place_twice = random->Chance(kPlaceTwiceChance);
  // Weights in percent: plain 30, multi-line 20, hot 15, declined 8, over limit 5, cancelled 22.
  const uint64_t roll = random->Below(100);
  if (roll < 30) {
    order.kind = OrderKind::kPlain;
    order.lines = PlainLines(3, random);
  } else if (roll < 50) {
    order.kind = OrderKind::kMultiLine;
    order.lines = PlainLines(5, random);
    if (order.lines.size() < 2) order.lines = PlainLines(5, random);
    // The Lua scripts need distinct keys: a SKU on two lines must be summed, never reserved
    // twice (an oversell this codebase once had).
    if (random->Chance(0.15)) {
      order.lines.emplace_back(order.lines.front().first, 1);
    }
    if (random->Chance(0.2)) order.lines.push_back(HotLine(random));
  } else if (roll < 65) {
    order.kind = OrderKind::kHot;
    order.lines = {HotLine(random)};
    if (random->Chance(0.5)) {
      std::vector<std::pair<std::string, int>> more = PlainLines(2, random);
      order.lines.insert(order.lines.end(), more.begin(), more.end());
    }
  } else if (roll < 73) {
    order.kind = OrderKind::kDeclinedCustomer;
    order.customer_id = absl::StrCat("blocked-", random->Below(kDeclinedCustomers));
    order.lines = PlainLines(3, random);
  } else if (roll < 78) {
    order.kind = OrderKind::kOverLimit;
    order.amount_cents = random->Between(kMaxAmountCents + 1, 5 * kMaxAmountCents);
    order.lines = PlainLines(3, random);
  } else {
    order.kind = OrderKind::kCancelled;
    order.lines = PlainLines(3, random);
    if (random->Chance(0.2)) order.lines.push_back(HotLine(random));
    order.cancel_after = absl::Milliseconds(random->Between(0, kCancelAfterMsMax));
  }
  return order;
}

// The fault kinds of the plan, before they are shuffled into slots.
std::vector<PlannedFault> FaultMix(const PlanOptions& options, SeededRandom* random) {
  const int redis_restarts = std::clamp(options.redis_restarts, 0, options.faults);
  std::vector<PlannedFault> core;
  auto kill = [](ServiceKind service) {
    return PlannedFault{.kind = FaultKind::kKillService, .service = service};
  };
  core.push_back(kill(ServiceKind::kOrder));
  core.push_back(kill(ServiceKind::kInventory));
  core.push_back(kill(ServiceKind::kPayment));
  core.push_back({.kind = FaultKind::kKafkaOutage});
  core.push_back({.kind = FaultKind::kRequestErrors});
  std::vector<PlannedFault> extras = {{.kind = FaultKind::kSlowBroker}};
  if (options.brokers >= 2) {
    extras.push_back({.kind = FaultKind::kBrokerDown});
    extras.push_back({.kind = FaultKind::kLeaderMove});
  }
  Shuffle(&core, random);
  Shuffle(&extras, random);

  std::vector<PlannedFault> mix(redis_restarts, PlannedFault{.kind = FaultKind::kRedisRestart});
  for (const std::vector<PlannedFault>* group : {&core, &extras}) {
    for (const PlannedFault& fault : *group) {
      if (static_cast<int>(mix.size()) < options.faults) mix.push_back(fault);
    }
  }
  // The rest by weight: kills are the main event of a chaos run.
  while (static_cast<int>(mix.size()) < options.faults) {
    const uint64_t roll = random->Below(100);
    if (roll < 45) {
      mix.push_back(kill(static_cast<ServiceKind>(random->Below(3))));
    } else if (roll < 65) {
      mix.push_back({.kind = FaultKind::kRequestErrors});
    } else if (roll < 75) {
      mix.push_back({.kind = FaultKind::kKafkaOutage});
    } else if (roll < 85 && options.brokers >= 2) {
      mix.push_back({.kind = FaultKind::kBrokerDown});
    } else if (roll < 93 && options.brokers >= 2) {
      mix.push_back({.kind = FaultKind::kLeaderMove});
    } else {
      mix.push_back({.kind = FaultKind::kSlowBroker});
    }
  }
  Shuffle(&mix, random);
  return mix;
}

int Instances(const PlanOptions& options, ServiceKind service) {
  switch (service) {
    case ServiceKind::kOrder:
      return options.order_instances;
    case ServiceKind::kInventory:
      return options.inventory_instances;
    case ServiceKind::kPayment:
      return options.payment_instances;
  }
  return 1;
}

// Fills in the details of `fault` (kind already chosen) and its length, at most `length_max`.
void Detail(const PlanOptions& options, absl::Duration length_max, SeededRandom* random,
            PlannedFault* fault) {
  auto ms = [random](int64_t low, int64_t high) {
    return absl::Milliseconds(random->Between(low, high));
  };
  switch (fault->kind) {
    case FaultKind::kKillService:
      fault->instance = static_cast<int>(random->Below(Instances(options, fault->service)));
      // 0: started again at once, as a supervisor would.
      fault->duration = ms(0, 3000);
      break;
    case FaultKind::kRedisRestart:
      fault->duration = ms(200, 3000);
      break;
    case FaultKind::kKafkaOutage:
      fault->duration = ms(1000, 6000);
      break;
    case FaultKind::kBrokerDown:
      fault->broker = static_cast<int>(random->Between(1, options.brokers));
      fault->duration = ms(1000, 6000);
      break;
    case FaultKind::kSlowBroker:
      fault->broker = static_cast<int>(random->Between(1, options.brokers));
      fault->rtt_ms = static_cast<int>(random->Between(100, 1500));
      fault->duration = ms(2000, 8000);
      break;
    case FaultKind::kLeaderMove: {
      fault->topic = kSagaTopics[random->Below(3)];
      fault->partition = static_cast<int>(random->Below(options.partitions));
      // The devbroker's initial leader of partition p is p % brokers + 1; move to another one.
      const int home = fault->partition % options.brokers + 1;
      fault->broker =
          static_cast<int>((home + random->Below(options.brokers - 1)) % options.brokers) + 1;
      fault->duration = ms(2000, 8000);
      break;
    }
    case FaultKind::kRequestErrors: {
      const ApiErrors& api = InjectableErrors()[random->Below(InjectableErrors().size())];
      fault->api_key = api.api_key;
      const int count = static_cast<int>(random->Between(3, 20));
      for (int i = 0; i < count; ++i) {
        fault->error_codes.push_back(api.codes[random->Below(api.codes.size())]);
      }
      fault->duration = ms(1000, 5000);
      break;
    }
  }
  fault->duration = std::min(fault->duration, length_max);
}

}  // namespace

const char* OrderKindName(OrderKind kind) {
  switch (kind) {
    case OrderKind::kPlain:
      return "plain";
    case OrderKind::kMultiLine:
      return "multi-line";
    case OrderKind::kHot:
      return "hot";
    case OrderKind::kDeclinedCustomer:
      return "declined-customer";
    case OrderKind::kOverLimit:
      return "over-limit";
    case OrderKind::kCancelled:
      return "cancelled";
  }
  return "?";
}

const char* ServiceKindName(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kOrder:
      return "order";
    case ServiceKind::kInventory:
      return "inventory";
    case ServiceKind::kPayment:
      return "payment";
  }
  return "?";
}

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKillService:
      return "kill-service";
    case FaultKind::kRedisRestart:
      return "redis-restart";
    case FaultKind::kKafkaOutage:
      return "kafka-outage";
    case FaultKind::kBrokerDown:
      return "broker-down";
    case FaultKind::kSlowBroker:
      return "slow-broker";
    case FaultKind::kLeaderMove:
      return "leader-move";
    case FaultKind::kRequestErrors:
      return "request-errors";
  }
  return "?";
}

std::string PlannedFault::Describe() const {
  std::string what;
  switch (kind) {
    case FaultKind::kKillService:
      what = absl::StrCat("kill -9 ", ServiceKindName(service), "-", instance);
      break;
    case FaultKind::kRedisRestart:
      what = "kill -9 redis-server, restart from AOF";
      break;
    case FaultKind::kKafkaOutage:
      what = "all brokers down";
      break;
    case FaultKind::kBrokerDown:
      what = absl::StrCat("broker ", broker, " down");
      break;
    case FaultKind::kSlowBroker:
      what = absl::StrCat("broker ", broker, " rtt ", rtt_ms, "ms");
      break;
    case FaultKind::kLeaderMove:
      what = absl::StrCat(topic, "[", partition, "] leader -> broker ", broker);
      break;
    case FaultKind::kRequestErrors:
      what = absl::StrCat("api ", api_key, " errors [", absl::StrJoin(error_codes, ","), "]");
      break;
  }
  return absl::StrCat("+", Ms(start), "ms for ", Ms(duration), "ms: ", FaultKindName(kind), " ",
                      what);
}

std::string ChaosPlan::Describe() const {
  std::string out = absl::StrCat("seed=", options.seed, " duration=", Ms(options.duration),
                                 "ms orders=", orders.size(), " faults=", faults.size(),
                                 " brokers=", options.brokers, " partitions=", options.partitions,
                                 " instances=", options.order_instances, "/",
                                 options.inventory_instances, "/", options.payment_instances, "\n");
  absl::StrAppend(&out, "stock:");
  for (const auto& [sku, units] : stock) absl::StrAppend(&out, " ", sku, "=", units);
  absl::StrAppend(&out, "\npayment: decline_customers=", absl::StrJoin(decline_customers, ","),
                  " decline_rate=", decline_rate, " no_answer_rate=", no_answer_rate,
                  " max_amount_cents=", max_amount_cents, "\n");
  for (size_t i = 0; i < faults.size(); ++i) {
    absl::StrAppend(&out, "fault ", i, " ", faults[i].Describe(), "\n");
  }
  for (const PlannedOrder& order : orders) {
    absl::StrAppend(&out, "order ", order.index, " +", Ms(order.place_at), "ms ", order.request_id,
                    " ", OrderKindName(order.kind), " ", order.customer_id, " ", order.amount_cents,
                    "c [");
    for (const auto& [sku, quantity] : order.lines) absl::StrAppend(&out, " ", sku, "x", quantity);
    absl::StrAppend(&out, " ] instance ", order.order_instance);
    if (order.cancel_after.has_value()) {
      absl::StrAppend(&out, " cancel +", Ms(*order.cancel_after), "ms");
    }
    if (order.place_twice) absl::StrAppend(&out, " twice");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string ChaosPlan::Digest() const {
  // FNV-1a 64: stable by definition, unlike std::hash.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : Describe()) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", hash);
}

int ChaosPlan::CountFaults(FaultKind kind) const {
  return static_cast<int>(std::count_if(faults.begin(), faults.end(),
                                        [kind](const PlannedFault& f) { return f.kind == kind; }));
}

ChaosPlan MakePlan(const PlanOptions& options) {
  assert(options.orders >= 0 && options.faults >= 1 && options.duration > absl::ZeroDuration());
  assert(options.brokers >= 1 && options.partitions >= 1);
  SeededRandom random(options.seed);
  ChaosPlan plan;
  plan.options = options;
  // Plain SKUs never run out (an order takes at most 3 + 1 units of one), so OUT_OF_STOCK
  // can only come from a hot SKU; hot SKUs have about a third of what hot orders ask for.
  for (int i = 0; i < kPlainSkus; ++i) plan.stock[PlainSku(i)] = 4 * options.orders + 10;
  for (int i = 0; i < kHotSkus; ++i) plan.stock[HotSku(i)] = std::max(3, options.orders / 40);
  for (int i = 0; i < kDeclinedCustomers; ++i) {
    plan.decline_customers.push_back(absl::StrCat("blocked-", i));
  }
  plan.decline_rate = kDeclineRate;
  plan.no_answer_rate = kNoAnswerRate;
  plan.max_amount_cents = kMaxAmountCents;

  for (int i = 0; i < options.orders; ++i) plan.orders.push_back(MakeOrder(i, options, &random));

  // Faults in equal slots after a warm-up (the consumer groups form, the first orders go
  // through); each fault ends before 70% of its slot, so the platform has time to recover
  // between two faults and the schedule stays readable.
  const absl::Duration warmup = std::min(options.duration / 10, absl::Seconds(10));
  const absl::Duration slot = (options.duration - warmup) / options.faults;
  std::vector<PlannedFault> mix = FaultMix(options, &random);
  for (int i = 0; i < options.faults; ++i) {
    PlannedFault fault = mix[i];
    Detail(options, slot * 0.6, &random, &fault);
    const int64_t slack_ms = Ms(slot * 0.7 - fault.duration);
    fault.start =
        warmup + slot * i + absl::Milliseconds(random.Between(0, std::max<int64_t>(0, slack_ms)));
    plan.faults.push_back(fault);
  }
  return plan;
}

uint64_t SeededRandom::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SeededRandom::Below(uint64_t bound) {
  assert(bound > 0);
  // Rejection sampling keeps it exactly uniform; a bounded loop: each turn succeeds with
  // probability > 1/2.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (int turn = 0; turn < 64; ++turn) {
    const uint64_t value = Next();
    if (value < limit) return value % bound;
  }
  return Next() % bound;
}

int64_t SeededRandom::Between(int64_t low, int64_t high) {
  assert(low <= high);
  return low + static_cast<int64_t>(Below(static_cast<uint64_t>(high - low) + 1));
}

double SeededRandom::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

}  // namespace orderplatform::chaos
