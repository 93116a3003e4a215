#include "services/inventory/inventory_event_handler.h"

#include <utility>

#include "absl/time/clock.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/log/log.h"
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
  return kafka::OutgoingMessage{.topic = events::kInventoryTopic,
                                .key = event.envelope().order_id(),
                                .value = event.SerializeAsString()};
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
  std::vector<kafka::OutgoingMessage> out;
  out.reserve(batch.size());
  for (const kafka::ConsumedMessage& message : batch) {
    HandledAs handled;
    absl::Status status = HandleOne(message, &out, &handled);
    if (absl::IsUnavailable(status)) {
      events_.Record(message.topic, handled.type, kafka::EventOutcome::kRetried);
      return status;
    }
    if (!status.ok()) {
      // Not an outage: this message can never succeed. Park it instead of blocking.
      log::LogError("inventory_handler_failed", {{"topic", message.topic},
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

absl::Status InventoryEventHandler::HandleOne(const kafka::ConsumedMessage& message,
                                              std::vector<kafka::OutgoingMessage>* out,
                                              HandledAs* handled) {
  const int64_t now_ms = options_.now_ms();
  InventoryCommand command;
  OrderEvent order_event;
  orderplatform::v1::Envelope cause;
  handled->type = std::string(kafka::kInvalidEventType);
  if (message.topic == events::kOrdersTopic) {
    std::optional<OrderEvent> event = ParseOrDeadLetter<OrderEvent>(message, out);
    if (!event.has_value()) {
      handled->outcome = kafka::EventOutcome::kDeadLettered;
      return absl::OkStatus();
    }
    order_event = *std::move(event);
    handled->type = events::EventType(order_event);
    cause = order_event.envelope();
    command = DecideOrderEvent(order_event);
  } else if (message.topic == events::kPaymentsTopic) {
    std::optional<PaymentEvent> event = ParseOrDeadLetter<PaymentEvent>(message, out);
    if (!event.has_value()) {
      handled->outcome = kafka::EventOutcome::kDeadLettered;
      return absl::OkStatus();
    }
    handled->type = events::EventType(*event);
    cause = event->envelope();
    command = DecidePaymentEvent(*event);
  } else {
    handled->type.clear();
    return absl::OkStatus();  // not subscribed; nothing to do
  }

  if (const auto* reserve = std::get_if<ReserveCommand>(&command)) {
    const int64_t deadline_ms = now_ms + absl::ToInt64Milliseconds(options_.reservation_ttl);
    absl::StatusOr<ReserveOutcome> outcome =
        store_->Reserve(reserve->order_id, reserve->lines, now_ms, deadline_ms);
    if (!outcome.ok()) return outcome.status();
    // reserve.lua answers a replay with the stored reservation, made at another time. It does
    // not say whether a rejection is new, so a replayed rejection counts as applied again.
    handled->outcome = outcome->reserved && outcome->reserved_at_ms != now_ms
                           ? kafka::EventOutcome::kDuplicate
                           : kafka::EventOutcome::kApplied;
    out->push_back(InventoryMessage(ReserveOutcomeEvent(order_event, *reserve, *outcome, now_ms)));
    return absl::OkStatus();
  }
  absl::StatusOr<CloseOutcome> outcome;
  if (const auto* commit = std::get_if<CommitCommand>(&command)) {
    outcome = store_->Commit(commit->order_id, now_ms);
  } else if (const auto* release = std::get_if<ReleaseCommand>(&command)) {
    outcome = store_->Release(release->order_id, release->reason, now_ms);
  } else {
    handled->outcome = kafka::EventOutcome::kIgnored;
    return absl::OkStatus();  // a valid event this service does not act on
  }
  if (!outcome.ok()) return outcome.status();
  const bool nothing_to_close = outcome->kind == CloseOutcome::Kind::kNotFound ||
                                outcome->kind == CloseOutcome::Kind::kRejected;
  handled->outcome = nothing_to_close      ? kafka::EventOutcome::kIgnored
                     : outcome->changed_now ? kafka::EventOutcome::kApplied
                                            : kafka::EventOutcome::kDuplicate;
  std::optional<InventoryEvent> event = CloseOutcomeEvent(cause, *outcome, now_ms);
  if (event.has_value()) out->push_back(InventoryMessage(*event));
  return absl::OkStatus();
}

}  // namespace orderplatform::inventory
