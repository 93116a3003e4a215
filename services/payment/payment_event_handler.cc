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
    : ledger_(ledger), behaviors_(behaviors), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (!options_.sleep) options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
}

PaymentHandlerStats PaymentEventHandler::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> PaymentEventHandler::Handle(
    absl::Span<const kafka::ConsumedMessage> batch) {
  Batch state;
  state.out.reserve(batch.size());
  for (const kafka::ConsumedMessage& message : batch) {
    // Every line about this record names its order (the key) and the trace of its header, also
    // when the value turns out not to parse; the handler narrows the trace once it has parsed.
    log::ScopedContext context(
        {{"order_id", message.key},
         {"trace_id", tracing::TraceIdOf(tracing::TraceparentHeader(message.headers))}});
    absl::Status status = HandleOne(message, &state);
    if (status.ok()) continue;
    if (absl::IsUnavailable(status) || absl::IsAborted(status) || !state.behavior_status.ok()) {
      // Retrying later can succeed; a dead letter would lose a payment decision for good.
      log::LogWarn("payment_batch_failed", {{"topic", message.topic},
                                            {"partition", message.partition},
                                            {"offset", message.offset},
                                            {"error", status.ToString()}});
      absl::MutexLock lock(&stats_mu_);
      ++stats_.failed_batches;
      return status;
    }
    // Not an outage: this message can never succeed. Park it instead of blocking the partition.
    log::LogError("payment_handler_failed", {{"topic", message.topic},
                                             {"partition", message.partition},
                                             {"offset", message.offset},
                                             {"key", message.key},
                                             {"error", status.message()}});
    state.out.push_back(kafka::MakeDeadLetter(message, status.message()));
    ++state.counts.dead_letters;
  }
  absl::MutexLock lock(&stats_mu_);
  Merge(state.counts, &stats_);
  return std::move(state.out);
}

absl::Status PaymentEventHandler::HandleOne(const kafka::ConsumedMessage& message, Batch* batch) {
  if (message.topic != events::kInventoryTopic) {
    ++batch->counts.ignored;  // not subscribed by this service; nothing to decide
    return absl::OkStatus();
  }
  kafka::ParsedBatch<InventoryEvent> parsed = kafka::ParseBatchOrDeadLetter<InventoryEvent>(
      absl::MakeConstSpan(&message, 1), ValidateInventoryEvent);
  if (parsed.events.empty()) {
    batch->counts.dead_letters += static_cast<int64_t>(parsed.dead_letters.size());
    for (kafka::OutgoingMessage& dead : parsed.dead_letters) batch->out.push_back(std::move(dead));
    return absl::OkStatus();
  }
  const InventoryEvent& event = parsed.events.front().event;
  // The answer continues the trace the consumed record carries.
  Envelope cause = event.envelope();
  cause.set_traceparent(events::IncomingTraceparent(message, cause));
  log::ScopedContext context(
      {{"order_id", cause.order_id()}, {"trace_id", tracing::TraceIdOf(cause.traceparent())}});
  PaymentCommand command = DecideInventoryEvent(event);
  if (const auto* pay = std::get_if<PayCommand>(&command)) {
    return Pay(cause, *pay, batch);
  }
  if (const auto* refund = std::get_if<RefundCommand>(&command)) {
    return Refund(cause, *refund, batch);
  }
  ++batch->counts.ignored;
  return absl::OkStatus();
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

absl::Status PaymentEventHandler::Pay(const Envelope& cause, const PayCommand& command,
                                      Batch* batch) {
  const std::string& order_id = command.order.order_id;
  // A recorded decision is final: answer from the ledger, without deciding or waiting again.
  absl::StatusOr<std::optional<LedgerEntry>> existing = ledger_->Get(order_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    std::optional<PaymentEvent> event = DecisionEvent(cause, **existing);
    if (!event.has_value()) return absl::InternalError("ledger entry without a decision");
    ++batch->counts.reannounced;
    batch->out.push_back(PaymentMessage(*event));
    return absl::OkStatus();
  }

  absl::StatusOr<const PaymentBehavior*> behavior = BehaviorOf(batch);
  if (!behavior.ok()) return behavior.status();
  const PaymentDecision decision = DecidePayment(**behavior, command.order);
  if (decision.answer == PaymentAnswer::kNoAnswer) {
    // Nothing recorded: the reservation expires, and its StockReleased finds nothing to refund.
    ++batch->counts.no_answer;
    log::LogInfo("payment_no_answer", {{"order_id", order_id}});
    return absl::OkStatus();
  }
  if (!batch->latency_served && decision.latency_ms > 0) {
    options_.sleep(absl::Milliseconds(decision.latency_ms));
  }
  batch->latency_served = true;

  absl::StatusOr<RecordOutcome> recorded =
      ledger_->RecordDecision(ProposedEntry(command, decision, options_.now_ms()));
  if (!recorded.ok()) return recorded.status();
  std::optional<PaymentEvent> event = DecisionEvent(cause, recorded->entry);
  if (!event.has_value()) return absl::InternalError("ledger entry without a decision");
  if (!recorded->recorded_now) {
    ++batch->counts.reannounced;  // another instance decided first; its decision stands
  } else if (recorded->entry.state == orderplatform::v1::DECLINED) {
    ++batch->counts.declined;
  } else {
    ++batch->counts.authorized;
  }
  log::LogInfo("payment_decided",
               {{"order_id", order_id},
                {"answer", PaymentAnswerName(decision.answer)},
                {"state", orderplatform::v1::PaymentState_Name(recorded->entry.state)},
                {"reason", recorded->entry.decline_reason},
                {"recorded_now", recorded->recorded_now ? "true" : "false"}});
  batch->out.push_back(PaymentMessage(*event));
  return absl::OkStatus();
}

absl::Status PaymentEventHandler::Refund(const Envelope& cause, const RefundCommand& command,
                                         Batch* batch) {
  absl::StatusOr<RefundOutcome> outcome = ledger_->Refund(command.order_id, options_.now_ms());
  if (!outcome.ok()) return outcome.status();
  std::optional<PaymentEvent> event =
      outcome->entry.has_value() ? RefundEvent(cause, *outcome->entry) : std::nullopt;
  if (!event.has_value()) {
    ++batch->counts.nothing_to_refund;
    return absl::OkStatus();
  }
  // Announced again when it was REFUNDED already: a crash between the ledger write and the
  // produce is healed by the re-delivery, and the duplicate has the same event id.
  if (outcome->refunded_now) {
    ++batch->counts.refunded;
    log::LogInfo("payment_refunded",
                 {{"order_id", command.order_id}, {"amount_cents", outcome->entry->amount_cents}});
  } else {
    ++batch->counts.refund_reannounced;
  }
  batch->out.push_back(PaymentMessage(*event));
  return absl::OkStatus();
}

}  // namespace orderplatform::payment
