#include "platform/kafka/consumer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/kafka/dead_letter.h"
#include "platform/kafka/rdkafka_util.h"
#include "platform/log/log.h"

namespace orderplatform::kafka {
namespace {

// A seek is local bookkeeping in librdkafka (it waits for its own fetcher thread, not the
// broker), so this bound is generous.
constexpr int kSeekTimeoutMs = 10000;

struct PartitionRange {
  int64_t first_offset;
  int64_t last_offset;
};
using PartitionKey = std::pair<std::string, int32_t>;

// Messages of one partition arrive in offset order, so the first seen is the lowest.
std::map<PartitionKey, PartitionRange> RangesOf(absl::Span<const ConsumedMessage> batch) {
  std::map<PartitionKey, PartitionRange> ranges;
  for (const ConsumedMessage& m : batch) {
    auto [it, inserted] =
        ranges.try_emplace({m.topic, m.partition}, PartitionRange{m.offset, m.offset});
    if (!inserted) {
      it->second.first_offset = std::min(it->second.first_offset, m.offset);
      it->second.last_offset = std::max(it->second.last_offset, m.offset);
    }
  }
  return ranges;
}

// "orders.v1[0]@5-9,orders.v1[1]@3-3" for logs.
std::string Describe(const std::map<PartitionKey, PartitionRange>& ranges) {
  return absl::StrJoin(ranges, ",", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, internal::PartitionName(entry.first.first, entry.first.second), "@",
                    entry.second.first_offset, "-", entry.second.last_offset);
  });
}

std::string Describe(const rd_kafka_topic_partition_list_t* partitions) {
  std::vector<std::string> names;
  for (int i = 0; i < partitions->cnt; ++i) {
    names.push_back(
        internal::PartitionName(partitions->elems[i].topic, partitions->elems[i].partition));
  }
  return absl::StrJoin(names, ",");
}

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// How often librdkafka reports statistics (and so the lag) when metrics are on; extra_config's
// statistics.interval.ms overrides it.
constexpr char kStatisticsIntervalMs[] = "5000";

int ToTimeoutMs(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0, 1 << 30));
}

}  // namespace

BatchConsumer::BatchConsumer(ConsumerOptions options, BatchHandler* handler, Producer* producer)
    : options_(std::move(options)), handler_(handler), producer_(producer) {}

absl::StatusOr<std::unique_ptr<BatchConsumer>> BatchConsumer::Create(ConsumerOptions options,
                                                                     BatchHandler* handler,
                                                                     Producer* producer) {
  if (handler == nullptr || producer == nullptr) {
    return absl::InvalidArgumentError("BatchConsumer needs a handler and a producer");
  }
  if (options.group_id.empty() || options.topics.empty()) {
    return absl::InvalidArgumentError("BatchConsumer needs a group id and at least one topic");
  }
  if (options.batch_messages_max < 1 || options.batch_bytes_max < 1 ||
      options.retry_backoff_min <= absl::ZeroDuration() ||
      options.retry_backoff_max < options.retry_backoff_min) {
    return absl::InvalidArgumentError(
        "BatchConsumer needs batch_messages_max >= 1, batch_bytes_max >= 1 and "
        "0 < retry_backoff_min <= max");
  }
  // Offsets are stored by us only (enable.auto.offset.store=false); auto-commit then commits
  // just those, every second. The group settings make a dead member's partitions move quickly.
  internal::ConfigList defaults = {
      {"group.id", options.group_id},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", "1000"},
      {"enable.auto.offset.store", "false"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "2000"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      // How long the broker may hold an empty fetch. Kafka answers early when data arrives,
      // but librdkafka's mock broker (the development broker) always waits the full time, and
      // a seek back must wait for the fetch in flight: every consumer hop of the saga can wait
      // this long. 10 ms keeps the light-load saga at tens of milliseconds (100 ms made it
      // ~300 ms, docs/PERFORMANCE.md) for the cost of ~100 idle fetch requests per second.
      {"fetch.wait.max.ms", "10"},
      // Bounds on what librdkafka buffers ahead of the handler (its defaults are 64 MiB of
      // queue and 50 MiB per fetch). A single message larger than a fetch is still fetched.
      {"queued.max.messages.kbytes", "16384"},
      {"fetch.max.bytes", "8388608"}};
  if (options.metrics != nullptr) {
    defaults.push_back({"statistics.interval.ms", kStatisticsIntervalMs});
  }
  absl::StatusOr<internal::ConfPtr> conf = internal::BuildConfig(
      options.kafka, defaults, {"group.id", "enable.auto.commit", "enable.auto.offset.store"});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<BatchConsumer> consumer(new BatchConsumer(std::move(options), handler, producer));
  rd_kafka_conf_set_opaque(conf->get(), consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), &BatchConsumer::OnRebalance);
  rd_kafka_conf_set_error_cb(conf->get(), &BatchConsumer::OnError);
  if (consumer->options_.metrics != nullptr) {
    rd_kafka_conf_set_stats_cb(conf->get(), &BatchConsumer::OnStatistics);
  }
  absl::StatusOr<rd_kafka_t*> rk = internal::NewClient(RD_KAFKA_CONSUMER, *std::move(conf));
  if (!rk.ok()) return rk.status();
  consumer->rk_ = *rk;
  // Serve errors, logs, rebalances and statistics from consumer_poll(), on the loop's thread.
  rd_kafka_poll_set_consumer(consumer->rk_);
  if (consumer->options_.metrics != nullptr) consumer->RegisterMetrics();
  return consumer;
}

