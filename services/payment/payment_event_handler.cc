#include "services/payment/payment_event_handler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::Envelope;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::PaymentBehavior;
using orderplatform::v1::PaymentEvent;

void Merge(const PaymentHandlerStats& from, PaymentHandlerStats* into) {
#define OP_PAYMENT_COUNTER_ADD(name, help) into->name += from.name;
  OP_PAYMENT_HANDLER_COUNTERS(OP_PAYMENT_COUNTER_ADD)
#undef OP_PAYMENT_COUNTER_ADD
}

}  // namespace

void ForEachCounter(const PaymentHandlerStats& stats,
                    const std::function<void(const char*, const char*, int64_t)>& fn) {
#define OP_PAYMENT_COUNTER_VISIT(name, help) fn(#name, help, stats.name);
  OP_PAYMENT_HANDLER_COUNTERS(OP_PAYMENT_COUNTER_VISIT)
#undef OP_PAYMENT_COUNTER_VISIT
}

kafka::OutgoingMessage PaymentMessage(const PaymentEvent& event) {
  return events::EventMessage(events::kPaymentsTopic, event);
}

PaymentEventHandler::PaymentEventHandler(PaymentLedger* ledger, BehaviorStore* behaviors,
                                         PaymentHandlerOptions options)
    : ledger_(ledger),
      behaviors_(behaviors),
      options_(std::move(options)),
      events_(options_.metrics) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (!options_.sleep) options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
}

PaymentHandlerStats PaymentEventHandler::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> PaymentEventHandler::Handle(
    absl::Span<const kafka::ConsumedMessage> messages) {
  Batch batch{.messages = messages};
  batch.results.resize(messages.size());
  batch.types.resize(messages.size());
  batch.outcomes.resize(messages.size(), kafka::EventOutcome::kIgnored);
  // Runs of StockReserved are paid together (two round trips per run, not two per order); a
  // refund first completes the run before it, so every order sees its events in log order.
  std::vector<PendingPay> run;
  for (size_t i = 0; i < messages.size(); ++i) {
    std::optional<PendingPay> pay;
    std::optional<PendingRefund> refund;
    ParseOne(i, &batch, &pay, &refund);
    if (pay.has_value()) {
      run.push_back(*std::move(pay));
      continue;
    }
    if (!refund.has_value()) continue;
    if (absl::Status paid = PayAll(run, &batch); !paid.ok()) return FailBatch(paid, batch);
    run.clear();
    if (absl::Status refunded = Refund(*refund, &batch); !refunded.ok()) {
      return FailBatch(refunded, batch);
    }
  }
  if (absl::Status paid = PayAll(run, &batch); !paid.ok()) return FailBatch(paid, batch);

  for (size_t i = 0; i < messages.size(); ++i) {
    if (!batch.types[i].empty()) events_.Record(messages[i].topic, batch.types[i], batch.outcomes[i]);
  }
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(messages.size());
  for (std::vector<kafka::OutgoingMessage>& produced : batch.results) {
    for (kafka::OutgoingMessage& message : produced) out.push_back(std::move(message));
  }
  absl::MutexLock lock(&stats_mu_);
  Merge(batch.counts, &stats_);
  return out;
}

absl::Status PaymentEventHandler::FailBatch(const absl::Status& status, const Batch& batch) {
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    if (!batch.types[i].empty()) {
      events_.Record(batch.messages[i].topic, batch.types[i], kafka::EventOutcome::kRetried);
    }
  }
  // Retrying later can succeed; a dead letter would lose a payment decision for good.
  log::LogWarn("payment_batch_failed",
               {{"topic", batch.messages.front().topic},
                {"partition", batch.messages.front().partition},
                {"offset", batch.messages.front().offset},
                {"messages", static_cast<int64_t>(batch.messages.size())},
                {"error", status.ToString()}});
  absl::MutexLock lock(&stats_mu_);
  ++stats_.failed_batches;
  return status;
}

absl::Status PaymentEventHandler::ParkOrFail(size_t index, const absl::Status& status,
                                             Batch* batch) {
  if (status.ok()) return status;
  if (absl::IsUnavailable(status) || absl::IsAborted(status) || !batch->behavior_status.ok()) {
    return status;  // an outage: the whole batch comes again
  }
  // Not an outage: this message can never succeed. Park it instead of blocking the partition.
  const kafka::ConsumedMessage& message = batch->messages[index];
  log::ScopedContext context(
      {{"order_id", message.key},
       {"trace_id", tracing::TraceIdOf(tracing::TraceparentHeader(message.headers))}});
  log::LogError("payment_handler_failed", {{"topic", message.topic},
                                           {"partition", message.partition},
                                           {"offset", message.offset},
                                           {"key", message.key},
                                           {"error", status.message()}});
  batch->results[index].push_back(kafka::MakeDeadLetter(message, status.message()));
  ++batch->counts.dead_letters;
  batch->outcomes[index] = kafka::EventOutcome::kDeadLettered;
  return absl::OkStatus();
}

