#include "platform/events/event_message.h"

#include <utility>

#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::events {

kafka::OutgoingMessage EnvelopedMessage(absl::string_view topic,
                                        const orderplatform::v1::Envelope& envelope,
                                        std::string value) {
  kafka::OutgoingMessage out{.topic = std::string(topic),
                             .key = envelope.order_id(),
                             .value = std::move(value)};
  if (!envelope.traceparent().empty()) {
    out.headers.push_back(tracing::TraceHeader(envelope.traceparent()));
  }
  return out;
}

std::string IncomingTraceparent(const kafka::ConsumedMessage& message,
                                const orderplatform::v1::Envelope& envelope,
                                absl::string_view fallback) {
  const absl::string_view valid = tracing::FirstValid(
      {tracing::TraceparentHeader(message.headers), envelope.traceparent(), fallback});
  if (!valid.empty()) return std::string(valid);
  return tracing::FormatTraceparent(tracing::TraceForOrder(envelope.order_id()));
}

}  // namespace orderplatform::events
