#include "integration_tests/chaos/topic_tools.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::chaos {
namespace {

int RemainingMs(absl::Time deadline) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 0, 1 << 30));
}

struct HandleCloser {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleCloser>;

// A producer handle that never produces: it only asks for metadata and watermarks.
absl::StatusOr<Handle> NewOffsetProbe(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error)) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "client.id", "chaos-offset-probe", error, sizeof(error)) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("offset probe config: ", error));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("offset probe: ", error));
  }
  return Handle(rk);
}

absl::StatusOr<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, absl::Time deadline) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, RemainingMs(deadline));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(err)));
  }
  absl::StatusOr<int> count = absl::NotFoundError(absl::StrCat("no topic ", topic));
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = metadata->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  return count;
}

absl::StatusOr<std::vector<int64_t>> EndOffsetsWith(rd_kafka_t* rk, const std::string& topic,
                                                    absl::Time deadline) {
  absl::StatusOr<int> partitions = PartitionCount(rk, topic, deadline);
  if (!partitions.ok()) return partitions.status();
  std::vector<int64_t> end(*partitions, 0);
  for (int p = 0; p < *partitions; ++p) {
    int64_t low = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &end[p],
                                                               RemainingMs(deadline));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("end offset of ", topic, "[", p, "]: ", rd_kafka_err2str(err)));
    }
  }
  return end;
}

// One pass over every group: what is behind ("" when nothing), and the end offsets seen.
absl::StatusOr<std::string> Lag(rd_kafka_t* rk, const std::string& bootstrap,
                                std::map<std::string, std::vector<int64_t>>* ends,
                                absl::Time deadline) {
  std::string behind;
  for (const std::string& topic : SagaTopics()) {
    absl::StatusOr<std::vector<int64_t>> end = EndOffsetsWith(rk, topic, deadline);
    if (!end.ok()) return end.status();
    (*ends)[topic] = *std::move(end);
  }
  for (const GroupTopics& group : SagaConsumerGroups()) {
    for (const std::string& topic : group.topics) {
      absl::StatusOr<std::vector<int64_t>> committed = kafka::testing::CommittedOffsets(
          bootstrap, group.group, topic, std::max(absl::Seconds(1), deadline - absl::Now()));
      if (!committed.ok()) return committed.status();
      const std::vector<int64_t>& end = (*ends)[topic];
      for (size_t p = 0; p < end.size(); ++p) {
        // -1: nothing committed, which is caught up only for a partition with no messages.
        const int64_t at = p < committed->size() ? (*committed)[p] : -1;
        if (end[p] > 0 && at < end[p]) {
          absl::StrAppend(&behind, group.group, " ", topic, "[", p, "] at ", at, " of ", end[p],
                          "; ");
        }
      }
    }
  }
  return behind;
}

}  // namespace

const std::vector<GroupTopics>& SagaConsumerGroups() {
  static const auto* groups = new std::vector<GroupTopics>{
      {events::kOrderGroup, {events::kInventoryTopic, events::kPaymentsTopic}},
      {events::kInventoryGroup, {events::kOrdersTopic, events::kPaymentsTopic}},
      {events::kPaymentGroup, {events::kInventoryTopic}},
  };
  return *groups;
}

const std::vector<std::string>& SagaTopics() {
  static const auto* topics = new std::vector<std::string>{
      events::kOrdersTopic, events::kInventoryTopic, events::kPaymentsTopic};
  return *topics;
}

int ConsumersOf(const std::string& topic) {
  int count = 0;
  for (const GroupTopics& group : SagaConsumerGroups()) {
    count += static_cast<int>(std::count(group.topics.begin(), group.topics.end(), topic));
  }
  return count;
}

absl::StatusOr<std::vector<int64_t>> EndOffsets(const std::string& bootstrap,
                                                const std::string& topic, absl::Duration timeout) {
  absl::StatusOr<Handle> probe = NewOffsetProbe(bootstrap);
  if (!probe.ok()) return probe.status();
  return EndOffsetsWith(probe->get(), topic, absl::Now() + timeout);
}

