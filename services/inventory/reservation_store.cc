#include "services/inventory/reservation_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lua/lua_scripts.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::OrderLine;
using orderplatform::v1::StockLevel;
using redis::LuaScript;
using redis::RedisReply;

const LuaScript& ReserveScript() {
  static const LuaScript* script = new LuaScript{"reserve", std::string(lua::k_reserve)};
  return *script;
}
const LuaScript& CommitScript() {
  static const LuaScript* script = new LuaScript{"commit", std::string(lua::k_commit)};
  return *script;
}
const LuaScript& ReleaseScript() {
  static const LuaScript* script = new LuaScript{"release", std::string(lua::k_release)};
  return *script;
}
const LuaScript& ExpireScript() {
  static const LuaScript* script = new LuaScript{"expire", std::string(lua::k_expire)};
  return *script;
}
const LuaScript& StockSetScript() {
  static const LuaScript* script = new LuaScript{"stock_set", std::string(lua::k_stock_set)};
  return *script;
}
const LuaScript& StockGetScript() {
  static const LuaScript* script = new LuaScript{"stock_get", std::string(lua::k_stock_get)};
  return *script;
}

absl::Status ScriptError(absl::string_view script, const RedisReply& reply) {
  return absl::InternalError(absl::StrCat(script, ".lua failed: ", reply.DebugString()));
}

// Element `i` of an array reply as text or integer.
std::string Text(const RedisReply& reply, size_t i) {
  if (i >= reply.elements.size()) return "";
  const RedisReply& e = reply.elements[i];
  return e.is_integer() ? absl::StrCat(e.integer) : e.str;
}
int64_t Number(const RedisReply& reply, size_t i) {
  if (i >= reply.elements.size()) return 0;
  const RedisReply& e = reply.elements[i];
  if (e.is_integer()) return e.integer;
  int64_t value = 0;
  return absl::SimpleAtoi(e.str, &value) ? value : 0;
}

CancelReason ReasonFromName(absl::string_view name) {
  CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
  orderplatform::v1::CancelReason_Parse(std::string(name), &reason);
  return reason;
}

absl::StatusOr<StockLevel> StockFromReply(const std::string& sku, const RedisReply& reply,
                                          absl::string_view script) {
  if (!reply.is_array() || reply.elements.size() != 3) return ScriptError(script, reply);
  StockLevel level;
  level.set_sku(sku);
  level.set_available(Number(reply, 0));
  level.set_reserved(Number(reply, 1));
  level.set_sold(Number(reply, 2));
  return level;
}

