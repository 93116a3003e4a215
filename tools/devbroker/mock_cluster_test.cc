#include "tools/devbroker/mock_cluster.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tools/devbroker/kafka_probe.h"

namespace orderplatform::devbroker {
namespace {

std::unique_ptr<MockCluster> MustCreate(int brokers, int partitions) {
  absl::StatusOr<std::unique_ptr<MockCluster>> cluster =
      MockCluster::Create({.brokers = brokers, .partitions = partitions});
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return cluster.ok() ? *std::move(cluster) : nullptr;
}

TEST(MockClusterTest, BootstrapListsOneLoopbackAddressPerBrokerInIdOrder) {
  std::unique_ptr<MockCluster> cluster = MustCreate(4, 2);
  ASSERT_NE(cluster, nullptr);
  std::vector<std::string> addresses = absl::StrSplit(cluster->bootstrap(), ',');
  std::vector<BrokerState> brokers = cluster->Brokers();
  ASSERT_EQ(addresses.size(), 4u);
  ASSERT_EQ(brokers.size(), 4u);
  std::set<int> ports;
  for (size_t i = 0; i < brokers.size(); ++i) {
    EXPECT_EQ(brokers[i].id, static_cast<int32_t>(i) + 1);
    EXPECT_EQ(brokers[i].host, "127.0.0.1");
    EXPECT_EQ(absl::StrCat(brokers[i].host, ":", brokers[i].port), addresses[i]);
    ports.insert(brokers[i].port);
  }
  EXPECT_EQ(ports.size(), 4u) << "every broker has its own port";

  // The ids behind the addresses are the ones the cluster reports to clients.
  absl::StatusOr<probe::ClusterMetadata> metadata =
      probe::FetchMetadata(cluster->bootstrap(), absl::Seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  for (const BrokerState& broker : brokers) {
    EXPECT_EQ(metadata->brokers[broker.id], absl::StrCat(broker.host, ":", broker.port));
  }
}

TEST(MockClusterTest, SpreadsPartitionLeadersOverEveryBroker) {
  // Five brokers: beyond the mock's three replicas, which it would otherwise pick leaders from.
  std::unique_ptr<MockCluster> cluster = MustCreate(5, 10);
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<probe::ClusterMetadata> metadata =
      probe::FetchMetadata(cluster->bootstrap(), absl::Seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  for (const std::string& topic : PlatformTopics()) {
    ASSERT_EQ(metadata->leaders[topic].size(), 10u) << topic;
    for (int p = 0; p < 10; ++p) {
      EXPECT_EQ(metadata->leaders[topic][p], p % 5 + 1) << topic << "/" << p;
    }
  }
}

TEST(MockClusterTest, RecordsTheFaultsSetOnBrokers) {
  std::unique_ptr<MockCluster> cluster = MustCreate(3, 1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->SetBrokerUp(2, false).ok());
  ASSERT_TRUE(cluster->SetBrokerRtt(kAllBrokers, 30).ok());
  ASSERT_TRUE(cluster->SetBrokerRtt(3, 0).ok());
  std::vector<BrokerState> brokers = cluster->Brokers();
  ASSERT_EQ(brokers.size(), 3u);
  EXPECT_TRUE(brokers[0].up);
  EXPECT_FALSE(brokers[1].up);
  EXPECT_TRUE(brokers[2].up);
  EXPECT_EQ(brokers[0].rtt_ms, 30);
  EXPECT_EQ(brokers[1].rtt_ms, 30);
  EXPECT_EQ(brokers[2].rtt_ms, 0);

  ASSERT_TRUE(cluster->SetBrokerUp(kAllBrokers, false).ok());
  ASSERT_TRUE(cluster->SetBrokerUp(kAllBrokers, true).ok());
  for (const BrokerState& broker : cluster->Brokers()) EXPECT_TRUE(broker.up) << broker.id;
}

TEST(MockClusterTest, RejectsWhatTheMockCannotDoWithAReason) {
  std::unique_ptr<MockCluster> cluster = MustCreate(3, 2);
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(cluster->SetBrokerUp(0, false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->SetBrokerUp(4, false).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster->SetBrokerRtt(1, -1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->SetBrokerRtt(1, kMaxRttMs + 1).code(), absl::StatusCode::kInvalidArgument);

  // Metadata is served but never fails on demand in 2.0.2.
  absl::Status metadata_push = cluster->PushRequestErrors(3, {7}, std::nullopt);
  EXPECT_EQ(metadata_push.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(metadata_push.message().find("api_key 3"), std::string::npos) << metadata_push;
  EXPECT_EQ(cluster->PushRequestErrors(0, {}, std::nullopt).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->PushRequestErrors(0, {12345}, std::nullopt).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->PushRequestErrors(0, {RD_KAFKA_RESP_ERR__TIMED_OUT}, std::nullopt).code(),
            absl::StatusCode::kInvalidArgument)
      << "internal librdkafka codes mean nothing on the wire";
  EXPECT_EQ(cluster->PushRequestErrors(0, {7}, kAllBrokers).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->PushRequestErrors(0, {7}, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(
      cluster->PushRequestErrors(0, {0, 7, RD_KAFKA_RESP_ERR__TRANSPORT}, std::nullopt).ok());
  EXPECT_TRUE(cluster->ClearRequestErrors(0).ok());
  EXPECT_EQ(cluster->ClearRequestErrors(3).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(cluster->SetCoordinator(CoordinatorType::kGroup, "", 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->SetCoordinator(CoordinatorType::kGroup, "g", kAllBrokers).code(),
            absl::StatusCode::kInvalidArgument)
      << "the mock would crash on FindCoordinator for a broker that does not exist";
  EXPECT_TRUE(cluster->SetCoordinator(CoordinatorType::kTransaction, "tx", 3).ok());

  EXPECT_EQ(cluster->SetPartitionLeader("unknown.v1", 0, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster->SetPartitionLeader("orders.v1", 2, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster->SetPartitionLeader("orders.v1", 0, 4).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(cluster->SetPartitionLeader("orders.v1", 1, -1).ok());
}

TEST(MockClusterTest, RefusesSizesOutsideItsBounds) {
  EXPECT_EQ(MockCluster::Create({.brokers = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MockCluster::Create({.brokers = kMaxBrokers + 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MockCluster::Create({.partitions = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orderplatform::devbroker
