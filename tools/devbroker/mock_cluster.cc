#include "tools/devbroker/mock_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "platform/log/log.h"

namespace orderplatform::devbroker {
namespace {

// The ApiKeys whose mock handlers call rd_kafka_mock_next_request_error() in librdkafka 2.0.2
// (src/rdkafka_mock_handlers.c). Metadata (3) is served by the mock but never fails on demand,
// so a push for it would silently do nothing: it is rejected instead.
constexpr int kInjectableApiKeys[] = {
    0,   // Produce
    1,   // Fetch
    2,   // ListOffsets
    8,   // OffsetCommit
    9,   // OffsetFetch
    10,  // FindCoordinator
    11,  // JoinGroup
    12,  // Heartbeat
    13,  // LeaveGroup
    14,  // SyncGroup
    18,  // ApiVersions
    22,  // InitProducerId
    24,  // AddPartitionsToTxn
    25,  // AddOffsetsToTxn
    26,  // EndTxn
    28,  // TxnOffsetCommit
};

// Kafka protocol errors, NO_ERROR, and _TRANSPORT (the mock's "drop the connection"). Other
// librdkafka-internal codes are negative and mean nothing to a client when a broker sends them.
bool IsInjectableErrorCode(int32_t code) {
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__TRANSPORT) return true;
  if (code < 0) return false;
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && descs[i].code == code) return true;
  }
  return false;
}

absl::Status FromMockError(rd_kafka_resp_err_t err, absl::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  // Arguments are validated before each mock call, so an error here is the mock's own failure.
  return absl::InternalError(
      absl::StrCat(what, ": ", rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")"));
}

log::Level FromSyslogLevel(int level) {
  if (level <= 3) return log::Level::kError;
  if (level == 4) return log::Level::kWarn;
  if (level <= 6) return log::Level::kInfo;
  return log::Level::kDebug;
}

void LogFromRdkafka(const rd_kafka_t* /*rk*/, int level, const char* facility,
                    const char* message) {
  const log::Level ours = FromSyslogLevel(level);
  if (!log::Enabled(ours)) return;
  log::Log(ours, "rdkafka", {{"facility", facility}, {"message", message}});
}

// How long a mock op may wait before the mock thread is woken from outside, and how often.
constexpr absl::Duration kKickAfter = absl::Milliseconds(10);
constexpr int kMaxKicks = 200;  // past ~2 s the mock's own 1 s poll timeout has served the op

// Any socket activity wakes the mock thread, and it serves its op queue on every wake-up: a
// connection to a listening broker, closed at once, is the cheapest such activity.
void KickMockThread(const std::vector<int>& up_broker_ports) {
  for (int port : up_broker_ports) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    const bool connected =
        connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (connected) return;
  }
}

absl::StatusOr<std::vector<BrokerState>> ParseBootstrap(absl::string_view bootstrap) {
  std::vector<BrokerState> brokers;
  for (absl::string_view address : absl::StrSplit(bootstrap, ',')) {
    const size_t colon = address.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
      return absl::InternalError(absl::StrCat("unexpected mock bootstrap list: ", bootstrap));
    }
    BrokerState broker;
    // rd_kafka_mock_cluster_new() lists the brokers in id order, starting at 1.
    broker.id = static_cast<int32_t>(brokers.size()) + 1;
    broker.host = std::string(address.substr(0, colon));
    broker.port = port;
    brokers.push_back(std::move(broker));
  }
  return brokers;
}

}  // namespace

std::vector<std::string> PlatformTopics() {
  return {"orders.v1",     "inventory.v1",     "payments.v1",
          "orders.v1.dlq", "inventory.v1.dlq", "payments.v1.dlq"};
}