// The record's "skus" and "quantities" fields, as lines.
absl::StatusOr<std::vector<OrderLine>> LinesFromFields(const RedisReply& skus,
                                                       const RedisReply& quantities) {
  std::vector<OrderLine> lines;
  if (skus.is_nil() || quantities.is_nil()) return lines;
  std::vector<std::string> sku_list = absl::StrSplit(skus.str, ',', absl::SkipEmpty());
  std::vector<std::string> quantity_list = absl::StrSplit(quantities.str, ',', absl::SkipEmpty());
  if (sku_list.size() != quantity_list.size()) {
    return absl::InternalError("reservation record has mismatched skus and quantities");
  }
  for (size_t i = 0; i < sku_list.size(); ++i) {
    OrderLine line;
    int32_t quantity = 0;
    if (!absl::SimpleAtoi(quantity_list[i], &quantity)) {
      return absl::InternalError("reservation record has a malformed quantity");
    }
    line.set_sku(sku_list[i]);
    line.set_quantity(quantity);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

ReservationStore::ReservationStore(redis::RedisClient* redis, InventoryKeys keys,
                                   absl::Duration retention)
    : redis_(redis), keys_(std::move(keys)), retention_ms_(absl::ToInt64Milliseconds(retention)) {}

absl::StatusOr<ReserveOutcome> ReservationStore::Reserve(const std::string& order_id,
                                                         const std::vector<OrderLine>& lines,
                                                         int64_t now_ms, int64_t deadline_ms,
                                                         const std::string& traceparent) {
  std::vector<std::string> keys = {keys_.Reservation(order_id), keys_.Deadlines()};
  std::vector<std::string> args = {order_id, absl::StrCat(now_ms), absl::StrCat(deadline_ms),
                                   absl::StrCat(retention_ms_), traceparent};
  for (const OrderLine& line : lines) {
    keys.push_back(keys_.Stock(line.sku()));
    args.push_back(line.sku());
    args.push_back(absl::StrCat(line.quantity()));
  }
  absl::StatusOr<RedisReply> reply = redis_->EvalSha(ReserveScript(), keys, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.empty()) return ScriptError("reserve", *reply);
  ReserveOutcome outcome;
  if (Text(*reply, 0) == "RESERVED") {
    outcome.reserved = true;
    outcome.deadline_ms = Number(*reply, 1);
    outcome.reserved_at_ms = Number(*reply, 2);
  } else if (Text(*reply, 0) == "REJECTED") {
    outcome.reject_index = static_cast<int>(Number(*reply, 1)) - 1;  // Lua counts from 1
    outcome.requested = Number(*reply, 2);
    outcome.available = Number(*reply, 3);
  } else {
    return ScriptError("reserve", *reply);
  }
  return outcome;
}

absl::StatusOr<std::vector<OrderLine>> ReservationStore::ReadLines(const std::string& order_id) {
  absl::StatusOr<RedisReply> reply =
      redis_->Command({"HMGET", keys_.Reservation(order_id), "skus", "quantities"});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 2) {
    return absl::InternalError(absl::StrCat("HMGET reservation: ", reply->DebugString()));
  }
  return LinesFromFields(reply->elements[0], reply->elements[1]);
}

absl::StatusOr<ExpiredReservation> ReservationStore::ReadExpired(const std::string& order_id) {
  absl::StatusOr<RedisReply> reply = redis_->Command(
      {"HMGET", keys_.Reservation(order_id), "skus", "quantities", "traceparent"});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 3) {
    return absl::InternalError(absl::StrCat("HMGET reservation: ", reply->DebugString()));
  }
  absl::StatusOr<std::vector<OrderLine>> lines =
      LinesFromFields(reply->elements[0], reply->elements[1]);
  if (!lines.ok()) return lines.status();
  return ExpiredReservation{.order_id = order_id,
                            .lines = *std::move(lines),
                            .traceparent = reply->elements[2].str};
}

absl::StatusOr<CloseOutcome> ReservationStore::RunCloseScript(const LuaScript& script,
                                                              const std::string& order_id,
                                                              std::vector<std::string> extra_args,
                                                              int64_t now_ms) {
  // The lines never change once reserved, so reading them first and passing their keys keeps
  // every key the script touches declared (a Redis Cluster requirement) without a race.
  absl::StatusOr<std::vector<OrderLine>> lines = ReadLines(order_id);
  if (!lines.ok()) return lines.status();
  std::vector<std::string> keys = {keys_.Reservation(order_id), keys_.Deadlines()};
  std::vector<std::string> args = {order_id, absl::StrCat(now_ms), absl::StrCat(retention_ms_)};
  for (std::string& arg : extra_args) args.push_back(std::move(arg));
  for (const OrderLine& line : *lines) {
    keys.push_back(keys_.Stock(line.sku()));
    args.push_back(line.sku());
  }
  absl::StatusOr<RedisReply> reply = redis_->EvalSha(script, keys, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.empty()) return ScriptError(script.name, *reply);

  CloseOutcome outcome;
  outcome.lines = *std::move(lines);
  const std::string kind = Text(*reply, 0);
  if (kind == "COMMITTED") {
    outcome.kind = CloseOutcome::Kind::kCommitted;
    outcome.changed_now = Number(*reply, 1) == 1;
  } else if (kind == "RELEASED") {
    outcome.kind = CloseOutcome::Kind::kReleased;
    outcome.reason = ReasonFromName(Text(*reply, 1));
    outcome.changed_now = Number(*reply, 2) == 1;
  } else if (kind == "REJECTED") {
    outcome.kind = CloseOutcome::Kind::kRejected;
  } else if (kind == "NOT_FOUND") {
    outcome.kind = CloseOutcome::Kind::kNotFound;
  } else {
    return ScriptError(script.name, *reply);
  }
  return outcome;
}

absl::StatusOr<CloseOutcome> ReservationStore::Commit(const std::string& order_id, int64_t now_ms) {
  return RunCloseScript(CommitScript(), order_id, {}, now_ms);
}

absl::StatusOr<CloseOutcome> ReservationStore::Release(const std::string& order_id,
                                                       CancelReason reason, int64_t now_ms) {
  return RunCloseScript(ReleaseScript(), order_id, {orderplatform::v1::CancelReason_Name(reason)},
                        now_ms);
}

