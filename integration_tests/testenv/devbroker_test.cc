// The devbroker through its test launcher, observed by real librdkafka clients: the topics it
// creates, a consumer-group round trip, and every fault control seen from the client side.
#include "integration_tests/testenv/devbroker.h"

#include <librdkafka/rdkafka.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/devbroker/kafka_probe.h"

namespace orderplatform::testenv {
namespace {

using ::orderplatform::devbroker::probe::ClientConfig;
using ::orderplatform::devbroker::probe::ClusterMetadata;
using ::orderplatform::devbroker::probe::CommittedOffsets;
using ::orderplatform::devbroker::probe::ConsumeWithGroup;
using ::orderplatform::devbroker::probe::FetchMetadata;
using ::orderplatform::devbroker::probe::Message;
using ::orderplatform::devbroker::probe::Producer;
using ::orderplatform::devbroker::probe::ReadPartition;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Eq;

// Not the default (6), so the tests prove that --partitions is honoured.
constexpr int kBrokers = 3;
constexpr int kPartitions = 4;
constexpr char kTopic[] = "orders.v1";
// With kBrokers = 3, partition p is led by broker p % 3 + 1.
constexpr int kPartitionOnBroker1 = 0;
constexpr int kPartitionOnBroker2 = 1;
constexpr absl::Duration kSendTimeout = absl::Seconds(15);

// A producer that reports the first failure instead of retrying it away.
const ClientConfig kNonRetrying = {{"retries", "0"}, {"message.timeout.ms", "1500"}};

class DevBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<DevBroker>> broker = DevBroker::Start(kBrokers, kPartitions);
    ASSERT_TRUE(broker.ok()) << broker.status();
    kafka_ = *std::move(broker);
  }

  std::unique_ptr<Producer> MakeProducer(const ClientConfig& config = {}) {
    absl::StatusOr<std::unique_ptr<Producer>> producer =
        Producer::Create(kafka_->bootstrap(), config);
    EXPECT_TRUE(producer.ok()) << producer.status();
    return producer.ok() ? *std::move(producer) : nullptr;
  }

  // The delivery error of one message (NO_ERROR when the broker acknowledged it).
  rd_kafka_resp_err_t SendOne(Producer& producer, int partition, const std::string& value = "v") {
    absl::StatusOr<Producer::Delivery> delivery =
        producer.Send(kTopic, partition, "key", value, kSendTimeout);
    EXPECT_TRUE(delivery.ok()) << delivery.status();
    return delivery.ok() ? delivery->error : RD_KAFKA_RESP_ERR__FAIL;
  }

