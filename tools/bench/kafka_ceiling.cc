#include "tools/bench/kafka_ceiling.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/kafka/producer.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_record.h"
#include "tools/loadgen/load_options.h"

namespace orderplatform::bench {
namespace {

// Metadata and offset look-ups on a local broker.
constexpr int kLookupTimeoutMs = 10000;
constexpr int kPollTimeoutMs = 100;

struct ProduceResult {
  double per_s = 0;
  int64_t acked = 0;
};

absl::StatusOr<ProduceResult> Produce(const KafkaCeilingOptions& options, const std::string& value) {
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = options.brokers, .client_id = "bench-ceiling"});
  if (!producer.ok()) return producer.status();
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> last_ack_ns{0};
  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < options.messages; ++i) {
    (*producer)->ProduceAsync(
        kafka::OutgoingMessage{.topic = options.topic,
                               .key = order::OrderIdForRequest(absl::StrCat("ceiling-", i)),
                               .value = value},
        [&acked, &failed, &last_ack_ns](absl::Status status) {
          (status.ok() ? acked : failed).fetch_add(1);
          last_ack_ns.store(absl::GetCurrentTimeNanos());
        });
  }
  absl::Status flushed = (*producer)->Flush(options.timeout);
  producer->reset();  // every callback has run after this
  if (!flushed.ok()) return flushed;
  if (failed.load() > 0) {
    return absl::UnavailableError(absl::StrCat(failed.load(), " of ", options.messages,
                                               " ceiling messages were not acknowledged"));
  }
  const double seconds = absl::ToDoubleSeconds(absl::FromUnixNanos(last_ack_ns.load()) - start);
  return ProduceResult{.per_s = seconds > 0 ? static_cast<double>(acked.load()) / seconds : 0,
                       .acked = acked.load()};
}

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

absl::StatusOr<std::unique_ptr<rd_kafka_t, RdKafkaDeleter>> NewConsumer(const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  // The platform consumer's fetch settings (platform/kafka/consumer.cc).
  for (const auto& [key, value] : std::vector<std::pair<const char*, std::string>>{
           {"bootstrap.servers", brokers},
           {"group.id", "bench-ceiling"},
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "false"},
           {"fetch.wait.max.ms", "100"},
           {"queued.max.messages.kbytes", "16384"},
           {"fetch.max.bytes", "8388608"},
           {"log_level", "3"}}) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(key, ": ", errstr));
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(errstr);
  }
  rd_kafka_poll_set_consumer(rk);
  return std::unique_ptr<rd_kafka_t, RdKafkaDeleter>(rk);
}

struct ConsumeResult {
  double per_s = 0;
  int partitions = 0;
};

absl::StatusOr<ConsumeResult> Consume(const KafkaCeilingOptions& options, int64_t expected) {
  absl::StatusOr<std::unique_ptr<rd_kafka_t, RdKafkaDeleter>> consumer =
      NewConsumer(options.brokers);
  if (!consumer.ok()) return consumer.status();
  rd_kafka_t* rk = consumer->get();
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, options.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, kLookupTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata: ", rd_kafka_err2str(err)));
  }
  const int partitions = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(metadata);
  if (partitions < 1) return absl::UnavailableError(absl::StrCat("no topic ", options.topic));

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  int64_t available = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    err = rd_kafka_query_watermark_offsets(rk, options.topic.c_str(), p, &low, &high, kLookupTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || low != 0) {
      rd_kafka_topic_partition_list_destroy(assignment);
      return absl::FailedPreconditionError(absl::StrCat(
          options.topic, "[", p, "]: ",
          err != RD_KAFKA_RESP_ERR_NO_ERROR
              ? rd_kafka_err2str(err)
              : "the broker dropped the oldest records (5 MB per partition): use more partitions"));
    }
    available += high;
    rd_kafka_topic_partition_list_add(assignment, options.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  err = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("assign: ", rd_kafka_err2str(err)));
  }
  if (available < expected) {
    return absl::FailedPreconditionError(
        absl::StrCat("only ", available, " of ", expected, " records are on the broker"));
  }

  int64_t received = 0;
  std::optional<absl::Time> first;
  absl::Time last = absl::Now();
  const absl::Time deadline = absl::Now() + options.timeout;
  // Bounded by `expected` records and the deadline.
  while (received < expected && absl::Now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, kPollTimeoutMs);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++received;
      last = absl::Now();
      if (!first.has_value()) first = last;
    }
    rd_kafka_message_destroy(message);
  }
  if (received < expected || !first.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("read ", received, " of ", expected, " records in time"));
  }
  const double seconds = absl::ToDoubleSeconds(last - *first);
  return ConsumeResult{.per_s = seconds > 0 ? static_cast<double>(received - 1) / seconds : 0,
                       .partitions = partitions};
}

}  // namespace

absl::StatusOr<KafkaCeilings> MeasureKafkaCeilings(const KafkaCeilingOptions& options) {
  if (options.messages < 1) return absl::InvalidArgumentError("need at least one message");
  // One real OrderPlaced, as the order service would publish it.
  const loadgen::LoadOptions shape;
  const orderplatform::v1::PlaceOrderRequest request =
      loadgen::BuildPlaceOrderRequest(shape, "ceiling", 0);
  const std::string value =
      order::OrdersMessage(order::OrderPlacedEvent(order::NewOrderRecord(
                               request, order::OrderIdForRequest(request.request_id()),
                               absl::ToUnixMillis(absl::Now()))))
          .value;

  absl::StatusOr<ProduceResult> produced = Produce(options, value);
  if (!produced.ok()) return produced.status();
  absl::StatusOr<ConsumeResult> consumed = Consume(options, produced->acked);
  if (!consumed.ok()) return consumed.status();
  return KafkaCeilings{.produce_per_s = produced->per_s,
                       .consume_per_s = consumed->per_s,
                       .messages = produced->acked,
                       .partitions = consumed->partitions,
                       .message_bytes = static_cast<int>(value.size())};
}

}  // namespace orderplatform::bench
