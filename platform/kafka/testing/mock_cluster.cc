#include "platform/kafka/testing/mock_cluster.h"

#include "absl/strings/str_cat.h"
#include "platform/kafka/options.h"
#include "platform/kafka/topic_reader.h"

namespace orderplatform::kafka::testing {

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Start(int broker_count) {
  std::unique_ptr<MockCluster> cluster(new MockCluster());
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The owner handle has no bootstrap servers and stays quiet apart from warnings.
  rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
  cluster->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (cluster->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", errstr));
  }
  cluster->cluster_ = rd_kafka_mock_cluster_new(cluster->rk_, broker_count);
  if (cluster->cluster_ == nullptr) return absl::InternalError("rd_kafka_mock_cluster_new failed");
  cluster->bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster->cluster_);
  return cluster;
}

MockCluster::~MockCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

absl::Status MockCluster::CreateTopic(const std::string& topic, int partitions,
                                      int replication_factor) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication_factor);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(const std::string& bootstrap,
                                                       const std::string& topic,
                                                       absl::Duration timeout) {
  return kafka::ReadTopic({.brokers = bootstrap, .client_id = "kafka-test-probe"}, topic, timeout);
}

absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      absl::Duration timeout) {
  return kafka::CommittedOffsets({.brokers = bootstrap, .client_id = "kafka-test-probe"}, group,
                                 topic, timeout);
}

}  // namespace orderplatform::kafka::testing
