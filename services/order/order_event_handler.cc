#include "services/order/order_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

// The fact one message states, with its order id. nullopt: nothing to apply (a dead letter was
// appended to `out`, or the event does not move a status). `type` is set to the event's type
// (kafka::kInvalidEventType for a dead letter).
template <typename Event>
std::optional<std::pair<std::string, StatusFact>> ParseFact(
    const kafka::ConsumedMessage& message, std::vector<kafka::OutgoingMessage>* out,
    OrderCounters* counters, std::string* type) {
  kafka::ParsedBatch<Event> parsed = kafka::ParseBatchOrDeadLetter<Event>(
      absl::MakeConstSpan(&message, 1),
      [](const Event& event) { return events::ValidateEvent(event); });
  if (parsed.events.empty()) {
    Increment(counters->dead_letters, static_cast<int64_t>(parsed.dead_letters.size()));
    for (kafka::OutgoingMessage& dead : parsed.dead_letters) out->push_back(std::move(dead));
    *type = std::string(kafka::kInvalidEventType);
    return std::nullopt;
  }
  const Event& event = parsed.events.front().event;
  *type = events::EventType(event);
  std::optional<StatusFact> fact = FactOf(event);
  if (!fact.has_value()) return std::nullopt;
  return std::make_pair(event.envelope().order_id(), *std::move(fact));
}

// The outcome label of what the projection did with a fact.
kafka::EventOutcome OutcomeOf(Projection::Kind kind) {
  switch (kind) {
    case Projection::Kind::kAdvanced:
    case Projection::Kind::kTerminated:
      return kafka::EventOutcome::kApplied;
    case Projection::Kind::kUnchanged:
    case Projection::Kind::kReannounced:
      return kafka::EventOutcome::kDuplicate;
    case Projection::Kind::kTerminalConflict:
      return kafka::EventOutcome::kIgnored;
  }
  return kafka::EventOutcome::kIgnored;
}

}  // namespace

OrderEventHandler::OrderEventHandler(OrderStore* store, OrderCounters* counters,
                                     OrderHandlerOptions options)
    : store_(store), counters_(counters), options_(std::move(options)), events_(options_.metrics) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> OrderEventHandler::Handle(
    absl::Span<const kafka::ConsumedMessage> batch) {
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(batch.size());
  for (const kafka::ConsumedMessage& message : batch) {
    HandledAs handled;
    absl::Status status = HandleOne(message, &out, &handled);
    if (absl::IsUnavailable(status) || absl::IsAborted(status)) {
      events_.Record(message.topic, handled.type, kafka::EventOutcome::kRetried);
      return status;
    }
    if (!status.ok()) {
      // Not an outage: this message can never be applied. Park it instead of blocking.
      Increment(counters_->dead_letters);
      log::LogError("order_handler_failed", {{"topic", message.topic},
                                              {"partition", message.partition},
                                              {"offset", message.offset},
                                              {"key", message.key},
                                              {"error", status.message()}});
      out.push_back(kafka::MakeDeadLetter(message, status.message()));
      handled.outcome = kafka::EventOutcome::kDeadLettered;
    }
    events_.Record(message.topic, handled.type, handled.outcome);
  }
  return out;
}

absl::Status OrderEventHandler::HandleOne(const kafka::ConsumedMessage& message,
                                          std::vector<kafka::OutgoingMessage>* out,
                                          HandledAs* handled) {
  std::optional<std::pair<std::string, StatusFact>> fact;
  if (message.topic == events::kInventoryTopic) {
    fact = ParseFact<InventoryEvent>(message, out, counters_, &handled->type);
  } else if (message.topic == events::kPaymentsTopic) {
    fact = ParseFact<PaymentEvent>(message, out, counters_, &handled->type);
  }
  if (!fact.has_value()) {
    handled->outcome = handled->type == kafka::kInvalidEventType
                           ? kafka::EventOutcome::kDeadLettered
                           : kafka::EventOutcome::kIgnored;
    return absl::OkStatus();
  }

  absl::StatusOr<Applied> applied = ApplyFact(fact->first, fact->second);
  if (absl::IsNotFound(applied.status())) {
    Increment(counters_->events_unknown_order);
    log::LogWarn("order_event_for_unknown_order", {{"order_id", fact->first},
                                                   {"event_id", fact->second.event_id}});
    handled->outcome = kafka::EventOutcome::kIgnored;
    return absl::OkStatus();
  }
  if (!applied.ok()) return applied.status();
  handled->outcome = OutcomeOf(applied->kind);
  if (applied->outcome.has_value()) out->push_back(OrdersMessage(*applied->outcome));
  return absl::OkStatus();
}

absl::StatusOr<OrderEventHandler::Applied> OrderEventHandler::ApplyFact(
    const std::string& order_id, const StatusFact& fact) {
  const int64_t now_ms = options_.now_ms();
  Projection projection;  // of the attempt that succeeded: the last one that ran
  absl::StatusOr<OrderRecord> stored = store_->Update(
      order_id,
      [&](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
        projection = Project(current, fact, now_ms);
        if (!projection.write()) return std::optional<OrderStore::Change>();
        return OrderStore::Change{.record = projection.record,
                                  .append_history = true,
                                  .history_before = projection.implied_history};
      });
  if (!stored.ok()) return stored.status();

  switch (projection.kind) {
    case Projection::Kind::kUnchanged:
      return Applied{.kind = projection.kind};
    case Projection::Kind::kAdvanced:
      Increment(counters_->status_changes);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"event_id", fact.event_id}});
      return Applied{.kind = projection.kind};
    case Projection::Kind::kTerminated:
      Increment(counters_->status_changes);
      Increment(counters_->outcomes_announced);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"cancel_reason",
                     orderplatform::v1::CancelReason_Name(stored->order.cancel_reason())},
                    {"event_id", fact.event_id}});
      return Applied{.kind = projection.kind, .outcome = OutcomeEvent(*stored)};
    case Projection::Kind::kReannounced:
      Increment(counters_->outcomes_reannounced);
      return Applied{.kind = projection.kind, .outcome = OutcomeEvent(*stored)};
    case Projection::Kind::kTerminalConflict:
      Increment(counters_->terminal_conflicts);
      log::LogWarn("order_terminal_conflict",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"fact", orderplatform::v1::OrderStatus_Name(fact.status)},
                    {"event_id", fact.event_id}});
      return Applied{.kind = projection.kind};
  }
  return Applied{.kind = projection.kind};
}

}  // namespace orderplatform::order
