#include "services/inventory/inventory_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "platform/tracing/traceparent.h"
#include "services/inventory/inventory_decisions.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

// Parses one message as `Event`; on failure appends its dead letter to `out`.
template <typename Event>
std::optional<Event> ParseOrDeadLetter(const kafka::ConsumedMessage& message,
                                       std::vector<kafka::OutgoingMessage>* out) {
  kafka::ParsedBatch<Event> parsed = kafka::ParseBatchOrDeadLetter<Event>(
      absl::MakeConstSpan(&message, 1),
      [](const Event& event) { return events::ValidateEvent(event); });
  if (parsed.events.empty()) {
    for (auto& dead : parsed.dead_letters) out->push_back(std::move(dead));
    return std::nullopt;
  }
  return std::move(parsed.events.front().event);
}

}  // namespace

kafka::OutgoingMessage InventoryMessage(const InventoryEvent& event) {
  return events::EventMessage(events::kInventoryTopic, event);
}

InventoryEventHandler::InventoryEventHandler(ReservationStore* store,
                                             InventoryHandlerOptions options)
    : store_(store), options_(std::move(options)), events_(options_.metrics) {
  if (!options_.now_ms) {
    options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  }
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> InventoryEventHandler::Handle(
    absl::Span<const kafka::ConsumedMessage> batch) {
  // 1. Parse and decide every message (pure), collecting the store ops in batch order.
  std::vector<Decided> decided;
  decided.reserve(batch.size());
  std::vector<ReservationOp> ops;
  ops.reserve(batch.size());
  for (const kafka::ConsumedMessage& message : batch) {
    decided.push_back(Decide(message, &ops));
  }
  // 2. Run them all: a few round trips per batch instead of one or two per message.
  absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> outcomes = store_->RunBatch(ops);
  if (!outcomes.ok()) {  // an outage: the consumer re-delivers the batch
    for (size_t i = 0; i < batch.size(); ++i) {
      if (decided[i].op >= 0) {
        events_.Record(batch[i].topic, decided[i].type, kafka::EventOutcome::kRetried);
      }
    }
    return outcomes.status();
  }
  // 3. Announce each outcome (pure), in batch order.
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Decided& d = decided[i];
    for (kafka::OutgoingMessage& dead : d.dead_letters) out.push_back(std::move(dead));
    // Every line about this message's order carries its order id and trace id.
    log::ScopedContext context({{"order_id", d.cause.order_id()},
                                {"trace_id", tracing::TraceIdOf(d.cause.traceparent())}});
    if (d.op < 0) {
      if (!d.dead_letters.empty()) {
        events_.Record(batch[i].topic, kafka::kInvalidEventType, kafka::EventOutcome::kDeadLettered);
      } else if (!d.type.empty()) {
        events_.Record(batch[i].topic, d.type, kafka::EventOutcome::kIgnored);
      }
      continue;
    }
    const absl::StatusOr<ReservationOutcome>& outcome = (*outcomes)[d.op];
    if (!outcome.ok()) {
      events_.Record(batch[i].topic, d.type, kafka::EventOutcome::kDeadLettered);
      // Not an outage: this message can never succeed. Park it instead of blocking.
      log::LogError("inventory_handler_failed", {{"topic", batch[i].topic},
                                                  {"offset", batch[i].offset},
                                                  {"key", batch[i].key},
                                                  {"error", outcome.status().message()}});
      out.push_back(kafka::MakeDeadLetter(batch[i], outcome.status().message()));
      continue;
    }
    const ReservationOp& op = ops[d.op];
    if (const auto* reserved = std::get_if<ReserveOutcome>(&*outcome)) {
      const ReserveCommand& reserve = std::get<ReserveCommand>(d.command);
      // reserve.lua answers a replay with the stored reservation, made at another time. It does
      // not say whether a rejection is new, so a replayed rejection counts as applied again.
      events_.Record(batch[i].topic, d.type,
                     reserved->reserved && reserved->reserved_at_ms != op.now_ms
                         ? kafka::EventOutcome::kDuplicate
                         : kafka::EventOutcome::kApplied);
      const InventoryEvent event = ReserveOutcomeEvent(d.order_event, reserve, *reserved, op.now_ms);
      log::LogDebug("inventory_announced", {{"event_type", events::EventType(event)},
                                            {"cause", d.cause.event_id()}});
      out.push_back(InventoryMessage(event));
    } else {
      const CloseOutcome& closed = std::get<CloseOutcome>(*outcome);
      const bool nothing_to_close = closed.kind == CloseOutcome::Kind::kNotFound ||
                                    closed.kind == CloseOutcome::Kind::kRejected;
      events_.Record(batch[i].topic, d.type,
                     nothing_to_close      ? kafka::EventOutcome::kIgnored
                     : closed.changed_now ? kafka::EventOutcome::kApplied
                                          : kafka::EventOutcome::kDuplicate);
      std::optional<InventoryEvent> event = CloseOutcomeEvent(d.cause, closed, op.now_ms);
      if (!event.has_value()) continue;
      log::LogDebug("inventory_announced",
                    {{"event_type", events::EventType(*event)},
                     {"cause", d.cause.event_id()},
                     {"changed_now", closed.changed_now ? "true" : "false"}});
      out.push_back(InventoryMessage(*event));
    }
  }
  return out;
}

InventoryEventHandler::Decided InventoryEventHandler::Decide(
    const kafka::ConsumedMessage& message, std::vector<ReservationOp>* ops) {
  Decided d;
  const int64_t now_ms = options_.now_ms();
  if (message.topic == events::kOrdersTopic) {
    std::optional<OrderEvent> event = ParseOrDeadLetter<OrderEvent>(message, &d.dead_letters);
    if (!event.has_value()) return d;
    d.order_event = *std::move(event);
    d.type = events::EventType(d.order_event);
    // The trace the reactions continue: the header's, else the envelope's copy.
    d.order_event.mutable_envelope()->set_traceparent(
        events::IncomingTraceparent(message, d.order_event.envelope()));
    d.cause = d.order_event.envelope();
    d.command = DecideOrderEvent(d.order_event);
  } else if (message.topic == events::kPaymentsTopic) {
    std::optional<PaymentEvent> event = ParseOrDeadLetter<PaymentEvent>(message, &d.dead_letters);
    if (!event.has_value()) return d;
    d.type = events::EventType(*event);
    d.cause = event->envelope();
    d.cause.set_traceparent(events::IncomingTraceparent(message, d.cause));
    d.command = DecidePaymentEvent(*event);
  } else {
    return d;  // not subscribed; nothing to do
  }

  ReservationOp op{.now_ms = now_ms};
  if (const auto* reserve = std::get_if<ReserveCommand>(&d.command)) {
    op.kind = ReservationOp::Kind::kReserve;
    op.order_id = reserve->order_id;
    op.lines = reserve->lines;
    op.traceparent = d.cause.traceparent();
    op.deadline_ms = now_ms + absl::ToInt64Milliseconds(options_.reservation_ttl);
  } else if (const auto* commit = std::get_if<CommitCommand>(&d.command)) {
    op.kind = ReservationOp::Kind::kCommit;
    op.order_id = commit->order_id;
  } else if (const auto* release = std::get_if<ReleaseCommand>(&d.command)) {
    op.kind = ReservationOp::Kind::kRelease;
    op.order_id = release->order_id;
    op.reason = release->reason;
  } else {
    return d;  // a valid event this service does not act on
  }
  d.op = static_cast<int>(ops->size());
  ops->push_back(std::move(op));
  return d;
}

}  // namespace orderplatform::inventory
