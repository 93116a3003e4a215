// The payment ledger: one Redis hash per order (payment_keys.h), written with plain commands
// (no Lua) so that replays, zombie instances and concurrent consumers can never pay twice.
//
//   PaymentLedger ledger(&redis, PaymentKeys(), {.retention = absl::Hours(24 * 7)});
//   ASSIGN_OR_RETURN(RecordOutcome r, ledger.RecordDecision(proposed));  // first writer wins
//   announce(r.entry);           // what the ledger holds, NOT `proposed`
//   ASSIGN_OR_RETURN(RefundOutcome f, ledger.Refund("o-1", now_ms));      // AUTHORIZED -> REFUNDED
//
// Writes:
// - RecordDecision is one MULTI/EXEC of HSETNX per field (state first) plus PEXPIRE NX. The
//   transaction makes the entry appear whole or not at all (a crash cannot leave a state without
//   its amount), and HSETNX makes the first decision stick: a replay, or a zombie instance that
//   decided under an older behavior, changes nothing, and learns what was decided from the
//   HGETALL that follows in the same round trip.
// - Refund is optimistic: WATCH, read, and MULTI/EXEC of the transition only if the entry is
//   AUTHORIZED; a concurrent change of the entry aborts the EXEC and the refund re-reads, at most
//   `refund_attempts_max` times (then ABORTED: retry at a higher level, the consumer's backoff).
//   If the connection is lost between WATCH and EXEC, the client reconnects and the EXEC runs
//   unwatched; its body (HSET state REFUNDED, HSETNX refunded_at_ms) is the only transition an
//   AUTHORIZED entry has, so running it twice is harmless.
//
// Retention: every entry expires `retention` after its last change (decision, refund). It must
// outlive the replay horizon of inventory.v1 (its Kafka retention, plus consumer lag): an entry
// forgotten while its StockReserved can still be replayed would be decided anew, and under a
// changed behavior could authorize an order that was declined or refunded. Without an expiry the
// ledger would grow forever.
//
// Status codes: UNAVAILABLE (Redis down or slow: retry), ABORTED (refund kept conflicting: retry
// later), INTERNAL (an entry that is not a ledger entry: corrupt data or a bug), INVALID_ARGUMENT
// (a caller bug: a decision without a state).
//
// Thread-safe. WATCH state lives on the connection, so a ledger serializes its own transactions;
// use one PaymentLedger per RedisClient and run no other WATCH/MULTI on that client. Needs
// Redis >= 7.0 (PEXPIRE ... NX).
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_LEDGER_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_LEDGER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "platform/redis/client.h"
#include "services/payment/ledger_entry.h"
#include "services/payment/payment_keys.h"

namespace orderplatform::payment {

struct LedgerOptions {
  absl::Duration retention = absl::Hours(24 * 7);
  int refund_attempts_max = 8;
  // Test seam: runs in each refund attempt after the read and before MULTI/EXEC, so a test can
  // make a concurrent writer change the entry at exactly that moment.
  std::function<void()> before_refund_exec_for_testing;
};

struct RecordOutcome {
  LedgerEntry entry;          // what the ledger holds now: the first decision ever recorded
  bool recorded_now = false;  // this call's decision is the one that stuck
};

struct RefundOutcome {
  std::optional<LedgerEntry> entry;  // the entry after the call; nullopt: no entry
  bool refunded_now = false;         // this call moved it from AUTHORIZED to REFUNDED
};

class PaymentLedger {
 public:
  PaymentLedger(redis::RedisClient* redis, PaymentKeys keys, LedgerOptions options = {});

  // Records `decision` (state AUTHORIZED or DECLINED, or no_answer with state UNSPECIFIED;
  // decided_at_ms set) unless the order already has an entry. refunded_at_ms is ignored.
  absl::StatusOr<RecordOutcome> RecordDecision(const LedgerEntry& decision);

  // RecordDecision for many orders in one round trip (one MULTI/EXEC per decision, pipelined):
  // the same first-writer-wins per order, in order, so a later decision for an order earlier in
  // the list finds the earlier one. The outer status is not OK when Redis is unavailable (then
  // any of them may have been recorded); each decision's own error fails only that decision.
  absl::StatusOr<std::vector<absl::StatusOr<RecordOutcome>>> RecordDecisions(
      const std::vector<LedgerEntry>& decisions);

  // Get for many orders in one round trip; each entry's own error (a corrupt entry) is its own.
  absl::StatusOr<std::vector<absl::StatusOr<std::optional<LedgerEntry>>>> GetMany(
      const std::vector<std::string>& order_ids);

  // The order's entry; nullopt when there is none (never decided, or expired). An entry marked
  // no_answer is returned as such: callers that show payments must skip it.
  absl::StatusOr<std::optional<LedgerEntry>> Get(const std::string& order_id);

  // AUTHORIZED -> REFUNDED (refunded_at_ms = now_ms). Any other state (no_answer too), or no
  // entry, is returned
  // unchanged with refunded_now = false; so is an entry that is REFUNDED already.
  absl::StatusOr<RefundOutcome> Refund(const std::string& order_id, int64_t now_ms);

 private:
  // The commands that record `decision` (MULTI .. EXEC, then HGETALL).
  std::vector<std::vector<std::string>> RecordCommands(const LedgerEntry& decision) const;
  // The outcome from the replies to RecordCommands.
  absl::StatusOr<RecordOutcome> RecordOutcomeFrom(const LedgerEntry& decision,
                                                  absl::Span<const redis::RedisReply> replies) const;
  // One WATCH..EXEC attempt; nullopt when the EXEC was aborted by a concurrent change.
  absl::StatusOr<std::optional<RefundOutcome>> RefundAttemptLocked(const std::string& order_id,
                                                                   int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the connection's WATCH after an attempt that does not reach EXEC.
  void UnwatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  redis::RedisClient* const redis_;
  const PaymentKeys keys_;
  const LedgerOptions options_;
  const std::string retention_ms_text_;

  absl::Mutex mu_;  // serializes this ledger's transactions on the shared connection
};

// The fields of an HGETALL reply as an entry; nullopt for an empty reply (no key). INTERNAL
// when the hash is not a complete ledger entry. Exposed for tests.
absl::StatusOr<std::optional<LedgerEntry>> ParseLedgerEntry(const std::string& order_id,
                                                            const redis::RedisReply& hgetall);

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_LEDGER_H_
