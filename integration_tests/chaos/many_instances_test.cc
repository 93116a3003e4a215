// Three instances of every service in the same consumer groups; mid-run one instance of each is
// killed with kill -9 and stays down for half a minute. The dead members' partitions must move
// to the survivors (read from the survivors' own kafka_partitions_assigned logs), no order may
// be lost or applied twice (I1–I5, via the chaos runner's checks), and afterwards every order
// instance answers GetOrder and WatchOrder for every order.
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/chaos/chaos_plan.h"
#include "integration_tests/chaos/chaos_runner.h"
#include "integration_tests/chaos/topic_tools.h"
#include "integration_tests/testenv/stack.h"

namespace orderplatform::chaos {
namespace {

constexpr uint64_t kSeed = 4242;
constexpr int kInstances = 3;
constexpr int kPartitions = 6;
constexpr absl::Duration kDuration = absl::Seconds(60);
// The survivors take over after the dead member's session times out (6 s) and the group
// rebalances (up to 5 s on the devbroker); on a loaded two-core machine, give it much longer.
constexpr absl::Duration kRebalanceTimeout = absl::Seconds(60);

std::string GroupOf(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kOrder:
      return "orderplatform.order";
    case ServiceKind::kInventory:
      return "orderplatform.inventory";
    case ServiceKind::kPayment:
      return "orderplatform.payment";
  }
  return "";
}

testenv::ServiceProcess& Instance(testenv::Stack& stack, ServiceKind kind, int i) {
  switch (kind) {
    case ServiceKind::kOrder:
      return stack.order(i);
    case ServiceKind::kInventory:
      return stack.inventory(i);
    case ServiceKind::kPayment:
      return stack.payment(i);
  }
  return stack.order(i);
}

std::string ReadFrom(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// The partitions a member owns according to its last assignment log line in `log` (empty after
// a revoke); nullopt when `log` has no assignment line of `group`.
std::optional<std::set<std::string>> LastAssignment(const std::string& log,
                                                    const std::string& group) {
  std::optional<std::set<std::string>> owned;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, absl::StrCat("group=", group))) continue;
    if (absl::StrContains(line, "event=kafka_partitions_revoked")) {
      owned = std::set<std::string>();
    } else if (absl::StrContains(line, "event=kafka_partitions_assigned")) {
      owned = std::set<std::string>();
      const size_t at = line.find(" partitions=");
      if (at == absl::string_view::npos) continue;
      absl::string_view list = line.substr(at + sizeof(" partitions=") - 1);
      list = list.substr(0, list.find(' '));
      for (absl::string_view partition : absl::StrSplit(list, ',', absl::SkipEmpty())) {
        owned->insert(std::string(partition));
      }
    }
  }
  return owned;
}

// Watches the kills: remembers where each survivor's log stood when a member died, and before
// the dead member comes back, waits until the survivors' assignments cover every partition the
// group consumes.
class RebalanceProbe {
 public:
  void OnFault(const PlannedFault& fault, bool applied, testenv::Stack& stack) {
    if (fault.kind != FaultKind::kKillService) return;
    if (applied) {
      killed_at_[fault.service].clear();
      for (int i = 0; i < kInstances; ++i) {
        if (i == fault.instance) continue;
        const std::string path = Instance(stack, fault.service, i).process().stderr_path();
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        killed_at_[fault.service][i] = in.tellg();
      }
      return;
    }
    const std::string group = GroupOf(fault.service);
    std::set<std::string> expected;
    for (const GroupTopics& consumed : SagaConsumerGroups()) {
      if (consumed.group != group) continue;
      for (const std::string& topic : consumed.topics) {
        for (int p = 0; p < kPartitions; ++p) expected.insert(absl::StrCat(topic, "[", p, "]"));
      }
    }
    std::set<std::string> covered;
    const bool moved = testenv::WaitUntil(kRebalanceTimeout, [&] {
      covered.clear();
      for (const auto& [i, offset] : killed_at_[fault.service]) {
        const std::string path = Instance(stack, fault.service, i).process().stderr_path();
        std::optional<std::set<std::string>> owned = LastAssignment(ReadFrom(path, offset), group);
        if (!owned.has_value()) return false;  // this survivor has not rebalanced yet
        covered.insert(owned->begin(), owned->end());
      }
      return covered == expected;
    });
    EXPECT_TRUE(moved) << group << ": the survivors of " << ServiceKindName(fault.service) << "-"
                       << fault.instance << " own " << covered.size() << " of " << expected.size()
                       << " partitions " << kRebalanceTimeout << " after it died";
    if (moved) {
      std::cerr << group << ": the survivors own all " << expected.size() << " partitions while "
                << ServiceKindName(fault.service) << "-" << fault.instance << " is dead"
                << std::endl;
    }
  }

