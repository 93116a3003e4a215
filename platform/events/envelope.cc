#include "platform/events/envelope.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::events {
namespace {

// The name of the message type held in the event's `payload` oneof.
template <typename Event>
std::string PayloadName(const Event& event) {
  const google::protobuf::OneofDescriptor* oneof = Event::descriptor()->FindOneofByName("payload");
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? "" : field->message_type()->name();
}

}  // namespace

std::string EventId(absl::string_view order_id, absl::string_view event_type) {
  return absl::StrCat(order_id, "/", event_type);
}

orderplatform::v1::Envelope MakeEnvelope(const EnvelopeFields& fields) {
  orderplatform::v1::Envelope envelope;
  envelope.set_event_id(EventId(fields.order_id, fields.event_type));
  envelope.set_order_id(fields.order_id);
  envelope.set_occurred_at_ms(fields.occurred_at_ms);
  envelope.set_correlation_id(fields.correlation_id);
  envelope.set_causation_id(fields.causation_id);
  envelope.set_producer(fields.producer);
  absl::StatusOr<tracing::TraceContext> trace = tracing::ParseTraceparent(fields.traceparent);
  const tracing::TraceContext parent =
      trace.ok() ? *std::move(trace) : tracing::TraceForOrder(fields.order_id);
  envelope.set_traceparent(
      tracing::FormatTraceparent(tracing::ChildForEvent(parent, envelope.event_id())));
  return envelope;
}

std::string EventType(const orderplatform::v1::OrderEvent& event) { return PayloadName(event); }
std::string EventType(const orderplatform::v1::InventoryEvent& event) { return PayloadName(event); }
std::string EventType(const orderplatform::v1::PaymentEvent& event) { return PayloadName(event); }

}  // namespace orderplatform::events
