// A consumer that fails takes its process down with SIGTERM (so the service exits and is
// restarted, replaying from its committed offsets); one that is stopped does not.
#include "platform/service/consumer_thread.h"

#include <signal.h>
#include <time.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "platform/service/shutdown_signal.h"

namespace orderplatform::service {
namespace {

constexpr char kTopic[] = "in.v1";

// Answers every message with one event, so every batch needs the producer.
class EchoHandler : public kafka::BatchHandler {
 public:
  absl::StatusOr<std::vector<kafka::OutgoingMessage>> Handle(
      absl::Span<const kafka::ConsumedMessage> batch) override {
    std::vector<kafka::OutgoingMessage> out;
    for (const kafka::ConsumedMessage& m : batch) {
      out.push_back({.topic = "out.v1", .key = m.key, .value = m.value});
    }
    return out;
  }
};

// The shutdown signal that arrives within `timeout_s`, or 0.
int WaitForShutdownSignalFor(int timeout_s) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const timespec timeout{.tv_sec = timeout_s, .tv_nsec = 0};
  const int received = sigtimedwait(&set, nullptr, &timeout);
  return received > 0 ? received : 0;
}

class ConsumerThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As in a service's main(): before any thread starts, so librdkafka's threads inherit it and
    // the SIGTERM under test stays pending for this thread instead of killing the test.
    BlockShutdownSignals();
    auto cluster = kafka::testing::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 1).ok());
    ASSERT_TRUE(cluster_->CreateTopic("out.v1", 1).ok());
    auto producer = kafka::Producer::Create({.brokers = cluster_->bootstrap()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
    auto consumer = kafka::BatchConsumer::Create(
        {.kafka = {.brokers = cluster_->bootstrap()}, .group_id = "g", .topics = {kTopic}},
        &handler_, producer_.get());
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = *std::move(consumer);
  }

  void ProduceOne() {
    ASSERT_TRUE(
        producer_->ProduceAndWait({{.topic = kTopic, .key = "k", .value = "v"}}, absl::Seconds(10))
            .ok());
  }

  std::unique_ptr<kafka::testing::MockCluster> cluster_;
  EchoHandler handler_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::BatchConsumer> consumer_;
};

TEST_F(ConsumerThreadTest, AFailedConsumerRaisesSigtermAndReportsItsError) {
  ProduceOne();
  // The producer breaks for good: the consumer cannot acknowledge the batch's event and stops
  // with INTERNAL rather than skip it.
  producer_->InjectFatalErrorForTesting();
  ConsumerThread consuming(consumer_.get(), "test");
  EXPECT_EQ(WaitForShutdownSignalFor(60), SIGTERM);
  consumer_->Stop();
  absl::Status consumed = consuming.Join();
  EXPECT_EQ(consumed.code(), absl::StatusCode::kInternal) << consumed;
}

TEST_F(ConsumerThreadTest, AStoppedConsumerRaisesNothing) {
  ProduceOne();
  ConsumerThread consuming(consumer_.get(), "test");
  // Let it consume (the mock's first group join takes about 3 s), then stop it.
  EXPECT_EQ(WaitForShutdownSignalFor(6), 0);
  consumer_->Stop();
  EXPECT_TRUE(consuming.Join().ok());
  EXPECT_EQ(WaitForShutdownSignalFor(1), 0);
}

}  // namespace
}  // namespace orderplatform::service