void PaymentEventHandler::ParseOne(size_t index, Batch* batch, std::optional<PendingPay>* pay,
                                   std::optional<PendingRefund>* refund) {
  const kafka::ConsumedMessage& message = batch->messages[index];
  if (message.topic != events::kInventoryTopic) {
    ++batch->counts.ignored;  // not subscribed by this service; nothing to decide
    return;
  }
  kafka::ParsedBatch<InventoryEvent> parsed = kafka::ParseBatchOrDeadLetter<InventoryEvent>(
      absl::MakeConstSpan(&message, 1), ValidateInventoryEvent);
  if (parsed.events.empty()) {
    batch->counts.dead_letters += static_cast<int64_t>(parsed.dead_letters.size());
    for (kafka::OutgoingMessage& dead : parsed.dead_letters) {
      batch->results[index].push_back(std::move(dead));
    }
    batch->types[index] = std::string(kafka::kInvalidEventType);
    batch->outcomes[index] = kafka::EventOutcome::kDeadLettered;
    return;
  }
  const InventoryEvent& event = parsed.events.front().event;
  batch->types[index] = events::EventType(event);
  // The answer continues the trace the consumed record carries.
  Envelope cause = event.envelope();
  cause.set_traceparent(events::IncomingTraceparent(message, cause));
  PaymentCommand command = DecideInventoryEvent(event);
  if (auto* p = std::get_if<PayCommand>(&command)) {
    *pay = PendingPay{.index = index, .cause = std::move(cause), .command = std::move(*p)};
  } else if (auto* r = std::get_if<RefundCommand>(&command)) {
    *refund = PendingRefund{.index = index, .cause = std::move(cause), .command = std::move(*r)};
  } else {
    ++batch->counts.ignored;
  }
}

absl::StatusOr<const PaymentBehavior*> PaymentEventHandler::BehaviorOf(Batch* batch) {
  if (!batch->behavior.has_value()) {
    absl::StatusOr<PaymentBehavior> loaded = behaviors_->Load();
    if (!loaded.ok()) {
      batch->behavior_status = loaded.status();
      return loaded.status();
    }
    batch->behavior = *std::move(loaded);
  }
  return &*batch->behavior;
}

absl::Status PaymentEventHandler::PayAll(const std::vector<PendingPay>& run, Batch* batch) {
  if (run.empty()) return absl::OkStatus();
  // A recorded decision is final, "no answer" included: answer from the ledger, without deciding
  // or waiting again, whatever the behavior is now.
  std::vector<std::string> order_ids;
  order_ids.reserve(run.size());
  for (const PendingPay& pay : run) order_ids.push_back(pay.command.order.order_id);
  absl::StatusOr<std::vector<absl::StatusOr<std::optional<LedgerEntry>>>> existing =
      ledger_->GetMany(order_ids);
  if (!existing.ok()) return existing.status();

  std::vector<LedgerEntry> proposed;
  std::vector<size_t> proposed_for;  // index into `run`
  for (size_t i = 0; i < run.size(); ++i) {
    const absl::StatusOr<std::optional<LedgerEntry>>& entry = (*existing)[i];
    if (!entry.ok() || entry->has_value()) continue;  // announced (or parked) below
    absl::StatusOr<const PaymentBehavior*> behavior = BehaviorOf(batch);
    if (!behavior.ok()) return behavior.status();  // no order can be decided: retry the batch
    const PaymentDecision decision = DecidePayment(**behavior, run[i].command.order);
    const bool answers = decision.answer != PaymentAnswer::kNoAnswer;
    if (answers && !batch->latency_served && decision.latency_ms > 0) {
      options_.sleep(absl::Milliseconds(decision.latency_ms));
    }
    batch->latency_served = batch->latency_served || answers;
    // "No answer" is recorded too: the reservation expires and its StockReleased finds nothing
    // to refund, and a replay after SetBehavior changed the rate finds the record instead of
    // deciding anew (which could pay an order that was cancelled long ago).
    proposed.push_back(ProposedEntry(run[i].command, decision, options_.now_ms()));
    proposed_for.push_back(i);
  }
  absl::StatusOr<std::vector<absl::StatusOr<RecordOutcome>>> recorded =
      ledger_->RecordDecisions(proposed);
  if (!recorded.ok()) return recorded.status();

  size_t next = 0;
  for (size_t i = 0; i < run.size(); ++i) {
    const PendingPay& pay = run[i];
    const absl::StatusOr<std::optional<LedgerEntry>>& entry = (*existing)[i];
    absl::Status status;
    if (!entry.ok()) {
      status = entry.status();
    } else if (entry->has_value()) {
      status = AnnounceRecorded(pay.cause, **entry, pay.index, batch);
    } else {
      status = Announce(pay, (*recorded)[next++], batch);
    }
    if (absl::Status failed = ParkOrFail(pay.index, status, batch); !failed.ok()) return failed;
  }
  return absl::OkStatus();
}

