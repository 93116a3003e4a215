#include "tools/devbroker/kafka_probe.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace orderplatform::devbroker::probe {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

absl::Status FromKafkaError(rd_kafka_resp_err_t err, absl::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  const std::string message =
      absl::StrCat(what, ": ", rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")");
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return absl::DeadlineExceededError(message);
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
      return absl::UnavailableError(message);
    default:
      return absl::UnknownError(message);
  }
}

int ToMs(absl::Duration duration) { return static_cast<int>(absl::ToInt64Milliseconds(duration)); }

// Creates a client with `defaults`, then `overrides` on top (a test's settings win).
absl::StatusOr<Handle> NewClient(rd_kafka_type_t type, const std::string& bootstrap,
                                 const ClientConfig& defaults, const ClientConfig& overrides,
                                 void (*delivery_cb)(rd_kafka_t*, const rd_kafka_message_t*,
                                                     void*) = nullptr) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ClientConfig config = defaults;
  config["bootstrap.servers"] = bootstrap;
  for (const auto& [key, value] : overrides) config[key] = value;
  for (const auto& [key, value] : config) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(key, "=", value, ": ", errstr));
    }
  }
  if (delivery_cb != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr, sizeof(errstr));
  if (handle == nullptr) return absl::InternalError(absl::StrCat("rd_kafka_new: ", errstr));
  return Handle(handle);
}

Message ToMessage(const rd_kafka_message_t& message) {
  Message out;
  out.topic = rd_kafka_topic_name(message.rkt);
  out.partition = message.partition;
  out.offset = message.offset;
  if (message.key != nullptr)
    out.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload != nullptr) {
    out.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  return out;
}

// Polls a consumer until `count` messages arrived or `deadline` passed. Consumer-level errors
// (a broker going away, say) are transient for librdkafka and only logged by it.
std::vector<Message> PollMessages(rd_kafka_t* consumer, int count, absl::Time deadline) {
  std::vector<Message> messages;
  while (static_cast<int>(messages.size()) < count && absl::Now() < deadline) {
    MessagePtr message(rd_kafka_consumer_poll(consumer, ToMs(kPollInterval)));
    if (message == nullptr || message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    messages.push_back(ToMessage(*message));
  }
  return messages;
}

const ClientConfig& ConsumerDefaults() {
  static const ClientConfig* const defaults = new ClientConfig{
      {"auto.offset.reset", "earliest"},
      {"enable.auto.commit", "false"},
      // The mock answers an empty fetch only after fetch.wait.max.ms (and not earlier when data
      // arrives), so a short wait keeps tests fast.
      {"fetch.wait.max.ms", "50"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "500"},
  };
  return *defaults;
}

}  // namespace

absl::StatusOr<ClusterMetadata> FetchMetadata(const std::string& bootstrap,
                                              absl::Duration timeout) {
  absl::StatusOr<Handle> client = NewClient(RD_KAFKA_PRODUCER, bootstrap, {}, {});
  if (!client.ok()) return client.status();
  const rd_kafka_metadata_t* metadata = nullptr;
  absl::Status status = FromKafkaError(
      rd_kafka_metadata(client->get(), /*all_topics=*/1, nullptr, &metadata, ToMs(timeout)),
      "metadata");
  if (!status.ok()) return status;
  ClusterMetadata result;
  for (int i = 0; i < metadata->broker_cnt; ++i) {
    const rd_kafka_metadata_broker_t& broker = metadata->brokers[i];
    result.brokers[broker.id] = absl::StrCat(broker.host, ":", broker.port);
  }
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    std::vector<int32_t>& leaders = result.leaders[topic.topic];
    leaders.assign(topic.partition_cnt, -1);
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& partition = topic.partitions[p];
      if (partition.id >= 0 && partition.id < topic.partition_cnt) {
        leaders[partition.id] = partition.leader;
      }
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return result;
}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const std::string& bootstrap,
                                                           const ClientConfig& config) {
  static const ClientConfig* const defaults = new ClientConfig{
      // Send at once, so a measured latency is the broker's and not the batching delay.
      {"linger.ms", "0"},
      {"message.timeout.ms", "10000"},
  };
  absl::StatusOr<Handle> client =
      NewClient(RD_KAFKA_PRODUCER, bootstrap, *defaults, config, &Producer::OnDelivery);
  if (!client.ok()) return client.status();
  return std::unique_ptr<Producer>(new Producer(client->release()));
}

Producer::~Producer() {
  // Nothing may outlive the test: drop what is still queued or in flight, serve those reports,
  // then close.
  rd_kafka_purge(handle_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(handle_, 2000);
  rd_kafka_destroy(handle_);
}

void Producer::OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* /*opaque*/) {
  auto* pending = static_cast<Pending*>(message->_private);
  pending->delivery.error = message->err;
  pending->delivery.partition = message->partition;
  pending->delivery.offset = message->offset;
  pending->done = true;
}

