#include "services/order/order_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "platform/log/log.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::Order;
using orderplatform::v1::OrderLine;
using orderplatform::v1::OrderStatus;
using redis::RedisReply;

// Hash fields of an order record.
constexpr char kFieldOrderId[] = "order_id";
constexpr char kFieldRequestId[] = "request_id";
constexpr char kFieldCustomerId[] = "customer_id";
constexpr char kFieldCurrency[] = "currency";
constexpr char kFieldAmountCents[] = "amount_cents";
constexpr char kFieldLines[] = "lines";  // "SKU:QTY,SKU:QTY": the SKU alphabet has no ':' or ','
constexpr char kFieldStatus[] = "status";
constexpr char kFieldCancelReason[] = "cancel_reason";
constexpr char kFieldCreatedAtMs[] = "created_at_ms";
constexpr char kFieldUpdatedAtMs[] = "updated_at_ms";
constexpr char kFieldCancellationRequested[] = "cancellation_requested";
constexpr char kFieldCancellationRequestedAtMs[] = "cancellation_requested_at_ms";
constexpr char kFieldOutcomeCausationId[] = "outcome_causation_id";
constexpr char kFieldTraceparent[] = "traceparent";  // absent in orders stored before tracing

// A conflict means another writer just committed. Losers pause for a random time that grows
// with each lost round (capped), so they do not collide again in lockstep.
constexpr absl::Duration kCasBackoffStep = absl::Microseconds(500);
constexpr int kCasBackoffDoublingsMax = 5;  // at most 16 ms per pause

absl::Duration CasBackoff(int attempt) {
  thread_local absl::BitGen random;
  const int64_t cap_us = absl::ToInt64Microseconds(kCasBackoffStep) *
                         (int64_t{1} << std::min(attempt - 1, kCasBackoffDoublingsMax));
  return absl::Microseconds(absl::Uniform<int64_t>(random, 0, cap_us));
}

absl::Status Corrupt(absl::string_view what, absl::string_view detail) {
  return absl::InternalError(absl::StrCat("corrupt order data (", what, "): ", detail));
}

std::string ReasonName(CancelReason reason) {
  return reason == orderplatform::v1::CANCEL_REASON_UNSPECIFIED
             ? ""
             : orderplatform::v1::CancelReason_Name(reason);
}

absl::StatusOr<CancelReason> ParseReason(absl::string_view name) {
  if (name.empty()) return orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
  CancelReason reason;
  if (!orderplatform::v1::CancelReason_Parse(std::string(name), &reason)) {
    return Corrupt("cancel reason", name);
  }
  return reason;
}

absl::StatusOr<OrderStatus> ParseStatus(absl::string_view name) {
  OrderStatus status;
  if (!orderplatform::v1::OrderStatus_Parse(std::string(name), &status) ||
      status == orderplatform::v1::ORDER_STATUS_UNSPECIFIED) {
    return Corrupt("status", name);
  }
  return status;
}

absl::StatusOr<int64_t> ParseInt(absl::string_view field, absl::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return Corrupt(field, text);
  return value;
}

std::string EncodeLines(const google::protobuf::RepeatedPtrField<OrderLine>& lines) {
  return absl::StrJoin(lines, ",", [](std::string* out, const OrderLine& line) {
    absl::StrAppend(out, line.sku(), ":", line.quantity());
  });
}

absl::Status DecodeLines(absl::string_view text, Order* order) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const size_t colon = item.rfind(':');
    int32_t quantity = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(item.substr(colon + 1), &quantity)) {
      return Corrupt("lines", text);
    }
    OrderLine* line = order->add_lines();
    line->set_sku(std::string(item.substr(0, colon)));
    line->set_quantity(quantity);
  }
  return absl::OkStatus();
}

std::string EncodeStatusEntry(const StatusEntry& entry) {
  return absl::StrCat(orderplatform::v1::OrderStatus_Name(entry.status), ",",
                      ReasonName(entry.cancel_reason), ",", entry.at_ms);
}

