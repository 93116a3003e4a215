#include "tools/loadgen/order_tracker.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/loadgen/terminal_event.h"

namespace orderplatform::loadgen {
namespace {

constexpr absl::Duration kTimelineTick = absl::Milliseconds(100);
constexpr int kPollTimeoutMs = 100;

int TimeoutMs(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), 1 << 30));
}

absl::Status SetConf(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(absl::StrCat("kafka config ", key, ": ", errstr));
  }
  return absl::OkStatus();
}

}  // namespace

OrderTracker::OrderTracker(Options options)
    : options_(std::move(options)), timeline_(kTimelineTick, options_.horizon) {}

absl::StatusOr<std::unique_ptr<OrderTracker>> OrderTracker::Start(Options options) {
  std::unique_ptr<OrderTracker> tracker(new OrderTracker(std::move(options)));
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // No group membership and no commits: assign() from the end offsets read below. group.id is
  // set only because librdkafka's consumer wants one; it never joins.
  const std::vector<std::pair<const char*, std::string>> settings = {
      {"bootstrap.servers", tracker->options_.brokers},
      {"client.id", "loadgen-tracker"},
      {"group.id", "orderplatform.loadgen"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      // The development broker holds an empty fetch for the whole wait even when data arrives;
      // a short wait keeps the tracker from adding to the latency it measures.
      {"fetch.wait.max.ms", "5"},
      {"log_level", "3"},
  };
  for (const auto& [key, value] : settings) {
    if (absl::Status set = SetConf(conf, key, value); !set.ok()) {
      rd_kafka_conf_destroy(conf);
      return set;
    }
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", errstr));
  }
  tracker->rk_ = rk;
  rd_kafka_poll_set_consumer(rk);

  const std::string topic(TerminalTopic(tracker->options_.source));
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, handle, &metadata, TimeoutMs(tracker->options_.start_timeout));
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
      metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
      metadata->topics[0].partition_cnt < 1) {
    const std::string reason =
        err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(err) : "topic missing or empty";
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", reason));
  }
  const int partitions = metadata->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(metadata);

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high,
                                           TimeoutMs(tracker->options_.start_timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(assignment);
      return absl::UnavailableError(
          absl::StrCat("end offset of ", topic, "[", p, "]: ", rd_kafka_err2str(err)));
    }
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = high;
  }
  err = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("assign ", topic, ": ", rd_kafka_err2str(err)));
  }
  tracker->thread_ = std::thread([t = tracker.get()] { t->Loop(); });
  return tracker;
}

OrderTracker::~OrderTracker() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (rk_ != nullptr) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

void OrderTracker::Loop() {
  // Bounded by stopping_, checked at least every kPollTimeoutMs.
  while (!stopping_.load()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, kPollTimeoutMs);
    if (message == nullptr) continue;
    Handle(*message);
    rd_kafka_message_destroy(message);
  }
}

void OrderTracker::Handle(const rd_kafka_message_t& message) {
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    consume_errors_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    if (message.err != last_error_code_) {
      last_error_code_ = message.err;
      std::fprintf(stderr, "\nloadgen: tracker consume error: %s\n",
                   rd_kafka_message_errstr(&message));
    }
    return;
  }
  const absl::string_view value(static_cast<const char*>(message.payload), message.len);
  std::optional<TerminalEvent> end =
      ClassifyTerminal(options_.source, rd_kafka_topic_name(message.rkt), value);
  if (!end.has_value()) return;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  auto it = open_.find(end->order_id);
  if (it == open_.end()) return;  // not ours, or a duplicate of an outcome already counted
  latency_.Record(now - it->second);
  open_.erase(it);
  last_completed_at_ = now;
  timeline_.Record(now - *first_expected_at_);
  if (end->outcome == Outcome::kConfirmed) {
    ++confirmed_;
  } else {
    ++cancelled_;
    ++cancel_reasons_[end->reason];
  }
}

void OrderTracker::Expect(const std::string& order_id, absl::Time placed_at) {
  absl::MutexLock lock(&mu_);
  if (!first_expected_at_.has_value()) first_expected_at_ = placed_at;
  open_.insert_or_assign(order_id, placed_at);
}

bool OrderTracker::Forget(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return open_.erase(order_id) > 0;
}

int64_t OrderTracker::open() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(open_.size());
}

bool OrderTracker::AwaitAllDone(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto none_open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_.empty(); };
  return mu_.AwaitWithDeadline(absl::Condition(&none_open), deadline);
}

OrderTracker::Progress OrderTracker::progress() const {
  absl::MutexLock lock(&mu_);
  return Progress{.completed = latency_.count(),
                  .open = static_cast<int64_t>(open_.size()),
                  .p50_ms = latency_.PercentileMicros(50) / 1000.0,
                  .p99_ms = latency_.PercentileMicros(99) / 1000.0};
}

void OrderTracker::Fill(LoadResult* result) const {
  absl::MutexLock lock(&mu_);
  result->completed = latency_.count();
  result->confirmed = confirmed_;
  result->cancelled = cancelled_;
  result->cancel_reasons = cancel_reasons_;
  result->unfinished = static_cast<int64_t>(open_.size());
  result->latency = latency_.Summary();
  result->sustained = timeline_.SustainedRate();
  if (first_expected_at_.has_value() && latency_.count() > 0) {
    result->elapsed_s = absl::ToDoubleSeconds(last_completed_at_ - *first_expected_at_);
    result->throughput =
        result->elapsed_s > 0 ? static_cast<double>(latency_.count()) / result->elapsed_s : 0;
  }
}

}  // namespace orderplatform::loadgen