BatchConsumer::~BatchConsumer() {
  collector_.Reset();
  Stop();
  if (thread_.joinable()) thread_.join();
  if (!closed_) rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

void BatchConsumer::RunInThread() {
  thread_ = std::thread([this] { thread_status_ = Run(); });
}

absl::Status BatchConsumer::Join() {
  if (thread_.joinable()) thread_.join();
  return thread_status_;
}

void BatchConsumer::Stop() {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
}

bool BatchConsumer::StopRequested() {
  absl::MutexLock lock(&mu_);
  return stop_requested_;
}

bool BatchConsumer::WaitForStop(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stop_requested_), timeout);
}

std::vector<TopicPartition> BatchConsumer::assignment() const {
  absl::MutexLock lock(&mu_);
  return assignment_;
}

void BatchConsumer::RefreshAssignment() {
  rd_kafka_topic_partition_list_t* current = nullptr;
  std::vector<TopicPartition> partitions;
  if (rd_kafka_assignment(rk_, &current) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < current->cnt; ++i) {
      partitions.push_back({current->elems[i].topic, current->elems[i].partition});
    }
    rd_kafka_topic_partition_list_destroy(current);
  }
  absl::MutexLock lock(&mu_);
  assignment_ = std::move(partitions);
}

absl::Status BatchConsumer::Run() {
  if (ran_.exchange(true)) {
    return absl::FailedPreconditionError("BatchConsumer::Run may be called only once");
  }
  absl::Status status = Subscribe();
  if (status.ok()) status = Loop();
  Close();
  return status;
}

absl::Status BatchConsumer::Subscribe() {
  PartitionList topics(rd_kafka_topic_partition_list_new(options_.topics.size()));
  for (const std::string& topic : options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("kafka subscribe to ",
                                                   absl::StrJoin(options_.topics, ","),
                                                   " failed: ", rd_kafka_err2str(err)));
  }
  log::LogInfo("kafka_consumer_started", {{"group", options_.group_id},
                                          {"topics", absl::StrJoin(options_.topics, ",")},
                                          {"client", rd_kafka_name(rk_)}});
  return absl::OkStatus();
}

