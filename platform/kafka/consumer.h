// The platform's Kafka consumer: a consumer-group member that hands batches of messages to a
// BatchHandler and delivers at least once. A batch's offsets are stored (and then committed, by
// the auto-commit timer, on rebalance and on Stop) only after the handler succeeded AND every
// event it returned was acknowledged by the broker. If either fails, nothing is stored: the
// consumer seeks each partition of the batch back to its first offset, backs off (exponentially,
// bounded) and hands the same messages over again, so a crash or an outage replays and never
// skips. Handlers must therefore be idempotent.
//
//   class ReserveStock : public BatchHandler {
//     absl::StatusOr<std::vector<OutgoingMessage>> Handle(
//         absl::Span<const ConsumedMessage> batch) override;  // UNAVAILABLE: Redis is down
//   };
//   ReserveStock handler;
//   ASSIGN_OR_RETURN(auto consumer, BatchConsumer::Create(
//       {.kafka = kafka, .group_id = "orderplatform.inventory", .topics = {"orders.v1"}},
//       &handler, producer.get()));
//   consumer->RunInThread();
//   ...                       // on SIGTERM, from the signal-watching thread:
//   consumer->Stop();         // finishes the batch, commits, leaves the group
//   absl::Status why = consumer->Join();
//
// Settings: session.timeout.ms=6000 and heartbeat.interval.ms=2000 (a killed member's
// partitions move on within seconds), auto-commit every 1000 ms of the offsets we stored,
// auto.offset.reset=earliest, fetch.wait.max.ms=10, eager rebalancing by default (cooperative
// works too if partition.assignment.strategy says so). KafkaOptions::extra_config may tune them.
//
// Memory is bounded, whatever the broker holds: librdkafka pre-fetches at most
// queued.max.messages.kbytes=16384 (16 MiB, overshot by at most one fetch of
// fetch.max.bytes=8 MiB), and a batch holds at most batch_messages_max messages and about
// batch_bytes_max bytes; the next batch is polled only after this one's events are acknowledged.
//
// Metrics (ConsumerOptions::metrics; names and meaning in docs/OPERATIONS.md): dead letters
// acknowledged per .dlq topic, failed batches per stage, the partitions assigned and the
// committed lag per partition. The lag comes from librdkafka's statistics, which are turned on
// (statistics.interval.ms=5000 unless KafkaOptions::extra_config says otherwise) and served on
// the consumer's thread, so it is as fresh as the last statistics the loop took in: a handler
// call or a backoff that runs long makes it late by as much.
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "platform/kafka/message.h"
#include "platform/kafka/options.h"
#include "platform/kafka/consumer_lag.h"
#include "platform/kafka/producer.h"
#include "platform/metrics/registry.h"

namespace orderplatform::kafka {

class BatchHandler {
 public:
  virtual ~BatchHandler() = default;

  // Called on the consumer's thread with 1..batch_messages_max messages, in offset order within
  // each partition. Returns the events to produce; they are all acknowledged before the batch's
  // offsets are stored. An error (UNAVAILABLE for "a dependency is down") means: store nothing,
  // back off, and call again with the same messages (possibly batched differently). A message
  // that can never be handled must not fail the batch forever: send it to the dead-letter topic
  // instead (see dead_letter.h).
  virtual absl::StatusOr<std::vector<OutgoingMessage>> Handle(
      absl::Span<const ConsumedMessage> batch) = 0;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  bool operator==(const TopicPartition& other) const {
    return topic == other.topic && partition == other.partition;
  }
};

struct ConsumerOptions {
  KafkaOptions kafka;
  std::string group_id;             // orderplatform.order / .inventory / .payment
  std::vector<std::string> topics;  // subscribed as a group
  size_t batch_messages_max = 500;
  // A batch also stops growing once its keys and values reach this many bytes (it always holds
  // at least one message), so a flood of large values cannot make one batch, its dead letters
  // and their produce copies hundreds of megabytes.
  size_t batch_bytes_max = size_t{8} << 20;
  // How long one poll waits for the first message of a batch; the rest of a batch is what has
  // already been fetched, so an idle consumer adds no latency. Also bounds how long Stop() waits
  // for an idle loop.
  absl::Duration poll_wait_max = absl::Milliseconds(100);
  // How long a batch waits for the broker to acknowledge the handler's events.
  absl::Duration produce_timeout = absl::Seconds(30);
  // Backoff after a failed batch: doubles from min to max, back to min after a success.
  absl::Duration retry_backoff_min = absl::Milliseconds(100);
  absl::Duration retry_backoff_max = absl::Seconds(5);
  // Where the consumer's metrics go; null: none. Must outlive the consumer.
  metrics::Registry* metrics = nullptr;
};

class BatchConsumer {
 public:
  // `handler` and `producer` are not owned and must outlive the consumer. INVALID_ARGUMENT for
  // a missing group, topic, handler or producer, or for extra_config keys the guarantees depend
  // on (group.id, enable.auto.commit, enable.auto.offset.store).
  static absl::StatusOr<std::unique_ptr<BatchConsumer>> Create(ConsumerOptions options,
                                                               BatchHandler* handler,
                                                               Producer* producer);

