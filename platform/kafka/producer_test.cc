#include "platform/kafka/producer.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::kafka {
namespace {

using ::testing::HasSubstr;
using testing::MockCluster;
using ::testing::SizeIs;

std::unique_ptr<MockCluster> StartCluster(int brokers) {
  auto cluster = MockCluster::Start(brokers);
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return cluster.ok() ? *std::move(cluster) : nullptr;
}

TEST(ProducerTest, CreateRefusesMissingBrokersUnknownKeysAndWeakerGuarantees) {
  EXPECT_EQ(Producer::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  auto weaker = Producer::Create({.brokers = "127.0.0.1:1", .extra_config = {{"acks", "1"}}});
  EXPECT_EQ(weaker.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(weaker.status().message(), HasSubstr("acks"));
  auto unknown =
      Producer::Create({.brokers = "127.0.0.1:1", .extra_config = {{"no.such.key", "secret"}}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  // Values may be secrets (sasl.password): never echoed.
  EXPECT_THAT(unknown.status().message(), ::testing::Not(HasSubstr("secret")));
}

TEST(ProducerTest, ProduceAndWaitDeliversKeysValuesAndHeadersInOrderPerKey) {
  auto cluster = StartCluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->CreateTopic("orders.v1", 4, 3).ok());
  auto producer = Producer::Create({.brokers = cluster->bootstrap(), .client_id = "test"});
  ASSERT_TRUE(producer.ok()) << producer.status();

  std::vector<OutgoingMessage> messages;
  for (int i = 0; i < 20; ++i) {
    messages.push_back({.topic = "orders.v1",
                        .key = absl::StrCat("order-", i % 3),
                        .value = absl::StrCat("value-", i),
                        .headers = {{"seq", absl::StrCat(i)}, {"empty", ""}}});
  }
  ASSERT_TRUE((*producer)->ProduceAndWait(messages, absl::Seconds(10)).ok());
  EXPECT_EQ((*producer)->outstanding(), 0);

  auto read = testing::ReadTopic(cluster->bootstrap(), "orders.v1", absl::Seconds(10));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(*read, SizeIs(20));
  std::map<std::string, int32_t> partition_of_key;
  std::map<std::string, int> last_seq_of_key;
  for (const ConsumedMessage& m : *read) {
    ASSERT_THAT(m.headers, SizeIs(2));
    EXPECT_EQ(m.headers[0].key, "seq");
    EXPECT_EQ(m.headers[1].key, "empty");
    EXPECT_EQ(m.headers[1].value, "");
    const int seq = std::stoi(m.headers[0].value);
    EXPECT_EQ(m.value, absl::StrCat("value-", seq));
    EXPECT_EQ(m.key, absl::StrCat("order-", seq % 3));
    EXPECT_GT(m.timestamp_ms, 0);
    // Same key, same partition, in production order.
    auto [it, first] = partition_of_key.emplace(m.key, m.partition);
    EXPECT_EQ(it->second, m.partition);
    if (!first) {
      EXPECT_GT(seq, last_seq_of_key[m.key]);
    }
    last_seq_of_key[m.key] = seq;
  }
}

TEST(ProducerTest, ProduceAsyncCallsBackOncePerMessage) {
  auto cluster = StartCluster(1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->CreateTopic("t", 1).ok());
  auto producer = Producer::Create({.brokers = cluster->bootstrap()});
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < 50; ++i) {
    (*producer)->ProduceAsync({.topic = "t", .key = "k", .value = "v"},
                              [&](absl::Status s) { (s.ok() ? ok : failed)++; });
  }
  ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(failed.load(), 0);
}

TEST(ProducerTest, UnreachableBrokerIsUnavailableWithinTheTimeoutAndRecovers) {
  auto cluster = StartCluster(1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->CreateTopic("t", 1).ok());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster->mock(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto producer = Producer::Create({.brokers = cluster->bootstrap()});
  ASSERT_TRUE(producer.ok()) << producer.status();

  const absl::Time start = absl::Now();
  absl::Status status =
      (*producer)->ProduceAndWait({{.topic = "t", .value = "v"}}, absl::Milliseconds(800));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_GE(took, absl::Milliseconds(750));
  EXPECT_LT(took, absl::Seconds(3));

  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster->mock(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  status = (*producer)->ProduceAndWait({{.topic = "t", .value = "again"}}, absl::Seconds(20));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ProducerTest, FullQueueWaitsBoundedAndCloseFailsWhatIsLeft) {
  auto cluster = StartCluster(1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->CreateTopic("t", 1).ok());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster->mock(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto producer = Producer::Create(
      {.brokers = cluster->bootstrap(), .extra_config = {{"queue.buffering.max.messages", "3"}}},
      {.queue_full_wait_max = absl::Milliseconds(200),
       .close_flush_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(producer.ok()) << producer.status();

  absl::Mutex mu;
  std::vector<absl::Status> results;
  auto record = [&](absl::Status s) {
    absl::MutexLock lock(&mu);
    results.push_back(std::move(s));
  };
  const absl::Time start = absl::Now();
  for (int i = 0; i < 5; ++i) (*producer)->ProduceAsync({.topic = "t", .value = "v"}, record);
  const absl::Duration took = absl::Now() - start;
  {
    absl::MutexLock lock(&mu);
    // Messages 4 and 5 found the queue full, waited 200 ms each, and failed right away.
    ASSERT_THAT(results, SizeIs(2));
    for (const absl::Status& s : results) {
      EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
      EXPECT_THAT(s.message(), HasSubstr("QUEUE_FULL"));
    }
  }
  EXPECT_GE(took, absl::Milliseconds(380));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ((*producer)->outstanding(), 3);

  producer->reset();  // flushes for 300 ms, then purges: the three queued ones fail too
  absl::MutexLock lock(&mu);
  ASSERT_THAT(results, SizeIs(5));
  for (const absl::Status& s : results) EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST(ProducerTest, FatalErrorIsInternalNotRetryable) {
  auto cluster = StartCluster(1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->CreateTopic("t", 1).ok());
  auto producer = Producer::Create({.brokers = cluster->bootstrap()});
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE((*producer)->ProduceAndWait({{.topic = "t", .value = "v"}}, absl::Seconds(10)).ok());
  (*producer)->InjectFatalErrorForTesting();
  absl::Status status =
      (*producer)->ProduceAndWait({{.topic = "t", .value = "v"}}, absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("injected by a test"));
}

}  // namespace
}  // namespace orderplatform::kafka
