// Memory stays bounded under a flood (docs/RELIABILITY.md, "Overload and dependency loss"). The
// resident memory of every service is sampled throughout, and stays under a fixed bound:
//   1. orders.v1 gets 192 garbage values of 450 KB (86 MB; the development broker keeps 5 MB per
//      partition, hence 24 partitions) faster than inventory can dead-letter them;
//   2. then 5000 small garbage values and 2000 valid orders for a SKU without stock (the Lua
//      path), while PlaceOrder is called from 8 threads at once; every placed order completes
//      with the invariants intact. (The valid events are few thousands only because the test's
//      redis-server fsyncs every write.)
//
// What bounds it: each consumer pre-fetches at most 16 MiB (+ one 8 MiB fetch), a batch holds at
// most 500 messages / ~8 MiB, the next batch waits for the acks of this one, the producer's queue
// is capped at 32 MiB, and the gRPC server at 512 threads. Without the byte bounds, phase 1 alone
// would put up to 64 MiB into one batch, then again as dead letters and as their produce copies.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/observe.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/stack.h"
#include "integration_tests/topic_probe.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;

constexpr int kPartitions = 24;
constexpr int kLargeGarbage = 192;
constexpr size_t kLargeGarbageBytes = 450 * 1024;
constexpr int kSmallGarbage = 5000;
constexpr int kValidEvents = 2000;
constexpr int kClientThreads = 8;
constexpr int kOrdersPerThread = 40;
// Peak resident memory allowed per service. Measured: about 21 MB idle, inventory's peak about
// 75 MB with the bounds; about 215 MB without the consumer's byte bounds (librdkafka's defaults
// and no batch_bytes_max).
constexpr int64_t kResidentKbMax = 128 * 1024;

std::string PlacedEvent(int i) {
  orderplatform::v1::OrderEvent event;
  const std::string order_id = absl::StrCat("o-flood-", i);
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = order_id,
                                                    .event_type = "OrderPlaced",
                                                    .correlation_id = order_id,
                                                    .producer = "flood",
                                                    .occurred_at_ms = 1764450000000});
  auto* line = event.mutable_order_placed()->add_lines();
  line->set_sku("flood-none");
  line->set_quantity(1);
  return event.SerializeAsString();
}

// Samples the resident memory of every service until stopped; keeps each one's peak.
class PeakSampler {
 public:
  explicit PeakSampler(std::vector<testenv::ServiceProcess*> services)
      : services_(std::move(services)), peaks_kb_(services_.size()) {
    thread_ = std::thread([this] {
      // Bounded by Stop().
      while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
        for (size_t i = 0; i < services_.size(); ++i) {
          absl::StatusOr<int64_t> kb = ResidentKb(services_[i]->process().pid());
          if (kb.ok()) peaks_kb_[i] = std::max<int64_t>(peaks_kb_[i], *kb);
        }
      }
    });
  }
  ~PeakSampler() { Stop(); }

  std::vector<int64_t> Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
    return {peaks_kb_.begin(), peaks_kb_.end()};
  }

 private:
  const std::vector<testenv::ServiceProcess*> services_;
  std::vector<int64_t> peaks_kb_;  // written by the sampler thread only, read after join
  absl::Notification stop_;
  std::thread thread_;
};

