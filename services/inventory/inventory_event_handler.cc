#include "services/inventory/inventory_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "platform/tracing/trace_headers.h"
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
    : store_(store), options_(std::move(options)) {
  if (!options_.now_ms) {
    options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  }
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> InventoryEventHandler::Handle(
    absl::Span<const kafka::ConsumedMessage> batch) {
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(batch.size());
  for (const kafka::ConsumedMessage& message : batch) {
    // Every line about this record names its order (the key) and the trace of its header, also
    // when the value turns out not to parse; the handler narrows the trace once it has parsed.
    log::ScopedContext context(
        {{"order_id", message.key},
         {"trace_id", tracing::TraceIdOf(tracing::TraceparentHeader(message.headers))}});
    absl::Status status = HandleOne(message, &out);
    if (absl::IsUnavailable(status)) return status;
    if (!status.ok()) {
      // Not an outage: this message can never succeed. Park it instead of blocking.
      log::LogError("inventory_handler_failed", {{"topic", message.topic},
                                                  {"offset", message.offset},
                                                  {"key", message.key},
                                                  {"error", status.message()}});
      out.push_back(kafka::MakeDeadLetter(message, status.message()));
    }
  }
  return out;
}

absl::Status InventoryEventHandler::HandleOne(const kafka::ConsumedMessage& message,
                                              std::vector<kafka::OutgoingMessage>* out) {
  const int64_t now_ms = options_.now_ms();
  InventoryCommand command;
  OrderEvent order_event;
  orderplatform::v1::Envelope cause;
  if (message.topic == events::kOrdersTopic) {
    std::optional<OrderEvent> event = ParseOrDeadLetter<OrderEvent>(message, out);
    if (!event.has_value()) return absl::OkStatus();
    order_event = *std::move(event);
    order_event.mutable_envelope()->set_traceparent(
        events::IncomingTraceparent(message, order_event.envelope()));
    cause = order_event.envelope();
    command = DecideOrderEvent(order_event);
  } else if (message.topic == events::kPaymentsTopic) {
    std::optional<PaymentEvent> event = ParseOrDeadLetter<PaymentEvent>(message, out);
    if (!event.has_value()) return absl::OkStatus();
    cause = event->envelope();
    cause.set_traceparent(events::IncomingTraceparent(message, cause));
    command = DecidePaymentEvent(*event);
  } else {
    return absl::OkStatus();  // not subscribed; nothing to do
  }
  log::ScopedContext context(
      {{"order_id", cause.order_id()}, {"trace_id", tracing::TraceIdOf(cause.traceparent())}});

  if (const auto* reserve = std::get_if<ReserveCommand>(&command)) {
    const int64_t deadline_ms = now_ms + absl::ToInt64Milliseconds(options_.reservation_ttl);
    absl::StatusOr<ReserveOutcome> outcome = store_->Reserve(
        reserve->order_id, reserve->lines, now_ms, deadline_ms, cause.traceparent());
    if (!outcome.ok()) return outcome.status();
    const InventoryEvent event = ReserveOutcomeEvent(order_event, *reserve, *outcome, now_ms);
    log::LogInfo("inventory_announced", {{"event_type", events::EventType(event)},
                                         {"cause", cause.event_id()}});
    out->push_back(InventoryMessage(event));
    return absl::OkStatus();
  }
  absl::StatusOr<CloseOutcome> outcome;
  if (const auto* commit = std::get_if<CommitCommand>(&command)) {
    outcome = store_->Commit(commit->order_id, now_ms);
  } else if (const auto* release = std::get_if<ReleaseCommand>(&command)) {
    outcome = store_->Release(release->order_id, release->reason, now_ms);
  } else {
    return absl::OkStatus();  // a valid event this service does not act on
  }
  if (!outcome.ok()) return outcome.status();
  std::optional<InventoryEvent> event = CloseOutcomeEvent(cause, *outcome, now_ms);
  if (!event.has_value()) return absl::OkStatus();
  log::LogInfo("inventory_announced", {{"event_type", events::EventType(*event)},
                                       {"cause", cause.event_id()},
                                       {"changed_now", outcome->changed_now ? "true" : "false"}});
  out->push_back(InventoryMessage(*event));
  return absl::OkStatus();
}

}  // namespace orderplatform::inventory
