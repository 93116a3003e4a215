// A Kafka-protocol cluster inside this process, for development and tests: librdkafka's mock
// cluster with the platform's topics already created, partition leaders spread evenly over the
// brokers, and the mock's fault injection behind checked, Status-returning calls.
//
//   absl::StatusOr<std::unique_ptr<MockCluster>> cluster =
//       MockCluster::Create({.brokers = 3, .partitions = 6});
//   UseKafkaAt((*cluster)->bootstrap());   // "127.0.0.1:41017,127.0.0.1:39655,127.0.0.1:44211"
//   (*cluster)->SetBrokerUp(2, false);     // broker 2 refuses connections
//   (*cluster)->SetBrokerRtt(kAllBrokers, 200);
//
// Everything lives in this process: destroying the object (or the process dying) loses every
// topic, message, committed offset and fault. The brokers listen on 127.0.0.1 only, on ports
// the kernel picks, so a new cluster never has the old addresses.
#ifndef ORDERPLATFORM_TOOLS_DEVBROKER_MOCK_CLUSTER_H_
#define ORDERPLATFORM_TOOLS_DEVBROKER_MOCK_CLUSTER_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace orderplatform::devbroker {

// Where a call takes a broker id, this one means "every broker" (the mock's own convention).
inline constexpr int32_t kAllBrokers = -1;

inline constexpr int kMaxBrokers = 32;
inline constexpr int kMaxPartitions = 256;
inline constexpr int kMaxRttMs = 60000;
inline constexpr int kMaxErrorsPerPush = 1000;

// The contract's topics and their dead-letter topics, in that order.
std::vector<std::string> PlatformTopics();

struct BrokerState {
  int32_t id = 0;
  std::string host;
  int port = 0;
  bool up = true;
  int rtt_ms = 0;
};

enum class CoordinatorType { kGroup, kTransaction };

class MockCluster {
 public:
  struct Options {
    int brokers = 3;
    int partitions = 6;
    std::vector<std::string> topics = PlatformTopics();
    // librdkafka `debug` contexts for the cluster's own handle, e.g. "mock,protocol"; its log
    // lines go to the structured log as event=rdkafka at level debug.
    std::string rdkafka_debug;
  };

  static absl::StatusOr<std::unique_ptr<MockCluster>> Create(Options options);
  ~MockCluster();

  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "HOST:PORT,..." in broker id order (broker 1 first): the clients' bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }
  int broker_count() const { return options_.brokers; }
  int partition_count() const { return options_.partitions; }
  const std::vector<std::string>& topics() const { return options_.topics; }

  // The brokers, ordered by id, with the faults this object set on them (the mock cannot be
  // asked for its state, so this is the record of what was applied).
  std::vector<BrokerState> Brokers() const;

  // Down: the broker closes its connections and refuses new ones; leadership does not move.
  // Up: it listens again on the same port. `broker_id` may be kAllBrokers.
  absl::Status SetBrokerUp(int32_t broker_id, bool up);
  // Delays every response of the broker by `rtt_ms`; 0 removes the delay.
  absl::Status SetBrokerRtt(int32_t broker_id, int rtt_ms);

  // The next requests with `api_key` fail with `error_codes`, one per request, in order.
  // Without `broker_id` the queue is cluster-wide; see devbroker_control.proto for the
  // difference.
  absl::Status PushRequestErrors(int api_key, absl::Span<const int32_t> error_codes,
                                 std::optional<int32_t> broker_id);
  // Drops what is left of the cluster-wide queue for `api_key` (per-broker queues cannot be
  // cleared in librdkafka 2.0.2).
  absl::Status ClearRequestErrors(int api_key);

  absl::Status SetCoordinator(CoordinatorType type, absl::string_view key, int32_t broker_id);
  // `broker_id` -1 leaves the partition without a leader.
  absl::Status SetPartitionLeader(absl::string_view topic, int32_t partition, int32_t broker_id);

 private:
  MockCluster(Options options, rd_kafka_t* handle, rd_kafka_mock_cluster_t* cluster);
  absl::Status CreateTopics();
  absl::Status ValidateBroker(int32_t broker_id, bool allow_all) const;
  // Runs one of the mock's queued operations (topic, leader, broker and coordinator changes),
  // making sure the mock thread wakes up for it: see the .cc.
  rd_kafka_resp_err_t RunMockOp(absl::FunctionRef<rd_kafka_resp_err_t()> op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  // The mock cluster needs a client handle to live in; this one is never given any broker to
  // talk to, so it sends no requests of its own (and never eats an injected error).
  rd_kafka_t* const handle_;
  rd_kafka_mock_cluster_t* const cluster_;
  std::string bootstrap_;

  // Held across each mock call as well, so the record and the cluster cannot disagree when
  // several control calls race.
  mutable absl::Mutex mu_;
  std::vector<BrokerState> brokers_ ABSL_GUARDED_BY(mu_);
};

// Whether the 2.0.2 mock broker consults its injected-error queues for this Kafka ApiKey.
bool SupportsErrorInjection(int api_key);

}  // namespace orderplatform::devbroker

#endif  // ORDERPLATFORM_TOOLS_DEVBROKER_MOCK_CLUSTER_H_
