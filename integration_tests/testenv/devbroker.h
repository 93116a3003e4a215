// The development broker (//tools/devbroker) for one test: a Kafka-protocol cluster with the
// platform's topics on free 127.0.0.1 ports, its fault controls as plain calls, killed with the
// test. Depend on //integration_tests/testenv:devbroker (it brings the binary into runfiles).
//
//   auto kafka = DevBroker::Start(/*brokers=*/3, /*partitions=*/6);
//   ASSERT_TRUE(kafka.ok()) << kafka.status();
//   StartService({"--kafka_brokers=" + (*kafka)->bootstrap()});
//   (*kafka)->BrokerDown(2);           // partitions 1, 4 (led by broker 2) become unreachable
//   (*kafka)->BrokerUp(2);
//   (*kafka)->SetRtt(DevBroker::kAllBrokers, 300);
//   (*kafka)->PushRequestErrors(KafkaApiKey::kOffsetCommit, {27 /*REBALANCE_IN_PROGRESS*/});
//
// Partition p of every topic is led by broker p % brokers + 1. All of the cluster's state
// (messages, committed offsets, faults) lives inside the devbroker process, and its brokers get
// new ports on every start: a restarted devbroker would be a new, empty cluster at new addresses,
// which is why there is no Restart(). To simulate a Kafka outage that keeps the data, use
// BrokerDown(kAllBrokers) and BrokerUp(kAllBrokers).
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_DEVBROKER_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_DEVBROKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration_tests/testenv/process.h"
#include "orderplatform/devbroker/v1/devbroker_control.grpc.pb.h"

namespace orderplatform::testenv {

// The Kafka request types whose requests the devbroker can make fail (see PushRequestErrors).
enum class KafkaApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kInitProducerId = 22,
};

class DevBroker {
 public:
  static constexpr int32_t kAllBrokers = -1;

  // Starts the devbroker and waits until its cluster and its controls answer.
  static absl::StatusOr<std::unique_ptr<DevBroker>> Start(int brokers = 3, int partitions = 6);

  // "127.0.0.1:PORT,...", broker 1 first: the services' --kafka_brokers.
  const std::string& bootstrap() const { return bootstrap_; }
  int control_port() const { return control_port_; }

  // The fault controls; each returns the devbroker's verdict (INVALID_ARGUMENT, NOT_FOUND, ...).
  // Down: the broker refuses connections; its partitions and any group it coordinates stall.
  absl::Status BrokerDown(int32_t broker_id);
  absl::Status BrokerUp(int32_t broker_id);
  // Every response of the broker comes `rtt_ms` late (0 to stop).
  absl::Status SetRtt(int32_t broker_id, int rtt_ms);
  // The next requests of `api` fail with `error_codes` (Kafka error codes; 0 lets one through;
  // -195 drops the connection), one per request. Without `broker_id`: whichever broker gets them.
  absl::Status PushRequestErrors(KafkaApiKey api, const std::vector<int32_t>& error_codes,
                                 std::optional<int32_t> broker_id = std::nullopt);
  absl::Status ClearRequestErrors(KafkaApiKey api);
  absl::Status SetGroupCoordinator(const std::string& group, int32_t broker_id);
  // `broker_id` -1: the partition has no leader.
  absl::Status SetPartitionLeader(const std::string& topic, int32_t partition, int32_t broker_id);
  absl::StatusOr<std::vector<devbroker::v1::Broker>> ListBrokers();

  // The cluster and everything in it are gone after either.
  void Kill9() { process_->Kill9(); }
  // SIGTERM and wait; returns the exit code (0 expected).
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(10)) {
    return process_->Terminate(timeout);
  }
  Process& process() { return *process_; }

 private:
  DevBroker(std::unique_ptr<Process> process, std::string bootstrap, int control_port);

  std::unique_ptr<Process> process_;
  std::string bootstrap_;
  int control_port_;
  std::unique_ptr<devbroker::v1::DevBrokerControl::Stub> control_;
};

}  // namespace orderplatform::testenv

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_DEVBROKER_H_