bool SupportsErrorInjection(int api_key) {
  return std::find(std::begin(kInjectableApiKeys), std::end(kInjectableApiKeys), api_key) !=
         std::end(kInjectableApiKeys);
}

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Create(Options options) {
  if (options.brokers < 1 || options.brokers > kMaxBrokers) {
    return absl::InvalidArgumentError(
        absl::StrCat("brokers must be 1..", kMaxBrokers, ", got ", options.brokers));
  }
  if (options.partitions < 1 || options.partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("partitions must be 1..", kMaxPartitions, ", got ", options.partitions));
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, LogFromRdkafka);
  // Without debug contexts, keep warnings and errors only: the handle has no bootstrap.servers
  // on purpose, and librdkafka's notice about that would only mislead.
  const char* log_level = options.rdkafka_debug.empty() ? "4" : "7";
  if (rd_kafka_conf_set(conf, "log_level", log_level, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
      (!options.rdkafka_debug.empty() &&
       rd_kafka_conf_set(conf, "debug", options.rdkafka_debug.c_str(), errstr, sizeof(errstr)) !=
           RD_KAFKA_CONF_OK)) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(errstr);
  }
  // rd_kafka_new() owns `conf` from here on, also when it fails.
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (handle == nullptr) {
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", errstr));
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (cluster == nullptr) {
    rd_kafka_destroy(handle);
    return absl::UnavailableError(
        "rd_kafka_mock_cluster_new failed (cannot listen on 127.0.0.1?); see the rdkafka log");
  }
  std::unique_ptr<MockCluster> result(new MockCluster(std::move(options), handle, cluster));

  absl::StatusOr<std::vector<BrokerState>> brokers = ParseBootstrap(result->bootstrap_);
  if (!brokers.ok()) return brokers.status();
  if (static_cast<int>(brokers->size()) != result->options_.brokers) {
    return absl::InternalError(absl::StrCat("mock cluster lists ", brokers->size(),
                                            " brokers, asked for ", result->options_.brokers));
  }
  {
    absl::MutexLock lock(&result->mu_);
    result->brokers_ = *std::move(brokers);
  }
  absl::Status status = result->CreateTopics();
  if (!status.ok()) return status;
  return result;
}

MockCluster::MockCluster(Options options, rd_kafka_t* handle, rd_kafka_mock_cluster_t* cluster)
    : options_(std::move(options)),
      handle_(handle),
      cluster_(cluster),
      bootstrap_(rd_kafka_mock_cluster_bootstraps(cluster)) {}

MockCluster::~MockCluster() {
  // The cluster lives in the handle: it goes first. Its destruction is one more queued op.
  {
    absl::MutexLock lock(&mu_);
    RunMockOp([this] {
      rd_kafka_mock_cluster_destroy(cluster_);
      return RD_KAFKA_RESP_ERR_NO_ERROR;
    });
  }
  rd_kafka_destroy(handle_);
}

// librdkafka 2.0.2's mock thread loses the wake-up of an op queued just after it served the
// previous one (it drains its wake-up pipe after serving the queue), and then finds the op only at
// its next poll timeout, up to a second later. Back-to-back ops (topic set-up, a test's fault
// calls) hit this often. A helper thread wakes the mock thread while the op waits.
rd_kafka_resp_err_t MockCluster::RunMockOp(absl::FunctionRef<rd_kafka_resp_err_t()> op) {
  std::vector<int> up_broker_ports;
  for (const BrokerState& broker : brokers_) {
    if (broker.up) up_broker_ports.push_back(broker.port);
  }
  absl::Notification done;
  std::thread kicker([&done, &up_broker_ports] {
    for (int kick = 0; kick < kMaxKicks && !done.WaitForNotificationWithTimeout(kKickAfter);
         ++kick) {
      KickMockThread(up_broker_ports);
    }
  });
  const rd_kafka_resp_err_t err = op();
  done.Notify();
  kicker.join();
  return err;
}

