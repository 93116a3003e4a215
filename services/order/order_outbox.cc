#include "services/order/order_outbox.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/log/log.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

// The trace id of one order's messages (they all continue the order's trace), for logs.
std::string TraceIdOfMessages(const std::vector<kafka::OutgoingMessage>& messages) {
  return messages.empty() ? ""
                          : tracing::TraceIdOf(tracing::TraceparentHeader(messages.front().headers));
}

}  // namespace

OrderOutbox::OrderOutbox(OrderStore* store, kafka::Publisher* producer, OrderCounters* counters,
                         OrderOutboxOptions options)
    : store_(store), producer_(producer), counters_(counters), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  options_.batch_size = std::clamp(options_.batch_size, 1, OrderStore::kBatchMax);
  options_.batches_per_pass_max = std::max(options_.batches_per_pass_max, 1);
}

OrderOutbox::~OrderOutbox() { Stop(); }

absl::Status OrderOutbox::Publish(const OrderRecord& record,
                                  const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return absl::OkStatus();
  std::vector<kafka::OutgoingMessage> messages;
  for (const std::string& event_id : event_ids) {
    std::optional<OutboxEntry> entry = ParseOutboxEntry(event_id);
    if (!entry.has_value() || entry->order_id != record.order.order_id()) {
      return absl::InternalError(absl::StrCat("outbox entry ", event_id, " is not of order ",
                                              record.order.order_id()));
    }
    absl::StatusOr<orderplatform::v1::OrderEvent> event = OutboxEvent(record, entry->event_type);
    if (!event.ok()) return event.status();
    messages.push_back(OrdersMessage(*event));
  }
  absl::Status acked = producer_->ProduceAndWait(messages, options_.produce_timeout);
  if (!acked.ok()) {
    Increment(counters_->publish_unacked);
    log::LogWarn("order_publish_unacked", {{"order_id", record.order.order_id()},
                                           {"trace_id", TraceIdOfMessages(messages)},
                                           {"events", messages.size()},
                                           {"error", acked.message()}});
    return acked;
  }
  Increment(counters_->outbox_published, static_cast<int64_t>(event_ids.size()));
  if (absl::Status removed = store_->RemoveFromOutbox(event_ids); !removed.ok()) {
    // Announced all the same; the entries stay and the relay will announce them once more,
    // which consumers see as duplicates. Not the caller's failure.
    log::LogWarn("order_outbox_remove_failed", {{"order_id", record.order.order_id()},
                                                {"trace_id", TraceIdOfMessages(messages)},
                                                {"error", removed.message()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<int> OrderOutbox::RelayBatch(int64_t enqueued_at_ms_max, int* published) {
  absl::StatusOr<std::vector<OrderStore::OutboxItem>> due =
      store_->OutboxDue(enqueued_at_ms_max, options_.batch_size);
  if (!due.ok()) return due.status();
  // Oldest first; within one order OrderPlaced before its cancellation, even at equal times.
  std::vector<std::pair<OrderStore::OutboxItem, std::optional<OutboxEntry>>> items;
  for (OrderStore::OutboxItem& item : *due) {
    std::optional<OutboxEntry> entry = ParseOutboxEntry(item.event_id);
    items.emplace_back(std::move(item), std::move(entry));
  }
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    if (a.first.enqueued_at_ms != b.first.enqueued_at_ms) {
      return a.first.enqueued_at_ms < b.first.enqueued_at_ms;
    }
    const int rank_a = a.second.has_value() ? OutboxPublishRank(a.second->event_type) : 0;
    const int rank_b = b.second.has_value() ? OutboxPublishRank(b.second->event_type) : 0;
    return rank_a < rank_b;
  });

  std::map<std::string, OrderRecord> records;  // each order read once per batch
  std::vector<kafka::OutgoingMessage> messages;
  std::vector<std::string> announced;
  std::vector<std::string> orphans;
  for (const auto& [item, entry] : items) {
    if (!entry.has_value()) {
      orphans.push_back(item.event_id);
      continue;
    }
    auto cached = records.find(entry->order_id);
    if (cached == records.end()) {
      absl::StatusOr<OrderRecord> record = store_->Get(entry->order_id);
      if (absl::IsNotFound(record.status())) {
        orphans.push_back(item.event_id);
        continue;
      }
      if (absl::IsInternal(record.status())) {
        // A record that does not parse cannot be announced; it stays for a human to look at.
        log::LogError("order_outbox_unreadable_order",
                      {{"event_id", item.event_id}, {"error", record.status().message()}});
        continue;
      }
      if (!record.ok()) return record.status();
      cached = records.emplace(entry->order_id, *std::move(record)).first;
    }
    absl::StatusOr<orderplatform::v1::OrderEvent> event =
        OutboxEvent(cached->second, entry->event_type);
    if (!event.ok()) {
      orphans.push_back(item.event_id);
      continue;
    }
    messages.push_back(OrdersMessage(*event));
    announced.push_back(item.event_id);
  }

  if (!orphans.empty()) {
    Increment(counters_->outbox_orphans, static_cast<int64_t>(orphans.size()));
    log::LogWarn("order_outbox_orphans_dropped",
                 {{"count", orphans.size()}, {"first", orphans.front()}});
    if (absl::Status removed = store_->RemoveFromOutbox(orphans); !removed.ok()) return removed;
  }
  if (!messages.empty()) {
    absl::Status acked = producer_->ProduceAndWait(messages, options_.produce_timeout);
    if (!acked.ok()) return acked;
    Increment(counters_->outbox_published, static_cast<int64_t>(announced.size()));
    Increment(counters_->outbox_relayed, static_cast<int64_t>(announced.size()));
    *published += static_cast<int>(announced.size());
    if (absl::Status removed = store_->RemoveFromOutbox(announced); !removed.ok()) return removed;
  }
  return static_cast<int>(orphans.size() + announced.size());
}

absl::StatusOr<int> OrderOutbox::RelayOnce(absl::Duration min_age) {
  const int64_t enqueued_at_ms_max = options_.now_ms() - absl::ToInt64Milliseconds(min_age);
  int published = 0;
  for (int batch = 0; batch < options_.batches_per_pass_max; ++batch) {
    absl::StatusOr<int> taken = RelayBatch(enqueued_at_ms_max, &published);
    if (!taken.ok()) return taken.status();
    // A short batch was the last one; a batch that took nothing holds only entries that must
    // stay (unreadable orders), and would come back unchanged.
    if (*taken < options_.batch_size) break;
  }
  if (published > 0) {
    log::LogWarn("order_outbox_relayed", {{"events", published}});
  }
  return published;
}

void OrderOutbox::Start() {
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.relay_interval)) {
      absl::StatusOr<int> relayed = RelayOnce(options_.relay_min_age);
      if (!relayed.ok()) {
        log::LogWarn("order_outbox_relay_failed", {{"error", relayed.status().message()}});
      }
    }
  });
}

void OrderOutbox::Stop() {
  std::call_once(stop_once_, [this] { stop_.Notify(); });
  if (thread_.joinable()) thread_.join();
}

}  // namespace orderplatform::order
