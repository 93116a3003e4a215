#include "platform/tracing/trace_headers.h"

#include <string>

#include "platform/tracing/traceparent.h"

namespace orderplatform::tracing {

absl::string_view TraceparentHeader(const std::vector<kafka::Header>& headers) {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->key == kTraceparentKey) return it->value;
  }
  return "";
}

kafka::Header TraceHeader(absl::string_view traceparent) {
  return kafka::Header{.key = kTraceparentKey, .value = std::string(traceparent)};
}

}  // namespace orderplatform::tracing