absl::Status PaymentEventHandler::Announce(const PendingPay& pay,
                                           const absl::StatusOr<RecordOutcome>& recorded,
                                           Batch* batch) {
  if (!recorded.ok()) return recorded.status();
  if (!recorded->recorded_now) {
    // Another instance, or a duplicate earlier in this batch, decided first; that decision stands.
    return AnnounceRecorded(pay.cause, recorded->entry, pay.index, batch);
  }
  const std::string& order_id = pay.command.order.order_id;
  log::ScopedContext context(
      {{"order_id", order_id}, {"trace_id", tracing::TraceIdOf(pay.cause.traceparent())}});
  batch->outcomes[pay.index] =
      recorded->entry.no_answer ? kafka::EventOutcome::kIgnored : kafka::EventOutcome::kApplied;
  if (recorded->entry.no_answer) {
    ++batch->counts.no_answer;
    log::LogInfo("payment_no_answer", {{"order_id", order_id}});
    return absl::OkStatus();
  }
  std::optional<PaymentEvent> event = DecisionEvent(pay.cause, recorded->entry);
  if (!event.has_value()) return absl::InternalError("ledger entry without a decision");
  if (recorded->entry.state == orderplatform::v1::DECLINED) {
    ++batch->counts.declined;
  } else {
    ++batch->counts.authorized;
  }
  log::LogInfo("payment_decided",
               {{"order_id", order_id},
                {"state", orderplatform::v1::PaymentState_Name(recorded->entry.state)},
                {"reason", recorded->entry.decline_reason}});
  batch->results[pay.index].push_back(PaymentMessage(*event));
  return absl::OkStatus();
}

absl::Status PaymentEventHandler::AnnounceRecorded(const Envelope& cause,
                                                  const LedgerEntry& entry, size_t index,
                                                  Batch* batch) {
  batch->outcomes[index] =
      entry.no_answer ? kafka::EventOutcome::kIgnored : kafka::EventOutcome::kDuplicate;
  if (entry.no_answer) {
    ++batch->counts.no_answer_kept;
    return absl::OkStatus();
  }
  std::optional<PaymentEvent> event = DecisionEvent(cause, entry);
  if (!event.has_value()) return absl::InternalError("ledger entry without a decision");
  ++batch->counts.reannounced;
  batch->results[index].push_back(PaymentMessage(*event));
  return absl::OkStatus();
}

absl::Status PaymentEventHandler::Refund(const PendingRefund& refund, Batch* batch) {
  const RefundCommand& command = refund.command;
  log::ScopedContext context({{"order_id", command.order_id},
                              {"trace_id", tracing::TraceIdOf(refund.cause.traceparent())}});
  absl::StatusOr<RefundOutcome> outcome = ledger_->Refund(command.order_id, options_.now_ms());
  if (!outcome.ok()) return ParkOrFail(refund.index, outcome.status(), batch);
  std::optional<PaymentEvent> event =
      outcome->entry.has_value() ? RefundEvent(refund.cause, *outcome->entry) : std::nullopt;
  if (!event.has_value()) {
    ++batch->counts.nothing_to_refund;
    return absl::OkStatus();  // outcome: ignored
  }
  // Announced again when it was REFUNDED already: a crash between the ledger write and the
  // produce is healed by the re-delivery, and the duplicate has the same event id.
  batch->outcomes[refund.index] =
      outcome->refunded_now ? kafka::EventOutcome::kApplied : kafka::EventOutcome::kDuplicate;
  if (outcome->refunded_now) {
    ++batch->counts.refunded;
    log::LogInfo("payment_refunded",
                 {{"order_id", command.order_id}, {"amount_cents", outcome->entry->amount_cents}});
  } else {
    ++batch->counts.refund_reannounced;
  }
  batch->results[refund.index].push_back(PaymentMessage(*event));
  return absl::OkStatus();
}

metrics::CollectorHandle ExportPaymentCounters(metrics::Registry* registry,
                                               const PaymentEventHandler* handler) {
  return registry->AddCollector([handler](std::vector<metrics::FamilySnapshot>* out) {
    ForEachCounter(handler->stats(), [out](const char* name, const char* help, int64_t value) {
      metrics::FamilySnapshot family{.name = absl::StrCat("orderplatform_payment_", name, "_total"),
                                     .help = help,
                                     .type = metrics::MetricType::kCounter};
      family.samples.push_back({.value = static_cast<double>(value)});
      out->push_back(std::move(family));
    });
  });
}

}  // namespace orderplatform::payment