absl::Status MockCluster::CreateTopics() {
  absl::MutexLock lock(&mu_);
  // The 2.0.2 mock replicates every partition on brokers 1..min(3, N) whatever factor is asked,
  // and picks each leader at random among them. Leaders are set explicitly instead, partition p
  // on broker p % N + 1, so every broker leads something and a test knows which partitions a
  // broker fault hits.
  const int replication_factor = std::min(3, options_.brokers);
  for (const std::string& topic : options_.topics) {
    absl::Status status =
        FromMockError(RunMockOp([&] {
                        return rd_kafka_mock_topic_create(cluster_, topic.c_str(),
                                                          options_.partitions, replication_factor);
                      }),
                      absl::StrCat("create topic ", topic));
    if (!status.ok()) return status;
    for (int partition = 0; partition < options_.partitions; ++partition) {
      status =
          FromMockError(RunMockOp([&] {
                          return rd_kafka_mock_partition_set_leader(
                              cluster_, topic.c_str(), partition, partition % options_.brokers + 1);
                        }),
                        absl::StrCat("set leader of ", topic, "/", partition));
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

std::vector<BrokerState> MockCluster::Brokers() const {
  absl::MutexLock lock(&mu_);
  return brokers_;
}

absl::Status MockCluster::ValidateBroker(int32_t broker_id, bool allow_all) const {
  if (allow_all && broker_id == kAllBrokers) return absl::OkStatus();
  if (broker_id < 1) {
    return absl::InvalidArgumentError(absl::StrCat("broker_id must be 1..", options_.brokers,
                                                   allow_all ? " or -1 (every broker)" : "",
                                                   ", got ", broker_id));
  }
  if (broker_id > options_.brokers) {
    return absl::NotFoundError(
        absl::StrCat("no broker ", broker_id, "; the cluster has brokers 1..", options_.brokers));
  }
  return absl::OkStatus();
}

absl::Status MockCluster::SetBrokerUp(int32_t broker_id, bool up) {
  absl::Status status = ValidateBroker(broker_id, /*allow_all=*/true);
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  status = FromMockError(RunMockOp([&] {
                           return up ? rd_kafka_mock_broker_set_up(cluster_, broker_id)
                                     : rd_kafka_mock_broker_set_down(cluster_, broker_id);
                         }),
                         absl::StrCat("set broker ", broker_id, up ? " up" : " down"));
  if (!status.ok()) return status;
  for (BrokerState& broker : brokers_) {
    if (broker_id == kAllBrokers || broker.id == broker_id) broker.up = up;
  }
  log::LogInfo(up ? "broker_up" : "broker_down", {{"broker_id", broker_id}});
  return absl::OkStatus();
}

absl::Status MockCluster::SetBrokerRtt(int32_t broker_id, int rtt_ms) {
  absl::Status status = ValidateBroker(broker_id, /*allow_all=*/true);
  if (!status.ok()) return status;
  if (rtt_ms < 0 || rtt_ms > kMaxRttMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("rtt_ms must be 0..", kMaxRttMs, ", got ", rtt_ms));
  }
  absl::MutexLock lock(&mu_);
  status = FromMockError(
      RunMockOp([&] { return rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms); }),
      absl::StrCat("set rtt of broker ", broker_id));
  if (!status.ok()) return status;
  for (BrokerState& broker : brokers_) {
    if (broker_id == kAllBrokers || broker.id == broker_id) broker.rtt_ms = rtt_ms;
  }
  log::LogInfo("broker_rtt", {{"broker_id", broker_id}, {"rtt_ms", rtt_ms}});
  return absl::OkStatus();
}

absl::Status MockCluster::PushRequestErrors(int api_key, absl::Span<const int32_t> error_codes,
                                            std::optional<int32_t> broker_id) {
  if (!SupportsErrorInjection(api_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "api_key ", api_key, " cannot fail on demand in the librdkafka 2.0.2 mock; supported: ",
        absl::StrJoin(kInjectableApiKeys, ",")));
  }
  if (error_codes.empty() || error_codes.size() > kMaxErrorsPerPush) {
    return absl::InvalidArgumentError(absl::StrCat("error_codes must hold 1..", kMaxErrorsPerPush,
                                                   " codes, got ", error_codes.size()));
  }
  for (int32_t code : error_codes) {
    if (!IsInjectableErrorCode(code)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "error code ", code, " is neither a Kafka protocol error nor -195 (_TRANSPORT)"));
    }
  }
  if (broker_id.has_value()) {
    absl::Status status = ValidateBroker(*broker_id, /*allow_all=*/false);
    if (!status.ok()) return status;
  }

  absl::MutexLock lock(&mu_);
  if (!broker_id.has_value()) {
    std::vector<rd_kafka_resp_err_t> errors;
    errors.reserve(error_codes.size());
    for (int32_t code : error_codes) errors.push_back(static_cast<rd_kafka_resp_err_t>(code));
    rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(api_key), errors.size(),
                                            errors.data());
  } else {
    // The per-broker push is variadic only; one call per code appends them in order.
    for (int32_t code : error_codes) {
      absl::Status status = FromMockError(rd_kafka_mock_broker_push_request_error_rtts(
                                              cluster_, *broker_id, static_cast<int16_t>(api_key),
                                              1, static_cast<rd_kafka_resp_err_t>(code), 0),
                                          absl::StrCat("push error on broker ", *broker_id));
      if (!status.ok()) return status;
    }
  }
  log::LogInfo("request_errors_pushed",
               {{"api_key", api_key},
                {"broker_id", broker_id.has_value() ? absl::StrCat(*broker_id) : "any"},
                {"error_codes", absl::StrJoin(error_codes, ",")}});
  return absl::OkStatus();
}

