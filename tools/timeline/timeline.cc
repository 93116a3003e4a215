#include "tools/timeline/timeline.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"

namespace orderplatform::timeline {
namespace {

using orderplatform::v1::CancelReason_Name;
using orderplatform::v1::Envelope;

// Position of a topic in the saga, to order records written in the same millisecond.
int TopicRank(absl::string_view topic) {
  if (topic == events::kOrdersTopic) return 0;
  if (topic == events::kInventoryTopic) return 1;
  if (topic == events::kPaymentsTopic) return 2;
  return 3;
}

// The service that produces a topic, per the contract.
std::string TopicProducer(absl::string_view topic) {
  if (topic == events::kOrdersTopic) return "order";
  if (topic == events::kInventoryTopic) return "inventory";
  if (topic == events::kPaymentsTopic) return "payment";
  return "";
}

struct Decoded {
  bool ok = false;
  Envelope envelope;
  std::string event_type;
  std::string detail;
};

Decoded Decode(const kafka::ConsumedMessage& record) {
  Decoded out;
  if (record.topic == events::kOrdersTopic) {
    orderplatform::v1::OrderEvent event;
    if (!event.ParseFromString(record.value)) return out;
    out.envelope = event.envelope();
    out.event_type = events::EventType(event);
    if (event.has_order_cancelled()) out.detail = CancelReason_Name(event.order_cancelled().reason());
  } else if (record.topic == events::kInventoryTopic) {
    orderplatform::v1::InventoryEvent event;
    if (!event.ParseFromString(record.value)) return out;
    out.envelope = event.envelope();
    out.event_type = events::EventType(event);
    if (event.has_stock_released()) out.detail = CancelReason_Name(event.stock_released().reason());
    if (event.has_stock_rejected()) out.detail = CancelReason_Name(event.stock_rejected().reason());
  } else if (record.topic == events::kPaymentsTopic) {
    orderplatform::v1::PaymentEvent event;
    if (!event.ParseFromString(record.value)) return out;
    out.envelope = event.envelope();
    out.event_type = events::EventType(event);
    if (event.has_payment_declined()) out.detail = event.payment_declined().reason();
  } else {
    return out;
  }
  out.ok = true;
  return out;
}

TimelineEntry EntryOf(const kafka::ConsumedMessage& record) {
  const Decoded decoded = Decode(record);
  TimelineEntry entry{.topic = record.topic,
                      .partition = record.partition,
                      .offset = record.offset,
                      .at_ms = record.timestamp_ms >= 0 ? record.timestamp_ms
                                                        : decoded.envelope.occurred_at_ms(),
                      .event_type = decoded.event_type,
                      .detail = decoded.detail,
                      .event_id = decoded.envelope.event_id(),
                      .producer = decoded.envelope.producer()};
  if (entry.producer != "order" && entry.producer != "inventory" && entry.producer != "payment") {
    entry.producer = TopicProducer(record.topic);
  }
  entry.trace_id = tracing::TraceIdOf(tracing::FirstValid(
      {tracing::TraceparentHeader(record.headers), decoded.envelope.traceparent()}));
  return entry;
}

std::string Position(const TimelineEntry& entry) {
  return absl::StrCat(entry.topic, "[", entry.partition, "]@", entry.offset);
}

std::string TypeWithDetail(const TimelineEntry& entry) {
  if (entry.event_type.empty()) return "(undecodable record)";
  return entry.detail.empty() ? entry.event_type
                              : absl::StrCat(entry.event_type, "(", entry.detail, ")");
}

std::string Plural(int count, absl::string_view noun) {
  return absl::StrCat(count, " ", noun, count == 1 ? "" : "s");
}

// The participant that reacts to an event: where its arrow points. One per event keeps the
// diagram readable (the contract's saga diagram has the full fan-out); outcomes nobody in the
// saga acts on (the order's verdict, a refund) go to the client.
std::string Reactor(absl::string_view event_type) {
  static const auto* const kReactors = new std::map<std::string, std::string, std::less<>>{
      {"OrderPlaced", "inventory"},      {"OrderCancellationRequested", "inventory"},
      {"OrderConfirmed", "client"},      {"OrderCancelled", "client"},
      {"StockReserved", "payment"},      {"StockRejected", "order"},
      {"StockCommitted", "order"},       {"StockReleased", "order"},
      {"PaymentAuthorized", "inventory"}, {"PaymentDeclined", "inventory"},
      {"PaymentRefunded", "client"},
  };
  auto it = kReactors->find(event_type);
  return it == kReactors->end() ? "" : it->second;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace

int Timeline::duplicates() const {
  return static_cast<int>(std::count_if(entries.begin(), entries.end(),
                                        [](const TimelineEntry& e) { return e.duplicate; }));
}

Timeline BuildTimeline(absl::string_view order_id,
                       absl::Span<const kafka::ConsumedMessage> records) {
  Timeline timeline{.order_id = std::string(order_id)};
  for (const kafka::ConsumedMessage& record : records) {
    if (record.key != order_id || TopicRank(record.topic) > 2) continue;
    timeline.entries.push_back(EntryOf(record));
  }
  std::stable_sort(timeline.entries.begin(), timeline.entries.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) {
                     return std::make_tuple(a.at_ms, TopicRank(a.topic), a.partition, a.offset) <
                            std::make_tuple(b.at_ms, TopicRank(b.topic), b.partition, b.offset);
                   });
  std::set<std::string> seen_ids;
  std::set<std::string> seen_traces;
  bool placed_found = false;
  for (TimelineEntry& entry : timeline.entries) {
    entry.duplicate = !entry.event_id.empty() && !seen_ids.insert(entry.event_id).second;
    if (!entry.trace_id.empty() && seen_traces.insert(entry.trace_id).second) {
      timeline.trace_ids.push_back(entry.trace_id);
    }
    if (!placed_found && entry.event_type == "OrderPlaced") {
      placed_found = true;
      timeline.placed_at_ms = entry.at_ms;
    }
  }
  if (!placed_found && !timeline.entries.empty()) {
    timeline.placed_at_ms = timeline.entries.front().at_ms;
  }
  for (TimelineEntry& entry : timeline.entries) {
    entry.since_placement_ms = entry.at_ms - timeline.placed_at_ms;
  }
  return timeline;
}

std::string FormatHuman(const Timeline& timeline) {
  std::string out = absl::StrCat(
      "order ", timeline.order_id, ": ", Plural(static_cast<int>(timeline.entries.size()), "event"),
      ", ", Plural(timeline.duplicates(), "duplicate"), ", ",
      timeline.trace_ids.size() > 1 ? "traces " : "trace ",
      timeline.trace_ids.empty() ? "-" : absl::StrJoin(timeline.trace_ids, ","), "\n");
  for (const TimelineEntry& entry : timeline.entries) {
    absl::StrAppendFormat(&out, "%+9d ms  %-20s %-34s %-10s %s%s\n", entry.since_placement_ms,
                          Position(entry), TypeWithDetail(entry), entry.producer,
                          entry.trace_id.empty() ? "-" : entry.trace_id,
                          entry.duplicate ? "  duplicate" : "");
  }
  return out;
}

std::string FormatMermaid(const Timeline& timeline) {
  std::string out =
      "sequenceDiagram\n"
      "    participant client\n"
      "    participant order\n"
      "    participant inventory\n"
      "    participant payment\n";
  absl::StrAppend(&out, "    Note over client,payment: order ", timeline.order_id, ", trace ",
                  timeline.trace_ids.empty() ? "-" : absl::StrJoin(timeline.trace_ids, ","),
                  "\n");
  bool placed_drawn = false;
  for (const TimelineEntry& entry : timeline.entries) {
    const std::string reactor = Reactor(entry.event_type);
    if (reactor.empty()) {
      absl::StrAppend(&out, "    Note over ", entry.producer, ": ", TypeWithDetail(entry), " ",
                      Position(entry), "\n");
      continue;
    }
    if (entry.event_type == "OrderPlaced" && !placed_drawn) {
      absl::StrAppend(&out, "    client->>order: PlaceOrder\n");
      placed_drawn = true;
    }
    absl::StrAppend(&out, "    ", entry.producer, entry.duplicate ? "-->>" : "->>", reactor, ": ",
                    TypeWithDetail(entry), " +", entry.since_placement_ms, " ms ",
                    Position(entry), entry.duplicate ? " (duplicate)" : "", "\n");
  }
  return out;
}

std::string FormatJson(const Timeline& timeline) {
  std::vector<std::string> traces;
  for (const std::string& trace : timeline.trace_ids) traces.push_back(JsonString(trace));
  std::vector<std::string> entries;
  for (const TimelineEntry& e : timeline.entries) {
    entries.push_back(absl::StrCat(
        "{\"topic\":", JsonString(e.topic), ",\"partition\":", e.partition,
        ",\"offset\":", e.offset, ",\"at_ms\":", e.at_ms,
        ",\"since_placement_ms\":", e.since_placement_ms,
        ",\"event_type\":", JsonString(e.event_type), ",\"detail\":", JsonString(e.detail),
        ",\"event_id\":", JsonString(e.event_id), ",\"producer\":", JsonString(e.producer),
        ",\"trace_id\":", JsonString(e.trace_id),
        ",\"duplicate\":", e.duplicate ? "true" : "false", "}"));
  }
  return absl::StrCat("{\"order_id\":", JsonString(timeline.order_id),
                      ",\"placed_at_ms\":", timeline.placed_at_ms, ",\"trace_ids\":[",
                      absl::StrJoin(traces, ","), "],\"duplicates\":", timeline.duplicates(),
                      ",\"entries\":[", absl::StrJoin(entries, ","), "]}\n");
}

}  // namespace orderplatform::timeline