  // Stops and joins a RunInThread() loop; closes the consumer if Run() never ran. A Run() on a
  // caller's own thread must have returned before the consumer is destroyed.
  ~BatchConsumer();

  BatchConsumer(const BatchConsumer&) = delete;
  BatchConsumer& operator=(const BatchConsumer&) = delete;

  // Subscribes and consumes in the calling thread until Stop(); then commits the stored offsets
  // synchronously and closes the consumer (leaving the group). Callable once. Returns OK after
  // Stop(); INTERNAL when it could not go on without risking a skipped message (the producer
  // became fatal, a seek back failed): the process should exit and restart, which replays from
  // the committed offsets.
  absl::Status Run();

  // Run() on a thread of its own; Join() waits for it and returns its result.
  void RunInThread();
  absl::Status Join();

  // Thread-safe and idempotent; returns at once. The loop finishes the batch in hand (its
  // handler call and produce, each bounded), then commits and closes. Not async-signal-safe:
  // call it from a thread that watches signals, not from a signal handler.
  void Stop();

  // The partitions this member owns right now (empty before the first assignment and during an
  // eager rebalance). Thread-safe; for readiness checks, logs and tests.
  std::vector<TopicPartition> assignment() const;

 private:
  BatchConsumer(ConsumerOptions options, BatchHandler* handler, Producer* producer);

  absl::Status Subscribe();
  absl::Status Loop();
  std::vector<ConsumedMessage> PollBatch();
  void StoreOffsets(absl::Span<const ConsumedMessage> batch);
  absl::Status Rewind(absl::Span<const ConsumedMessage> batch);
  void CommitStored(absl::string_view reason);
  void Close();
  bool StopRequested();
  bool WaitForStop(absl::Duration timeout);
  void DropPending(const rd_kafka_topic_partition_list_t* revoked);
  void RefreshAssignment();
  void RegisterMetrics();
  void CountDeadLetters(absl::Span<const OutgoingMessage> produced);
  void CountBatchFailure(absl::string_view stage);
  void CollectMetrics(std::vector<metrics::FamilySnapshot>* out) const;

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static int OnStatistics(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);

  const ConsumerOptions options_;
  BatchHandler* const handler_;
  Producer* const producer_;
  rd_kafka_t* rk_ = nullptr;

  // The batch being polled; the rebalance callback (which runs inside poll, on the loop's
  // thread) removes revoked partitions from it so they are never handled after losing them.
  std::vector<ConsumedMessage> pending_;
  absl::Status fatal_;  // set on the loop's thread by a fatal consumer error

  std::atomic<bool> ran_{false};
  bool closed_ = false;
  mutable absl::Mutex mu_;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<TopicPartition> assignment_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
  absl::Status thread_status_;

  // Metrics; all null without ConsumerOptions::metrics.
  metrics::Family<metrics::Counter>* dead_letters_sent_ = nullptr;
  metrics::Family<metrics::Counter>* batch_failures_ = nullptr;
  mutable absl::Mutex lag_mu_;
  std::vector<PartitionLag> lag_ ABSL_GUARDED_BY(lag_mu_);  // from the latest statistics
  // Last, so that it is unregistered before the state it reads goes away.
  metrics::CollectorHandle collector_;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_CONSUMER_H_