absl::Status MockCluster::ClearRequestErrors(int api_key) {
  if (!SupportsErrorInjection(api_key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("api_key ", api_key, " cannot fail on demand in the librdkafka 2.0.2 mock"));
  }
  absl::MutexLock lock(&mu_);
  rd_kafka_mock_clear_request_errors(cluster_, static_cast<int16_t>(api_key));
  log::LogInfo("request_errors_cleared", {{"api_key", api_key}});
  return absl::OkStatus();
}

absl::Status MockCluster::SetCoordinator(CoordinatorType type, absl::string_view key,
                                         int32_t broker_id) {
  if (key.empty()) return absl::InvalidArgumentError("coordinator key must not be empty");
  // The mock answers FindCoordinator by asserting that the pinned broker exists: a bad id here
  // would crash the whole devbroker later, so only real brokers are accepted.
  absl::Status status = ValidateBroker(broker_id, /*allow_all=*/false);
  if (!status.ok()) return status;
  const char* key_type = type == CoordinatorType::kGroup ? "group" : "transaction";
  const std::string key_string(key);
  absl::MutexLock lock(&mu_);
  status = FromMockError(RunMockOp([&] {
                           return rd_kafka_mock_coordinator_set(cluster_, key_type,
                                                                key_string.c_str(), broker_id);
                         }),
                         absl::StrCat("set ", key_type, " coordinator"));
  if (!status.ok()) return status;
  log::LogInfo("coordinator_set",
               {{"type", key_type}, {"key", key_string}, {"broker_id", broker_id}});
  return absl::OkStatus();
}

absl::Status MockCluster::SetPartitionLeader(absl::string_view topic, int32_t partition,
                                             int32_t broker_id) {
  // Only the devbroker's own topics: for any other name the mock would create the topic.
  if (std::find(options_.topics.begin(), options_.topics.end(), topic) == options_.topics.end()) {
    return absl::NotFoundError(absl::StrCat("no topic '", topic, "'; the devbroker manages ",
                                            absl::StrJoin(options_.topics, ",")));
  }
  if (partition < 0 || partition >= options_.partitions) {
    return absl::NotFoundError(absl::StrCat("no partition ", partition, " in ", topic,
                                            "; it has 0..", options_.partitions - 1));
  }
  // -1 is the mock's "no leader".
  absl::Status status =
      broker_id == -1 ? absl::OkStatus() : ValidateBroker(broker_id, /*allow_all=*/false);
  if (!status.ok()) return status;
  const std::string topic_string(topic);
  absl::MutexLock lock(&mu_);
  status = FromMockError(RunMockOp([&] {
                           return rd_kafka_mock_partition_set_leader(cluster_, topic_string.c_str(),
                                                                     partition, broker_id);
                         }),
                         absl::StrCat("set leader of ", topic, "/", partition));
  if (!status.ok()) return status;
  log::LogInfo("partition_leader_set",
               {{"topic", topic_string}, {"partition", partition}, {"broker_id", broker_id}});
  return absl::OkStatus();
}

}  // namespace orderplatform::devbroker
