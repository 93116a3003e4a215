#include "services/inventory/reservation_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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

absl::Status ReplyError(absl::string_view script, const RedisReply& reply) {
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

// A stock_set/stock_get reply as a level; nullopt when it has not the three numbers.
std::optional<StockLevel> StockFromReply(const std::string& sku, const RedisReply& reply) {
  if (!reply.is_array() || reply.elements.size() != 3) return std::nullopt;
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

// The reply to HMGET <record> skus quantities, as lines (empty when there is no record).
absl::StatusOr<std::vector<OrderLine>> LinesFromHmget(const RedisReply& reply) {
  if (!reply.is_array() || reply.elements.size() != 2) {
    return absl::InternalError(absl::StrCat("HMGET reservation: ", reply.DebugString()));
  }
  return LinesFromFields(reply.elements[0], reply.elements[1]);
}

absl::StatusOr<ReserveOutcome> ReserveFromReply(const RedisReply& reply) {
  if (!reply.is_array() || reply.elements.empty()) return ReplyError("reserve", reply);
  ReserveOutcome outcome;
  if (Text(reply, 0) == "RESERVED") {
    outcome.reserved = true;
    outcome.deadline_ms = Number(reply, 1);
    outcome.reserved_at_ms = Number(reply, 2);
  } else if (Text(reply, 0) == "REJECTED") {
    outcome.reject_index = static_cast<int>(Number(reply, 1)) - 1;  // Lua counts from 1
    outcome.requested = Number(reply, 2);
    outcome.available = Number(reply, 3);
  } else {
    return ReplyError("reserve", reply);
  }
  return outcome;
}

absl::StatusOr<CloseOutcome> CloseFromReply(absl::string_view script, const RedisReply& reply,
                                            std::vector<OrderLine> lines) {
  if (!reply.is_array() || reply.elements.empty()) return ReplyError(script, reply);
  CloseOutcome outcome;
  outcome.lines = std::move(lines);
  const std::string kind = Text(reply, 0);
  if (kind == "COMMITTED") {
    outcome.kind = CloseOutcome::Kind::kCommitted;
    outcome.changed_now = Number(reply, 1) == 1;
  } else if (kind == "RELEASED") {
    outcome.kind = CloseOutcome::Kind::kReleased;
    outcome.reason = ReasonFromName(Text(reply, 1));
    outcome.changed_now = Number(reply, 2) == 1;
  } else if (kind == "REJECTED") {
    outcome.kind = CloseOutcome::Kind::kRejected;
  } else if (kind == "NOT_FOUND") {
    outcome.kind = CloseOutcome::Kind::kNotFound;
  } else {
    return ReplyError(script, reply);
  }
  return outcome;
}

// A wave of RunBatch is two pipelines; bounding it bounds the memory of one round trip.
constexpr size_t kWaveOpsMax = 1000;

}  // namespace

ReservationStore::ReservationStore(redis::RedisClient* redis, InventoryKeys keys,
                                   absl::Duration retention, metrics::Registry* metrics)
    : redis_(redis), keys_(std::move(keys)), retention_ms_(absl::ToInt64Milliseconds(retention)) {
  if (metrics == nullptr) return;
  script_duration_ = &metrics->AddHistogram(
      "orderplatform_lua_script_duration_seconds",
      "Round trips that ran an inventory Lua script (EVALSHA, with SCRIPT LOAD after NOSCRIPT), "
      "by script; the calls of one pipelined batch share one observation per script.",
      {"script"}, metrics::kLatencyBucketsSeconds);
  script_errors_ = &metrics->AddCounter(
      "orderplatform_lua_script_errors_total",
      "Inventory Lua script calls that failed, by script and reason: unavailable (Redis gave no "
      "reply), error_reply (the script raised: corrupt data or a bug; the message goes to the "
      ".dlq), unexpected_reply (a reply the service cannot read: script and binary disagree).",
      {"script", "reason"});
  // Every series exists from the start at 0: an alert on increase() would miss the first error
  // of a series that only appears with it.
  for (const LuaScript* script : {&ReserveScript(), &CommitScript(), &ReleaseScript(),
                                  &ExpireScript(), &StockSetScript(), &StockGetScript()}) {
    for (absl::string_view reason : {"unavailable", "error_reply", "unexpected_reply"}) {
      script_errors_->WithLabels({script->name, reason});
    }
  }
}

void ReservationStore::ObserveRoundTrip(const std::vector<const LuaScript*>& scripts,
                                        absl::Duration elapsed, bool ok) {
  if (script_duration_ == nullptr) return;
  for (const LuaScript* script : scripts) {
    script_duration_->WithLabels({script->name}).ObserveDuration(elapsed);
    if (!ok) CountScriptError(script->name, "unavailable");
  }
}

void ReservationStore::CountScriptError(absl::string_view script, absl::string_view reason) {
  if (script_errors_ != nullptr) script_errors_->WithLabels({script, reason}).Increment();
}

absl::Status ReservationStore::ScriptError(absl::string_view script, const RedisReply& reply) {
  CountScriptError(script, reply.is_error() ? "error_reply" : "unexpected_reply");
  return ReplyError(script, reply);
}

absl::StatusOr<RedisReply> ReservationStore::RunScript(const LuaScript& script,
                                                       const std::vector<std::string>& keys,
                                                       const std::vector<std::string>& args) {
  const absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> reply = redis_->EvalSha(script, keys, args);
  ObserveRoundTrip({&script}, absl::Now() - start, reply.ok());
  return reply;
}

absl::StatusOr<ReserveOutcome> ReservationStore::Reserve(const std::string& order_id,
                                                         const std::vector<OrderLine>& lines,
                                                         int64_t now_ms, int64_t deadline_ms,
                                                         const std::string& traceparent) {
  absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> results =
      RunBatch({ReservationOp{.kind = ReservationOp::Kind::kReserve,
                              .order_id = order_id,
                              .lines = lines,
                              .now_ms = now_ms,
                              .deadline_ms = deadline_ms,
                              .traceparent = traceparent}});
  if (!results.ok()) return results.status();
  if (!results->front().ok()) return results->front().status();
  return std::get<ReserveOutcome>(*results->front());
}

absl::StatusOr<CloseOutcome> ReservationStore::Commit(const std::string& order_id, int64_t now_ms) {
  absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> results = RunBatch(
      {ReservationOp{.kind = ReservationOp::Kind::kCommit, .order_id = order_id, .now_ms = now_ms}});
  if (!results.ok()) return results.status();
  if (!results->front().ok()) return results->front().status();
  return std::get<CloseOutcome>(*results->front());
}

absl::StatusOr<CloseOutcome> ReservationStore::Release(const std::string& order_id,
                                                       CancelReason reason, int64_t now_ms) {
  absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> results =
      RunBatch({ReservationOp{.kind = ReservationOp::Kind::kRelease,
                              .order_id = order_id,
                              .reason = reason,
                              .now_ms = now_ms}});
  if (!results.ok()) return results.status();
  if (!results->front().ok()) return results->front().status();
  return std::get<CloseOutcome>(*results->front());
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

redis::ScriptCall ReservationStore::ReserveCall(const ReservationOp& op) const {
  redis::ScriptCall call{.script = &ReserveScript(),
                         .keys = {keys_.Reservation(op.order_id), keys_.Deadlines()},
                         .args = {op.order_id, absl::StrCat(op.now_ms),
                                  absl::StrCat(op.deadline_ms), absl::StrCat(retention_ms_),
                                  op.traceparent}};
  for (const OrderLine& line : op.lines) {
    call.keys.push_back(keys_.Stock(line.sku()));
    call.args.push_back(line.sku());
    call.args.push_back(absl::StrCat(line.quantity()));
  }
  return call;
}

redis::ScriptCall ReservationStore::CloseCall(const ReservationOp& op,
                                              const std::vector<OrderLine>& lines) const {
  const bool commit = op.kind == ReservationOp::Kind::kCommit;
  redis::ScriptCall call{
      .script = commit ? &CommitScript() : &ReleaseScript(),
      .keys = {keys_.Reservation(op.order_id), keys_.Deadlines()},
      .args = {op.order_id, absl::StrCat(op.now_ms), absl::StrCat(retention_ms_)}};
  if (!commit) call.args.push_back(orderplatform::v1::CancelReason_Name(op.reason));
  for (const OrderLine& line : lines) {
    call.keys.push_back(keys_.Stock(line.sku()));
    call.args.push_back(line.sku());
  }
  return call;
}

absl::StatusOr<std::vector<absl::StatusOr<ReservationOutcome>>> ReservationStore::RunBatch(
    const std::vector<ReservationOp>& ops) {
  std::vector<absl::StatusOr<ReservationOutcome>> results(
      ops.size(), absl::InternalError("not run"));
  // Cut into waves of distinct orders: a wave's HMGETs run before any of its scripts, so a
  // commit must not share a wave with the reserve that creates the record it reads.
  size_t begin = 0;
  absl::flat_hash_set<absl::string_view> in_wave;
  for (size_t i = 0; i <= ops.size(); ++i) {
    const bool wave_full = i - begin >= kWaveOpsMax;
    if (i == ops.size() || wave_full || !in_wave.insert(ops[i].order_id).second) {
      if (i > begin) {
        if (absl::Status wave = RunWave(ops, begin, i, &results); !wave.ok()) return wave;
      }
      begin = i;
      in_wave.clear();
      if (i < ops.size()) in_wave.insert(ops[i].order_id);
    }
  }
  return results;
}

absl::Status ReservationStore::RunWave(const std::vector<ReservationOp>& ops, size_t begin,
                                       size_t end,
                                       std::vector<absl::StatusOr<ReservationOutcome>>* results) {
  // The lines never change once reserved, so reading them first and passing their keys keeps
  // every key a close script touches declared (a Redis Cluster requirement) without a race.
  std::vector<std::vector<std::string>> reads;
  std::vector<size_t> read_index(end - begin, 0);
  for (size_t i = begin; i < end; ++i) {
    if (ops[i].kind == ReservationOp::Kind::kReserve) continue;
    read_index[i - begin] = reads.size();
    reads.push_back({"HMGET", keys_.Reservation(ops[i].order_id), "skus", "quantities"});
  }
  std::vector<RedisReply> records;
  if (!reads.empty()) {
    absl::StatusOr<std::vector<RedisReply>> replies = redis_->Pipeline(reads);
    if (!replies.ok()) return replies.status();
    records = *std::move(replies);
  }

  std::vector<redis::ScriptCall> calls;
  std::vector<size_t> call_op;  // op index of each call
  std::vector<std::vector<OrderLine>> closed_lines(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const ReservationOp& op = ops[i];
    if (op.kind == ReservationOp::Kind::kReserve) {
      calls.push_back(ReserveCall(op));
    } else {
      absl::StatusOr<std::vector<OrderLine>> lines = LinesFromHmget(records[read_index[i - begin]]);
      if (!lines.ok()) {
        (*results)[i] = lines.status();
        continue;
      }
      closed_lines[i - begin] = *std::move(lines);
      calls.push_back(CloseCall(op, closed_lines[i - begin]));
    }
    call_op.push_back(i);
  }
  std::vector<const LuaScript*> scripts;
  for (const redis::ScriptCall& call : calls) {
    if (std::find(scripts.begin(), scripts.end(), call.script) == scripts.end()) {
      scripts.push_back(call.script);
    }
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<RedisReply>> replies = redis_->EvalShaPipeline(calls);
  ObserveRoundTrip(scripts, absl::Now() - start, replies.ok());
  if (!replies.ok()) return replies.status();
  for (size_t c = 0; c < calls.size(); ++c) {
    const size_t i = call_op[c];
    const RedisReply& reply = (*replies)[c];
    if (ops[i].kind == ReservationOp::Kind::kReserve) {
      absl::StatusOr<ReserveOutcome> outcome = ReserveFromReply(reply);
      if (!outcome.ok()) {
        CountScriptError(calls[c].script->name,
                         reply.is_error() ? "error_reply" : "unexpected_reply");
      }
      (*results)[i] = outcome.ok() ? absl::StatusOr<ReservationOutcome>(*outcome)
                                   : absl::StatusOr<ReservationOutcome>(outcome.status());
    } else {
      absl::StatusOr<CloseOutcome> outcome =
          CloseFromReply(calls[c].script->name, reply, std::move(closed_lines[i - begin]));
      if (!outcome.ok()) {
        CountScriptError(calls[c].script->name,
                         reply.is_error() ? "error_reply" : "unexpected_reply");
      }
      (*results)[i] = outcome.ok() ? absl::StatusOr<ReservationOutcome>(*std::move(outcome))
                                   : absl::StatusOr<ReservationOutcome>(outcome.status());
    }
  }
  return absl::OkStatus();
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
    if (!record.is_array() || record.elements.size() != 3) {
      return absl::InternalError(absl::StrCat("HMGET reservation: ", record.DebugString()));
    }
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
  absl::StatusOr<RedisReply> reply = RunScript(ExpireScript(), keys, args);
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
      RunScript(StockSetScript(), {keys_.Stock(sku)}, {absl::StrCat(available)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) {
    return absl::InvalidArgumentError(absl::StrCat("stock_set: ", reply->str));
  }
  std::optional<StockLevel> level = StockFromReply(sku, *reply);
  if (!level.has_value()) return ScriptError("stock_set", *reply);
  return *std::move(level);
}

absl::StatusOr<StockLevel> ReservationStore::GetStock(const std::string& sku) {
  absl::StatusOr<RedisReply> reply = RunScript(StockGetScript(), {keys_.Stock(sku)}, {});
  if (!reply.ok()) return reply.status();
  std::optional<StockLevel> level = StockFromReply(sku, *reply);
  if (!level.has_value()) return ScriptError("stock_get", *reply);
  return *std::move(level);
}

absl::StatusOr<ReservationCounts> ReservationStore::CountReservations() {
  absl::StatusOr<std::vector<RedisReply>> replies =
      redis_->Pipeline({{"ZCARD", keys_.Deadlines()}, {"ZCARD", keys_.ExpiryOutbox()}});
  if (!replies.ok()) return replies.status();
  if (replies->size() != 2 || !(*replies)[0].is_integer() || !(*replies)[1].is_integer()) {
    return absl::InternalError("ZCARD of the reservation indexes did not answer integers");
  }
  return ReservationCounts{.open = (*replies)[0].integer,
                           .unannounced_expiries = (*replies)[1].integer};
}

}  // namespace orderplatform::inventory
