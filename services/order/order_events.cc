#include "services/order/order_events.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "platform/events/envelope.h"
#include "platform/events/event_message.h"
#include "platform/events/topics.h"
#include "platform/log/log.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::OrderEvent;

OrderEvent WithEnvelope(const OrderRecord& record, absl::string_view event_type,
                        int64_t occurred_at_ms, absl::string_view causation_id,
                        absl::string_view traceparent) {
  OrderEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({
      .order_id = record.order.order_id(),
      .event_type = std::string(event_type),
      .correlation_id = record.order.order_id(),
      .causation_id = std::string(causation_id),
      .producer = kProducerName,
      .occurred_at_ms = occurred_at_ms,
      .traceparent = std::string(traceparent),
  });
  return event;
}

}  // namespace

OrderEvent OrderPlacedEvent(const OrderRecord& record) {
  const orderplatform::v1::Order& order = record.order;
  OrderEvent event =
      WithEnvelope(record, kOrderPlaced, order.created_at_ms(), "", record.traceparent);
  orderplatform::v1::OrderPlaced* placed = event.mutable_order_placed();
  placed->set_customer_id(order.customer_id());
  *placed->mutable_lines() = order.lines();
  placed->set_amount_cents(order.amount_cents());
  placed->set_currency(order.currency());
  placed->set_request_id(order.request_id());
  return event;
}

OrderEvent CancellationRequestedEvent(const OrderRecord& record) {
  OrderEvent event = WithEnvelope(record, kOrderCancellationRequested,
                                  record.cancellation_requested_at_ms, "", record.traceparent);
  event.mutable_order_cancellation_requested();
  return event;
}

OrderEvent OutcomeEvent(const OrderRecord& record, absl::string_view cause_traceparent) {
  const orderplatform::v1::Order& order = record.order;
  if (!IsTerminal(order.status())) {
    // Only the projection calls this, right after it decided the order is terminal.
    log::LogError("order_outcome_of_open_order", {{"order_id", order.order_id()},
                                                  {"status", order.status()}});
    std::abort();
  }
  const absl::string_view traceparent =
      tracing::FirstValid({cause_traceparent, record.traceparent});
  if (order.status() == orderplatform::v1::CONFIRMED) {
    OrderEvent event = WithEnvelope(record, kOrderConfirmed, order.updated_at_ms(),
                                    record.outcome_causation_id, traceparent);
    event.mutable_order_confirmed();
    return event;
  }
  OrderEvent event = WithEnvelope(record, kOrderCancelled, order.updated_at_ms(),
                                  record.outcome_causation_id, traceparent);
  event.mutable_order_cancelled()->set_reason(order.cancel_reason());
  return event;
}

kafka::OutgoingMessage OrdersMessage(const OrderEvent& event) {
  return events::EventMessage(events::kOrdersTopic, event);
}

std::string OutboxMember(absl::string_view order_id, absl::string_view event_type) {
  return events::EventId(order_id, event_type);
}

std::optional<OutboxEntry> ParseOutboxEntry(absl::string_view member) {
  const size_t slash = member.rfind('/');
  if (slash == absl::string_view::npos || slash == 0) return std::nullopt;
  OutboxEntry entry{.order_id = std::string(member.substr(0, slash)),
                    .event_type = std::string(member.substr(slash + 1))};
  if (entry.event_type != kOrderPlaced && entry.event_type != kOrderCancellationRequested) {
    return std::nullopt;
  }
  return entry;
}

absl::StatusOr<OrderEvent> OutboxEvent(const OrderRecord& record, absl::string_view event_type) {
  if (event_type == kOrderPlaced) return OrderPlacedEvent(record);
  if (event_type == kOrderCancellationRequested) {
    if (!record.order.cancellation_requested()) {
      return absl::FailedPreconditionError(
          absl::StrCat("order ", record.order.order_id(), " has no cancellation request"));
    }
    return CancellationRequestedEvent(record);
  }
  return absl::InvalidArgumentError(absl::StrCat("no outbox event type ", event_type));
}

int OutboxPublishRank(absl::string_view event_type) {
  return event_type == kOrderPlaced ? 0 : 1;
}

}  // namespace orderplatform::order