  absl::Duration TimeOne(Producer& producer, int partition) {
    absl::StatusOr<Producer::Delivery> delivery =
        producer.Send(kTopic, partition, "key", "v", kSendTimeout);
    EXPECT_TRUE(delivery.ok()) << delivery.status();
    if (!delivery.ok()) return absl::InfiniteDuration();
    EXPECT_EQ(delivery->error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(delivery->error);
    return delivery->latency;
  }

  std::string BrokerAddress(int32_t broker_id) {
    absl::StatusOr<std::vector<devbroker::v1::Broker>> brokers = kafka_->ListBrokers();
    EXPECT_TRUE(brokers.ok()) << brokers.status();
    if (!brokers.ok()) return "";
    for (const devbroker::v1::Broker& broker : *brokers) {
      if (broker.broker_id() == broker_id) return absl::StrCat(broker.host(), ":", broker.port());
    }
    ADD_FAILURE() << "no broker " << broker_id;
    return "";
  }

  std::unique_ptr<DevBroker> kafka_;
};

TEST_F(DevBrokerTest, CreatesTheSixTopicsWithTheRequestedPartitions) {
  absl::StatusOr<ClusterMetadata> metadata = FetchMetadata(kafka_->bootstrap(), absl::Seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.status();

  std::set<std::string> topics;
  for (const auto& [topic, leaders] : metadata->leaders) {
    topics.insert(topic);
    EXPECT_EQ(leaders.size(), static_cast<size_t>(kPartitions)) << topic;
    for (int p = 0; p < static_cast<int>(leaders.size()); ++p) {
      EXPECT_EQ(leaders[p], p % kBrokers + 1) << topic << "/" << p;
    }
  }
  EXPECT_EQ(topics,
            (std::set<std::string>{"orders.v1", "inventory.v1", "payments.v1", "orders.v1.dlq",
                                   "inventory.v1.dlq", "payments.v1.dlq"}));

  // The bootstrap list names the brokers in id order.
  std::vector<std::string> addresses = absl::StrSplit(kafka_->bootstrap(), ',');
  ASSERT_EQ(metadata->brokers.size(), static_cast<size_t>(kBrokers));
  ASSERT_EQ(addresses.size(), static_cast<size_t>(kBrokers));
  for (int id = 1; id <= kBrokers; ++id) {
    EXPECT_EQ(metadata->brokers[id], addresses[id - 1]);
    EXPECT_EQ(BrokerAddress(id), addresses[id - 1]);
  }
}

TEST_F(DevBrokerTest, IdempotentProducerToConsumerGroupRoundTripCommitsOffsets) {
  // The platform's producer settings.
  std::unique_ptr<Producer> producer =
      MakeProducer({{"enable.idempotence", "true"}, {"acks", "all"}});
  ASSERT_NE(producer, nullptr);
  std::set<std::tuple<int, int64_t, std::string, std::string>> sent;
  for (int p = 0; p < kPartitions; ++p) {
    for (int i = 0; i < 2; ++i) {
      const std::string key = absl::StrCat("o-", p, "-", i);
      absl::StatusOr<Producer::Delivery> delivery =
          producer->Send(kTopic, p, key, "placed-" + key, kSendTimeout);
      ASSERT_TRUE(delivery.ok()) << delivery.status();
      ASSERT_EQ(delivery->error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(delivery->error);
      EXPECT_EQ(delivery->offset, i);
      sent.insert({p, delivery->offset, key, "placed-" + key});
    }
  }

  const std::string group = "orderplatform.order";
  absl::StatusOr<std::vector<Message>> received =
      ConsumeWithGroup(kafka_->bootstrap(), group, kTopic, 2 * kPartitions, absl::Seconds(30));
  ASSERT_TRUE(received.ok()) << received.status();
  std::set<std::tuple<int, int64_t, std::string, std::string>> got;
  for (const Message& m : *received) got.insert({m.partition, m.offset, m.key, m.value});
  EXPECT_EQ(got, sent);

  // OffsetCommit landed: the group's committed offset is the next one to read everywhere.
  absl::StatusOr<std::vector<int64_t>> committed =
      CommittedOffsets(kafka_->bootstrap(), group, kTopic, kPartitions, absl::Seconds(10));
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, std::vector<int64_t>(kPartitions, 2));

  // A new member of the group resumes at those offsets: it gets the new messages only.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SendOne(*producer, 0, absl::StrCat("later-", i)), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  received = ConsumeWithGroup(kafka_->bootstrap(), group, kTopic, 3, absl::Seconds(30));
  ASSERT_TRUE(received.ok()) << received.status();
  std::vector<std::tuple<int, int64_t, std::string>> resumed;
  for (const Message& m : *received) resumed.push_back({m.partition, m.offset, m.value});
  EXPECT_THAT(resumed,
              ElementsAre(std::make_tuple(0, 2, "later-0"), std::make_tuple(0, 3, "later-1"),
                          std::make_tuple(0, 4, "later-2")));
}

TEST_F(DevBrokerTest, BrokerDownIsSeenByClientsAndBrokerUpRestoresService) {
  const std::string broker2 = BrokerAddress(2);
  // Short reconnect backoff, so the same producer notices the broker's return promptly.
  ClientConfig config = kNonRetrying;
  config["reconnect.backoff.max.ms"] = "100";
  std::unique_ptr<Producer> producer = MakeProducer(config);
  ASSERT_NE(producer, nullptr);

  ASSERT_TRUE(kafka_->BrokerDown(2).ok());
  absl::StatusOr<std::vector<devbroker::v1::Broker>> brokers = kafka_->ListBrokers();
  ASSERT_TRUE(brokers.ok()) << brokers.status();
  ASSERT_EQ(brokers->size(), 3u);
  EXPECT_TRUE((*brokers)[0].up());
  EXPECT_FALSE((*brokers)[1].up());

  // A client that only knows broker 2 cannot reach the cluster at all.
  EXPECT_FALSE(FetchMetadata(broker2, absl::Seconds(1)).ok());
  // Broker 2's partitions are unreachable; broker 1's still work.
  EXPECT_THAT(SendOne(*producer, kPartitionOnBroker2),
              AnyOf(Eq(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), Eq(RD_KAFKA_RESP_ERR__TRANSPORT)));
  EXPECT_EQ(SendOne(*producer, kPartitionOnBroker1), RD_KAFKA_RESP_ERR_NO_ERROR);

  ASSERT_TRUE(kafka_->BrokerUp(2).ok());
  absl::StatusOr<ClusterMetadata> metadata = FetchMetadata(broker2, absl::Seconds(5));
  EXPECT_TRUE(metadata.ok()) << metadata.status();
  ClientConfig patient = config;
  patient["message.timeout.ms"] = "10000";
  std::unique_ptr<Producer> same_settings = MakeProducer(patient);
  ASSERT_NE(same_settings, nullptr);
  EXPECT_EQ(SendOne(*same_settings, kPartitionOnBroker2), RD_KAFKA_RESP_ERR_NO_ERROR);
  // The producer that saw the outage recovers by itself too.
  EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return SendOne(*producer, kPartitionOnBroker2) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }));
}

