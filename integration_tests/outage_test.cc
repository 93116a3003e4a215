// Dependency loss under a running stack, through the real binaries.
//
// Redis down: the consumers pause and resume — they retry the same batch with a growing backoff
// (no hot error loop, a bounded log rate), send no good message to a .dlq, and after Redis is back
// every order completes with the invariants intact. PlaceOrder answers UNAVAILABLE promptly
// meanwhile, and a retry with the same request_id after the outage places the order once.
//
// Kafka down (every broker of the development broker): PlaceOrder answers within a bound, OK or
// UNAVAILABLE after --produce_timeout_ms; either way the order is in the outbox, and once the
// brokers are back every order placed during the outage completes, without a client retry.
//
// Each test has a stack of its own (they break it on purpose); shards run them side by side.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/observe.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/stack.h"
#include "integration_tests/topic_probe.h"
#include "services/order/order_id.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;

constexpr absl::Duration kOutage = absl::Seconds(10);
constexpr absl::Duration kRecoveryTimeout = absl::Seconds(90);

// Log lines of every service, for rates over a window.
struct LogCounts {
  std::vector<int> batch_failures;  // event=kafka_batch_failed (a batch handed over again)
  std::vector<int> lines;           // everything
};

LogCounts CountLogs(testenv::Stack& stack) {
  LogCounts counts;
  for (testenv::ServiceProcess* service : stack.services()) {
    const std::string& path = service->process().stderr_path();
    counts.batch_failures.push_back(CountLogLines(path, {"event=kafka_batch_failed"}));
    counts.lines.push_back(CountLogLines(path, {}));
  }
  return counts;
}

// Waits for every order to end CONFIRMED (each has stock); returns the ones that did not.
std::string NotConfirmed(SagaClient& client, const std::vector<std::string>& order_ids) {
  std::string failures;
  for (const std::string& id : order_ids) {
    absl::StatusOr<Order> done = client.AwaitTerminal(id, kRecoveryTimeout);
    if (!done.ok()) {
      absl::StrAppend(&failures, id, ": ", done.status().ToString(), "; ");
    } else if (done->status() != CONFIRMED) {
      absl::StrAppend(&failures, id, " ended ", orderplatform::v1::OrderStatus_Name(done->status()),
                      "; ");
    }
  }
  return failures;
}

void ExpectNoDeadLetters(testenv::Stack& stack) {
  absl::StatusOr<std::vector<kafka::ConsumedMessage>> dead =
      AllDeadLetters(stack.kafka().bootstrap());
  ASSERT_TRUE(dead.ok()) << dead.status();
  for (const kafka::ConsumedMessage& m : *dead) {
    ADD_FAILURE() << "a good message went to " << m.topic << ": " << HeaderValue(m, "dlq.error");
  }
}

void ExpectInvariants(SagaClient& client, const InvariantInput& input) {
  for (const std::string& violation : CheckInvariants(client, input)) ADD_FAILURE() << violation;
}