absl::StatusOr<StatusEntry> DecodeStatusEntry(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() != 3) return Corrupt("history entry", text);
  StatusEntry entry;
  absl::StatusOr<OrderStatus> status = ParseStatus(parts[0]);
  if (!status.ok()) return status.status();
  absl::StatusOr<CancelReason> reason = ParseReason(parts[1]);
  if (!reason.ok()) return reason.status();
  absl::StatusOr<int64_t> at_ms = ParseInt("history entry time", parts[2]);
  if (!at_ms.ok()) return at_ms.status();
  return StatusEntry{.status = *status, .cancel_reason = *reason, .at_ms = *at_ms};
}

std::vector<std::string> EncodeRecord(const OrderRecord& record) {
  const Order& order = record.order;
  return {kFieldOrderId, order.order_id(),
          kFieldRequestId, order.request_id(),
          kFieldCustomerId, order.customer_id(),
          kFieldCurrency, order.currency(),
          kFieldAmountCents, absl::StrCat(order.amount_cents()),
          kFieldLines, EncodeLines(order.lines()),
          kFieldStatus, orderplatform::v1::OrderStatus_Name(order.status()),
          kFieldCancelReason, ReasonName(order.cancel_reason()),
          kFieldCreatedAtMs, absl::StrCat(order.created_at_ms()),
          kFieldUpdatedAtMs, absl::StrCat(order.updated_at_ms()),
          kFieldCancellationRequested, order.cancellation_requested() ? "1" : "0",
          kFieldCancellationRequestedAtMs, absl::StrCat(record.cancellation_requested_at_ms),
          kFieldOutcomeCausationId, record.outcome_causation_id,
          kFieldTraceparent, record.traceparent};
}

// HGETALL's reply: nullopt for a missing key (empty array).
absl::StatusOr<std::optional<OrderRecord>> DecodeRecord(const RedisReply& reply) {
  if (!reply.is_array() || reply.elements.size() % 2 != 0) {
    return Corrupt("HGETALL reply", reply.DebugString());
  }
  if (reply.elements.empty()) return std::optional<OrderRecord>();
  absl::flat_hash_map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    fields[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  for (const char* required : {kFieldOrderId, kFieldRequestId, kFieldStatus, kFieldCreatedAtMs,
                               kFieldUpdatedAtMs, kFieldAmountCents}) {
    if (!fields.contains(required)) return Corrupt("missing field", required);
  }
  OrderRecord record;
  Order& order = record.order;
  order.set_order_id(fields[kFieldOrderId]);
  order.set_request_id(fields[kFieldRequestId]);
  order.set_customer_id(fields[kFieldCustomerId]);
  order.set_currency(fields[kFieldCurrency]);
  order.set_cancellation_requested(fields[kFieldCancellationRequested] == "1");
  record.outcome_causation_id = fields[kFieldOutcomeCausationId];
  record.traceparent = fields[kFieldTraceparent];

  absl::StatusOr<OrderStatus> status = ParseStatus(fields[kFieldStatus]);
  if (!status.ok()) return status.status();
  order.set_status(*status);
  absl::StatusOr<CancelReason> reason = ParseReason(fields[kFieldCancelReason]);
  if (!reason.ok()) return reason.status();
  order.set_cancel_reason(*reason);
  if (absl::Status lines = DecodeLines(fields[kFieldLines], &order); !lines.ok()) return lines;

  absl::StatusOr<int64_t> number = ParseInt(kFieldAmountCents, fields[kFieldAmountCents]);
  if (!number.ok()) return number.status();
  order.set_amount_cents(*number);
  number = ParseInt(kFieldCreatedAtMs, fields[kFieldCreatedAtMs]);
  if (!number.ok()) return number.status();
  order.set_created_at_ms(*number);
  number = ParseInt(kFieldUpdatedAtMs, fields[kFieldUpdatedAtMs]);
  if (!number.ok()) return number.status();
  order.set_updated_at_ms(*number);
  const std::string& requested_at = fields[kFieldCancellationRequestedAtMs];
  number = ParseInt(kFieldCancellationRequestedAtMs, requested_at.empty() ? "0" : requested_at);
  if (!number.ok()) return number.status();
  record.cancellation_requested_at_ms = *number;
  return std::optional<OrderRecord>(std::move(record));
}

// Error replies inside a reply we expected to succeed: a bug or a wrong-typed key.
absl::Status ErrorReplies(absl::string_view during, const std::vector<RedisReply>& replies) {
  for (const RedisReply& reply : replies) {
    if (reply.is_error()) return absl::InternalError(absl::StrCat(during, ": ", reply.str));
  }
  return absl::OkStatus();
}

}  // namespace

