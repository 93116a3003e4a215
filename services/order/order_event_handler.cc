#include "services/order/order_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::PaymentEvent;

// The fact one message states, with its order id. nullopt: nothing to apply (a dead letter was
// appended to `out`, or the event does not move a status).
template <typename Event>
std::optional<std::pair<std::string, StatusFact>> ParseFact(
    const kafka::ConsumedMessage& message, std::vector<kafka::OutgoingMessage>* out,
    OrderCounters* counters) {
  kafka::ParsedBatch<Event> parsed = kafka::ParseBatchOrDeadLetter<Event>(
      absl::MakeConstSpan(&message, 1),
      [](const Event& event) { return events::ValidateEvent(event); });
  if (parsed.events.empty()) {
    Increment(counters->dead_letters, static_cast<int64_t>(parsed.dead_letters.size()));
    for (kafka::OutgoingMessage& dead : parsed.dead_letters) out->push_back(std::move(dead));
    return std::nullopt;
  }
  const Event& event = parsed.events.front().event;
  std::optional<StatusFact> fact = FactOf(event);
  if (!fact.has_value()) return std::nullopt;
  fact->traceparent = events::IncomingTraceparent(message, event.envelope());
  return std::make_pair(event.envelope().order_id(), *std::move(fact));
}

}  // namespace

OrderEventHandler::OrderEventHandler(OrderStore* store, OrderCounters* counters,
                                     OrderHandlerOptions options)
    : store_(store), counters_(counters), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
}

absl::StatusOr<std::vector<kafka::OutgoingMessage>> OrderEventHandler::Handle(
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
    if (absl::IsUnavailable(status) || absl::IsAborted(status)) return status;
    if (!status.ok()) {
      // Not an outage: this message can never be applied. Park it instead of blocking.
      Increment(counters_->dead_letters);
      log::LogError("order_handler_failed", {{"topic", message.topic},
                                              {"partition", message.partition},
                                              {"offset", message.offset},
                                              {"key", message.key},
                                              {"error", status.message()}});
      out.push_back(kafka::MakeDeadLetter(message, status.message()));
    }
  }
  return out;
}

absl::Status OrderEventHandler::HandleOne(const kafka::ConsumedMessage& message,
                                          std::vector<kafka::OutgoingMessage>* out) {
  std::optional<std::pair<std::string, StatusFact>> fact;
  if (message.topic == events::kInventoryTopic) {
    fact = ParseFact<InventoryEvent>(message, out, counters_);
  } else if (message.topic == events::kPaymentsTopic) {
    fact = ParseFact<PaymentEvent>(message, out, counters_);
  }
  if (!fact.has_value()) return absl::OkStatus();

  log::ScopedContext context({{"order_id", fact->first},
                              {"trace_id", tracing::TraceIdOf(fact->second.traceparent)}});
  absl::StatusOr<std::optional<OrderEvent>> outcome = ApplyFact(fact->first, fact->second);
  if (absl::IsNotFound(outcome.status())) {
    Increment(counters_->events_unknown_order);
    log::LogWarn("order_event_for_unknown_order", {{"order_id", fact->first},
                                                   {"event_id", fact->second.event_id}});
    return absl::OkStatus();
  }
  if (!outcome.ok()) return outcome.status();
  if (outcome->has_value()) out->push_back(OrdersMessage(**outcome));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<OrderEvent>> OrderEventHandler::ApplyFact(const std::string& order_id,
                                                                       const StatusFact& fact) {
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
      return std::optional<OrderEvent>();
    case Projection::Kind::kAdvanced:
      Increment(counters_->status_changes);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"event_id", fact.event_id}});
      return std::optional<OrderEvent>();
    case Projection::Kind::kTerminated:
      Increment(counters_->status_changes);
      Increment(counters_->outcomes_announced);
      log::LogInfo("order_status_changed",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"cancel_reason",
                     orderplatform::v1::CancelReason_Name(stored->order.cancel_reason())},
                    {"event_id", fact.event_id}});
      return std::optional<OrderEvent>(OutcomeEvent(*stored, fact.traceparent));
    case Projection::Kind::kReannounced:
      Increment(counters_->outcomes_reannounced);
      return std::optional<OrderEvent>(OutcomeEvent(*stored, fact.traceparent));
    case Projection::Kind::kTerminalConflict:
      Increment(counters_->terminal_conflicts);
      log::LogWarn("order_terminal_conflict",
                   {{"order_id", order_id},
                    {"status", orderplatform::v1::OrderStatus_Name(stored->order.status())},
                    {"fact", orderplatform::v1::OrderStatus_Name(fact.status)},
                    {"event_id", fact.event_id}});
      return std::optional<OrderEvent>();
  }
  return std::optional<OrderEvent>();
}

}  // namespace orderplatform::order