TEST(OutageTest, RedisDownPausesTheConsumersAndEveryOrderCompletesAfterIt) {
  auto stack = testenv::Stack::Start({.partitions = 3, .reservation_ttl_ms = 120000});
  ASSERT_TRUE(stack.ok()) << stack.status();
  SagaClient client(stack->get());
  InvariantInput invariants;
  ASSERT_TRUE(client.SetStock("redis-A", 100).ok());
  invariants.stock_set["redis-A"] = 100;
  Order warm = *client.Place({.request_id = "redis-warm", .lines = {{"redis-A", 1}}});
  invariants.order_ids.push_back(warm.order_id());
  ASSERT_EQ(client.AwaitTerminal(warm.order_id(), absl::Seconds(30))->status(), CONFIRMED);

  // Orders in flight when Redis goes away: their events wait in Kafka.
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<Order> placed =
        client.Place({.request_id = absl::StrCat("redis-before-", i), .lines = {{"redis-A", 1}}});
    ASSERT_TRUE(placed.ok()) << placed.status();
    invariants.order_ids.push_back(placed->order_id());
  }
  (*stack)->redis().Kill9();
  const absl::Time down_at = absl::Now();
  const LogCounts at_start = CountLogs(**stack);

  // During the outage: every message of every topic produced again (good events, which must
  // wait, not be dead-lettered), and PlaceOrder calls, which must fail fast and cleanly.
  absl::StatusOr<int> reproduced = ReproduceAllMessages((*stack)->kafka().bootstrap());
  ASSERT_TRUE(reproduced.ok()) << reproduced.status();
  std::vector<std::string> refused;
  for (int i = 0; absl::Now() - down_at < kOutage - absl::Seconds(3) && i < 20; ++i) {
    const std::string request_id = absl::StrCat("redis-during-", i);
    const absl::Time called_at = absl::Now();
    absl::StatusOr<Order> placed =
        client.Place({.request_id = request_id, .lines = {{"redis-A", 1}}});
    EXPECT_EQ(placed.status().code(), absl::StatusCode::kUnavailable) << placed.status();
    EXPECT_LT(absl::Now() - called_at, absl::Seconds(5)) << "PlaceOrder hung without Redis";
    refused.push_back(request_id);
    absl::SleepFor(absl::Milliseconds(500));
  }
  absl::SleepFor(kOutage - (absl::Now() - down_at));
  const LogCounts at_end = CountLogs(**stack);
  const double outage_s = absl::ToDoubleSeconds(absl::Now() - down_at);
  const std::vector<testenv::ServiceProcess*> services = (*stack)->services();
  for (size_t i = 0; i < services.size(); ++i) {
    EXPECT_TRUE(services[i]->Running()) << services[i]->name() << " died without Redis";
    const int retries = at_end.batch_failures[i] - at_start.batch_failures[i];
    const int lines = at_end.lines[i] - at_start.lines[i];
    std::printf("redis outage: %s retried %d batches and logged %d lines in %.1f s\n",
                services[i]->name().c_str(), retries, lines, outage_s);
    // Backoff from 100 ms doubling to 5 s: about 8 retries in 10 s; a hot loop makes thousands.
    EXPECT_LE(retries, 15) << services[i]->name() << " retried " << retries << " batches in "
                           << outage_s << " s";
    EXPECT_LE(lines / outage_s, 10.0)
        << services[i]->name() << " logged " << lines << " lines in " << outage_s << " s";
  }

  ASSERT_TRUE((*stack)->redis().Restart().ok());
  // Refused orders were not stored; the same request ids place them now, once each.
  for (const std::string& request_id : refused) {
    absl::StatusOr<Order> placed =
        client.Place({.request_id = request_id, .lines = {{"redis-A", 1}}});
    ASSERT_TRUE(placed.ok()) << request_id << ": " << placed.status();
    EXPECT_EQ(placed->order_id(), order::OrderIdForRequest(request_id));
    invariants.order_ids.push_back(placed->order_id());
  }
  EXPECT_EQ(NotConfirmed(client, invariants.order_ids), "");
  const absl::Status caught_up =
      WaitForConsumersCaughtUp((*stack)->kafka().bootstrap(), kRecoveryTimeout);
  EXPECT_TRUE(caught_up.ok()) << caught_up;
  ExpectNoDeadLetters(**stack);
  ExpectInvariants(client, invariants);
  EXPECT_EQ(client.GetStock("redis-A")->sold(), static_cast<int64_t>(invariants.order_ids.size()));
}