OrderStore::OrderStore(RedisSessionPool* pool, OrderKeys keys, OrderCounters* counters,
                       OrderStoreOptions options)
    : pool_(pool), keys_(std::move(keys)), counters_(counters), options_(options) {}

std::vector<OrderStore::Command> OrderStore::RecordWrites(
    const OrderRecord& record, bool append_history,
    const std::vector<StatusEntry>& history_before,
    const std::vector<std::string>& outbox_add) const {
  const std::string& order_id = record.order.order_id();
  std::vector<Command> writes;
  Command hset = {"HSET", keys_.Order(order_id)};
  std::vector<std::string> fields = EncodeRecord(record);
  hset.insert(hset.end(), fields.begin(), fields.end());
  writes.push_back(std::move(hset));
  for (const StatusEntry& entry : history_before) {
    writes.push_back({"RPUSH", keys_.History(order_id), EncodeStatusEntry(entry)});
  }
  if (append_history) {
    writes.push_back({"RPUSH", keys_.History(order_id), EncodeStatusEntry(CurrentStatus(record))});
  }
  for (const std::string& event_id : outbox_add) {
    // NX: an entry keeps the time it was first enqueued (the relay's age test).
    writes.push_back({"ZADD", keys_.Outbox(), "NX", absl::StrCat(record.order.updated_at_ms()),
                      event_id});
  }
  return writes;
}

absl::StatusOr<bool> OrderStore::TryCheckAndSet(const std::string& order_id,
                                                const Planner& plan) {
  const std::string key = keys_.Order(order_id);
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  absl::StatusOr<std::vector<RedisReply>> read =
      (*session)->Pipeline({{"WATCH", key}, {"HGETALL", key}});
  if (!read.ok()) return read.status();
  // The watch is still set on every early return below; UNWATCH keeps it from aborting the
  // next, unrelated transaction of this connection (best effort: a broken connection has none).
  auto unwatch = [&session] { (void)(*session)->Command({"UNWATCH"}); };
  if (absl::Status errors = ErrorReplies("WATCH/HGETALL", *read); !errors.ok()) {
    unwatch();
    return errors;
  }
  absl::StatusOr<std::optional<OrderRecord>> current = DecodeRecord((*read)[1]);
  if (!current.ok()) {
    unwatch();
    return current.status();
  }
  absl::StatusOr<std::vector<Command>> writes = plan(*current);
  if (!writes.ok() || writes->empty()) {
    unwatch();
    if (!writes.ok()) return writes.status();
    return true;
  }

  return ExecWatched(&**session, *std::move(writes), order_id);
}

absl::StatusOr<bool> OrderStore::ExecWatched(redis::RedisClient* session,
                                             std::vector<Command> writes,
                                             absl::string_view what) {
  std::vector<Command> transaction;
  transaction.reserve(writes.size() + 2);
  transaction.push_back({"MULTI"});
  for (Command& write : writes) transaction.push_back(std::move(write));
  transaction.push_back({"EXEC"});
  const int64_t connects_before = session->stats().connects;
  absl::StatusOr<std::vector<RedisReply>> executed = session->Pipeline(transaction);
  if (!executed.ok()) return executed.status();  // may or may not have run: callers re-read
  if (session->stats().connects != connects_before) {
    // The client reopened its connection before sending MULTI, so the EXEC ran unwatched.
    Increment(counters_->reconnects_in_transaction);
    log::LogWarn("order_store_exec_after_reconnect", {{"orders", what}});
  }
  const RedisReply& exec = executed->back();
  if (exec.is_nil()) return false;  // a watched key changed: someone else won this round
  if (exec.is_error()) return absl::InternalError(absl::StrCat("EXEC: ", exec.str));
  if (absl::Status errors = ErrorReplies("MULTI/EXEC", exec.elements); !errors.ok()) {
    return errors;
  }
  return true;
}

