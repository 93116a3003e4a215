#include "platform/kafka/producer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "platform/kafka/rdkafka_util.h"
#include "platform/log/log.h"

namespace orderplatform::kafka {
namespace {

constexpr int kPollIntervalMs = 100;
constexpr absl::Duration kQueueFullRetryInterval = absl::Milliseconds(5);
// After a purge only local delivery reports remain to be served, which takes milliseconds.
constexpr int kPurgeDrainTimeoutMs = 2000;

// Travels with each message as its opaque and is freed by whoever runs the callback.
struct DeliveryContext {
  Producer::DeliveryCallback on_delivery;
};

int ToTimeoutMs(absl::Duration timeout) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 0, 1 << 30));
}

// Shared between ProduceAndWait and the delivery callbacks, which may outlive a timed-out wait.
struct Waiter {
  absl::Mutex mu;
  size_t pending ABSL_GUARDED_BY(mu) = 0;
  size_t failed ABSL_GUARDED_BY(mu) = 0;
  absl::Status first_error ABSL_GUARDED_BY(mu);
};

}  // namespace

Producer::Producer(ProducerOptions options) : options_(options) {}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const KafkaOptions& kafka,
                                                           ProducerOptions options) {
  // linger.ms=1: every saga hop produces and then waits for the ack before its offsets move, so
  // linger is paid once per hop (five hops per order); under load the batches fill anyway while
  // a request is in flight. The idempotent producer keeps
  // up to 5 requests in flight per broker without reordering. The local queue is bounded at
  // 32 MiB / 100000 messages (librdkafka's default is 1 GiB): a full queue makes a produce wait
  // queue_full_wait_max and then fail with UNAVAILABLE, so overload turns into back-pressure, not
  // memory. message.max.bytes is librdkafka's default, set here because dead letters are cut to
  // fit it (dead_letter.h, kDeadLetterBytesMax).
  absl::StatusOr<internal::ConfPtr> conf = internal::BuildConfig(
      kafka,
      {{"enable.idempotence", "true"},
       {"acks", "all"},
       {"linger.ms", "1"},
       {"queue.buffering.max.kbytes", "32768"},
       {"queue.buffering.max.messages", "100000"},
       {"message.max.bytes", "1000000"}},
      {"enable.idempotence", "acks", "request.required.acks"});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<Producer> producer(new Producer(options));
  rd_kafka_conf_set_opaque(conf->get(), producer.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &Producer::OnDeliveryReport);
  rd_kafka_conf_set_error_cb(conf->get(), &Producer::OnError);
  absl::StatusOr<rd_kafka_t*> rk = internal::NewClient(RD_KAFKA_PRODUCER, *std::move(conf));
  if (!rk.ok()) return rk.status();
  producer->rk_ = *rk;
  producer->poll_thread_ = std::thread([p = producer.get()] { p->PollLoop(); });
  log::LogInfo("kafka_producer_started",
               {{"client", rd_kafka_name(producer->rk_)}, {"brokers", kafka.brokers}});
  return producer;
}

Producer::~Producer() {
  if (absl::Status flushed = Flush(options_.close_flush_timeout); !flushed.ok()) {
    log::LogWarn("kafka_producer_purge_on_close",
                 {{"client", rd_kafka_name(rk_)}, {"outstanding", outstanding()}});
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    // Serves the purged messages' delivery reports, so every callback runs (with an error) and
    // frees its context; rd_kafka_destroy() would drop them silently.
    rd_kafka_flush(rk_, kPurgeDrainTimeoutMs);
  }
  stopping_.store(true);
  poll_thread_.join();
  rd_kafka_destroy(rk_);
}

void Producer::PollLoop() {
  // Bounded by stopping_, checked at least every kPollIntervalMs.
  while (!stopping_.load()) rd_kafka_poll(rk_, kPollIntervalMs);
}

void Producer::ProduceAsync(OutgoingMessage message, DeliveryCallback on_delivery) {
  Enqueue(message, std::move(on_delivery), absl::Now() + options_.queue_full_wait_max);
}