TEST(OutageTest, KafkaDownPlaceOrderAnswersInBoundedTimeAndEveryAcceptedOrderCompletes) {
  constexpr int64_t kProduceTimeoutMs = 2000;
  auto stack = testenv::Stack::Start(
      {.partitions = 3,
       .reservation_ttl_ms = 120000,
       .order_flags = {absl::StrCat("--produce_timeout_ms=", kProduceTimeoutMs),
                       "--outbox_relay_min_age_ms=3000", "--outbox_relay_interval_ms=500"}});
  ASSERT_TRUE(stack.ok()) << stack.status();
  SagaClient client(stack->get());
  InvariantInput invariants;
  ASSERT_TRUE(client.SetStock("kafka-A", 100).ok());
  invariants.stock_set["kafka-A"] = 100;
  Order warm = *client.Place({.request_id = "kafka-warm", .lines = {{"kafka-A", 1}}});
  invariants.order_ids.push_back(warm.order_id());
  ASSERT_EQ(client.AwaitTerminal(warm.order_id(), absl::Seconds(30))->status(), CONFIRMED);

  ASSERT_TRUE((*stack)->kafka().BrokerDown(testenv::DevBroker::kAllBrokers).ok());
  const absl::Time down_at = absl::Now();
  std::vector<std::string> request_ids;
  int unavailable = 0;
  for (int i = 0; absl::Now() - down_at < kOutage - absl::Seconds(3) && i < 6; ++i) {
    const std::string request_id = absl::StrCat("kafka-during-", i);
    const absl::Time called_at = absl::Now();
    absl::StatusOr<Order> placed =
        client.Place({.request_id = request_id, .lines = {{"kafka-A", 1}}});
    const absl::Duration took = absl::Now() - called_at;
    // OK only if the broker acknowledged; else UNAVAILABLE once the produce timeout passed.
    EXPECT_TRUE(placed.ok() || absl::IsUnavailable(placed.status())) << placed.status();
    EXPECT_LT(took, absl::Milliseconds(kProduceTimeoutMs) + absl::Seconds(3))
        << "PlaceOrder took " << took << " without Kafka";
    std::printf("kafka outage: PlaceOrder %s answered %s after %s\n", request_id.c_str(),
                placed.ok() ? "OK" : placed.status().ToString().c_str(),
                absl::FormatDuration(took).c_str());
    if (!placed.ok()) ++unavailable;
    request_ids.push_back(request_id);
    invariants.order_ids.push_back(order::OrderIdForRequest(request_id));
  }
  EXPECT_GT(unavailable, 0) << "no broker, yet every PlaceOrder was acknowledged";
  // Reads still work: the order is stored (in the outbox) even when it was not acknowledged.
  for (const std::string& request_id : request_ids) {
    absl::StatusOr<Order> stored = client.Get(order::OrderIdForRequest(request_id));
    ASSERT_TRUE(stored.ok()) << request_id << ": " << stored.status();
    EXPECT_EQ(stored->status(), orderplatform::v1::PENDING);
  }
  absl::SleepFor(kOutage - (absl::Now() - down_at));
  for (testenv::ServiceProcess* service : (*stack)->services()) {
    EXPECT_TRUE(service->Running()) << service->name() << " died without Kafka";
  }

  ASSERT_TRUE((*stack)->kafka().BrokerUp(testenv::DevBroker::kAllBrokers).ok());
  // Without any client retry: the outbox relay announces what was not acknowledged.
  EXPECT_EQ(NotConfirmed(client, invariants.order_ids), "");
  // A retry now finds the same order (I6).
  for (const std::string& request_id : request_ids) {
    absl::StatusOr<Order> again =
        client.Place({.request_id = request_id, .lines = {{"kafka-A", 1}}});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->order_id(), order::OrderIdForRequest(request_id));
    EXPECT_EQ(again->status(), CONFIRMED);
  }
  const absl::Status caught_up =
      WaitForConsumersCaughtUp((*stack)->kafka().bootstrap(), kRecoveryTimeout);
  EXPECT_TRUE(caught_up.ok()) << caught_up;
  ExpectNoDeadLetters(**stack);
  ExpectInvariants(client, invariants);
  EXPECT_EQ(client.GetStock("kafka-A")->sold(), static_cast<int64_t>(invariants.order_ids.size()));
}

}  // namespace
}  // namespace orderplatform::integration