 private:
  std::map<ServiceKind, std::map<int, std::streamoff>> killed_at_;
};

TEST(LastAssignmentTest, ReadsTheLatestAssignmentOfTheGroup) {
  const std::string log =
      "ts=1 level=info event=kafka_partitions_assigned group=g partitions=t[0],t[1]\n"
      "ts=2 level=info event=kafka_partitions_revoked group=g partitions=t[0],t[1]\n"
      "ts=3 level=info event=kafka_partitions_assigned group=other partitions=t[5]\n"
      "ts=4 level=info event=kafka_partitions_assigned group=g partitions=t[2],u[0]\n";
  EXPECT_EQ(LastAssignment(log, "g"), (std::set<std::string>{"t[2]", "u[0]"}));
  EXPECT_EQ(LastAssignment(log.substr(0, log.find("ts=3")), "g"), std::set<std::string>());
  EXPECT_FALSE(LastAssignment("ts=1 event=service_started\n", "g").has_value());
}

TEST(ManyInstancesTest, KilledInstancesHandOverTheirPartitionsAndNothingIsLostOrDoubled) {
  std::cerr << "many-instances seed=" << kSeed << std::endl;
  ChaosPlan plan = MakePlan({.seed = kSeed,
                             .orders = 150,
                             .faults = 1,
                             .duration = kDuration,
                             .brokers = 3,
                             .partitions = kPartitions,
                             .order_instances = kInstances,
                             .inventory_instances = kInstances,
                             .payment_instances = kInstances});
  // Only kills here: one instance of each service, overlapping, each down until near the end,
  // so that a third of the run is served by the survivors alone.
  plan.faults.clear();
  const std::vector<std::pair<ServiceKind, int>> victims = {
      {ServiceKind::kOrder, 1}, {ServiceKind::kInventory, 2}, {ServiceKind::kPayment, 0}};
  for (size_t k = 0; k < victims.size(); ++k) {
    const absl::Duration start = kDuration * (0.3 + 0.1 * static_cast<double>(k));
    plan.faults.push_back({.kind = FaultKind::kKillService,
                           .start = start,
                           .duration = kDuration * 0.9 - start,
                           .service = victims[k].first,
                           .instance = victims[k].second});
  }
  RebalanceProbe probe;
  const absl::StatusOr<ChaosReport> report = RunChaos(
      plan,
      {.reservation_ttl_ms = 4000,
       .client_threads = 6,
       .settle_timeout = absl::Seconds(120),
       .watch_sample = -1,  // every order, on every order instance
       .log = &std::cerr,
       .fault_hook = [&probe](const PlannedFault& fault, bool applied, testenv::Stack& stack) {
         probe.OnFault(fault, applied, stack);
       }});
  ASSERT_TRUE(report.ok()) << report.status();
  std::cerr << report->Summary();
  EXPECT_TRUE(report->violations.empty()) << report->Summary();
  EXPECT_EQ(report->faults_injected, 3);
  EXPECT_TRUE(report->self_exits.empty()) << "only killed instances may go away";
  EXPECT_GE(report->orders_acknowledged, 145);
  EXPECT_GT(report->outcomes.count("CONFIRMED"), 0u);
}

}  // namespace
}  // namespace orderplatform::chaos