TEST_F(DevBrokerTest, WholeClusterOutageKeepsTheLog) {
  std::unique_ptr<Producer> producer = MakeProducer();
  ASSERT_NE(producer, nullptr);
  ASSERT_EQ(SendOne(*producer, 0, "before-outage"), RD_KAFKA_RESP_ERR_NO_ERROR);

  ASSERT_TRUE(kafka_->BrokerDown(DevBroker::kAllBrokers).ok());
  EXPECT_FALSE(FetchMetadata(kafka_->bootstrap(), absl::Seconds(1)).ok());

  ASSERT_TRUE(kafka_->BrokerUp(DevBroker::kAllBrokers).ok());
  absl::StatusOr<std::vector<Message>> messages =
      ReadPartition(kafka_->bootstrap(), kTopic, 0, 1, absl::Seconds(15));
  ASSERT_TRUE(messages.ok()) << messages.status();
  EXPECT_EQ((*messages)[0].offset, 0);
  EXPECT_EQ((*messages)[0].value, "before-outage");
}

TEST_F(DevBrokerTest, InjectedProduceErrorReachesANonRetryingProducerOnce) {
  std::unique_ptr<Producer> producer = MakeProducer(kNonRetrying);
  ASSERT_NE(producer, nullptr);
  ASSERT_EQ(SendOne(*producer, 0), RD_KAFKA_RESP_ERR_NO_ERROR);  // connected, metadata known

  ASSERT_TRUE(
      kafka_->PushRequestErrors(KafkaApiKey::kProduce, {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS})
          .ok());
  EXPECT_EQ(SendOne(*producer, 0), RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  EXPECT_EQ(SendOne(*producer, 0), RD_KAFKA_RESP_ERR_NO_ERROR) << "one error per pushed code";
}

TEST_F(DevBrokerTest, RetryingProducerRidesOutInjectedErrors) {
  std::unique_ptr<Producer> producer =
      MakeProducer({{"enable.idempotence", "true"}, {"acks", "all"}, {"retry.backoff.ms", "10"}});
  ASSERT_NE(producer, nullptr);
  ASSERT_TRUE(kafka_
                  ->PushRequestErrors(KafkaApiKey::kProduce, {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                                              RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT})
                  .ok());
  absl::StatusOr<Producer::Delivery> delivery = producer->Send(kTopic, 0, "k", "v", kSendTimeout);
  ASSERT_TRUE(delivery.ok()) << delivery.status();
  EXPECT_EQ(delivery->error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(delivery->error);
  EXPECT_EQ(delivery->offset, 0) << "the retries wrote the message once";
}

TEST_F(DevBrokerTest, PerBrokerErrorsHitOnlyThatBroker) {
  std::unique_ptr<Producer> producer = MakeProducer(kNonRetrying);
  ASSERT_NE(producer, nullptr);
  ASSERT_TRUE(kafka_
                  ->PushRequestErrors(KafkaApiKey::kProduce,
                                      {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS}, /*broker_id=*/2)
                  .ok());
  EXPECT_EQ(SendOne(*producer, kPartitionOnBroker1), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(SendOne(*producer, kPartitionOnBroker2), RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
}

TEST_F(DevBrokerTest, ClearRequestErrorsDropsQueuedErrors) {
  std::unique_ptr<Producer> producer = MakeProducer(kNonRetrying);
  ASSERT_NE(producer, nullptr);
  ASSERT_TRUE(
      kafka_
          ->PushRequestErrors(KafkaApiKey::kProduce, {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS})
          .ok());
  EXPECT_EQ(SendOne(*producer, 0), RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  ASSERT_TRUE(kafka_->ClearRequestErrors(KafkaApiKey::kProduce).ok());
  EXPECT_EQ(SendOne(*producer, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST_F(DevBrokerTest, RttInjectionSlowsARoundTrip) {
  constexpr int kRttMs = 1000;
  std::unique_ptr<Producer> producer = MakeProducer({{"acks", "all"}});
  ASSERT_NE(producer, nullptr);
  // Connect to both brokers first, so no measurement includes a connection set-up.
  ASSERT_EQ(SendOne(*producer, kPartitionOnBroker1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(SendOne(*producer, kPartitionOnBroker2), RD_KAFKA_RESP_ERR_NO_ERROR);
  const absl::Duration baseline = TimeOne(*producer, kPartitionOnBroker1);

  ASSERT_TRUE(kafka_->SetRtt(1, kRttMs).ok());
  const absl::Duration slowed = TimeOne(*producer, kPartitionOnBroker1);
  const absl::Duration other_broker = TimeOne(*producer, kPartitionOnBroker2);
  ASSERT_TRUE(kafka_->SetRtt(1, 0).ok());
  const absl::Duration restored = TimeOne(*producer, kPartitionOnBroker1);

  // The mock holds each response for the full RTT; the margins absorb a busy machine.
  EXPECT_GE(slowed, absl::Milliseconds(kRttMs));
  EXPECT_LT(baseline, absl::Milliseconds(kRttMs / 2));
  EXPECT_LT(other_broker, absl::Milliseconds(kRttMs / 2)) << "only broker 1 was slowed";
  EXPECT_LT(restored, absl::Milliseconds(kRttMs / 2));
}

TEST_F(DevBrokerTest, SetGroupCoordinatorMovesTheGroupCoordinator) {
  const std::string group = "orderplatform.payment";
  ASSERT_TRUE(kafka_->SetGroupCoordinator(group, 2).ok());
  ASSERT_TRUE(kafka_->BrokerDown(2).ok());
  // OffsetFetch goes to the coordinator, which is down.
  EXPECT_FALSE(
      CommittedOffsets(kafka_->bootstrap(), group, kTopic, kPartitions, absl::Seconds(2)).ok());

  ASSERT_TRUE(kafka_->SetGroupCoordinator(group, 1).ok());
  absl::StatusOr<std::vector<int64_t>> committed =
      CommittedOffsets(kafka_->bootstrap(), group, kTopic, kPartitions, absl::Seconds(10));
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, std::vector<int64_t>(kPartitions, RD_KAFKA_OFFSET_INVALID));
}

TEST_F(DevBrokerTest, SetPartitionLeaderFailsOverAPartition) {
  ASSERT_TRUE(kafka_->BrokerDown(2).ok());
  ASSERT_TRUE(kafka_->SetPartitionLeader(kTopic, kPartitionOnBroker2, 3).ok());
  absl::StatusOr<ClusterMetadata> metadata = FetchMetadata(kafka_->bootstrap(), absl::Seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(metadata->leaders[kTopic][kPartitionOnBroker2], 3);

  std::unique_ptr<Producer> producer = MakeProducer(kNonRetrying);
  ASSERT_NE(producer, nullptr);
  EXPECT_EQ(SendOne(*producer, kPartitionOnBroker2), RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST_F(DevBrokerTest, ControlsRejectBadRequestsWithTheirReasons) {
  EXPECT_EQ(kafka_->BrokerDown(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kafka_->BrokerDown(kBrokers + 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kafka_->SetRtt(1, -5).code(), absl::StatusCode::kInvalidArgument);
  absl::Status metadata = kafka_->PushRequestErrors(static_cast<KafkaApiKey>(3), {7});
  EXPECT_EQ(metadata.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(metadata.message().find("api_key 3"), std::string::npos) << metadata;
  EXPECT_EQ(kafka_->PushRequestErrors(KafkaApiKey::kProduce, {30000}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kafka_->SetPartitionLeader("orders.v2", 0, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kafka_->SetGroupCoordinator("g", kBrokers + 1).code(), absl::StatusCode::kNotFound);

  // Nothing of the above changed a broker.
  absl::StatusOr<std::vector<devbroker::v1::Broker>> brokers = kafka_->ListBrokers();
  ASSERT_TRUE(brokers.ok()) << brokers.status();
  for (const devbroker::v1::Broker& broker : *brokers) {
    EXPECT_TRUE(broker.up()) << broker.broker_id();
    EXPECT_EQ(broker.rtt_ms(), 0) << broker.broker_id();
  }
}

TEST_F(DevBrokerTest, TerminateExitsZeroAndTakesTheClusterAway) {
  absl::StatusOr<int> code = kafka_->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code.value(), 0) << kafka_->process().StderrTail();
  EXPECT_FALSE(FetchMetadata(kafka_->bootstrap(), absl::Seconds(1)).ok());
}

TEST_F(DevBrokerTest, Kill9TakesTheClusterAway) {
  kafka_->Kill9();
  EXPECT_FALSE(kafka_->process().Running());
  EXPECT_FALSE(FetchMetadata(kafka_->bootstrap(), absl::Seconds(1)).ok());
}

TEST(DevBrokerStartTest, TwoBrokersInOneTestGetTheirOwnPorts) {
  absl::StatusOr<std::unique_ptr<DevBroker>> a = DevBroker::Start(1, 1);
  absl::StatusOr<std::unique_ptr<DevBroker>> b = DevBroker::Start(1, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*a)->bootstrap(), (*b)->bootstrap());
  EXPECT_NE((*a)->control_port(), (*b)->control_port());
}

}  // namespace
}  // namespace orderplatform::testenv