absl::Status OrderStore::CheckAndSet(const std::string& order_id, const Planner& plan) {
  for (int attempt = 1; attempt <= options_.cas_attempts_max; ++attempt) {
    absl::StatusOr<bool> done = TryCheckAndSet(order_id, plan);
    if (!done.ok()) return done.status();
    if (*done) return absl::OkStatus();
    Increment(counters_->cas_conflicts);
    absl::SleepFor(CasBackoff(attempt));  // with the connection back in the pool
  }
  Increment(counters_->cas_exhausted);
  log::LogWarn("order_store_cas_exhausted",
               {{"order_id", order_id}, {"attempts", options_.cas_attempts_max}});
  return absl::AbortedError(absl::StrCat("order ", order_id, " kept changing during ",
                                         options_.cas_attempts_max, " update attempts"));
}

absl::StatusOr<OrderStore::CreateResult> OrderStore::Create(const OrderRecord& record) {
  const std::string& order_id = record.order.order_id();
  CreateResult result;
  absl::Status status = CheckAndSet(
      order_id,
      [&](const std::optional<OrderRecord>& current) -> absl::StatusOr<std::vector<Command>> {
        if (current.has_value()) {
          if (current->order.request_id() != record.order.request_id()) {
            // Two request ids with one 128-bit order id: cannot happen short of a broken hash.
            log::LogError("order_id_collision", {{"order_id", order_id}});
            return absl::InternalError(
                absl::StrCat("order id ", order_id, " already belongs to another request_id"));
          }
          result = CreateResult{.record = *current, .created = false};
          return std::vector<Command>();
        }
        result = CreateResult{.record = record, .created = true};
        return RecordWrites(record, /*append_history=*/true, /*history_before=*/{},
                            {OutboxMember(order_id, kOrderPlaced)});
      });
  if (!status.ok()) return status;
  if (result.created) {
    result.unpublished = {OutboxMember(order_id, kOrderPlaced)};
    return result;
  }
  absl::StatusOr<std::vector<std::string>> pending = PendingOutbox(order_id);
  if (!pending.ok()) return pending.status();
  result.unpublished = *std::move(pending);
  return result;
}

