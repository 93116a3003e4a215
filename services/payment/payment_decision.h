// The payment mock's decision, as a pure function of (behavior, order): authorize, decline (with
// a reason) or never answer. No clock, no randomness source, no I/O: the same behavior and the
// same order give the same answer in every process, on every restart, on every replay, so a
// replayed StockReserved can never pay twice or change its mind.
//
//   PaymentBehavior behavior;             // as set with PaymentService.SetBehavior
//   behavior.set_decline_rate(0.2);
//   behavior.set_seed(42);
//   PaymentDecision d = DecidePayment(behavior, {.order_id = "o-1", .customer_id = "c-1",
//                                                .amount_cents = 1999});
//   if (d.answer == PaymentAnswer::kDecline) { ... d.decline_reason ... }
//
// Precedence, first match wins:
//   1. customer in decline_customers          -> DECLINE("declined_customer")
//   2. max_amount_cents > 0 and amount above  -> DECLINE("max_amount")
//   3. no-answer draw < no_answer_rate        -> NO_ANSWER
//   4. decline draw   < decline_rate          -> DECLINE("decline_rate")
//   5.                                        -> AUTHORIZE
// The explicit rules (1, 2) come first so that a test or an operator who names a customer or a
// limit gets that answer whatever the random rates are. The two draws use different salts, so
// they are independent: among answered orders the decline share is still decline_rate.
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_DECISION_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_DECISION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orderplatform/v1/payment_service.pb.h"

namespace orderplatform::payment {

// PaymentDeclined.reason values (events.proto names them).
inline constexpr char kDeclinedCustomer[] = "declined_customer";
inline constexpr char kDeclinedMaxAmount[] = "max_amount";
inline constexpr char kDeclinedRate[] = "decline_rate";

// What SetBehavior accepts. latency_ms may be set up to a minute, but an answer is delayed by at
// most kLatencyMsMax: the consumer's batch (and a graceful shutdown) must finish in bounded time.
inline constexpr int32_t kBehaviorLatencyMsMax = 60000;
inline constexpr int64_t kLatencyMsMax = 10000;
inline constexpr int kDeclineCustomersMax = 1000;

enum class PaymentAnswer { kAuthorize, kDecline, kNoAnswer };

// The facts of an order the decision may look at (copied from StockReserved).
struct OrderToPay {
  std::string order_id;
  std::string customer_id;
  int64_t amount_cents = 0;
};

struct PaymentDecision {
  PaymentAnswer answer = PaymentAnswer::kAuthorize;
  std::string decline_reason;  // kDecline only: one of the kDeclined* values
  int64_t latency_ms = 0;      // how long to wait before answering; 0 for kNoAnswer
};

PaymentDecision DecidePayment(const orderplatform::v1::PaymentBehavior& behavior,
                              const OrderToPay& order);

// INVALID_ARGUMENT with a one-line reason unless: both rates in [0, 1] (NaN is not),
// latency_ms in [0, kBehaviorLatencyMsMax], max_amount_cents >= 0, at most
// kDeclineCustomersMax decline_customers.
absl::Status ValidateBehavior(const orderplatform::v1::PaymentBehavior& behavior);

const char* PaymentAnswerName(PaymentAnswer answer);

namespace internal {

// FNV-1a, 64 bit. Stable by definition (unlike std::hash, which may differ between builds).
uint64_t Fnv1a64(absl::string_view bytes, uint64_t hash = 0xcbf29ce484222325ULL);

// A draw in [0, 1) that depends only on (seed, salt, order_id).
double UnitDraw(uint64_t seed, absl::string_view salt, absl::string_view order_id);

}  // namespace internal
}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_DECISION_H_