absl::Status WaitForGroupsCaughtUp(const std::string& bootstrap, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<Handle> probe = NewOffsetProbe(bootstrap);
  if (!probe.ok()) return probe.status();
  std::map<std::string, std::vector<int64_t>> previous_ends;
  bool previous_caught_up = false;
  std::string last = "not checked yet";
  // Bounded by `deadline`: every turn sleeps 250 ms or returns.
  while (absl::Now() < deadline) {
    std::map<std::string, std::vector<int64_t>> ends;
    absl::StatusOr<std::string> behind = Lag(probe->get(), bootstrap, &ends, deadline);
    if (behind.ok() && behind->empty()) {
      if (previous_caught_up && ends == previous_ends) return absl::OkStatus();
      previous_caught_up = true;
    } else {
      previous_caught_up = false;
      last = behind.ok() ? *behind : behind.status().ToString();
    }
    previous_ends = std::move(ends);
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("consumer groups behind after ", absl::FormatDuration(timeout), ": ", last));
}

absl::StatusOr<int> ReproduceSagaTopics(const std::string& bootstrap, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<kafka::OutgoingMessage> replay;
  for (const std::string& topic : SagaTopics()) {
    absl::StatusOr<std::vector<kafka::ConsumedMessage>> messages =
        kafka::testing::ReadTopic(bootstrap, topic, deadline - absl::Now());
    if (!messages.ok()) return messages.status();
    for (kafka::ConsumedMessage& m : *messages) {
      replay.push_back({.topic = m.topic,
                        .key = std::move(m.key),
                        .value = std::move(m.value),
                        .headers = std::move(m.headers)});
    }
  }
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = bootstrap, .client_id = "chaos-replayer"});
  if (!producer.ok()) return producer.status();
  // In slices, so librdkafka's local queue never fills up however long the topics are.
  constexpr size_t kSlice = 5000;
  for (size_t begin = 0; begin < replay.size(); begin += kSlice) {
    std::vector<kafka::OutgoingMessage> slice(
        replay.begin() + begin, replay.begin() + std::min(replay.size(), begin + kSlice));
    absl::Status acked = (*producer)->ProduceAndWait(slice, deadline - absl::Now());
    if (!acked.ok()) return acked;
  }
  return static_cast<int>(replay.size());
}

std::vector<GarbageMessage> MakeGarbage(uint64_t seed) {
  std::vector<GarbageMessage> garbage;
  for (const std::string& topic : SagaTopics()) {
    auto key = [&](int n) { return absl::StrCat(kGarbageKeyPrefix, seed, "-", topic, "-", n); };
    // A tag with wire type 7, which does not exist: no protobuf parser accepts it.
    garbage.push_back(
        {topic, key(0), "\xff\xff\xff\xff not a protobuf", "bytes that are no protobuf"});
    garbage.push_back({topic, key(1), "", "an empty value"});
    orderplatform::v1::Envelope envelope;
    envelope.set_event_id(absl::StrCat(key(2), "/Nothing"));
    envelope.set_order_id(key(2));
    std::string without_payload;
    if (topic == events::kOrdersTopic) {
      orderplatform::v1::OrderEvent event;
      *event.mutable_envelope() = envelope;
      without_payload = event.SerializeAsString();
    } else if (topic == events::kInventoryTopic) {
      orderplatform::v1::InventoryEvent event;
      *event.mutable_envelope() = envelope;
      without_payload = event.SerializeAsString();
    } else {
      orderplatform::v1::PaymentEvent event;
      *event.mutable_envelope() = envelope;
      without_payload = event.SerializeAsString();
    }
    garbage.push_back({topic, key(2), without_payload, "an envelope without a payload"});
    if (topic == events::kOrdersTopic) {
      // Parses, but fails validation: a SKU outside the contract's alphabet.
      orderplatform::v1::OrderEvent event;
      event.mutable_envelope()->set_event_id(absl::StrCat(key(3), "/OrderPlaced"));
      event.mutable_envelope()->set_order_id(key(3));
      orderplatform::v1::OrderPlaced* placed = event.mutable_order_placed();
      placed->set_customer_id("garbage");
      placed->set_request_id(key(3));
      orderplatform::v1::OrderLine* line = placed->add_lines();
      line->set_sku("no such {sku}");
      line->set_quantity(1);
      garbage.push_back(
          {topic, key(3), event.SerializeAsString(), "an OrderPlaced with a bad SKU"});
    }
  }
  return garbage;
}

absl::Status ProduceGarbage(const std::string& bootstrap,
                            const std::vector<GarbageMessage>& messages, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = bootstrap, .client_id = "chaos-garbage"});
  if (!producer.ok()) return producer.status();
  std::vector<kafka::OutgoingMessage> out;
  for (const GarbageMessage& m : messages) {
    out.push_back({.topic = m.topic, .key = m.key, .value = m.value});
  }
  return (*producer)->ProduceAndWait(out, timeout);
}

}  // namespace orderplatform::chaos
