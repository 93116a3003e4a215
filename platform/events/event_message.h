// Events on the wire, with their trace context: the Kafka record a service produces for an event
// (key = order id, value = the serialized event, header `traceparent` = the envelope's), and the
// trace a consumed record continues.
//
//   kafka::OutgoingMessage out = EventMessage(events::kInventoryTopic, event);
//   std::string trace = IncomingTraceparent(message, event.envelope());  // always valid
//   event.mutable_envelope()->set_traceparent(trace);  // what the reactions continue
//
// Consumers prefer the header (the transport's standard place, which tracing-aware relays may
// update), then the envelope's copy (survives a path that drops headers), then a caller's
// fallback (the order record's), and finally the order's derived trace, so a reaction always
// continues some trace and every service agrees on which.
#ifndef ORDERPLATFORM_PLATFORM_EVENTS_EVENT_MESSAGE_H_
#define ORDERPLATFORM_PLATFORM_EVENTS_EVENT_MESSAGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/kafka/message.h"

namespace orderplatform::events {

// A record for `event` on `topic`, keyed by its order id; with the `traceparent` header when the
// envelope has one.
template <typename Event>
kafka::OutgoingMessage EventMessage(absl::string_view topic, const Event& event);

// The first valid of: the record's `traceparent` header, the envelope's traceparent, `fallback`;
// else the derived trace of the envelope's order (tracing::TraceForOrder).
std::string IncomingTraceparent(const kafka::ConsumedMessage& message,
                                const orderplatform::v1::Envelope& envelope,
                                absl::string_view fallback = "");

// Non-template core of EventMessage.
kafka::OutgoingMessage EnvelopedMessage(absl::string_view topic,
                                        const orderplatform::v1::Envelope& envelope,
                                        std::string value);

template <typename Event>
kafka::OutgoingMessage EventMessage(absl::string_view topic, const Event& event) {
  return EnvelopedMessage(topic, event.envelope(), event.SerializeAsString());
}

}  // namespace orderplatform::events

#endif  // ORDERPLATFORM_PLATFORM_EVENTS_EVENT_MESSAGE_H_
