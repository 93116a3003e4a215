// The traceparent on Kafka records: where a consumer finds it and how a producer attaches it.
//
//   absl::string_view incoming = TraceparentHeader(message.headers);   // "" when absent
//   out.headers.push_back(TraceHeader(envelope.traceparent()));
#ifndef ORDERPLATFORM_PLATFORM_TRACING_TRACE_HEADERS_H_
#define ORDERPLATFORM_PLATFORM_TRACING_TRACE_HEADERS_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "platform/kafka/message.h"

namespace orderplatform::tracing {

// The value of the last `traceparent` header (Kafka allows repeated keys; a relay that appends
// its own context wins), or "" when there is none. Not validated: see ParseTraceparent.
absl::string_view TraceparentHeader(const std::vector<kafka::Header>& headers);

// The `traceparent` header for `traceparent`, as a producer attaches it.
kafka::Header TraceHeader(absl::string_view traceparent);

}  // namespace orderplatform::tracing

#endif  // ORDERPLATFORM_PLATFORM_TRACING_TRACE_HEADERS_H_
