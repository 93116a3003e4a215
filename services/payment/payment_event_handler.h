// The payment service's Kafka shell: consumes inventory.v1, decides StockReserved with the
// behavior stored in Redis, keeps the ledger, and returns the payments.v1 events that announce
// what the ledger holds (the consumer produces them and waits for the acks before it stores the
// offsets). The logic lives in payment_decision.h and payment_events.h; this only wires them to
// the ledger.
//
//   PaymentEventHandler handler(&ledger, &behaviors, {});
//   BatchConsumer::Create({... .topics = {"inventory.v1"}}, &handler, producer);
//
// Per batch: runs of StockReserved are read from and written to the ledger together (two round
// trips per run, each write still its own MULTI/EXEC, first writer wins); refunds run one by one
// in log order. The behavior is read once, on the first StockReserved that needs a decision. The
// answers of a batch are delayed by the behavior's latency_ms once, as a provider answering the
// batch's requests in parallel would (an answer per order in turn would make a batch of 500
// take hours and stall the partition); replays, which answer from the ledger, are not delayed.
//
// Failure mapping:
//   - does not parse / fails ValidateInventoryEvent  -> inventory.v1.dlq, the batch goes on
//   - a corrupt ledger entry (INTERNAL)               -> inventory.v1.dlq with the error, so one
//                                                        poisoned order cannot block its partition
//   - Redis unavailable, refund kept conflicting      -> the batch fails (UNAVAILABLE/ABORTED);
//                                                        the consumer re-delivers it after a
//                                                        backoff and nothing goes to the .dlq
//   - the stored behavior cannot be read or is invalid -> the batch fails: no order can be
//                                                        decided until SetBehavior repairs it
//
// Metrics: each message in orderplatform_events_handled_total (kafka/event_metrics.h): applied
// (authorized, declined or refunded now), duplicate (answered again from the ledger), ignored
// (nothing to decide or refund, or left unanswered on purpose), dead_lettered, retried; and the
// counters below as orderplatform_payment_<name>_total (ExportPaymentCounters).
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENT_HANDLER_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENT_HANDLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/payment_service.pb.h"
#include "platform/kafka/consumer.h"
#include "platform/kafka/event_metrics.h"
#include "platform/metrics/registry.h"
#include "services/payment/behavior_store.h"
#include "services/payment/payment_events.h"
#include "services/payment/payment_ledger.h"

namespace orderplatform::payment {

// The handler's counters, declared once with their meaning: the stats struct, its merging and the
// metrics/log export (ForEachCounter) are generated from this list, so they cannot drift apart.
#define OP_PAYMENT_HANDLER_COUNTERS(X)                                                 \
  X(authorized, "orders authorized (new ledger entries)")                              \
  X(declined, "orders declined (new ledger entries)")                                  \
  X(no_answer, "orders left unanswered on purpose (no_answer_rate), recorded as such")  \
  X(no_answer_kept, "StockReserved replays of an order recorded as unanswered")        \
  X(reannounced, "StockReserved answered again from the ledger (replays, lost races)") \
  X(refunded, "payments refunded (AUTHORIZED -> REFUNDED)")                            \
  X(refund_reannounced, "StockReleased answered again with the recorded refund")       \
  X(nothing_to_refund, "StockReleased of a declined, unanswered or unknown order")     \
  X(ignored, "valid events payment does not act on (StockRejected, StockCommitted)")   \
  X(dead_letters, "messages sent to inventory.v1.dlq")                                 \
  X(failed_batches, "batches failed for a retry (Redis unavailable, behavior unreadable)")

struct PaymentHandlerStats {
#define OP_PAYMENT_COUNTER_FIELD(name, help) int64_t name = 0;
  OP_PAYMENT_HANDLER_COUNTERS(OP_PAYMENT_COUNTER_FIELD)
#undef OP_PAYMENT_COUNTER_FIELD
};

// Calls `fn(name, help, value)` for every counter, in declaration order (for metrics and logs).
void ForEachCounter(
    const PaymentHandlerStats& stats,
    const std::function<void(const char* name, const char* help, int64_t value)>& fn);

struct PaymentHandlerOptions {
  // Milliseconds since the epoch; replaceable so tests control the ledger's timestamps.
  std::function<int64_t()> now_ms;
  // How the answer latency is waited out; replaceable so tests need not wait.
  std::function<void(absl::Duration)> sleep;
  // Where orderplatform_events_handled_total goes; null: not recorded. Must outlive the handler.
  metrics::Registry* metrics = nullptr;
};

class PaymentEventHandler : public kafka::BatchHandler {
 public:
  // `ledger` and `behaviors` are not owned and must outlive the handler.
  PaymentEventHandler(PaymentLedger* ledger, BehaviorStore* behaviors,
                      PaymentHandlerOptions options = {});

