#include "services/payment/payment_ledger.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::PaymentState;
using redis::RedisReply;

constexpr char kState[] = "state";
constexpr char kAmountCents[] = "amount_cents";
constexpr char kCurrency[] = "currency";
constexpr char kDeclineReason[] = "decline_reason";
constexpr char kDecidedAtMs[] = "decided_at_ms";
constexpr char kRefundedAtMs[] = "refunded_at_ms";
// The `state` of an order the mock never answers: not a PaymentState name, so no code that reads
// the state as a payment can mistake it for one.
constexpr char kNoAnswerState[] = "NO_ANSWER";

// A ledger hash has six fields; anything much larger is not ours.
constexpr size_t kLedgerFieldsMax = 16;

absl::Status Corrupt(const std::string& order_id, absl::string_view what) {
  return absl::InternalError(absl::StrCat("ledger entry of ", order_id, ": ", what));
}

// An error reply is Redis refusing the command (WRONGTYPE: the key is not a hash; a syntax error
// on an old Redis): not an outage, and retrying does not help.
absl::Status ReplyError(absl::string_view command, const RedisReply& reply) {
  return absl::InternalError(absl::StrCat(command, " failed: ", reply.DebugString()));
}

absl::StatusOr<int64_t> ParseMs(const std::string& order_id,
                                const absl::flat_hash_map<std::string, std::string>& fields,
                                const char* name, bool required) {
  auto it = fields.find(name);
  if (it == fields.end()) {
    if (required) return Corrupt(order_id, absl::StrCat("missing ", name));
    return 0;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return Corrupt(order_id, absl::StrCat(name, " is not an integer"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::optional<LedgerEntry>> ParseLedgerEntry(const std::string& order_id,
                                                            const RedisReply& hgetall) {
  if (hgetall.is_error()) return ReplyError("HGETALL", hgetall);
  if (!hgetall.is_array() || hgetall.elements.size() % 2 != 0 ||
      hgetall.elements.size() > 2 * kLedgerFieldsMax) {
    return Corrupt(order_id, "not a field/value list");
  }
  if (hgetall.elements.empty()) return std::nullopt;
  absl::flat_hash_map<std::string, std::string> fields;
  for (size_t i = 0; i < hgetall.elements.size(); i += 2) {
    absl::StatusOr<std::string> field = hgetall.elements[i].AsString();
    absl::StatusOr<std::string> value = hgetall.elements[i + 1].AsString();
    if (!field.ok() || !value.ok()) return Corrupt(order_id, "non-string field");
    fields[*field] = *std::move(value);
  }

  LedgerEntry entry;
  entry.order_id = order_id;
  auto state = fields.find(kState);
  PaymentState parsed = orderplatform::v1::PAYMENT_STATE_UNSPECIFIED;
  if (state != fields.end() && state->second == kNoAnswerState) {
    entry.no_answer = true;
  } else if (state == fields.end() ||
             !orderplatform::v1::PaymentState_Parse(state->second, &parsed) ||
             parsed == orderplatform::v1::PAYMENT_STATE_UNSPECIFIED) {
    return Corrupt(order_id, "missing or unknown state");
  }
  entry.state = parsed;
  absl::StatusOr<int64_t> amount = ParseMs(order_id, fields, kAmountCents, /*required=*/true);
  if (!amount.ok()) return amount.status();
  entry.amount_cents = *amount;
  absl::StatusOr<int64_t> decided = ParseMs(order_id, fields, kDecidedAtMs, /*required=*/true);
  if (!decided.ok()) return decided.status();
  entry.decided_at_ms = *decided;
  absl::StatusOr<int64_t> refunded = ParseMs(order_id, fields, kRefundedAtMs,
                                             /*required=*/parsed == orderplatform::v1::REFUNDED);
  if (!refunded.ok()) return refunded.status();
  entry.refunded_at_ms = *refunded;
  if (auto it = fields.find(kCurrency); it != fields.end()) entry.currency = it->second;
  if (auto it = fields.find(kDeclineReason); it != fields.end()) entry.decline_reason = it->second;
  return entry;
}

PaymentLedger::PaymentLedger(redis::RedisClient* redis, PaymentKeys keys, LedgerOptions options)
    : redis_(redis),
      keys_(std::move(keys)),
      options_(std::move(options)),
      retention_ms_text_(absl::StrCat(absl::ToInt64Milliseconds(options_.retention))) {}

namespace {

absl::Status CheckDecision(const LedgerEntry& decision) {
  const bool answered = decision.state == orderplatform::v1::AUTHORIZED ||
                        decision.state == orderplatform::v1::DECLINED;
  if (decision.order_id.empty() || answered == decision.no_answer) {
    return absl::InvalidArgumentError(
        "a decision needs an order id and AUTHORIZED, DECLINED or no_answer (only one)");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::vector<std::string>> PaymentLedger::RecordCommands(
    const LedgerEntry& decision) const {
  const std::string key = keys_.Ledger(decision.order_id);
  // Every field is written with HSETNX, the reason too (empty when authorized): the transaction
  // that creates the entry writes all of them, so a later transaction changes none of them, not
  // even by adding a field the first decision did not have.
  return {
      {"MULTI"},
      {"HSETNX", key, kState,
       decision.no_answer ? kNoAnswerState
                          : orderplatform::v1::PaymentState_Name(decision.state)},
      {"HSETNX", key, kAmountCents, absl::StrCat(decision.amount_cents)},
      {"HSETNX", key, kCurrency, decision.currency},
      {"HSETNX", key, kDeclineReason, decision.decline_reason},
      {"HSETNX", key, kDecidedAtMs, absl::StrCat(decision.decided_at_ms)},
      // NX: a replay must not extend the retention of an entry it did not write.
      {"PEXPIRE", key, retention_ms_text_, "NX"},
      {"EXEC"},
      {"HGETALL", key},
  };
}

absl::StatusOr<RecordOutcome> PaymentLedger::RecordOutcomeFrom(
    const LedgerEntry& decision, absl::Span<const RedisReply> replies) const {
  static constexpr char const* kCommandNames[] = {"MULTI",  "HSETNX", "HSETNX", "HSETNX",
                                                  "HSETNX", "HSETNX", "PEXPIRE"};
  constexpr size_t kQueued = 6;  // the five HSETNX and the PEXPIRE inside MULTI .. EXEC
  for (size_t i = 0; i + 2 < replies.size(); ++i) {
    if (replies[i].is_error()) return ReplyError(kCommandNames[i], replies[i]);
  }
  const RedisReply& exec = replies[replies.size() - 2];
  if (exec.is_nil()) {
    // Only a WATCH on this connection can abort it, and this ledger never leaves one behind.
    return absl::AbortedError(absl::StrCat("ledger write of ", decision.order_id, " aborted"));
  }
  if (!exec.is_array() || exec.elements.size() != kQueued) return ReplyError("EXEC", exec);
  for (const RedisReply& reply : exec.elements) {
    if (reply.is_error()) return ReplyError("HSETNX", reply);
  }
  absl::StatusOr<std::optional<LedgerEntry>> entry =
      ParseLedgerEntry(decision.order_id, replies.back());
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) {
    // The transaction just wrote it; only an expiry shorter than a round trip could remove it.
    return Corrupt(decision.order_id, "missing right after it was written");
  }
  return RecordOutcome{.entry = **std::move(entry), .recorded_now = exec.elements[0].integer == 1};
}

absl::StatusOr<RecordOutcome> PaymentLedger::RecordDecision(const LedgerEntry& decision) {
  absl::StatusOr<std::vector<absl::StatusOr<RecordOutcome>>> outcomes =
      RecordDecisions({decision});
  if (!outcomes.ok()) return outcomes.status();
  return std::move(outcomes->front());
}

absl::StatusOr<std::vector<absl::StatusOr<RecordOutcome>>> PaymentLedger::RecordDecisions(
    const std::vector<LedgerEntry>& decisions) {
  std::vector<absl::StatusOr<RecordOutcome>> outcomes(decisions.size(),
                                                      absl::InternalError("not recorded"));
  std::vector<std::vector<std::string>> commands;
  std::vector<size_t> recorded;  // index of each decision that is sent
  size_t per_decision = 0;
  for (size_t i = 0; i < decisions.size(); ++i) {
    if (absl::Status valid = CheckDecision(decisions[i]); !valid.ok()) {
      outcomes[i] = valid;
      continue;
    }
    std::vector<std::vector<std::string>> more = RecordCommands(decisions[i]);
    per_decision = more.size();
    for (auto& command : more) commands.push_back(std::move(command));
    recorded.push_back(i);
  }
  if (recorded.empty()) return outcomes;
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<RedisReply>> replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t r = 0; r < recorded.size(); ++r) {
    const size_t i = recorded[r];
    outcomes[i] = RecordOutcomeFrom(
        decisions[i], absl::MakeConstSpan(*replies).subspan(r * per_decision, per_decision));
  }
  return outcomes;
}

absl::StatusOr<std::vector<absl::StatusOr<std::optional<LedgerEntry>>>> PaymentLedger::GetMany(
    const std::vector<std::string>& order_ids) {
  std::vector<std::vector<std::string>> reads;
  reads.reserve(order_ids.size());
  for (const std::string& order_id : order_ids) reads.push_back({"HGETALL", keys_.Ledger(order_id)});
  std::vector<absl::StatusOr<std::optional<LedgerEntry>>> entries;
  if (reads.empty()) return entries;
  absl::StatusOr<std::vector<RedisReply>> replies = redis_->Pipeline(reads);
  if (!replies.ok()) return replies.status();
  entries.reserve(order_ids.size());
  for (size_t i = 0; i < order_ids.size(); ++i) {
    entries.push_back(ParseLedgerEntry(order_ids[i], (*replies)[i]));
  }
  return entries;
}

absl::StatusOr<std::optional<LedgerEntry>> PaymentLedger::Get(const std::string& order_id) {
  absl::StatusOr<RedisReply> reply = redis_->Command({"HGETALL", keys_.Ledger(order_id)});
  if (!reply.ok()) return reply.status();
  return ParseLedgerEntry(order_id, *reply);
}

absl::StatusOr<RefundOutcome> PaymentLedger::Refund(const std::string& order_id, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  // Bounded: each aborted attempt means another writer changed this entry in between, and an
  // entry has exactly one transition, so conflicts end quickly; the bound covers a pathological
  // writer.
  for (int attempt = 1; attempt <= options_.refund_attempts_max; ++attempt) {
    absl::StatusOr<std::optional<RefundOutcome>> outcome = RefundAttemptLocked(order_id, now_ms);
    if (!outcome.ok()) return outcome.status();
    if (outcome->has_value()) return **std::move(outcome);
    log::LogDebug("payment_refund_conflict", {{"order_id", order_id}, {"attempt", attempt}});
  }
  return absl::AbortedError(
      absl::StrCat("refund of ", order_id, " conflicted ", options_.refund_attempts_max, " times"));
}

absl::StatusOr<std::optional<RefundOutcome>> PaymentLedger::RefundAttemptLocked(
    const std::string& order_id, int64_t now_ms) {
  const std::string key = keys_.Ledger(order_id);
  absl::StatusOr<RedisReply> watched = redis_->Command({"WATCH", key});
  if (!watched.ok()) return watched.status();  // the client dropped the connection, and the WATCH
  if (watched->is_error()) return ReplyError("WATCH", *watched);

  absl::StatusOr<RedisReply> read = redis_->Command({"HGETALL", key});
  if (!read.ok()) return read.status();
  absl::StatusOr<std::optional<LedgerEntry>> entry = ParseLedgerEntry(order_id, *read);
  if (!entry.ok() || !entry->has_value() || (*entry)->state != orderplatform::v1::AUTHORIZED) {
    UnwatchLocked();
    if (!entry.ok()) return entry.status();
    return RefundOutcome{.entry = *std::move(entry), .refunded_now = false};
  }
  if (options_.before_refund_exec_for_testing) options_.before_refund_exec_for_testing();

  // One round trip, under the client's lock: no other thread's command can be queued into it.
  const std::vector<std::vector<std::string>> commands = {
      {"MULTI"},
      {"HSET", key, kState, orderplatform::v1::PaymentState_Name(orderplatform::v1::REFUNDED)},
      {"HSETNX", key, kRefundedAtMs, absl::StrCat(now_ms)},
      // The refund is a new fact with its own replay horizon (the StockReleased behind it).
      {"PEXPIRE", key, retention_ms_text_},
      {"EXEC"},
      {"HGETALL", key},
  };
  absl::StatusOr<std::vector<RedisReply>> replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i + 2 < replies->size(); ++i) {
    if ((*replies)[i].is_error()) return ReplyError(commands[i][0], (*replies)[i]);
  }
  const RedisReply& exec = (*replies)[commands.size() - 2];
  if (exec.is_nil()) return std::nullopt;  // the entry changed after WATCH: read again
  if (!exec.is_array()) return ReplyError("EXEC", exec);
  for (const RedisReply& reply : exec.elements) {
    if (reply.is_error()) return ReplyError("refund transaction", reply);
  }
  absl::StatusOr<std::optional<LedgerEntry>> after = ParseLedgerEntry(order_id, replies->back());
  if (!after.ok()) return after.status();
  return RefundOutcome{.entry = *std::move(after), .refunded_now = true};
}

void PaymentLedger::UnwatchLocked() {
  // A WATCH left behind would abort this connection's next MULTI/EXEC. If UNWATCH itself fails,
  // the client has dropped the connection, and the WATCH went with it.
  absl::StatusOr<RedisReply> reply = redis_->Command({"UNWATCH"});
  if (!reply.ok()) {
    log::LogWarn("payment_unwatch_failed", {{"error", reply.status().message()}});
  }
}

}  // namespace orderplatform::payment
