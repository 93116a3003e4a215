// Event envelopes with deterministic ids.
//
// An event id is derived from the order id and the event type only ("o-123/StockReserved"), so
// a handler that runs again after a crash or a replay produces an event with the same id, and
// every consumer can recognise it as a duplicate. Each saga step happens at most once per order
// (one reservation, one payment decision, one release or commit), which makes that pair unique.
//
//   Envelope e = MakeEnvelope({.order_id = id, .event_type = "StockReserved",
//                              .correlation_id = cause.correlation_id(),
//                              .causation_id = cause.event_id(), .producer = "inventory",
//                              .occurred_at_ms = now_ms, .traceparent = cause.traceparent()});
//
// The envelope's traceparent continues the given trace with a span id derived from the event id
// (tracing::ChildForEvent), so rebuilding the event later yields the same bytes.
#ifndef ORDERPLATFORM_PLATFORM_EVENTS_ENVELOPE_H_
#define ORDERPLATFORM_PLATFORM_EVENTS_ENVELOPE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "orderplatform/v1/events.pb.h"

namespace orderplatform::events {

struct EnvelopeFields {
  std::string order_id;
  std::string event_type;      // the payload's message name, e.g. "PaymentAuthorized"
  std::string correlation_id;  // carried unchanged along the saga
  std::string causation_id;    // id of the event that caused this one ("" for the first)
  std::string producer;        // "order", "inventory", "payment"
  int64_t occurred_at_ms = 0;
  // The trace this event continues: the cause's traceparent (or the order's, for events no
  // message caused). "" or invalid: the order's derived trace (tracing::TraceForOrder).
  std::string traceparent;
};

std::string EventId(absl::string_view order_id, absl::string_view event_type);

orderplatform::v1::Envelope MakeEnvelope(const EnvelopeFields& fields);

// The payload's message name of each event ("" when the oneof is not set). These are the
// names used in event ids, logs and metrics.
std::string EventType(const orderplatform::v1::OrderEvent& event);
std::string EventType(const orderplatform::v1::InventoryEvent& event);
std::string EventType(const orderplatform::v1::PaymentEvent& event);

}  // namespace orderplatform::events

#endif  // ORDERPLATFORM_PLATFORM_EVENTS_ENVELOPE_H_