void Producer::Enqueue(const OutgoingMessage& message, DeliveryCallback on_delivery,
                       absl::Time deadline) {
  auto* context = new DeliveryContext{std::move(on_delivery)};
  rd_kafka_headers_t* headers = nullptr;
  if (!message.headers.empty()) {
    headers = rd_kafka_headers_new(message.headers.size());
    for (const Header& h : message.headers) {
      rd_kafka_header_add(headers, h.key.data(), h.key.size(), h.value.data(), h.value.size());
    }
  }
  // Counted before producev: the delivery report may run before producev returns.
  ++outstanding_;
  rd_kafka_resp_err_t err;
  bool waited_for_room = false;
  // Bounded by `deadline`: only QUEUE_FULL loops, and only until then.
  for (;;) {
    err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(message.topic.c_str()),
        RD_KAFKA_V_KEY(message.key.empty() ? nullptr : message.key.data(), message.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(context), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // rk_ owns headers and context now
    absl::Duration left = deadline - absl::Now();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || left <= absl::ZeroDuration()) break;
    if (!waited_for_room) {
      waited_for_room = true;
      log::LogDebug("kafka_produce_queue_full", {{"topic", message.topic}});
    }
    // The poll thread serves delivery reports, which is what frees queue slots.
    absl::SleepFor(std::min(left, kQueueFullRetryInterval));
  }
  // Not queued: ownership stayed with us (librdkafka's producev contract).
  --outstanding_;
  if (headers != nullptr) rd_kafka_headers_destroy(headers);
  absl::Status status = ErrorStatus(err, message.topic);
  log::LogWarn("kafka_produce_rejected", {{"topic", message.topic}, {"error", status.message()}});
  DeliveryCallback callback = std::move(context->on_delivery);
  delete context;
  callback(std::move(status));
}

absl::Status Producer::ErrorStatus(rd_kafka_resp_err_t err, absl::string_view topic) const {
  char reason[256] = "";
  // After a fatal error librdkafka purges everything with ordinary error codes; the fatal
  // state is the real reason, and it is permanent for this instance.
  const bool fatal =
      rd_kafka_fatal_error(rk_, reason, sizeof(reason)) != RD_KAFKA_RESP_ERR_NO_ERROR;
  if (fatal || err == RD_KAFKA_RESP_ERR__FATAL) {
    return absl::InternalError(
        absl::StrCat("kafka producer is in a fatal state (restart needed): ", reason));
  }
  return absl::UnavailableError(absl::StrCat("kafka produce to ", topic, " failed: ",
                                             rd_kafka_err2name(err), ": ", rd_kafka_err2str(err)));
}

void Producer::OnDeliveryReport(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message,
                                void* opaque) {
  auto* producer = static_cast<Producer*>(opaque);
  std::unique_ptr<DeliveryContext> context(static_cast<DeliveryContext*>(message->_private));
  --producer->outstanding_;
  if (!context->on_delivery) return;
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    context->on_delivery(absl::OkStatus());
  } else {
    context->on_delivery(producer->ErrorStatus(message->err, rd_kafka_topic_name(message->rkt)));
  }
}

void Producer::OnError(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[256] = "";
    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    log::LogError("kafka_producer_fatal", {{"client", rd_kafka_name(rk)}, {"reason", fatal}});
    return;
  }
  log::LogWarn("kafka_producer_error",
               {{"client", rd_kafka_name(rk)},
                {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                {"reason", reason}});
}

absl::Status Producer::ProduceAndWait(const std::vector<OutgoingMessage>& messages,
                                      absl::Duration timeout) {
  if (messages.empty()) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + timeout;
  auto waiter = std::make_shared<Waiter>();
  {
    absl::MutexLock lock(&waiter->mu);
    waiter->pending = messages.size();
  }
  for (const OutgoingMessage& message : messages) {
    Enqueue(
        message,
        [waiter](absl::Status status) {
          absl::MutexLock lock(&waiter->mu);
          if (!status.ok()) {
            ++waiter->failed;
            // A fatal error outranks any transient one: it changes what the caller must do.
            if (waiter->first_error.ok() || absl::IsInternal(status)) {
              waiter->first_error = std::move(status);
            }
          }
          --waiter->pending;
        },
        deadline);
  }
  absl::MutexLock lock(&waiter->mu);
  auto all_answered = [&waiter]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(waiter->mu) {
    return waiter->pending == 0;
  };
  if (!waiter->mu.AwaitWithDeadline(absl::Condition(&all_answered), deadline)) {
    return absl::UnavailableError(
        absl::StrCat("kafka produce: ", waiter->pending, " of ", messages.size(),
                     " messages not acknowledged within ", absl::FormatDuration(timeout)));
  }
  if (waiter->failed == 0) return absl::OkStatus();
  if (absl::IsInternal(waiter->first_error)) return waiter->first_error;
  return absl::UnavailableError(
      absl::StrCat("kafka produce: ", waiter->failed, " of ", messages.size(),
                   " messages failed; first: ", waiter->first_error.message()));
}

absl::Status Producer::Flush(absl::Duration timeout) {
  if (rd_kafka_flush(rk_, ToTimeoutMs(timeout)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("kafka flush: ", outstanding(),
                                             " messages still outstanding after ",
                                             absl::FormatDuration(timeout)));
}

void Producer::InjectFatalErrorForTesting() {
  rd_kafka_test_fatal_error(rk_, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            "injected by a test");
}

}  // namespace orderplatform::kafka