absl::StatusOr<Producer::Delivery> Producer::Send(const std::string& topic, int32_t partition,
                                                  absl::string_view key, absl::string_view value,
                                                  absl::Duration timeout) {
  Pending& pending = pending_.emplace_back();  // deque: the slot stays put as others are added
  const absl::Time start = absl::Now();
  absl::Status status = FromKafkaError(
      rd_kafka_producev(handle_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                        RD_KAFKA_V_KEY(key.data(), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&pending),
                        RD_KAFKA_V_END),
      "produce");
  if (!status.ok()) return status;
  const absl::Time deadline = start + timeout;
  while (!pending.done && absl::Now() < deadline) rd_kafka_poll(handle_, ToMs(kPollInterval));
  if (!pending.done) {
    return absl::DeadlineExceededError(absl::StrCat("no delivery report for ", topic, "/",
                                                    partition, " within ",
                                                    absl::FormatDuration(timeout)));
  }
  pending.delivery.latency = absl::Now() - start;
  return pending.delivery;
}

absl::StatusOr<std::vector<Message>> ConsumeWithGroup(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic, int count,
                                                      absl::Duration timeout,
                                                      const ClientConfig& config) {
  if (count < 1) return absl::InvalidArgumentError("count must be at least 1");
  const absl::Time deadline = absl::Now() + timeout;
  ClientConfig defaults = ConsumerDefaults();
  defaults["group.id"] = group;
  absl::StatusOr<Handle> consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap, defaults, config);
  if (!consumer.ok()) return consumer.status();
  rd_kafka_poll_set_consumer(consumer->get());

  PartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  absl::Status status =
      FromKafkaError(rd_kafka_subscribe(consumer->get(), subscription.get()), "subscribe");
  if (!status.ok()) return status;

  std::vector<Message> messages = PollMessages(consumer->get(), count, deadline);
  if (static_cast<int>(messages.size()) == count) {
    // The offsets of the returned messages were stored by consumer_poll; commit them now.
    status = FromKafkaError(rd_kafka_commit(consumer->get(), nullptr, /*async=*/0), "commit");
  } else {
    status = absl::DeadlineExceededError(absl::StrCat("group ", group, " read ", messages.size(),
                                                      " of ", count, " messages from ", topic,
                                                      " within ", absl::FormatDuration(timeout)));
  }
  rd_kafka_consumer_close(consumer->get());
  if (!status.ok()) return status;
  return messages;
}

absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic, int partitions,
                                                      absl::Duration timeout) {
  ClientConfig defaults = ConsumerDefaults();
  defaults["group.id"] = group;
  absl::StatusOr<Handle> consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap, defaults, {});
  if (!consumer.ok()) return consumer.status();
  PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  }
  absl::Status status = FromKafkaError(
      rd_kafka_committed(consumer->get(), list.get(), ToMs(timeout)), "committed offsets");
  std::vector<int64_t> offsets(partitions, RD_KAFKA_OFFSET_INVALID);
  for (int i = 0; status.ok() && i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& entry = list->elems[i];
    status = FromKafkaError(entry.err,
                            absl::StrCat("committed offset of ", topic, "/", entry.partition));
    if (status.ok()) offsets[entry.partition] = entry.offset;
  }
  rd_kafka_consumer_close(consumer->get());
  if (!status.ok()) return status;
  return offsets;
}

absl::StatusOr<std::vector<Message>> ReadPartition(const std::string& bootstrap,
                                                   const std::string& topic, int32_t partition,
                                                   int count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // librdkafka 2.0.2 refuses assign() without a group.id, although nothing is committed here.
  ClientConfig defaults = ConsumerDefaults();
  defaults["group.id"] = "devbroker-probe-reader";
  absl::StatusOr<Handle> consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap, defaults, {});
  if (!consumer.ok()) return consumer.status();
  rd_kafka_poll_set_consumer(consumer->get());
  PartitionList assignment(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  absl::Status status =
      FromKafkaError(rd_kafka_assign(consumer->get(), assignment.get()), "assign");
  if (!status.ok()) return status;
  std::vector<Message> messages = PollMessages(consumer->get(), count, deadline);
  rd_kafka_consumer_close(consumer->get());
  if (static_cast<int>(messages.size()) < count) {
    return absl::DeadlineExceededError(absl::StrCat("read ", messages.size(), " of ", count,
                                                    " messages from ", topic, "/", partition,
                                                    " within ", absl::FormatDuration(timeout)));
  }
  return messages;
}

}  // namespace orderplatform::devbroker::probe