absl::StatusOr<OrderRecord> OrderStore::Get(const std::string& order_id) {
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  absl::StatusOr<RedisReply> reply = (*session)->Command({"HGETALL", keys_.Order(order_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::InternalError(absl::StrCat("HGETALL: ", reply->str));
  absl::StatusOr<std::optional<OrderRecord>> record = DecodeRecord(*reply);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return absl::NotFoundError(absl::StrCat("no order ", order_id));
  return **std::move(record);
}

absl::StatusOr<OrderRecord> OrderStore::Update(const std::string& order_id, const Decide& decide) {
  OrderRecord result;
  absl::Status status = CheckAndSet(
      order_id,
      [&](const std::optional<OrderRecord>& current) -> absl::StatusOr<std::vector<Command>> {
        if (!current.has_value()) return absl::NotFoundError(absl::StrCat("no order ", order_id));
        absl::StatusOr<std::optional<Change>> change = decide(*current);
        if (!change.ok()) return change.status();
        if (!change->has_value()) {
          result = *current;
          return std::vector<Command>();
        }
        std::vector<Command> writes;
        absl::StatusOr<OrderRecord> planned = PlanChange(order_id, **std::move(change), &writes);
        if (!planned.ok()) return planned.status();
        result = *std::move(planned);
        return writes;
      });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<OrderRecord> OrderStore::PlanChange(const std::string& order_id, Change change,
                                                   std::vector<Command>* writes) const {
  if (change.record.order.order_id() != order_id ||
      change.outbox_add.size() > static_cast<size_t>(kBatchMax)) {
    return absl::InternalError("an update may not rename the order or flood the outbox");
  }
  for (Command& write : RecordWrites(change.record, change.append_history, change.history_before,
                                     change.outbox_add)) {
    writes->push_back(std::move(write));
  }
  return std::move(change.record);
}

absl::StatusOr<std::vector<absl::StatusOr<OrderRecord>>> OrderStore::UpdateBatch(
    const std::vector<BatchUpdate>& updates) {
  if (updates.empty()) return std::vector<absl::StatusOr<OrderRecord>>();
  for (int attempt = 1; attempt <= options_.cas_attempts_max; ++attempt) {
    absl::StatusOr<std::optional<std::vector<absl::StatusOr<OrderRecord>>>> done =
        TryUpdateBatch(updates);
    if (!done.ok()) return done.status();
    if (done->has_value()) return **std::move(done);
    Increment(counters_->cas_conflicts);
    absl::SleepFor(CasBackoff(attempt));
  }
  Increment(counters_->cas_exhausted);
  log::LogWarn("order_store_cas_exhausted", {{"orders", static_cast<int64_t>(updates.size())},
                                             {"attempts", options_.cas_attempts_max}});
  return absl::AbortedError(absl::StrCat("a batch of ", updates.size(), " order updates kept ",
                                         "conflicting during ", options_.cas_attempts_max,
                                         " attempts"));
}

absl::StatusOr<std::optional<std::vector<absl::StatusOr<OrderRecord>>>>
OrderStore::TryUpdateBatch(const std::vector<BatchUpdate>& updates) {
  // The distinct orders, in first-seen order, and where each one's record is read.
  absl::flat_hash_map<std::string, size_t> slot_of;
  std::vector<std::string> order_ids;
  for (const BatchUpdate& update : updates) {
    if (slot_of.emplace(update.order_id, order_ids.size()).second) {
      order_ids.push_back(update.order_id);
    }
  }
  std::vector<Command> reads;
  reads.reserve(order_ids.size() + 1);
  Command watch = {"WATCH"};
  for (const std::string& order_id : order_ids) watch.push_back(keys_.Order(order_id));
  reads.push_back(std::move(watch));
  for (const std::string& order_id : order_ids) reads.push_back({"HGETALL", keys_.Order(order_id)});

  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  absl::StatusOr<std::vector<RedisReply>> read = (*session)->Pipeline(reads);
  if (!read.ok()) return read.status();
  auto unwatch = [&session] { (void)(*session)->Command({"UNWATCH"}); };
  if (read->front().is_error()) {
    unwatch();
    return absl::InternalError(absl::StrCat("WATCH: ", read->front().str));
  }

  // Each order's record as the updates so far leave it; a record that does not read fails the
  // updates of that order only.
  std::vector<absl::StatusOr<std::optional<OrderRecord>>> current;
  current.reserve(order_ids.size());
  for (size_t i = 0; i < order_ids.size(); ++i) {
    const RedisReply& reply = (*read)[i + 1];
    if (reply.is_error()) {
      current.push_back(absl::InternalError(absl::StrCat("HGETALL: ", reply.str)));
    } else {
      current.push_back(DecodeRecord(reply));
    }
  }
  std::vector<absl::StatusOr<OrderRecord>> results;
  results.reserve(updates.size());
  std::vector<Command> writes;
  for (const BatchUpdate& update : updates) {
    absl::StatusOr<std::optional<OrderRecord>>& record = current[slot_of[update.order_id]];
    if (!record.ok()) {
      results.push_back(record.status());
      continue;
    }
    if (!record->has_value()) {
      results.push_back(absl::NotFoundError(absl::StrCat("no order ", update.order_id)));
      continue;
    }
    absl::StatusOr<std::optional<Change>> change = update.decide(**record);
    if (!change.ok()) {
      results.push_back(change.status());
      continue;
    }
    if (!change->has_value()) {
      results.push_back(**record);
      continue;
    }
    absl::StatusOr<OrderRecord> planned =
        PlanChange(update.order_id, **std::move(change), &writes);
    if (planned.ok()) *record = *planned;
    results.push_back(std::move(planned));
  }
  if (writes.empty()) {
    unwatch();
    return results;
  }

  absl::StatusOr<bool> written = ExecWatched(
      &**session, std::move(writes), absl::StrCat(order_ids.size(), " orders from ", order_ids[0]));
  if (!written.ok()) return written.status();
  if (!*written) return std::nullopt;  // a watched order changed: decide the batch again
  return results;
}

absl::StatusOr<std::vector<StatusEntry>> OrderStore::History(const std::string& order_id,
                                                             int64_t start, int count_max) {
  if (start < 0 || count_max < 1 || count_max > kBatchMax) {
    return absl::InvalidArgumentError("history slice out of range");
  }
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  absl::StatusOr<RedisReply> reply =
      (*session)->Command({"LRANGE", keys_.History(order_id), absl::StrCat(start),
                           absl::StrCat(start + count_max - 1)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array()) return Corrupt("LRANGE reply", reply->DebugString());
  std::vector<StatusEntry> entries;
  entries.reserve(reply->elements.size());
  for (const RedisReply& element : reply->elements) {
    absl::StatusOr<StatusEntry> entry = DecodeStatusEntry(element.str);
    if (!entry.ok()) return entry.status();
    entries.push_back(*entry);
  }
  return entries;
}

absl::StatusOr<std::vector<OrderStore::OutboxItem>> OrderStore::OutboxDue(
    int64_t enqueued_at_ms_max, int limit) {
  if (limit < 1 || limit > kBatchMax) return absl::InvalidArgumentError("outbox limit out of range");
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  absl::StatusOr<RedisReply> reply = (*session)->Command(
      {"ZRANGEBYSCORE", keys_.Outbox(), "-inf", absl::StrCat(enqueued_at_ms_max), "WITHSCORES",
       "LIMIT", "0", absl::StrCat(limit)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() % 2 != 0) {
    return Corrupt("ZRANGEBYSCORE reply", reply->DebugString());
  }
  std::vector<OutboxItem> items;
  for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    // Scores come back as decimal text; ours are integral milliseconds.
    double score = 0;
    if (!absl::SimpleAtod(reply->elements[i + 1].str, &score)) {
      return Corrupt("outbox score", reply->elements[i + 1].str);
    }
    items.push_back({.event_id = reply->elements[i].str,
                     .enqueued_at_ms = static_cast<int64_t>(score)});
  }
  return items;
}

absl::StatusOr<std::vector<std::string>> OrderStore::PendingOutbox(const std::string& order_id) {
  // In publish order (see OutboxPublishRank).
  const std::vector<std::string> candidates = {OutboxMember(order_id, kOrderPlaced),
                                               OutboxMember(order_id, kOrderCancellationRequested)};
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  std::vector<Command> queries;
  for (const std::string& member : candidates) queries.push_back({"ZSCORE", keys_.Outbox(), member});
  absl::StatusOr<std::vector<RedisReply>> scores = (*session)->Pipeline(queries);
  if (!scores.ok()) return scores.status();
  if (absl::Status errors = ErrorReplies("ZSCORE", *scores); !errors.ok()) return errors;
  std::vector<std::string> pending;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!(*scores)[i].is_nil()) pending.push_back(candidates[i]);
  }
  return pending;
}

absl::Status OrderStore::RemoveFromOutbox(const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return absl::OkStatus();
  if (event_ids.size() > static_cast<size_t>(kBatchMax)) {
    return absl::InvalidArgumentError("too many outbox entries in one removal");
  }
  absl::StatusOr<RedisSessionPool::Session> session = pool_->Acquire();
  if (!session.ok()) return session.status();
  Command zrem = {"ZREM", keys_.Outbox()};
  zrem.insert(zrem.end(), event_ids.begin(), event_ids.end());
  absl::StatusOr<RedisReply> reply = (*session)->Command(zrem);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::InternalError(absl::StrCat("ZREM: ", reply->str));
  return absl::OkStatus();
}

}  // namespace orderplatform::order
