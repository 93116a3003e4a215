// Reads an order's timeline from a cluster: the three saga topics, scanned from their start,
// then BuildTimeline (timeline.h). The imperative shell around the pure timeline.
//
//   absl::StatusOr<Timeline> timeline =
//       ReadTimeline({.brokers = bootstrap, .client_id = "orderctl"}, "o-1", absl::Seconds(10));
//
// Errors: UNAVAILABLE (the cluster cannot be reached), NOT_FOUND (a saga topic does not exist),
// DEADLINE_EXCEEDED (the topics could not be read within `timeout`). An order without records
// is an empty timeline, not an error: the caller decides what that means.
#ifndef ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_READER_H_
#define ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/kafka/options.h"
#include "tools/timeline/timeline.h"

namespace orderplatform::timeline {

absl::StatusOr<Timeline> ReadTimeline(const kafka::KafkaOptions& kafka,
                                      const std::string& order_id, absl::Duration timeout);

}  // namespace orderplatform::timeline

#endif  // ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_READER_H_