TEST(FloodTest, EveryServiceStaysUnderItsMemoryBoundAndEveryOrderCompletes) {
  auto stack = testenv::Stack::Start({.partitions = kPartitions, .reservation_ttl_ms = 300000});
  ASSERT_TRUE(stack.ok()) << stack.status();
  SagaClient client(stack->get());
  InvariantInput invariants;
  ASSERT_TRUE(client.SetStock("flood-A", 1000000).ok());
  invariants.stock_set["flood-A"] = 1000000;
  Order warm = *client.Place({.request_id = "flood-warm", .lines = {{"flood-A", 1}}});
  invariants.order_ids.push_back(warm.order_id());
  ASSERT_EQ(client.AwaitTerminal(warm.order_id(), absl::Seconds(30))->status(), CONFIRMED);

  const std::vector<testenv::ServiceProcess*> services = (*stack)->services();
  std::vector<int64_t> idle_kb;
  for (testenv::ServiceProcess* service : services) {
    idle_kb.push_back(ResidentKb(service->process().pid()).value_or(-1));
  }
  PeakSampler sampler(services);
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = (*stack)->kafka().bootstrap(), .client_id = "flood"});
  ASSERT_TRUE(producer.ok()) << producer.status();

  // 1. Large garbage, all at once.
  std::mt19937_64 rng(42);
  std::vector<kafka::OutgoingMessage> batch;
  for (int i = 0; i < kLargeGarbage; ++i) {
    std::string value(kLargeGarbageBytes, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    batch.push_back({.topic = events::kOrdersTopic,
                     .key = absl::StrCat("garbage-", i),
                     .value = std::move(value)});
  }
  ASSERT_TRUE((*producer)->ProduceAndWait(batch, absl::Seconds(120)).ok());
  batch.clear();
  absl::Status caught_up =
      WaitForConsumersCaughtUp((*stack)->kafka().bootstrap(), absl::Seconds(240));
  ASSERT_TRUE(caught_up.ok()) << caught_up;

  // 2. Many small messages and many calls, side by side.
  std::vector<std::string> order_ids(kClientThreads * kOrdersPerThread);
  std::atomic<int> refused{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kClientThreads; ++t) {
    callers.emplace_back([&, t] {
      SagaClient caller(stack->get());
      for (int i = 0; i < kOrdersPerThread; ++i) {
        const int n = t * kOrdersPerThread + i;
        absl::StatusOr<Order> placed =
            caller.Place({.request_id = absl::StrCat("flood-", n), .lines = {{"flood-A", 1}}});
        if (placed.ok()) {
          order_ids[n] = placed->order_id();
        } else {
          refused.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < kSmallGarbage + kValidEvents; ++i) {
    std::string value = PlacedEvent(i);
    if (i < kSmallGarbage) value = value.substr(0, value.size() - 3);  // truncated: garbage
    batch.push_back({.topic = events::kOrdersTopic,
                     .key = absl::StrCat("o-flood-", i),
                     .value = std::move(value)});
    if (batch.size() == 1000) {
      ASSERT_TRUE((*producer)->ProduceAndWait(batch, absl::Seconds(60)).ok());
      batch.clear();
    }
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(refused.load(), 0);

  for (const std::string& id : order_ids) {
    if (id.empty()) continue;
    invariants.order_ids.push_back(id);
    absl::StatusOr<Order> done = client.AwaitTerminal(id, absl::Seconds(180));
    EXPECT_TRUE(done.ok()) << done.status();
    if (!done.ok()) break;
    EXPECT_EQ(done->status(), CONFIRMED) << id;
  }
  caught_up = WaitForConsumersCaughtUp((*stack)->kafka().bootstrap(), absl::Seconds(240));
  EXPECT_TRUE(caught_up.ok()) << caught_up;
  const std::vector<int64_t> peak_kb = sampler.Stop();

  for (size_t i = 0; i < services.size(); ++i) {
    std::printf("flood: %s resident %lld kB idle, %lld kB at the peak\n",
                services[i]->name().c_str(), static_cast<long long>(idle_kb[i]),
                static_cast<long long>(peak_kb[i]));
    EXPECT_TRUE(services[i]->Running()) << services[i]->name();
    EXPECT_GT(peak_kb[i], 0) << services[i]->name() << ": never sampled";
    EXPECT_LE(peak_kb[i], kResidentKbMax)
        << services[i]->name() << " grew to " << peak_kb[i] << " kB under the flood";
  }
  for (const std::string& violation : CheckInvariants(client, invariants))
    ADD_FAILURE() << violation;
  if (HasFailure()) {
    for (testenv::ServiceProcess* service : services) {
      std::printf("---- %s stderr tail\n%s\n", service->name().c_str(),
                  service->process().StderrTail(3000).c_str());
    }
  }
  absl::StatusOr<orderplatform::v1::StockLevel> none = client.GetStock("flood-none");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->sold() + none->reserved() + none->available(), 0);
}

}  // namespace
}  // namespace orderplatform::integration