absl::Status BatchConsumer::Loop() {
  absl::Duration backoff = options_.retry_backoff_min;
  int failures_in_a_row = 0;
  // Bounded by Stop(): each turn polls for at most poll_wait_max, handles one batch (produce
  // bounded by produce_timeout) or backs off for at most retry_backoff_max.
  while (!StopRequested()) {
    std::vector<ConsumedMessage> batch = PollBatch();
    if (!fatal_.ok()) return fatal_;
    if (batch.empty()) continue;

    absl::StatusOr<std::vector<OutgoingMessage>> events = handler_->Handle(batch);
    absl::Status status = events.status();
    if (!status.ok()) {
      CountBatchFailure("handler");
    } else {
      status = producer_->ProduceAndWait(*events, options_.produce_timeout);
      if (status.ok()) {
        CountDeadLetters(*events);
      } else {
        CountBatchFailure("produce");
      }
      if (absl::IsInternal(status)) {
        // The producer will never deliver again; stop without storing, so a restart replays.
        log::LogError("kafka_consumer_producer_fatal",
                      {{"group", options_.group_id}, {"error", status.message()}});
        return status;
      }
    }
    if (status.ok()) {
      StoreOffsets(batch);
      backoff = options_.retry_backoff_min;
      failures_in_a_row = 0;
      continue;
    }

    ++failures_in_a_row;
    std::map<PartitionKey, PartitionRange> ranges = RangesOf(batch);
    // A handler error other than UNAVAILABLE is a bug or a poison message: louder.
    log::Log(absl::IsUnavailable(status) ? log::Level::kWarn : log::Level::kError,
             "kafka_batch_failed",
             {{"group", options_.group_id},
              {"partitions", Describe(ranges)},
              {"code", absl::StatusCodeToString(status.code())},
              {"error", status.message()},
              {"failures_in_a_row", failures_in_a_row},
              {"retry_in_ms", absl::ToInt64Milliseconds(backoff)}});
    if (absl::Status rewound = Rewind(batch); !rewound.ok()) return rewound;
    if (WaitForStop(backoff)) break;
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
  return absl::OkStatus();
}

std::vector<ConsumedMessage> BatchConsumer::PollBatch() {
  pending_.clear();
  size_t batch_bytes = 0;
  // Bounded by batch_messages_max (and batch_bytes_max); only the first poll waits
  // (poll_wait_max), later ones take only what has already been fetched.
  while (pending_.size() < options_.batch_messages_max && batch_bytes < options_.batch_bytes_max) {
    rd_kafka_message_t* message =
        rd_kafka_consumer_poll(rk_, pending_.empty() ? ToTimeoutMs(options_.poll_wait_max) : 0);
    if (message == nullptr) break;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err == RD_KAFKA_RESP_ERR__FATAL) {
        char reason[256] = "";
        rd_kafka_fatal_error(rk_, reason, sizeof(reason));
        fatal_ = absl::InternalError(absl::StrCat("kafka consumer fatal error: ", reason));
      } else {
        log::LogWarn("kafka_consume_error",
                     {{"group", options_.group_id},
                      {"topic", message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : ""},
                      {"error", rd_kafka_err2name(message->err)},
                      {"reason", rd_kafka_message_errstr(message)}});
      }
      rd_kafka_message_destroy(message);
      break;  // end the batch here; errors are rare and must not keep the loop from its checks
    }
    batch_bytes += message->len + message->key_len;
    pending_.push_back(internal::ToConsumedMessage(*message));
    rd_kafka_message_destroy(message);
  }
  return std::exchange(pending_, {});
}

void BatchConsumer::StoreOffsets(absl::Span<const ConsumedMessage> batch) {
  std::map<PartitionKey, PartitionRange> ranges = RangesOf(batch);
  PartitionList offsets(rd_kafka_topic_partition_list_new(ranges.size()));
  for (const auto& [key, range] : ranges) {
    // Kafka's convention: the committed offset is the next one to read.
    rd_kafka_topic_partition_list_add(offsets.get(), key.first.c_str(), key.second)->offset =
        range.last_offset + 1;
  }
  rd_kafka_offsets_store(rk_, offsets.get());
  for (int i = 0; i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = offsets->elems[i];
    if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    // Only happens if the partition is no longer ours; its new owner handles the batch again,
    // which idempotent handlers allow.
    log::LogWarn("kafka_offset_store_failed",
                 {{"group", options_.group_id},
                  {"partition", internal::PartitionName(p.topic, p.partition)},
                  {"offset", p.offset},
                  {"error", rd_kafka_err2name(p.err)}});
  }
}

