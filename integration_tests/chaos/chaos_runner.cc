#include "integration_tests/chaos/chaos_runner.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <queue>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "integration_tests/chaos/platform_client.h"
#include "integration_tests/chaos/topic_tools.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "services/order/order_id.h"

namespace orderplatform::chaos {
namespace {

using orderplatform::v1::Order;
using testenv::DevBroker;
using testenv::KafkaApiKey;
using testenv::ServiceProcess;

constexpr absl::Duration kTick = absl::Milliseconds(20);
constexpr absl::Duration kReadyTimeout = absl::Seconds(90);
constexpr absl::Duration kStockSampleInterval = absl::Milliseconds(100);
constexpr int kSelfExitsMax = 30;  // more means a crash loop: the run stops
constexpr int kDiffLinesMax = 10;
constexpr int kMonitorViolationsMax = 20;

bool IsTerminal(orderplatform::v1::OrderStatus status) {
  return status == orderplatform::v1::CONFIRMED || status == orderplatform::v1::CANCELLED;
}

// The lattice rank of a status: WatchOrder must stream strictly rising ranks.
int Rank(orderplatform::v1::OrderStatus status) {
  return IsTerminal(status) ? 4 : static_cast<int>(status);
}

orderplatform::v1::PlaceOrderRequest ToRequest(const PlannedOrder& order) {
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id(order.request_id);
  request.set_customer_id(order.customer_id);
  for (const auto& [sku, quantity] : order.lines) {
    orderplatform::v1::OrderLine* line = request.add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  request.set_amount_cents(order.amount_cents);
  request.set_currency("EUR");
  return request;
}

// What one planned order became, filled in by the client threads.
struct Progress {
  enum class State { kPending, kAccepted, kUnanswered, kFailed };
  State state = State::kPending;
  std::string order_id;
  CancelResult cancel = CancelResult::kNone;
};

struct DueCancel {
  absl::Time due;
  int index;
  bool operator>(const DueCancel& other) const { return due > other.due; }
};

class ChaosRun {
 public:
  ChaosRun(const ChaosPlan& plan, const ChaosOptions& options)
      : plan_(plan), options_(options), progress_(plan.orders.size()) {}

  absl::StatusOr<ChaosReport> Run();

 private:
  // ---- set-up ----
  absl::Status StartStack();
  absl::Status Provision();
  // ---- the chaos phase ----
  void PlaceOrders();
  void CancelOrders();
  void MonitorStock();
  absl::Status InjectFaults();
  absl::Status Apply(const PlannedFault& fault);
  absl::Status Revert(const PlannedFault& fault);
  absl::Status Supervise();
  absl::Status WaitForServicesReady();
  ServiceProcess& ServiceOf(const PlannedFault& fault);
  // ---- quiescence and checks ----
  void CollectPlacedOrders();
  void AwaitTerminal();
  void CheckEverything(const std::string& phase);
  void CheckEveryInstance();
  void CheckIdempotentPlacement();
  void CheckReplay();
  void CheckGarbage();
  void CheckBadRequests();
  void CheckServicesAlive(const std::string& phase);

  void Violate(std::string invariant, std::string detail);
  void Log(const std::string& line);
  PlatformView Read() { return ReadPlatform(*client_, input_, 0, options_.read_patience); }
  absl::Status CaughtUp() {
    return WaitForGroupsCaughtUp(stack_->kafka().bootstrap(), options_.settle_timeout);
  }

  const ChaosPlan& plan_;
  const ChaosOptions& options_;
  const absl::Time started_ = absl::Now();
  absl::Time t0_;
  std::unique_ptr<testenv::Stack> stack_;
  std::unique_ptr<PlatformClient> client_;
  std::unique_ptr<PlatformClient> monitor_client_;
  orderplatform::v1::PaymentBehavior behavior_;
  CheckInput input_;
  ChaosReport report_;

  absl::Mutex mu_;
  std::vector<Progress> progress_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<DueCancel, std::vector<DueCancel>, std::greater<DueCancel>> cancels_
      ABSL_GUARDED_BY(mu_);
  int placers_running_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Violation> violations_ ABSL_GUARDED_BY(mu_);
  int monitor_violations_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int> next_order_{0};
  std::atomic<int> placement_attempts_{0};
  std::atomic<int> placed_twice_{0};
  std::atomic<bool> stop_monitor_{false};
  std::atomic<int64_t> stock_samples_{0};

  // Touched only by the calling thread.
  std::set<ServiceProcess*> down_;
  std::map<ServiceProcess*, int> self_exits_;
};

void ChaosRun::Log(const std::string& line) {
  if (options_.log == nullptr) return;
  *options_.log << "[chaos +" << absl::ToInt64Milliseconds(absl::Now() - started_) << "ms] " << line
                << std::endl;
}

void ChaosRun::Violate(std::string invariant, std::string detail) {
  Log(absl::StrCat("VIOLATION ", invariant, ": ", detail));
  absl::MutexLock lock(&mu_);
  violations_.push_back({std::move(invariant), std::move(detail)});
}

absl::Status ChaosRun::StartStack() {
  const PlanOptions& topology = plan_.options;
  absl::StatusOr<std::unique_ptr<testenv::Stack>> stack =
      testenv::Stack::Start({.brokers = topology.brokers,
                             .partitions = topology.partitions,
                             .order_instances = topology.order_instances,
                             .inventory_instances = topology.inventory_instances,
                             .payment_instances = topology.payment_instances,
                             .reservation_ttl_ms = options_.reservation_ttl_ms,
                             .expiry_interval_ms = options_.expiry_interval_ms});
  if (!stack.ok()) return stack.status();
  stack_ = *std::move(stack);
  PlatformAddresses addresses{.admin_token = stack_->admin_token()};
  for (int i = 0; i < topology.order_instances; ++i) {
    addresses.order.push_back(stack_->order(i).grpc_address());
  }
  for (int i = 0; i < topology.inventory_instances; ++i) {
    addresses.inventory.push_back(stack_->inventory(i).grpc_address());
  }
  for (int i = 0; i < topology.payment_instances; ++i) {
    addresses.payment.push_back(stack_->payment(i).grpc_address());
  }
  client_ = std::make_unique<PlatformClient>(addresses);
  // Short deadlines: a sample that cannot be read now is skipped, not waited for.
  monitor_client_ = std::make_unique<PlatformClient>(addresses, absl::Seconds(2));
  return absl::OkStatus();
}

absl::Status ChaosRun::Provision() {
  for (const auto& [sku, units] : plan_.stock) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = client_->SetStock(sku, units);
    if (!level.ok()) return level.status();
    input_.stock_set[sku] = units;
  }
  for (const std::string& customer : plan_.decline_customers) {
    behavior_.add_decline_customers(customer);
  }
  behavior_.set_decline_rate(plan_.decline_rate);
  behavior_.set_no_answer_rate(plan_.no_answer_rate);
  behavior_.set_max_amount_cents(plan_.max_amount_cents);
  behavior_.set_seed(plan_.options.seed);
  input_.behavior = behavior_;
  return client_->SetBehavior(behavior_);
}

// ---------------------------------------------------------------------------------------------
// The chaos phase

void ChaosRun::PlaceOrders() {
  const int count = static_cast<int>(plan_.orders.size());
  // Bounded: each turn takes the next planned order; the loop ends after the last.
  for (int index = next_order_.fetch_add(1); index < count; index = next_order_.fetch_add(1)) {
    const PlannedOrder& planned = plan_.orders[index];
    absl::SleepFor(t0_ + planned.place_at - absl::Now());  // no-op when already late
    const orderplatform::v1::PlaceOrderRequest request = ToRequest(planned);
    RetryOutcome outcome;
    absl::StatusOr<Order> placed = WithRetries<Order>(
        client_->order_instances(), planned.order_instance, options_.placement_patience,
        [&](int i) { return client_->PlaceOnce(i, request); }, &outcome);
    placement_attempts_.fetch_add(outcome.attempts);
    if (!placed.ok()) {
      if (!IsRetryable(placed.status())) {
        Violate("I6", absl::StrCat("PlaceOrder of valid request ", planned.request_id,
                                   " failed: ", placed.status().ToString()));
      }
      absl::MutexLock lock(&mu_);
      progress_[index].state =
          IsRetryable(placed.status()) ? Progress::State::kUnanswered : Progress::State::kFailed;
      continue;
    }
    const std::string expected_id = order::OrderIdForRequest(planned.request_id);
    if (placed->order_id() != expected_id) {
      Violate("I6", absl::StrCat("request ", planned.request_id, " answered order ",
                                 placed->order_id(), ", expected ", expected_id));
    }
    if (planned.place_twice) {
      // A customer who clicks twice: the same request again, to another instance if any.
      placed_twice_.fetch_add(1);
      absl::StatusOr<Order> again = WithRetries<Order>(
          client_->order_instances(), planned.order_instance + 1, options_.placement_patience,
          [&](int i) { return client_->PlaceOnce(i, request); });
      if (again.ok() && again->order_id() != placed->order_id()) {
        Violate("I6", absl::StrCat("request ", planned.request_id, " placed twice gave orders ",
                                   placed->order_id(), " and ", again->order_id()));
      } else if (!again.ok() && !IsRetryable(again.status())) {
        Violate("I6", absl::StrCat("request ", planned.request_id,
                                   " placed again failed: ", again.status().ToString()));
      }
    }
    absl::MutexLock lock(&mu_);
    progress_[index].state = Progress::State::kAccepted;
    progress_[index].order_id = placed->order_id();
    if (planned.cancel_after.has_value()) {
      cancels_.push({absl::Now() + *planned.cancel_after, index});
    }
  }
  absl::MutexLock lock(&mu_);
  --placers_running_;
}

void ChaosRun::CancelOrders() {
  // Bounded: it ends once every placer is done and the queue is empty; each turn either cancels
  // one order or waits for the next due time (at most 100 ms).
  while (true) {
    int index = -1;
    {
      absl::MutexLock lock(&mu_);
      if (cancels_.empty() && placers_running_ == 0) return;
      if (!cancels_.empty() && cancels_.top().due <= absl::Now()) {
        index = cancels_.top().index;
        cancels_.pop();
      }
    }
    if (index < 0) {
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    const PlannedOrder& planned = plan_.orders[index];
    std::string order_id;
    {
      absl::MutexLock lock(&mu_);
      order_id = progress_[index].order_id;
    }
    absl::StatusOr<Order> cancelled = WithRetries<Order>(
        client_->order_instances(), planned.order_instance, options_.placement_patience,
        [&](int i) { return client_->CancelOnce(i, order_id); });
    CancelResult result = CancelResult::kRequested;
    if (absl::IsFailedPrecondition(cancelled.status())) {
      result = CancelResult::kRefusedConfirmed;
    } else if (!cancelled.ok()) {
      result = CancelResult::kUnanswered;
      if (!IsRetryable(cancelled.status())) {
        Violate("API", absl::StrCat("CancelOrder(", order_id,
                                    ") failed: ", cancelled.status().ToString()));
      }
    }
    absl::MutexLock lock(&mu_);
    progress_[index].cancel = result;
  }
}

void ChaosRun::MonitorStock() {
  int instance = 0;
  // Bounded by stop_monitor_, which the calling thread sets before it joins.
  while (!stop_monitor_.load()) {
    for (const auto& [sku, set] : input_.stock_set) {
      instance = (instance + 1) % monitor_client_->inventory_instances();
      absl::StatusOr<orderplatform::v1::StockLevel> level =
          monitor_client_->GetStockOnce(instance, sku);
      if (!level.ok()) continue;  // inventory or Redis is down right now: no sample
      stock_samples_.fetch_add(1);
      const int64_t sum = level->available() + level->reserved() + level->sold();
      if (level->available() < 0 || level->reserved() < 0 || level->sold() < 0 || sum != set) {
        bool report = false;
        {
          absl::MutexLock lock(&mu_);
          report = ++monitor_violations_ <= kMonitorViolationsMax;
        }
        if (report) {
          Violate("I1",
                  absl::StrCat("at +", absl::ToInt64Milliseconds(absl::Now() - t0_), "ms ", sku,
                               " available=", level->available(), " reserved=", level->reserved(),
                               " sold=", level->sold(), " (", set, " set)"));
        }
      }
    }
    absl::SleepFor(kStockSampleInterval);
  }
}

ServiceProcess& ChaosRun::ServiceOf(const PlannedFault& fault) {
  switch (fault.service) {
    case ServiceKind::kOrder:
      return stack_->order(fault.instance);
    case ServiceKind::kInventory:
      return stack_->inventory(fault.instance);
    case ServiceKind::kPayment:
      return stack_->payment(fault.instance);
  }
  return stack_->order(0);
}

absl::Status ChaosRun::Apply(const PlannedFault& fault) {
  DevBroker& kafka = stack_->kafka();
  switch (fault.kind) {
    case FaultKind::kKillService: {
      ServiceProcess& service = ServiceOf(fault);
      service.Kill9();
      down_.insert(&service);
      return absl::OkStatus();
    }
    case FaultKind::kRedisRestart:
      stack_->redis().Kill9();
      return absl::OkStatus();
    case FaultKind::kKafkaOutage:
      return kafka.BrokerDown(DevBroker::kAllBrokers);
    case FaultKind::kBrokerDown:
      return kafka.BrokerDown(fault.broker);
    case FaultKind::kSlowBroker:
      return kafka.SetRtt(fault.broker, fault.rtt_ms);
    case FaultKind::kLeaderMove:
      return kafka.SetPartitionLeader(fault.topic, fault.partition, fault.broker);
    case FaultKind::kRequestErrors:
      return kafka.PushRequestErrors(static_cast<KafkaApiKey>(fault.api_key), fault.error_codes);
  }
  return absl::InternalError("unknown fault kind");
}

absl::Status ChaosRun::Revert(const PlannedFault& fault) {
  DevBroker& kafka = stack_->kafka();
  switch (fault.kind) {
    case FaultKind::kKillService: {
      ServiceProcess& service = ServiceOf(fault);
      down_.erase(&service);
      // Launch only: readiness is awaited at the end of the phase, so the schedule goes on.
      return service.process().Restart();
    }
    case FaultKind::kRedisRestart:
      return stack_->redis().Restart();
    case FaultKind::kKafkaOutage:
      return kafka.BrokerUp(DevBroker::kAllBrokers);
    case FaultKind::kBrokerDown:
      return kafka.BrokerUp(fault.broker);
    case FaultKind::kSlowBroker:
      return kafka.SetRtt(fault.broker, 0);
    case FaultKind::kLeaderMove:
      // Back to the devbroker's initial leader of the partition.
      return kafka.SetPartitionLeader(fault.topic, fault.partition,
                                      fault.partition % plan_.options.brokers + 1);
    case FaultKind::kRequestErrors:
      return kafka.ClearRequestErrors(static_cast<KafkaApiKey>(fault.api_key));
  }
  return absl::InternalError("unknown fault kind");
}

absl::Status ChaosRun::Supervise() {
  for (ServiceProcess* service : stack_->services()) {
    if (down_.count(service) > 0 || service->Running()) continue;
    const int exits = ++self_exits_[service];
    const std::string tail = service->process().StderrTail(800);
    report_.self_exits.push_back(absl::StrCat(service->name(), " at +",
                                              absl::ToInt64Milliseconds(absl::Now() - t0_),
                                              "ms; stderr tail: ", tail));
    Log(absl::StrCat(service->name(), " exited by itself; restarting it. stderr tail: ", tail));
    if (exits > kSelfExitsMax) {
      return absl::InternalError(
          absl::StrCat(service->name(), " keeps exiting (", exits, " times); last stderr: ", tail));
    }
    absl::Status restarted = service->process().Restart();
    if (!restarted.ok()) return restarted;
  }
  return absl::OkStatus();
}

absl::Status ChaosRun::InjectFaults() {
  struct Action {
    absl::Duration at;
    bool apply;
    const PlannedFault* fault;
  };
  std::vector<Action> actions;
  for (const PlannedFault& fault : plan_.faults) {
    actions.push_back({fault.start, true, &fault});
    actions.push_back({fault.end(), false, &fault});
  }
  // Reverts first at equal times, so a fault that ends when the next begins is gone by then.
  std::stable_sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
    return a.at < b.at || (a.at == b.at && !a.apply && b.apply);
  });
  const absl::Time deadline =
      t0_ + plan_.options.duration + 2 * options_.placement_patience + absl::Minutes(5);
  size_t next = 0;
  // Bounded by `deadline`; every turn runs an action or sleeps one tick.
  while (true) {
    absl::Status supervised = Supervise();
    if (!supervised.ok()) return supervised;
    const absl::Time now = absl::Now();
    if (next < actions.size() && now >= t0_ + actions[next].at) {
      const Action& action = actions[next++];
      const PlannedFault& fault = *action.fault;
      if (!action.apply && options_.fault_hook) options_.fault_hook(fault, false, *stack_);
      Log(absl::StrCat(action.apply ? "apply  " : "revert ", fault.Describe()));
      absl::Status done = action.apply ? Apply(fault) : Revert(fault);
      if (!done.ok()) {
        return absl::Status(done.code(), absl::StrCat(action.apply ? "applying " : "reverting ",
                                                      fault.Describe(), ": ", done.message()));
      }
      if (action.apply) {
        ++report_.faults_injected;
        ++report_.faults_by_kind[FaultKindName(fault.kind)];
        if (options_.fault_hook) options_.fault_hook(fault, true, *stack_);
      }
      continue;
    }
    bool placing = false;
    {
      absl::MutexLock lock(&mu_);
      placing = placers_running_ > 0 || !cancels_.empty();
    }
    if (next == actions.size() && !placing) return absl::OkStatus();
    if (now >= deadline) {
      return absl::DeadlineExceededError("the chaos phase did not end in time (clients stuck?)");
    }
    absl::SleepFor(kTick);
  }
}

absl::Status ChaosRun::WaitForServicesReady() {
  for (ServiceProcess* service : stack_->services()) {
    // Each (re)start truncates stdout, so this line is the current run's.
    absl::StatusOr<std::string> line =
        service->process().WaitForStdoutLine("grpc_port=", kReadyTimeout);
    if (!line.ok()) return line.status();
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Quiescence and checks

void ChaosRun::CollectPlacedOrders() {
  std::vector<Progress> progress;
  {
    absl::MutexLock lock(&mu_);
    progress = progress_;
  }
  for (size_t i = 0; i < plan_.orders.size(); ++i) {
    PlacedOrder placed{.plan = plan_.orders[i], .cancel = progress[i].cancel};
    if (progress[i].state == Progress::State::kAccepted) {
      placed.order_id = progress[i].order_id;
      ++report_.orders_acknowledged;
    } else {
      // Every attempt failed: if the platform stored the order anyway, it owes it an outcome
      // like any other (and its stock counts), although the client never learnt of it.
      placed.order_id = order::OrderIdForRequest(placed.plan.request_id);
      placed.acknowledged = false;
      absl::StatusOr<Order> stored = client_->Get(placed.order_id, options_.read_patience);
      if (absl::IsNotFound(stored.status())) {
        ++report_.orders_never_stored;
        continue;
      }
      ++report_.orders_stored_unacknowledged;
    }
    if (placed.cancel == CancelResult::kRequested) ++report_.cancels_requested;
    if (placed.cancel == CancelResult::kRefusedConfirmed) ++report_.cancels_refused_confirmed;
    if (placed.cancel == CancelResult::kUnanswered) ++report_.cancels_unanswered;
    input_.orders.push_back(std::move(placed));
  }
}

void ChaosRun::AwaitTerminal() {
  const absl::Time settle_start = absl::Now();
  std::set<std::string> pending;
  for (const PlacedOrder& placed : input_.orders) pending.insert(placed.order_id);
  int instance = 0;
  // Bounded by the settle timeout; each turn polls what is still pending.
  while (!pending.empty() && absl::Now() < settle_start + options_.settle_timeout) {
    for (auto it = pending.begin(); it != pending.end();) {
      instance = (instance + 1) % client_->order_instances();
      absl::StatusOr<Order> order = client_->GetOnce(instance, *it);
      it = order.ok() && IsTerminal(order->status()) ? pending.erase(it) : std::next(it);
    }
    if (!pending.empty()) absl::SleepFor(absl::Milliseconds(200));
  }
  report_.settle_time = absl::Now() - settle_start;
  if (!pending.empty()) {
    Violate("I2", absl::StrCat(pending.size(), " orders not terminal ",
                               absl::FormatDuration(options_.settle_timeout),
                               " after the faults stopped, e.g. ", *pending.begin()));
  }
  Log(absl::StrCat("every order terminal after ", absl::FormatDuration(report_.settle_time)));
  absl::Status caught_up = CaughtUp();
  if (!caught_up.ok()) Violate("I2", caught_up.ToString());
}

void ChaosRun::CheckEverything(const std::string& phase) {
  PlatformView view = Read();
  for (const Violation& v : CheckState(input_, view)) {
    Violate(v.invariant, absl::StrCat("[", phase, "] ", v.detail));
  }
  absl::StatusOr<TopicView> topics =
      ReadTopics(stack_->kafka().bootstrap(), options_.topic_timeout);
  if (!topics.ok()) {
    Violate("I5", absl::StrCat("[", phase, "] topics unreadable: ", topics.status().ToString()));
    return;
  }
  for (const Violation& v : CheckTopics(input_, view, *topics)) {
    Violate(v.invariant, absl::StrCat("[", phase, "] ", v.detail));
  }
  Log(absl::StrCat("checked ", view.orders.size(), " orders, ", view.stock.size(), " SKUs, ",
                   topics->messages, " events, ", topics->dead_letters.size(), " dead letters (",
                   phase, ")"));
}

void ChaosRun::CheckEveryInstance() {
  const PlatformView view = Read();
  const int instances = client_->order_instances();
  // Which orders get their WatchOrder stream read: all, or an even spread of watch_sample.
  std::vector<const PlacedOrder*> watched;
  const size_t total = input_.orders.size();
  const size_t sample = options_.watch_sample < 0
                            ? total
                            : std::min(total, static_cast<size_t>(options_.watch_sample));
  for (size_t k = 0; k < sample; ++k) watched.push_back(&input_.orders[k * total / sample]);

  for (int i = 0; i < instances; ++i) {
    for (const PlacedOrder& placed : input_.orders) {
      auto expected = view.orders.find(placed.order_id);
      if (expected == view.orders.end()) continue;  // already reported
      absl::StatusOr<Order> order =
          WithRetries<Order>(instances, i, options_.read_patience,
                             [&](int) { return client_->GetOnce(i, placed.order_id); });
      if (!order.ok() || order->status() != expected->second.status() ||
          order->cancel_reason() != expected->second.cancel_reason()) {
        Violate("API",
                absl::StrCat("order-", i, " answers GetOrder(", placed.order_id, ") with ",
                             order.ok() ? order->ShortDebugString() : order.status().ToString(),
                             "; order-0 said ", expected->second.ShortDebugString()));
      }
    }
    for (const PlacedOrder* placed : watched) {
      auto expected = view.orders.find(placed->order_id);
      if (expected == view.orders.end()) continue;
      absl::StatusOr<std::vector<Order>> seen = WithRetries<std::vector<Order>>(
          instances, i, options_.read_patience,
          [&](int) { return client_->WatchOnce(i, placed->order_id, absl::Seconds(10)); });
      std::vector<std::string> statuses;
      bool rising = true;
      if (seen.ok()) {
        for (size_t k = 0; k < seen->size(); ++k) {
          statuses.push_back(orderplatform::v1::OrderStatus_Name((*seen)[k].status()));
          if (k > 0 && Rank((*seen)[k].status()) <= Rank((*seen)[k - 1].status())) rising = false;
        }
      }
      const bool ok = seen.ok() && !seen->empty() &&
                      seen->front().status() == orderplatform::v1::PENDING && rising &&
                      seen->back().status() == expected->second.status() &&
                      seen->back().cancel_reason() == expected->second.cancel_reason();
      if (!ok) {
        Violate("API", absl::StrCat("order-", i, " WatchOrder(", placed->order_id, ") streamed [",
                                    absl::StrJoin(statuses, ","), "] ",
                                    seen.ok() ? "" : seen.status().ToString(), "; expected ",
                                    "PENDING first, rising, ending ",
                                    expected->second.ShortDebugString()));
      }
    }
  }
  Log(absl::StrCat("every order instance answered GetOrder for ", input_.orders.size(),
                   " orders and WatchOrder for ", watched.size()));
}

void ChaosRun::CheckIdempotentPlacement() {
  const int instances = client_->order_instances();
  // Requests that already succeeded, sent again to every instance: the same order, nothing new.
  int repeated = 0;
  for (const PlacedOrder& placed : input_.orders) {
    if (!placed.acknowledged || repeated >= 3) continue;
    ++repeated;
    for (int i = 0; i < instances; ++i) {
      absl::StatusOr<Order> again =
          WithRetries<Order>(instances, i, options_.read_patience,
                             [&](int) { return client_->PlaceOnce(i, ToRequest(placed.plan)); });
      if (!again.ok() || again->order_id() != placed.order_id) {
        Violate("I6", absl::StrCat("PlaceOrder(", placed.plan.request_id, ") again on order-", i,
                                   ": ", again.ok() ? again->order_id() : again.status().ToString(),
                                   ", expected ", placed.order_id));
      }
    }
  }
  // A new request sent twice at the same moment, to two instances (or twice to one).
  PlannedOrder fresh{.index = static_cast<int>(plan_.orders.size()),
                     .request_id = absl::StrCat("idempotent-", plan_.options.seed),
                     .customer_id = "cust-idempotent",
                     .lines = {{plan_.stock.begin()->first, 1}},
                     .amount_cents = 100};
  std::vector<absl::StatusOr<Order>> results(2, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      results[k] = WithRetries<Order>(instances, k, options_.read_patience, [&](int i) {
        return client_->PlaceOnce(i, ToRequest(fresh));
      });
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (!results[0].ok() || !results[1].ok() || results[0]->order_id() != results[1]->order_id()) {
    Violate("I6",
            absl::StrCat(
                "one request placed twice at once: ",
                results[0].ok() ? results[0]->order_id() : results[0].status().ToString(), " vs ",
                results[1].ok() ? results[1]->order_id() : results[1].status().ToString()));
    return;
  }
  input_.orders.push_back({.plan = fresh, .order_id = results[0]->order_id()});
  absl::StatusOr<Order> done = absl::UnknownError("not polled");
  const bool terminal = testenv::WaitUntil(options_.settle_timeout, [&] {
    done = client_->Get(results[0]->order_id(), options_.read_patience);
    return done.ok() && IsTerminal(done->status());
  });
  if (!terminal) {
    Violate("I2",
            absl::StrCat("the twice-placed order ", results[0]->order_id(), " did not finish: ",
                         done.ok() ? done->ShortDebugString() : done.status().ToString()));
  }
  Log("I6: repeated requests gave their orders back; a request sent twice at once made one order");
}

void ChaosRun::CheckReplay() {
  absl::Status caught_up = CaughtUp();
  if (!caught_up.ok()) Violate("I5", absl::StrCat("before the replay: ", caught_up.ToString()));
  const std::string before = Snapshot(Read());
  absl::StatusOr<int> reproduced =
      ReproduceSagaTopics(stack_->kafka().bootstrap(), options_.topic_timeout);
  if (!reproduced.ok()) {
    Violate("I5",
            absl::StrCat("could not produce the topics again: ", reproduced.status().ToString()));
    return;
  }
  report_.reproduced_messages = *reproduced;
  caught_up = CaughtUp();
  if (!caught_up.ok()) Violate("I5", absl::StrCat("after the replay: ", caught_up.ToString()));
  const std::string after = Snapshot(Read());
  for (const std::string& line : SnapshotDiff(before, after, kDiffLinesMax)) {
    Violate("I5", absl::StrCat("replaying every message changed ", line));
  }
  Log(absl::StrCat("I5: ", *reproduced, " messages produced again and consumed; ",
                   before == after ? "nothing changed" : "SOMETHING CHANGED"));
}

void ChaosRun::CheckGarbage() {
  const std::string bootstrap = stack_->kafka().bootstrap();
  const std::string before = Snapshot(Read());
  const std::vector<GarbageMessage> garbage = MakeGarbage(plan_.options.seed);
  absl::Status sent = ProduceGarbage(bootstrap, garbage, options_.topic_timeout);
  if (!sent.ok()) {
    Violate("I7", absl::StrCat("could not produce garbage: ", sent.ToString()));
    return;
  }
  report_.garbage_messages = static_cast<int>(garbage.size());
  // Every consumer group that reads a topic dead-letters each of its garbage messages.
  std::string missing;
  const bool landed = testenv::WaitUntil(options_.settle_timeout, [&] {
    missing.clear();
    for (const GarbageMessage& g : garbage) {
      absl::StatusOr<std::vector<kafka::ConsumedMessage>> dlq =
          kafka::testing::ReadTopic(bootstrap, absl::StrCat(g.topic, ".dlq"), absl::Seconds(20));
      if (!dlq.ok()) {
        missing = dlq.status().ToString();
        return false;
      }
      const int found = static_cast<int>(std::count_if(
          dlq->begin(), dlq->end(),
          [&](const kafka::ConsumedMessage& m) { return m.key == g.key && m.value == g.value; }));
      if (found < ConsumersOf(g.topic)) {
        absl::StrAppend(&missing, g.what, " on ", g.topic, " (", found, " of ",
                        ConsumersOf(g.topic), " dead letters); ");
      }
    }
    return missing.empty();
  });
  if (!landed) Violate("I7", absl::StrCat("garbage not dead-lettered: ", missing));
  absl::Status caught_up = CaughtUp();
  if (!caught_up.ok()) Violate("I7", absl::StrCat("after the garbage: ", caught_up.ToString()));
  const std::string after = Snapshot(Read());
  for (const std::string& line : SnapshotDiff(before, after, kDiffLinesMax)) {
    Violate("I7", absl::StrCat("garbage changed ", line));
  }
  CheckServicesAlive("after the garbage");
  Log(absl::StrCat("I7: ", garbage.size(), " garbage messages ",
                   landed ? "all dead-lettered" : "NOT ALL DEAD-LETTERED", "; ",
                   before == after ? "nothing changed" : "SOMETHING CHANGED"));
}

void ChaosRun::CheckBadRequests() {
  const std::string bootstrap = stack_->kafka().bootstrap();
  const std::string before = Snapshot(Read());
  absl::StatusOr<std::vector<int64_t>> orders_end =
      EndOffsets(bootstrap, "orders.v1", absl::Seconds(20));
  const std::string sku = plan_.stock.begin()->first;
  PlannedOrder base{.request_id = absl::StrCat("bad-", plan_.options.seed),
                    .customer_id = "cust-bad",
                    .lines = {{sku, 1}},
                    .amount_cents = 100};
  std::vector<std::pair<std::string, orderplatform::v1::PlaceOrderRequest>> bad;
  auto variant = [&](const std::string& what, const std::function<void(PlannedOrder*)>& edit) {
    PlannedOrder order = base;
    edit(&order);
    bad.emplace_back(what, ToRequest(order));
  };
  variant("empty request_id", [](PlannedOrder* o) { o->request_id.clear(); });
  variant("no lines", [](PlannedOrder* o) { o->lines.clear(); });
  variant("quantity 0", [](PlannedOrder* o) { o->lines[0].second = 0; });
  variant("a SKU with a space", [](PlannedOrder* o) { o->lines[0].first = "bad sku"; });
  variant("a 65-character SKU", [](PlannedOrder* o) { o->lines[0].first = std::string(65, 'x'); });
  variant("101 lines", [&](PlannedOrder* o) { o->lines.assign(101, {sku, 1}); });
  variant("a negative amount", [](PlannedOrder* o) { o->amount_cents = -1; });
  auto expect_invalid = [&](const std::string& what, const absl::Status& status) {
    if (!absl::IsInvalidArgument(status)) {
      Violate("I7", absl::StrCat("bad request (", what, ") answered ", status.ToString(),
                                 ", not INVALID_ARGUMENT"));
    }
  };
  for (int i = 0; i < client_->order_instances(); ++i) {
    for (const auto& [what, request] : bad) {
      expect_invalid(absl::StrCat("PlaceOrder with ", what),
                     client_->PlaceOnce(i, request).status());
    }
    expect_invalid("GetOrder of an empty id", client_->GetOnce(i, "").status());
    expect_invalid("CancelOrder of an empty id", client_->CancelOnce(i, "").status());
  }
  expect_invalid("SetStock of a bad SKU", client_->SetStockOnce(0, "bad sku", 5).status());
  expect_invalid("SetStock below 0", client_->SetStockOnce(0, sku, -1).status());
  orderplatform::v1::PaymentBehavior wrong = behavior_;
  wrong.set_decline_rate(2.0);
  expect_invalid("SetBehavior with decline_rate 2", client_->SetBehaviorOnce(0, wrong));

  absl::StatusOr<std::vector<int64_t>> orders_end_after =
      EndOffsets(bootstrap, "orders.v1", absl::Seconds(20));
  if (!orders_end.ok() || !orders_end_after.ok() || *orders_end != *orders_end_after) {
    Violate("I7", "bad PlaceOrder requests produced something on orders.v1");
  }
  const std::string after = Snapshot(Read());
  for (const std::string& line : SnapshotDiff(before, after, kDiffLinesMax)) {
    Violate("I7", absl::StrCat("bad requests changed ", line));
  }
  Log(absl::StrCat("I7: ", bad.size() * client_->order_instances() + 5,
                   " bad requests answered; nothing changed"));
}

void ChaosRun::CheckServicesAlive(const std::string& phase) {
  for (ServiceProcess* service : stack_->services()) {
    if (!service->Running()) {
      Violate("I7", absl::StrCat(service->name(), " is not running ", phase,
                                 "; stderr tail: ", service->process().StderrTail(800)));
    }
  }
}

absl::StatusOr<ChaosReport> ChaosRun::Run() {
  report_.seed = plan_.options.seed;
  report_.digest = plan_.Digest();
  report_.orders_planned = static_cast<int>(plan_.orders.size());
  Log(absl::StrCat("seed=", plan_.options.seed, " plan digest=", report_.digest,
                   " orders=", plan_.orders.size(), " faults=", plan_.faults.size()));
  for (const PlannedFault& fault : plan_.faults) Log(absl::StrCat("planned ", fault.Describe()));

  absl::Status status = StartStack();
  if (status.ok()) status = Provision();
  if (!status.ok()) return status;
  Log("stack up, stock and payment behavior set");

  t0_ = absl::Now();
  std::thread monitor([this] { MonitorStock(); });
  std::vector<std::thread> clients;
  {
    absl::MutexLock lock(&mu_);
    placers_running_ = std::max(1, options_.client_threads);
  }
  for (int t = 0; t < std::max(1, options_.client_threads); ++t) {
    clients.emplace_back([this] { PlaceOrders(); });
  }
  std::thread canceller([this] { CancelOrders(); });
  status = InjectFaults();
  if (status.ok()) status = WaitForServicesReady();
  if (!status.ok()) {
    // Let the clients finish (each bounded by its patience) before the stack goes away.
    next_order_.store(static_cast<int>(plan_.orders.size()));
    for (std::thread& thread : clients) thread.join();
    canceller.join();
    stop_monitor_.store(true);
    monitor.join();
    return status;
  }
  for (std::thread& thread : clients) thread.join();
  canceller.join();
  report_.chaos_time = absl::Now() - t0_;
  Log(absl::StrCat("chaos phase over: ", report_.faults_injected, " faults, ",
                   placement_attempts_.load(), " PlaceOrder calls"));

  CollectPlacedOrders();
  AwaitTerminal();
  CheckEverything("after the chaos");
  CheckEveryInstance();
  CheckIdempotentPlacement();
  CheckReplay();
  CheckGarbage();
  CheckBadRequests();
  CheckEverything("after replay and garbage");
  CheckServicesAlive("at the end");
  stop_monitor_.store(true);
  monitor.join();

  report_.placement_attempts = placement_attempts_.load();
  report_.placed_twice = placed_twice_.load();
  report_.stock_samples = stock_samples_.load();
  const PlatformView final_view = Read();
  for (const auto& [id, order] : final_view.orders) {
    std::string outcome = orderplatform::v1::OrderStatus_Name(order.status());
    if (order.status() == orderplatform::v1::CANCELLED) {
      absl::StrAppend(&outcome, "/", orderplatform::v1::CancelReason_Name(order.cancel_reason()));
    }
    ++report_.outcomes[outcome];
  }
  report_.total_time = absl::Now() - started_;
  absl::MutexLock lock(&mu_);
  report_.violations = violations_;
  return report_;
}

}  // namespace

std::string ChaosReport::Summary() const {
  std::string out = absl::StrCat("seed=", seed, " plan digest=", digest, "\n");
  absl::StrAppend(&out, "orders: planned ", orders_planned, ", acknowledged ", orders_acknowledged,
                  ", stored but unacknowledged ", orders_stored_unacknowledged, ", never stored ",
                  orders_never_stored, "; PlaceOrder calls ", placement_attempts, ", placed twice ",
                  placed_twice, "\n");
  absl::StrAppend(&out, "cancels: requested ", cancels_requested, ", refused (CONFIRMED) ",
                  cancels_refused_confirmed, ", unanswered ", cancels_unanswered, "\n");
  absl::StrAppend(&out, "outcomes:");
  for (const auto& [outcome, count] : outcomes) absl::StrAppend(&out, " ", outcome, "=", count);
  absl::StrAppend(&out, "\nfaults injected: ", faults_injected, " (");
  absl::StrAppend(&out, absl::StrJoin(faults_by_kind, ", ", absl::PairFormatter("=")), ")\n");
  absl::StrAppend(&out, "services that exited by themselves: ", self_exits.size(), "\n");
  for (const std::string& exit : self_exits) absl::StrAppend(&out, "  ", exit, "\n");
  absl::StrAppend(&out, "I1 stock samples during the run: ", stock_samples,
                  "; messages produced again (I5): ", reproduced_messages,
                  "; garbage messages (I7): ", garbage_messages, "\n");
  const double seconds = absl::ToDoubleSeconds(chaos_time);
  absl::StrAppend(&out, "chaos phase ", absl::FormatDuration(chaos_time), " (",
                  seconds > 0 ? (orders_acknowledged + orders_stored_unacknowledged) / seconds : 0,
                  " orders/s), settled in ", absl::FormatDuration(settle_time), ", total ",
                  absl::FormatDuration(total_time), "\n");
  absl::StrAppend(&out, "violations: ", violations.size(), "\n");
  for (const Violation& violation : violations)
    absl::StrAppend(&out, "  ", ToString(violation), "\n");
  return out;
}

absl::StatusOr<ChaosReport> RunChaos(const ChaosPlan& plan, const ChaosOptions& options) {
  ChaosRun run(plan, options);
  return run.Run();
}

}  // namespace orderplatform::chaos