  absl::StatusOr<std::vector<kafka::OutgoingMessage>> Handle(
      absl::Span<const kafka::ConsumedMessage> batch) override;

  // Totals over the batches that succeeded (plus failed_batches); a failed batch's work is
  // counted when its retry succeeds.
  PaymentHandlerStats stats() const ABSL_LOCKS_EXCLUDED(stats_mu_);

 private:
  struct Batch {
    absl::Span<const kafka::ConsumedMessage> messages;
    std::optional<orderplatform::v1::PaymentBehavior> behavior;  // read on first need
    absl::Status behavior_status;  // why it could not be read; fails the batch
    bool latency_served = false;   // the batch's answers have waited latency_ms
    PaymentHandlerStats counts;
    // What each message produces (events, dead letters), in message order.
    std::vector<std::vector<kafka::OutgoingMessage>> results;
    // What each message was (its payload name, kafka::kInvalidEventType, or empty: not counted)
    // and what came of it, for the metrics.
    std::vector<std::string> types;
    std::vector<kafka::EventOutcome> outcomes;
  };
  struct PendingPay {
    size_t index = 0;  // of the StockReserved in the batch
    orderplatform::v1::Envelope cause;
    PayCommand command;
  };
  struct PendingRefund {
    size_t index = 0;  // of the StockReleased in the batch
    orderplatform::v1::Envelope cause;
    RefundCommand command;
  };

  // Parses and decides message `index`: a payment to make, a refund, or nothing (ignored, or
  // its dead letter recorded).
  void ParseOne(size_t index, Batch* batch, std::optional<PendingPay>* pay,
                std::optional<PendingRefund>* refund);
  // Pays a run of StockReserved: one ledger read and one ledger write round trip for the run.
  absl::Status PayAll(const std::vector<PendingPay>& run, Batch* batch);
  // Announces a decision this handler proposed, as the ledger recorded it.
  absl::Status Announce(const PendingPay& pay, const absl::StatusOr<RecordOutcome>& recorded,
                        Batch* batch);
  // Answers a StockReserved from a ledger entry recorded earlier (or by another instance).
  absl::Status AnnounceRecorded(const orderplatform::v1::Envelope& cause, const LedgerEntry& entry,
                                size_t index, Batch* batch);
  absl::Status Refund(const PendingRefund& refund, Batch* batch);
  // OK after parking message `index` in the .dlq when `status` is its own fault; `status` when
  // it is an outage (the whole batch must come again).
  absl::Status ParkOrFail(size_t index, const absl::Status& status, Batch* batch);
  // Counts and logs a batch that fails for a retry; returns `status`.
  absl::Status FailBatch(const absl::Status& status, const Batch& batch);
  absl::StatusOr<const orderplatform::v1::PaymentBehavior*> BehaviorOf(Batch* batch);

  PaymentLedger* const ledger_;
  BehaviorStore* const behaviors_;
  PaymentHandlerOptions options_;
  kafka::EventMetrics events_;

  mutable absl::Mutex stats_mu_;
  PaymentHandlerStats stats_ ABSL_GUARDED_BY(stats_mu_);
};

// Exports the handler's counters as orderplatform_payment_<name>_total, read at scrape time.
// `handler` must outlive the returned handle.
[[nodiscard]] metrics::CollectorHandle ExportPaymentCounters(metrics::Registry* registry,
                                                             const PaymentEventHandler* handler);

// A payments.v1 message for `event` (key = order id).
kafka::OutgoingMessage PaymentMessage(const orderplatform::v1::PaymentEvent& event);

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_EVENT_HANDLER_H_
