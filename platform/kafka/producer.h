// The platform's Kafka producer: idempotent (enable.idempotence=true, acks=all), so a retried
// send never duplicates a record within one producer session, and "acknowledged" means every
// in-sync replica has it. One instance per process is enough; every method is thread-safe.
// Values are never logged.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Producer> producer, Producer::Create(kafka_options));
//   producer->ProduceAsync(std::move(message), [](absl::Status s) { /* on the poll thread */ });
//   absl::Status acked = producer->ProduceAndWait(events, absl::Seconds(10));  // all or error
//
// Errors: UNAVAILABLE means "not (known to be) acknowledged, try again" (broker down, timeout,
// full queue). INTERNAL means librdkafka raised a fatal error (the idempotence state is broken):
// this instance will never deliver again, so the process should restart.
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_PRODUCER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_PRODUCER_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/kafka/message.h"
#include "platform/kafka/options.h"
#include "platform/kafka/publisher.h"

namespace orderplatform::kafka {

struct ProducerOptions {
  // How long one produce call waits for room when librdkafka's local queue is full
  // (queue.buffering.max.messages / .kbytes, the bound on in-flight messages) before it fails
  // the message with UNAVAILABLE.
  absl::Duration queue_full_wait_max = absl::Seconds(5);
  // How long the destructor waits for outstanding deliveries. What is left after that is purged
  // and its callbacks run with UNAVAILABLE, so no callback is silently dropped.
  absl::Duration close_flush_timeout = absl::Seconds(10);
};

class Producer final : public Publisher {
 public:
  // Runs with `status`: OK once the broker acknowledged the message (acks=all), else an error.
  using DeliveryCallback = std::function<void(absl::Status status)>;

  // INVALID_ARGUMENT for empty brokers, an unknown or invalid librdkafka property, or an
  // extra_config key that would weaken the guarantees (enable.idempotence, acks).
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const KafkaOptions& kafka,
                                                          ProducerOptions options = {});

  // Flushes for at most options.close_flush_timeout, then purges what is left.
  ~Producer();

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `message`. `on_delivery` runs exactly once: on the producer's poll thread when the
  // broker answers (or the message times out, message.timeout.ms), or right here in the caller's
  // thread when the message cannot even be queued (queue still full after queue_full_wait_max,
  // fatal error). It must not block and must not call back into ProduceAsync/ProduceAndWait with
  // a full queue (the poll thread is what drains it).
  void ProduceAsync(OutgoingMessage message, DeliveryCallback on_delivery);

  // Produces all `messages` and waits until every one of them is acknowledged. OK only if all
  // were; UNAVAILABLE if any failed or `timeout` passed first (the stragglers may still be
  // delivered later: at-least-once callers retry and rely on idempotent consumers); INTERNAL on a
  // fatal producer error.
  absl::Status ProduceAndWait(const std::vector<OutgoingMessage>& messages,
                              absl::Duration timeout) override;

  // Waits until nothing is outstanding; UNAVAILABLE if `timeout` passes first.
  absl::Status Flush(absl::Duration timeout);

  // Messages queued or in flight whose delivery callback has not run yet.
  int outstanding() const { return outstanding_.load(); }

  // Makes librdkafka raise a fatal error, as a broken idempotence sequence would.
  void InjectFatalErrorForTesting();

 private:
  explicit Producer(ProducerOptions options);

  void Enqueue(const OutgoingMessage& message, DeliveryCallback on_delivery, absl::Time deadline);
  absl::Status ErrorStatus(rd_kafka_resp_err_t err, absl::string_view topic) const;
  void PollLoop();

  static void OnDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  const ProducerOptions options_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<int> outstanding_{0};
  std::atomic<bool> stopping_{false};
  std::thread poll_thread_;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_PRODUCER_H_
