#include "integration_tests/simulator/simulator.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "integration_tests/simulator/sim_random.h"
#include "platform/events/topics.h"
#include "services/order/order_id.h"

namespace orderplatform::simulator {
namespace {

constexpr const char* kConsumerNames[] = {"inventory", "payment", "order"};
constexpr int kConsumerCount = 3;
constexpr const char* kMainTopics[] = {events::kOrdersTopic, events::kInventoryTopic,
                                       events::kPaymentsTopic};
constexpr const char* kSkus[] = {"SKU-A", "SKU-B", "SKU-C"};

// Bounds of the drive to quiescence. A round delivers everything that is pending, lets the
// reservation TTL pass and sweeps; a healthy saga is quiet after two or three rounds, and a
// schedule's few orders need at most a few hundred batches. Hitting a bound is reported as a
// violation (events that keep causing events), never looped on.
constexpr int kQuiescenceRoundsMax = 12;
constexpr int kDeliveriesPerDriveMax = 20000;

uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string LinesText(const orderplatform::v1::PlaceOrderRequest& request) {
  std::vector<std::string> lines;
  for (const orderplatform::v1::OrderLine& line : request.lines()) {
    lines.push_back(absl::StrCat(line.sku(), ":", line.quantity()));
  }
  return absl::StrJoin(lines, ",");
}

std::string AckText(int events_acked) {
  if (events_acked < 0) return "";
  return absl::StrCat(" [crash: ", events_acked, " event(s) acknowledged, call fails]");
}

std::string BehaviorText(const orderplatform::v1::PaymentBehavior& behavior) {
  return absl::StrCat("{decline_rate=", behavior.decline_rate(), " no_answer_rate=",
                      behavior.no_answer_rate(), " latency_ms=", behavior.latency_ms(),
                      " max_amount_cents=", behavior.max_amount_cents(), " decline_customers=",
                      absl::StrJoin(behavior.decline_customers(), ","), " seed=", behavior.seed(),
                      "}");
}

// A payment behavior drawn from `random`: answers at once, within the TTL, or after the
// reservation's deadline; declines by rate, amount or customer; sometimes never answers.
orderplatform::v1::PaymentBehavior RandomBehavior(SplitMix64& random) {
  const double decline_rates[] = {0, 0, 0, 0.3, 1};
  const double no_answer_rates[] = {0, 0, 0, 0.3};
  const int32_t latencies_ms[] = {0, 0, 0, 200, 1500};
  orderplatform::v1::PaymentBehavior behavior;
  behavior.set_decline_rate(decline_rates[random.Below(5)]);
  behavior.set_no_answer_rate(no_answer_rates[random.Below(4)]);
  behavior.set_latency_ms(latencies_ms[random.Below(5)]);
  behavior.set_max_amount_cents(random.Percent(20) ? 2500 : 0);
  if (random.Percent(25)) behavior.add_decline_customers("c-3");
  behavior.set_seed(random.Below(1000));
  return behavior;
}

std::string Where(const Step& step) {
  return absl::StrCat(kConsumerNames[step.consumer], " <- ", step.topic, "/", step.partition);
}

}  // namespace

std::string Describe(const Step& step) {
  switch (step.kind) {
    case StepKind::kPlace:
      return absl::StrCat("place ", step.request.request_id(), " customer=",
                          step.request.customer_id(), " amount=", step.request.amount_cents(),
                          " lines=", LinesText(step.request), AckText(step.events_acked));
    case StepKind::kRetryPlace:
      return absl::StrCat("retry-place ", step.request.request_id(), AckText(step.events_acked));
    case StepKind::kCancel:
      return absl::StrCat("cancel ", step.request.request_id(), AckText(step.events_acked));
    case StepKind::kRelay:
      return "relay order outbox";
    case StepKind::kDeliver:
      return absl::StrCat("deliver ", Where(step), " x", step.count);
    case StepKind::kCrash:
      return absl::StrCat("crash ", Where(step), " x", step.count, " after effects: ",
                          step.events_acked, " event(s) acknowledged, no commit");
    case StepKind::kRedeliver:
      return absl::StrCat("redeliver ", Where(step), " from offset ", step.offset, " x",
                          step.count, " (duplicate)");
    case StepKind::kRewind:
      return absl::StrCat("rewind ", Where(step), " to offset ", step.offset);
    case StepKind::kReproduce:
      return absl::StrCat("reproduce ", step.topic, "/", step.partition, " offset ", step.offset,
                          " (duplicate record appended)");
    case StepKind::kTick:
      return absl::StrCat("tick +", step.tick_ms, "ms");
    case StepKind::kSweep:
      return absl::StrCat("sweep expiries", AckText(step.events_acked));
    case StepKind::kSetBehavior:
      return absl::StrCat("set-behavior ", BehaviorText(step.behavior));
  }
  return "?";
}

// One schedule in progress: its world, the last snapshot (for the monotonic checks) and the
// step generator's state.
class Simulator::Run {
 public:
  Run(const SimulatorOptions& options, std::unique_ptr<SagaWorld> world)
      : options_(options), world_(std::move(world)) {}