absl::StatusOr<std::vector<ExpiredReservation>> ReservationStore::ExpireDue(int64_t now_ms,
                                                                            int limit) {
  absl::StatusOr<RedisReply> due =
      redis_->Command({"ZRANGEBYSCORE", keys_.Deadlines(), "-inf", absl::StrCat(now_ms), "LIMIT",
                       "0", absl::StrCat(limit)});
  if (!due.ok()) return due.status();
  if (!due->is_array() || due->elements.empty()) return std::vector<ExpiredReservation>{};

  std::vector<std::vector<std::string>> reads;
  for (const RedisReply& id : due->elements) {
    reads.push_back({"HMGET", keys_.Reservation(id.str), "skus", "quantities", "traceparent"});
  }
  absl::StatusOr<std::vector<RedisReply>> records = redis_->Pipeline(reads);
  if (!records.ok()) return records.status();

  std::vector<std::string> keys = {keys_.Deadlines(), keys_.ExpiryOutbox()};
  std::vector<std::string> args = {absl::StrCat(now_ms), absl::StrCat(retention_ms_),
                                   absl::StrCat(due->elements.size())};
  std::vector<ExpiredReservation> candidates;
  for (size_t i = 0; i < due->elements.size(); ++i) {
    const RedisReply& record = (*records)[i];
    if (!record.is_array() || record.elements.size() != 3) return ScriptError("HMGET", record);
    absl::StatusOr<std::vector<OrderLine>> lines =
        LinesFromFields(record.elements[0], record.elements[1]);
    if (!lines.ok()) return lines.status();
    const std::string& order_id = due->elements[i].str;
    keys.push_back(keys_.Reservation(order_id));
    args.push_back(order_id);
    args.push_back(absl::StrCat(lines->size()));
    for (const OrderLine& line : *lines) {
      keys.push_back(keys_.Stock(line.sku()));
      args.push_back(line.sku());
    }
    candidates.push_back({.order_id = order_id,
                          .lines = *std::move(lines),
                          .traceparent = record.elements[2].str});
  }
  absl::StatusOr<RedisReply> reply = redis_->EvalSha(ExpireScript(), keys, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 2 * candidates.size()) {
    return ScriptError("expire", *reply);
  }
  std::vector<ExpiredReservation> expired;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (Text(*reply, 2 * i + 1) == "EXPIRED") expired.push_back(std::move(candidates[i]));
  }
  return expired;
}

absl::StatusOr<std::vector<ExpiredReservation>> ReservationStore::UnannouncedExpiries(int limit) {
  absl::StatusOr<RedisReply> ids =
      redis_->Command({"ZRANGE", keys_.ExpiryOutbox(), "0", absl::StrCat(limit - 1)});
  if (!ids.ok()) return ids.status();
  std::vector<ExpiredReservation> out;
  if (!ids->is_array()) return out;
  for (const RedisReply& id : ids->elements) {
    absl::StatusOr<ExpiredReservation> expired = ReadExpired(id.str);
    if (!expired.ok()) return expired.status();
    out.push_back(*std::move(expired));
  }
  return out;
}

absl::Status ReservationStore::MarkAnnounced(const std::vector<std::string>& order_ids) {
  if (order_ids.empty()) return absl::OkStatus();
  std::vector<std::string> command = {"ZREM", keys_.ExpiryOutbox()};
  command.insert(command.end(), order_ids.begin(), order_ids.end());
  absl::StatusOr<RedisReply> reply = redis_->Command(command);
  return reply.ok() ? absl::OkStatus() : reply.status();
}

absl::StatusOr<StockLevel> ReservationStore::SetStock(const std::string& sku, int64_t available) {
  absl::StatusOr<RedisReply> reply =
      redis_->EvalSha(StockSetScript(), {keys_.Stock(sku)}, {absl::StrCat(available)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) {
    return absl::InvalidArgumentError(absl::StrCat("stock_set: ", reply->str));
  }
  return StockFromReply(sku, *reply, "stock_set");
}

absl::StatusOr<StockLevel> ReservationStore::GetStock(const std::string& sku) {
  absl::StatusOr<RedisReply> reply = redis_->EvalSha(StockGetScript(), {keys_.Stock(sku)}, {});
  if (!reply.ok()) return reply.status();
  return StockFromReply(sku, *reply, "stock_get");
}

}  // namespace orderplatform::inventory
