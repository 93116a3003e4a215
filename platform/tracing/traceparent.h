// W3C Trace Context `traceparent` values (https://www.w3.org/TR/trace-context/), the one piece of
// tracing the saga carries: it starts at PlaceOrder and travels with every event of the order, so
// an operator can find every event, log line and span of one order's saga by its trace id.
//
//   traceparent = "00-" trace_id(32 hex) "-" parent_id(16 hex) "-" flags(2 hex)
//   e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//
// Pure functions, no I/O. Randomness is passed in, so tests are deterministic.
//
//   absl::StatusOr<TraceContext> incoming = ParseTraceparent(metadata_value);
//   TraceContext trace = incoming.ok() ? *incoming : NewTrace(random);
//   TraceContext child = ChildForEvent(trace, "o-1/OrderPlaced");  // same trace, its own span
//   headers.push_back({"traceparent", FormatTraceparent(child)});
//
// Span ids of events are derived, not random: ChildForEvent is a stable hash of the trace id and
// the event id. An event re-announced after a crash or a replay therefore carries the very same
// traceparent as the first time (it stays a byte-identical duplicate), and the traceparent never
// becomes part of an event's identity, which remains the deterministic event id.
#ifndef ORDERPLATFORM_PLATFORM_TRACING_TRACEPARENT_H_
#define ORDERPLATFORM_PLATFORM_TRACING_TRACEPARENT_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orderplatform::tracing {

// The Kafka header and gRPC metadata key (gRPC keys are lower case).
inline constexpr char kTraceparentKey[] = "traceparent";

// Flag bit 0: the caller may have recorded its span. The only flag of version 00 this platform
// interprets; other bits are dropped on propagation, as version 00 asks.
inline constexpr uint8_t kSampledFlag = 0x01;

struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero: the span that sent this
  uint8_t flags = 0;

  bool sampled() const { return (flags & kSampledFlag) != 0; }
  friend bool operator==(const TraceContext& a, const TraceContext& b) {
    return a.trace_id == b.trace_id && a.parent_id == b.parent_id && a.flags == b.flags;
  }
};

// INVALID_ARGUMENT (with the reason) unless `text` is a valid traceparent: lowercase hex only,
// version not "ff", trace and parent ids not all zero. Version 00 must be exactly 55 characters;
// a higher version may carry more fields after a '-', which are ignored (forward compatible, as
// the specification asks).
absl::StatusOr<TraceContext> ParseTraceparent(absl::string_view text);
bool IsValidTraceparent(absl::string_view text);

// Version 00. `context` must be valid (as ParseTraceparent returns or the functions below make).
std::string FormatTraceparent(const TraceContext& context);

// A new trace with random ids (never all zero), sampled: every saga is recorded.
TraceContext NewTrace(absl::BitGenRef random);

// The context an event carries: `parent`'s trace id and sampled flag, and a span id derived from
// the trace id and `event_id` (never all zero).
TraceContext ChildForEvent(const TraceContext& parent, absl::string_view event_id);

// The trace of an order whose events carry no valid trace context (events from before tracing,
// or a header lost on the way): derived from the order id, so every service and every replay
// agrees on the same trace id without coordination.
TraceContext TraceForOrder(absl::string_view order_id);

// The first of `candidates` that is a valid traceparent, or "" when none is.
absl::string_view FirstValid(std::initializer_list<absl::string_view> candidates);

// The trace id of `traceparent`, for logs; "" when it is not valid.
std::string TraceIdOf(absl::string_view traceparent);

}  // namespace orderplatform::tracing

#endif  // ORDERPLATFORM_PLATFORM_TRACING_TRACEPARENT_H_