  SagaWorld& world() { return *world_; }

  absl::StatusOr<std::optional<Violation>> Execute(const Step& step);
  // Whether the last Execute ran service code. A step that did not (a tick, a rewind, a
  // re-produced record, a delivery with nothing to deliver) changed nothing a check reads, so
  // its check would repeat the previous verdict; skipping it saves a snapshot.
  bool last_step_ran_services() const { return ran_services_; }
  absl::StatusOr<std::optional<Violation>> CheckInstant();
  absl::StatusOr<std::optional<Violation>> DriveToQuiescence();
  absl::StatusOr<Snapshot> Snap() { return TakeSnapshot(*world_, /*with_history=*/true); }
  Step Generate(SplitMix64& random);

 private:
  kafka::TopicPartition PartitionOf(const Step& step) const {
    return {step.topic, step.partition};
  }
  orderplatform::v1::PlaceOrderRequest NewRequest(SplitMix64& random);

  const SimulatorOptions& options_;
  std::unique_ptr<SagaWorld> world_;
  std::optional<Snapshot> last_;
  bool ran_services_ = false;
  int placed_ = 0;  // place steps generated so far: names the next request_id
};

absl::StatusOr<std::optional<Violation>> Simulator::Run::Execute(const Step& step) {
  SagaWorld& world = *world_;
  // An RPC answers only with what its contract allows: OK, UNAVAILABLE when the announcement
  // was not acknowledged, FAILED_PRECONDITION for cancelling a CONFIRMED order.
  auto check_rpc = [&](const grpc::Status& status,
                       bool precondition_allowed) -> std::optional<Violation> {
    if (status.ok()) return std::nullopt;
    if (step.events_acked >= 0 && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return std::nullopt;
    }
    if (precondition_allowed && status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      return std::nullopt;
    }
    return Violation{"rpc", absl::StrCat(Describe(step), " answered ", status.error_code(), ": ",
                                         status.error_message())};
  };
  absl::StatusOr<int> handled = 0;
  ran_services_ = true;
  switch (step.kind) {
    case StepKind::kPlace:
      return check_rpc(world.PlaceOrder(step.request, step.events_acked), false);
    case StepKind::kRetryPlace: {
      const orderplatform::v1::PlaceOrderRequest* request =
          world.RequestFor(step.request.request_id());
      if (request == nullptr) return std::nullopt;  // its placement was shrunk away
      return check_rpc(world.PlaceOrder(*request, step.events_acked), false);
    }
    case StepKind::kCancel:
      if (world.RequestFor(step.request.request_id()) == nullptr) return std::nullopt;
      return check_rpc(
          world.CancelOrder(order::OrderIdForRequest(step.request.request_id()),
                            step.events_acked),
          true);
    case StepKind::kRelay:
      handled = world.RelayOutbox(/*all=*/false);
      break;
    case StepKind::kDeliver:
      handled = world.consumers()[step.consumer]->Deliver(PartitionOf(step), step.count);
      break;
    case StepKind::kCrash:
      handled = world.consumers()[step.consumer]->CrashAfterEffect(PartitionOf(step), step.count,
                                                                    step.events_acked);
      break;
    case StepKind::kRedeliver:
      handled = world.consumers()[step.consumer]->Redeliver(PartitionOf(step), step.offset,
                                                             step.count);
      break;
    case StepKind::kRewind:
      world.consumers()[step.consumer]->Rewind(PartitionOf(step), step.offset);
      ran_services_ = false;
      break;
    case StepKind::kReproduce:
      for (const kafka::ConsumedMessage& record :
           world.topics().Read(step.topic, step.partition, step.offset, 1)) {
        world.topics().Append({.topic = record.topic, .key = record.key, .value = record.value,
                               .headers = record.headers});
      }
      ran_services_ = false;
      break;
    case StepKind::kTick:
      world.Advance(step.tick_ms);
      ran_services_ = false;
      break;
    case StepKind::kSweep:
      handled = world.Sweep(step.events_acked);
      // The crash this step asked for is the failure; anything else is the environment's.
      if (step.events_acked >= 0 && absl::IsUnavailable(handled.status())) handled = 0;
      break;
    case StepKind::kSetBehavior:
      if (absl::Status stored = world.SetBehavior(step.behavior); !stored.ok()) return stored;
      ran_services_ = false;  // only the next decision reads it
      break;
  }
  if (!handled.ok()) return handled.status();
  if (step.kind == StepKind::kDeliver || step.kind == StepKind::kCrash ||
      step.kind == StepKind::kRedeliver) {
    ran_services_ = *handled > 0;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<Violation>> Simulator::Run::CheckInstant() {
  absl::StatusOr<Snapshot> now = TakeSnapshot(*world_, /*with_history=*/false);
  if (!now.ok()) return now.status();
  std::optional<Violation> violation =
      CheckEveryInstant(world_->setup(), *now, last_.has_value() ? &*last_ : nullptr);
  last_ = *std::move(now);
  return violation;
}

absl::StatusOr<std::optional<Violation>> Simulator::Run::DriveToQuiescence() {
  SagaWorld& world = *world_;
  int deliveries = 0;
  for (int round = 0; round < kQuiescenceRoundsMax; ++round) {
    const int64_t records_before = world.topics().TotalRecords();
    absl::StatusOr<int> relayed = world.RelayOutbox(/*all=*/true);
    if (!relayed.ok()) return relayed.status();
    bool delivered_this_round = false;
    // Round-robin over every consumer and partition until no consumer lags; each pass either
    // delivers a batch or ends the loop, and the passes are bounded by kDeliveriesPerDriveMax.
    bool lagging = true;
    while (lagging) {
      lagging = false;
      for (SimConsumer* consumer : world.consumers()) {
        for (const kafka::TopicPartition& partition : consumer->Partitions()) {
          if (consumer->Lag(partition) == 0) continue;
          if (++deliveries > kDeliveriesPerDriveMax) {
            return std::optional<Violation>(Violation{
                "I2", absl::StrCat("no quiescence: still delivering after ",
                                   kDeliveriesPerDriveMax, " batches (events causing events)")});
          }
          absl::StatusOr<int> handled = consumer->Deliver(partition, options_.batch_max);
          if (!handled.ok()) return handled.status();
          lagging = delivered_this_round = true;
        }
      }
      // Once per pass over the consumers rather than per batch: the drive delivers hundreds of
      // batches, and the schedule's own steps are already checked one by one.
      if (lagging) {
        absl::StatusOr<std::optional<Violation>> violation = CheckInstant();
        if (!violation.ok() || violation->has_value()) return violation;
      }
    }
    // Every open reservation is now past its deadline; the sweeper releases and announces them.
    world.Advance(world.setup().reservation_ttl_ms + 1);
    absl::StatusOr<int> released = world.Sweep(/*events_acked=*/-1);
    if (!released.ok()) return released.status();
    absl::StatusOr<std::optional<Violation>> violation = CheckInstant();
    if (!violation.ok() || violation->has_value()) return violation;
    if (!delivered_this_round && *released == 0 &&
        world.topics().TotalRecords() == records_before) {
      return std::optional<Violation>();
    }
  }
  return std::optional<Violation>(Violation{
      "I2", absl::StrCat("no quiescence after ", kQuiescenceRoundsMax, " rounds")});
}

orderplatform::v1::PlaceOrderRequest Simulator::Run::NewRequest(SplitMix64& random) {
  const SagaSetup& setup = world_->setup();
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id(absl::StrCat("req-", placed_++));
  request.set_customer_id(absl::StrCat("c-", random.Between(1, 3)));
  request.set_amount_cents(500 * random.Between(1, 8));
  request.set_currency("EUR");
  const int lines = random.Between(1, 2);
  for (int i = 0; i < lines; ++i) {
    orderplatform::v1::OrderLine* line = request.add_lines();
    // A repeated SKU is allowed on purpose: inventory normalizes the lines.
    line->set_sku(setup.stock[random.Below(setup.stock.size())].first);
    line->set_quantity(random.Between(1, 3));
  }
  return request;
}

Step Simulator::Run::Generate(SplitMix64& random) {
  SagaWorld& world = *world_;
  std::vector<Step> lagging;    // (consumer, partition) with messages beyond the commit
  std::vector<Step> committed;  // (consumer, partition) with committed messages
  for (int c = 0; c < kConsumerCount; ++c) {
    SimConsumer* consumer = world.consumers()[c];
    for (const kafka::TopicPartition& partition : consumer->Partitions()) {
      Step at{.consumer = c, .topic = partition.topic, .partition = partition.partition};
      if (consumer->Lag(partition) > 0) lagging.push_back(at);
      if (consumer->committed(partition) > 0) committed.push_back(at);
    }
  }
  std::vector<Step> records;  // partitions of the main topics that hold records
  for (const char* topic : kMainTopics) {
    for (int partition = 0; partition < world.topics().partitions(); ++partition) {
      if (world.topics().EndOffset(topic, partition) > 0) {
        records.push_back({.topic = topic, .partition = partition});
      }
    }
  }
  const std::vector<std::string>& placed = world.request_ids();
  const bool can_place = placed_ < options_.orders_max;

  struct Choice {
    StepKind kind;
    int weight;
  };
  const Choice choices[] = {
      {StepKind::kPlace, can_place ? 14 : 0},
      {StepKind::kRetryPlace, placed.empty() ? 0 : 2},
      {StepKind::kCancel, placed.empty() ? 0 : 6},
      {StepKind::kRelay, 3},
      {StepKind::kDeliver, lagging.empty() ? 0 : 40},
      {StepKind::kCrash, lagging.empty() ? 0 : 8},
      {StepKind::kRedeliver, committed.empty() ? 0 : 5},
      {StepKind::kRewind, committed.empty() ? 0 : 3},
      {StepKind::kReproduce, records.empty() ? 0 : 3},
      {StepKind::kTick, 10},
      {StepKind::kSweep, 5},
      {StepKind::kSetBehavior, options_.behavior_changes ? 2 : 0},
  };
  int total = 0;
  for (const Choice& choice : choices) total += choice.weight;
  int pick = static_cast<int>(random.Below(static_cast<uint64_t>(total)));
  StepKind kind = StepKind::kTick;
  for (const Choice& choice : choices) {
    if (pick < choice.weight) {
      kind = choice.kind;
      break;
    }
    pick -= choice.weight;
  }

  const int64_t ttl_ms = world.setup().reservation_ttl_ms;
  Step step{.kind = kind};
  switch (kind) {
    case StepKind::kPlace:
      step.request = NewRequest(random);
      // Either nothing reached the broker, or the event did and only its ack was lost.
      if (random.Percent(15)) step.events_acked = random.Between(0, 1);
      break;
    case StepKind::kRetryPlace:
    case StepKind::kCancel:
      step.request.set_request_id(placed[random.Below(placed.size())]);
      if (random.Percent(15)) step.events_acked = random.Between(0, 2);
      break;
    case StepKind::kRelay:
      break;
    case StepKind::kDeliver:
    case StepKind::kCrash: {
      const Step at = lagging[random.Below(lagging.size())];
      step.consumer = at.consumer;
      step.topic = at.topic;
      step.partition = at.partition;
      step.count = random.Between(1, options_.batch_max);
      if (kind == StepKind::kCrash) step.events_acked = random.Between(0, step.count);
      break;
    }
    case StepKind::kRedeliver:
    case StepKind::kRewind: {
      const Step at = committed[random.Below(committed.size())];
      step.consumer = at.consumer;
      step.topic = at.topic;
      step.partition = at.partition;
      const int64_t end = world.consumers()[at.consumer]->committed({at.topic, at.partition});
      step.offset = static_cast<int64_t>(random.Below(static_cast<uint64_t>(end)));
      step.count = random.Between(1, options_.batch_max);
      break;
    }
    case StepKind::kReproduce: {
      const Step at = records[random.Below(records.size())];
      step.topic = at.topic;
      step.partition = at.partition;
      step.offset = static_cast<int64_t>(random.Below(
          static_cast<uint64_t>(world.topics().EndOffset(at.topic, at.partition))));
      break;
    }
    case StepKind::kTick: {
      // Short waits, and waits that carry a reservation past its deadline.
      const int64_t ticks[] = {50, 200, ttl_ms / 2, ttl_ms + 100, 2 * ttl_ms};
      step.tick_ms = ticks[random.Below(5)];
      break;
    }
    case StepKind::kSweep:
      if (random.Percent(15)) step.events_acked = random.Between(0, 1);
      break;
    case StepKind::kSetBehavior:
      step.behavior = RandomBehavior(random);
      break;
  }
  return step;
}

Simulator::Simulator(RedisConnections redis, SimulatorOptions options)
    : redis_(redis), options_(std::move(options)) {}

SagaSetup Simulator::SetupFor(uint64_t seed) {
  SplitMix64 random(DeriveSeed(seed, 1));
  SagaSetup setup{.seed = seed, .partitions = random.Between(1, 3), .reservation_ttl_ms = 1000};
  const int skus = random.Between(1, 3);
  // Mostly enough stock for a few orders, sometimes scarce or none: every ending stays common.
  for (int i = 0; i < skus; ++i) {
    setup.stock.emplace_back(kSkus[i], random.Percent(15) ? 0 : random.Between(2, 10));
  }
  setup.behavior = RandomBehavior(random);
  return setup;
}

absl::StatusOr<RunResult> Simulator::RunSchedule(
    const SagaSetup& setup, int steps, const std::function<Step(int index, Run& run)>& next) {
  absl::StatusOr<std::unique_ptr<SagaWorld>> world =
      SagaWorld::Create(setup, redis_, options_.world);
  if (!world.ok()) return world.status();
  Run run(options_, *std::move(world));
  RunResult result{.setup = setup};
  auto finish = [&](std::optional<Violation> violation, std::string phase,
                    int step) -> absl::StatusOr<RunResult> {
    result.violation = std::move(violation);
    if (result.violation.has_value()) {
      result.phase = std::move(phase);
      result.violation_step = step;
    }
    absl::StatusOr<Snapshot> last = run.Snap();
    if (!last.ok()) return last.status();
    std::string state = last->Canonical();
    for (const std::string& topic : run.world().topics().TopicNames()) {
      absl::StrAppend(&state, topic, "=", run.world().topics().RecordCount(topic), "\n");
    }
    result.fingerprint = absl::StrCat(absl::Hex(Fnv1a(state), absl::kZeroPad16));
    for (const auto& [order_id, view] : last->orders) {
      if (!view.record.has_value()) continue;
      const orderplatform::v1::Order& order = view.record->order;
      ++result.outcomes[order.status() == orderplatform::v1::CANCELLED
                            ? absl::StrCat("CANCELLED(",
                                           orderplatform::v1::CancelReason_Name(
                                               order.cancel_reason()),
                                           ")")
                            : orderplatform::v1::OrderStatus_Name(order.status())];
    }
    for (SimConsumer* consumer : run.world().consumers()) {
      result.messages_handled += consumer->messages_handled();
    }
    result.records = run.world().topics().TotalRecords();
    return std::move(result);
  };

  absl::StatusOr<std::optional<Violation>> violation = run.CheckInstant();
  if (!violation.ok()) return violation.status();
  if (violation->has_value()) return finish(*violation, "step", -1);
  for (int i = 0; i < steps; ++i) {
    result.steps.push_back(next(i, run));
    violation = run.Execute(result.steps.back());
    if (violation.ok() && !violation->has_value() && run.last_step_ran_services()) {
      violation = run.CheckInstant();
    }
    if (!violation.ok()) return violation.status();
    if (violation->has_value()) return finish(*violation, "step", i);
  }

  violation = run.DriveToQuiescence();
  if (!violation.ok()) return violation.status();
  if (violation->has_value()) return finish(*violation, "quiescence", -1);
  absl::StatusOr<Snapshot> quiet = run.Snap();
  if (!quiet.ok()) return quiet.status();
  if (std::optional<Violation> v = CheckQuiescent(setup, *quiet)) {
    return finish(v, "quiescence", -1);
  }

  // I5: every topic again from offset 0, through fresh cursors, while the state stays.
  run.world().ResetConsumers();
  violation = run.DriveToQuiescence();
  if (!violation.ok()) return violation.status();
  if (violation->has_value()) return finish(*violation, "replay", -1);
  absl::StatusOr<Snapshot> replayed = run.Snap();
  if (!replayed.ok()) return replayed.status();
  if (std::optional<Violation> v = CheckReplayChangedNothing(*quiet, *replayed)) {
    return finish(v, "replay", -1);
  }
  if (std::optional<Violation> v = CheckQuiescent(setup, *replayed)) {
    return finish(v, "replay", -1);
  }
  return finish(std::nullopt, "", -1);
}

absl::StatusOr<RunResult> Simulator::RunSeed(uint64_t seed) {
  SplitMix64 random(DeriveSeed(seed, 2));
  return RunSchedule(SetupFor(seed), options_.steps,
                     [&random](int, Run& run) { return run.Generate(random); });
}

absl::StatusOr<RunResult> Simulator::RunSteps(const SagaSetup& setup,
                                              const std::vector<Step>& steps) {
  return RunSchedule(setup, static_cast<int>(steps.size()),
                     [&steps](int index, Run&) { return steps[index]; });
}

absl::StatusOr<RunResult> Simulator::Shrink(const RunResult& failing, int runs_max) {
  if (!failing.violation.has_value()) {
    return absl::InvalidArgumentError("Shrink needs a failing schedule");
  }
  const std::string invariant = failing.violation->invariant;
  std::vector<Step> steps = failing.steps;
  RunResult best = failing;
  int runs = 0;
  // Keeps `candidate` when it still violates the same invariant (another violation would be a
  // different bug, and shrinking towards it would hide this one).
  auto try_candidate = [&](std::vector<Step> candidate) -> absl::StatusOr<bool> {
    if (runs >= runs_max) return false;
    ++runs;
    absl::StatusOr<RunResult> result = RunSteps(failing.setup, candidate);
    if (!result.ok()) return result.status();
    if (!result->violation.has_value() || result->violation->invariant != invariant) return false;
    steps = std::move(candidate);
    best = *std::move(result);
    return true;
  };

  // 1. The shortest failing prefix. After an instant violation the steps after it never ran;
  //    a violation at quiescence may need fewer steps than were generated.
  if (failing.violation_step >= 0) steps.resize(failing.violation_step + 1);
  for (size_t length = 0; length < steps.size(); ++length) {
    absl::StatusOr<bool> kept =
        try_candidate(std::vector<Step>(steps.begin(), steps.begin() + length));
    if (!kept.ok()) return kept.status();
    if (*kept) break;
  }
  // 2. Delta debugging: remove chunks, halving the chunk size, until no single step can go.
  for (int pass = 0; pass < 4; ++pass) {
    const size_t length_before = steps.size();
    for (size_t chunk = std::max<size_t>(steps.size() / 2, 1); chunk >= 1; chunk /= 2) {
      for (size_t start = 0; start < steps.size();) {
        std::vector<Step> candidate = steps;
        candidate.erase(candidate.begin() + start,
                        candidate.begin() + std::min(start + chunk, candidate.size()));
        absl::StatusOr<bool> kept = try_candidate(std::move(candidate));
        if (!kept.ok()) return kept.status();
        if (!*kept) start += chunk;
      }
      if (chunk == 1) break;
    }
    if (steps.size() == length_before) break;
  }
  // 3. Smaller batches and fewer acknowledged events make the story easier to read.
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].count > 1) {
      std::vector<Step> candidate = steps;
      candidate[i].count = 1;
      absl::StatusOr<bool> kept = try_candidate(std::move(candidate));
      if (!kept.ok()) return kept.status();
    }
    if (steps[i].kind == StepKind::kCrash && steps[i].events_acked > 0) {
      std::vector<Step> candidate = steps;
      candidate[i].events_acked = 0;
      absl::StatusOr<bool> kept = try_candidate(std::move(candidate));
      if (!kept.ok()) return kept.status();
    }
  }
  return best;
}

std::string FormatReport(const RunResult& result) {
  std::string out = absl::StrCat("setup: ", result.setup.Describe(), "\n");
  absl::StrAppend(&out, "steps (", result.steps.size(), "):\n");
  for (size_t i = 0; i < result.steps.size(); ++i) {
    absl::StrAppend(&out, "  ", i + 1, ". ", Describe(result.steps[i]), "\n");
  }
  if (!result.violation.has_value()) {
    absl::StrAppend(&out, "no violation; fingerprint ", result.fingerprint, "\n");
    return out;
  }
  const std::string when =
      result.phase == "step"
          ? (result.violation_step >= 0 ? absl::StrCat("after step ", result.violation_step + 1)
                                        : std::string("before the first step"))
          : (result.phase == "quiescence" ? std::string("at quiescence")
                                          : std::string("after replaying every topic from 0"));
  absl::StrAppend(&out, "VIOLATION ", result.violation->invariant, " ", when, ": ",
                  result.violation->detail, "\n");
  return out;
}

}  // namespace orderplatform::simulator
