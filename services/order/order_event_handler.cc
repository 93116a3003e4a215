#include "services/order/order_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "platform/tracing/traceparent.h"
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
  fact->traceparent = events::IncomingTraceparent(message, event.envelope());
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
  // 1. Parse every message into the fact it states.
  std::vector<Parsed> parsed(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const kafka::ConsumedMessage& message = batch[i];
    if (message.topic == events::kInventoryTopic) {
      parsed[i].fact =
          ParseFact<InventoryEvent>(message, &parsed[i].dead_letters, counters_, &parsed[i].type);
    } else if (message.topic == events::kPaymentsTopic) {
      parsed[i].fact =
          ParseFact<PaymentEvent>(message, &parsed[i].dead_letters, counters_, &parsed[i].type);
    }
  }
  // 2. Apply them all in one check-and-set; each projection is pure and sees the record as the
  // batch's earlier facts left it.
  const int64_t now_ms = options_.now_ms();
  std::vector<OrderStore::BatchUpdate> updates;
  std::vector<size_t> update_message;  // message index of each update
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!parsed[i].fact.has_value()) continue;
    Parsed* p = &parsed[i];
    updates.push_back(OrderStore::BatchUpdate{
        .order_id = p->fact->first,
        .decide = [p, now_ms](const OrderRecord& current)
            -> absl::StatusOr<std::optional<OrderStore::Change>> {
          p->projection = Project(current, p->fact->second, now_ms);
          if (!p->projection.write()) return std::optional<OrderStore::Change>();
          return OrderStore::Change{.record = p->projection.record,
                                    .append_history = true,
                                    .history_before = p->projection.implied_history};
        }});
    update_message.push_back(i);
  }
  absl::StatusOr<std::vector<absl::StatusOr<OrderRecord>>> stored = store_->UpdateBatch(updates);
  if (!stored.ok()) {  // UNAVAILABLE, ABORTED: the batch comes again
    for (size_t i : update_message) {
      events_.Record(batch[i].topic, parsed[i].type, kafka::EventOutcome::kRetried);
    }
    return stored.status();
  }

  // 3. Announce, in batch order.
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(batch.size());
  size_t next_update = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    for (kafka::OutgoingMessage& dead : parsed[i].dead_letters) out.push_back(std::move(dead));
    if (next_update >= update_message.size() || update_message[next_update] != i) {
      if (!parsed[i].type.empty()) {
        events_.Record(batch[i].topic, parsed[i].type,
                       parsed[i].dead_letters.empty() ? kafka::EventOutcome::kIgnored
                                                      : kafka::EventOutcome::kDeadLettered);
      }
      continue;
    }
    const absl::StatusOr<OrderRecord>& record = (*stored)[next_update++];
    const auto& [order_id, fact] = *parsed[i].fact;
    // Every line about this order carries its order id and trace id.
    log::ScopedContext context(
        {{"order_id", order_id}, {"trace_id", tracing::TraceIdOf(fact.traceparent)}});
    if (absl::IsNotFound(record.status())) {
      Increment(counters_->events_unknown_order);
      log::LogWarn("order_event_for_unknown_order",
                   {{"order_id", order_id}, {"event_id", fact.event_id}});
      events_.Record(batch[i].topic, parsed[i].type, kafka::EventOutcome::kIgnored);
      continue;
    }
    if (!record.ok()) {
      // Not an outage: this message can never be applied. Park it instead of blocking.
      Increment(counters_->dead_letters);
      log::LogError("order_handler_failed", {{"topic", batch[i].topic},
                                              {"partition", batch[i].partition},
                                              {"offset", batch[i].offset},
                                              {"key", batch[i].key},
                                              {"error", record.status().message()}});
      out.push_back(kafka::MakeDeadLetter(batch[i], record.status().message()));
      events_.Record(batch[i].topic, parsed[i].type, kafka::EventOutcome::kDeadLettered);
      continue;
    }
    events_.Record(batch[i].topic, parsed[i].type, OutcomeOf(parsed[i].projection.kind));
    std::optional<OrderEvent> outcome =
        Announce(order_id, fact, parsed[i].projection, *record);
    if (outcome.has_value()) out.push_back(OrdersMessage(*outcome));
  }
  return out;
}

std::optional<OrderEvent> OrderEventHandler::Announce(const std::string& order_id,
                                                      const StatusFact& fact,
                                                      const Projection& projection,
                                                      const OrderRecord& stored) {
  switch (projection.kind) {
    case Projection::Kind::kUnchanged:
      return std::nullopt;
    case Projection::Kind::kAdvanced:
      Increment(counters_->status_changes);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored.order.status())},
                    {"event_id", fact.event_id}});
      return std::nullopt;
    case Projection::Kind::kTerminated:
      Increment(counters_->status_changes);
      Increment(counters_->outcomes_announced);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored.order.status())},
                    {"cancel_reason",
                     orderplatform::v1::CancelReason_Name(stored.order.cancel_reason())},
                    {"event_id", fact.event_id}});
      return OutcomeEvent(stored, fact.traceparent);
    case Projection::Kind::kReannounced:
      Increment(counters_->outcomes_reannounced);
      return OutcomeEvent(stored, fact.traceparent);
    case Projection::Kind::kTerminalConflict:
      Increment(counters_->terminal_conflicts);
      log::LogWarn("order_terminal_conflict",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored.order.status())},
                    {"fact", orderplatform::v1::OrderStatus_Name(fact.status)},
                    {"event_id", fact.event_id}});
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace orderplatform::order