absl::Status BatchConsumer::Rewind(absl::Span<const ConsumedMessage> batch) {
  std::map<PartitionKey, PartitionRange> ranges = RangesOf(batch);
  PartitionList positions(rd_kafka_topic_partition_list_new(ranges.size()));
  for (const auto& [key, range] : ranges) {
    rd_kafka_topic_partition_list_add(positions.get(), key.first.c_str(), key.second)->offset =
        range.first_offset;
  }
  std::string failure;
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, positions.get(), kSeekTimeoutMs)) {
    failure = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
  }
  for (int i = 0; i < positions->cnt && failure.empty(); ++i) {
    if (positions->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = absl::StrCat(
          internal::PartitionName(positions->elems[i].topic, positions->elems[i].partition), ": ",
          rd_kafka_err2str(positions->elems[i].err));
    }
  }
  if (failure.empty()) return absl::OkStatus();
  // Without the seek, the next poll would continue after the failed batch and a later success
  // would store past it: a skip. Stopping (and replaying after a restart) is the safe way out.
  log::LogError("kafka_rewind_failed", {{"group", options_.group_id}, {"error", failure}});
  return absl::InternalError(absl::StrCat("kafka consumer could not seek back: ", failure));
}

void BatchConsumer::CommitStored(absl::string_view reason) {
  // NULL: the current assignment's stored offsets, i.e. exactly the fully processed batches.
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_, nullptr, /*async=*/0);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  // Not fatal: the offsets stay stored and the next commit carries them; if none comes, the
  // messages are delivered again (at-least-once).
  log::LogWarn(
      "kafka_commit_failed",
      {{"group", options_.group_id}, {"reason", reason}, {"error", rd_kafka_err2name(err)}});
}

void BatchConsumer::Close() {
  CommitStored("shutdown");
  // Leaves the group (its partitions move on at once) and revokes through OnRebalance; bounded
  // by librdkafka to roughly session.timeout.ms.
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);
  closed_ = true;
  log::LogInfo("kafka_consumer_closed",
               {{"group", options_.group_id}, {"result", rd_kafka_err2name(err)}});
}

void BatchConsumer::DropPending(const rd_kafka_topic_partition_list_t* revoked) {
  auto is_revoked = [revoked](const ConsumedMessage& m) {
    return rd_kafka_topic_partition_list_find(revoked, m.topic.c_str(), m.partition) != nullptr;
  };
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(), is_revoked), pending_.end());
}

void BatchConsumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<BatchConsumer*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  rd_kafka_error_t* error = nullptr;
  rd_kafka_resp_err_t assign_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
      log::LogInfo("kafka_partitions_assigned",
                   {{"group", self->options_.group_id}, {"partitions", Describe(partitions)}});
      if (cooperative) {
        error = rd_kafka_incremental_assign(rk, partitions);
      } else {
        assign_err = rd_kafka_assign(rk, partitions);
      }
      break;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
      log::LogInfo("kafka_partitions_revoked",
                   {{"group", self->options_.group_id}, {"partitions", Describe(partitions)}});
      // Messages polled before the revoke are not ours to handle any more; the new owner starts
      // from the offsets committed just below.
      self->DropPending(partitions);
      // A lost assignment (session timed out) cannot commit: the group already moved on.
      if (!rd_kafka_assignment_lost(rk)) self->CommitStored("rebalance");
      if (cooperative) {
        error = rd_kafka_incremental_unassign(rk, partitions);
      } else {
        assign_err = rd_kafka_assign(rk, nullptr);
      }
      break;
    default:
      log::LogWarn("kafka_rebalance_error",
                   {{"group", self->options_.group_id}, {"error", rd_kafka_err2name(err)}});
      self->pending_.clear();
      assign_err = rd_kafka_assign(rk, nullptr);
      break;
  }
  self->RefreshAssignment();
  if (error != nullptr) {
    log::LogError("kafka_assign_failed",
                  {{"group", self->options_.group_id}, {"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
  }
  if (assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::LogError("kafka_assign_failed",
                  {{"group", self->options_.group_id}, {"error", rd_kafka_err2name(assign_err)}});
  }
}

void BatchConsumer::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<BatchConsumer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    // Served by consumer_poll on the loop's thread (rd_kafka_poll_set_consumer), so the loop
    // sees it right after this poll returns.
    char fatal[256] = "";
    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    self->fatal_ = absl::InternalError(absl::StrCat("kafka consumer fatal error: ", fatal));
  }
  log::Log(err == RD_KAFKA_RESP_ERR__FATAL ? log::Level::kError : log::Level::kWarn,
           "kafka_consumer_error",
           {{"group", self->options_.group_id},
            {"client", rd_kafka_name(rk)},
            {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
            {"reason", reason}});
}

void BatchConsumer::RegisterMetrics() {
  metrics::Registry& registry = *options_.metrics;
  dead_letters_sent_ = &registry.AddCounter(
      "orderplatform_dlq_messages_total",
      "Messages sent to a dead-letter topic (<topic>.dlq) and acknowledged by the broker: "
      "values that do not parse or validate, or that hit a script or data error.",
      {"topic"});
  batch_failures_ = &registry.AddCounter(
      "orderplatform_kafka_consumer_batch_failures_total",
      "Batches that failed and are handed over again after a backoff, by stage: handler (a "
      "dependency such as Redis is down) or produce (the broker did not acknowledge the "
      "batch's events in time).",
      {"stage"});
  // Series at 0 from the start: an alert on increase() would miss the first dead letter or
  // failure of a series that only appears with it.
  for (const std::string& topic : options_.topics) {
    dead_letters_sent_->WithLabels({DeadLetterTopic(topic)});
  }
  for (absl::string_view stage : {"handler", "produce"}) batch_failures_->WithLabels({stage});
  collector_ = registry.AddCollector(
      [this](std::vector<metrics::FamilySnapshot>* out) { CollectMetrics(out); });
}

void BatchConsumer::CountDeadLetters(absl::Span<const OutgoingMessage> produced) {
  if (dead_letters_sent_ == nullptr) return;
  for (const OutgoingMessage& message : produced) {
    if (absl::EndsWith(message.topic, kDeadLetterTopicSuffix)) {
      dead_letters_sent_->WithLabels({message.topic}).Increment();
    }
  }
}

void BatchConsumer::CountBatchFailure(absl::string_view stage) {
  if (batch_failures_ != nullptr) batch_failures_->WithLabels({stage}).Increment();
}

void BatchConsumer::CollectMetrics(std::vector<metrics::FamilySnapshot>* out) const {
  const std::vector<TopicPartition> assigned = assignment();
  metrics::FamilySnapshot partitions{
      .name = "orderplatform_kafka_consumer_assigned_partitions",
      .help = "Partitions this consumer owns in its group (0 while it waits for an assignment).",
      .type = metrics::MetricType::kGauge,
      .label_names = {"group"}};
  partitions.samples.push_back(
      {.label_values = {options_.group_id}, .value = static_cast<double>(assigned.size())});
  out->push_back(std::move(partitions));

  metrics::FamilySnapshot lag{
      .name = "orderplatform_kafka_consumer_lag_messages",
      .help = "Messages of an assigned partition that the group has not committed yet (the "
              "partition's end minus the committed offset), from librdkafka's statistics.",
      .type = metrics::MetricType::kGauge,
      .label_names = {"group", "topic", "partition"}};
  absl::MutexLock lock(&lag_mu_);
  for (const PartitionLag& partition : lag_) {
    // Statistics also list partitions this member no longer owns; their lag is another's.
    const bool owned = std::find(assigned.begin(), assigned.end(),
                                 TopicPartition{partition.topic, partition.partition}) !=
                       assigned.end();
    if (!owned) continue;
    lag.samples.push_back(
        {.label_values = {options_.group_id, partition.topic, absl::StrCat(partition.partition)},
         .value = static_cast<double>(partition.lag)});
  }
  out->push_back(std::move(lag));
}

int BatchConsumer::OnStatistics(rd_kafka_t* /*rk*/, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<BatchConsumer*>(opaque);
  absl::StatusOr<std::vector<PartitionLag>> lag =
      ParseConsumerLag(absl::string_view(json, json_len));
  if (!lag.ok()) {
    log::LogWarn("kafka_statistics_unreadable",
                 {{"group", self->options_.group_id}, {"error", lag.status().message()}});
  } else {
    absl::MutexLock lock(&self->lag_mu_);
    self->lag_ = *std::move(lag);
  }
  return 0;  // librdkafka frees the JSON
}

}  // namespace orderplatform::kafka
