// An order's saga as a timeline: every record of the order on orders.v1, inventory.v1 and
// payments.v1, in the order they were written, with the producing service, the time since the
// order was placed, the trace id, and duplicates (an event id seen again, e.g. from a replay)
// marked. Pure functions over records already read (timeline_reader.h reads them), so every
// format is unit-tested on fixed inputs. Used by `orderctl trace` and the demo.
//
//   Timeline timeline = BuildTimeline("o-1", records_of_the_three_topics);
//   std::cout << FormatHuman(timeline);    // one line per record, for people
//   std::cout << FormatMermaid(timeline);  // a Mermaid sequence diagram, for docs and tickets
//   std::cout << FormatJson(timeline);     // one JSON object, for scripts
#ifndef ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_H_
#define ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "platform/kafka/message.h"

namespace orderplatform::timeline {

struct TimelineEntry {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  // When the record was written (its Kafka timestamp; the envelope's occurred_at_ms when the
  // record has none).
  int64_t at_ms = 0;
  int64_t since_placement_ms = 0;
  std::string event_type;  // "StockReleased"; "" when the value did not parse
  std::string detail;      // the reason of a release, rejection, cancellation or decline
  std::string event_id;
  std::string producer;    // the envelope's producer, else the topic's (order, inventory, payment)
  std::string trace_id;    // from the `traceparent` header, else the envelope; "" when none
  bool duplicate = false;  // an earlier record of the timeline has the same event id
};

struct Timeline {
  std::string order_id;
  // The first OrderPlaced's time; without one, the earliest record's. 0 for an empty timeline.
  int64_t placed_at_ms = 0;
  std::vector<TimelineEntry> entries;  // in write order
  std::vector<std::string> trace_ids;  // distinct, in order of first appearance

  int duplicates() const;
};

// The timeline of `order_id` from `records` of the three saga topics (any order; records of
// other orders and topics are left out).
Timeline BuildTimeline(absl::string_view order_id, absl::Span<const kafka::ConsumedMessage> records);

// A header line, then one line per record:
//   order o-1: 6 events, 1 duplicate, trace 4bf92f3577b34da6a3ce929d0e0e4736
//         +0 ms  orders.v1[1]@0      OrderPlaced                     order      4bf9...
//     +5003 ms  inventory.v1[1]@2   StockReserved                   inventory  4bf9...  duplicate
std::string FormatHuman(const Timeline& timeline);

// A Mermaid sequence diagram with participants client, order, inventory and payment; each record
// is an arrow from its producer to the service that reacts to it (to the client for the order's
// verdict and a refund), duplicates dashed and marked "(duplicate)"; a record that does not parse
// is a note.
std::string FormatMermaid(const Timeline& timeline);

// One JSON object on one line: order_id, placed_at_ms, trace_ids, duplicates and the entries
// with every field above.
std::string FormatJson(const Timeline& timeline);

}  // namespace orderplatform::timeline

#endif  // ORDERPLATFORM_TOOLS_TIMELINE_TIMELINE_H_
