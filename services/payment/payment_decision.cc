#include "services/payment/payment_decision.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace orderplatform::payment {
namespace {

// Changing a salt (or the hash) changes the answer of every order: replays after a deploy would
// then disagree with the ledger's first decision (the ledger still wins, but new orders of an
// old saga would be decided differently). The golden values in the test pin them.
constexpr char kNoAnswerSalt[] = "payment.no_answer.v1";
constexpr char kDeclineSalt[] = "payment.decline.v1";

// splitmix64's finalizer: FNV-1a alone mixes the last bytes of a short input into the high bits
// poorly, and the draw is taken from the high bits.
uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool IsDeclinedCustomer(const orderplatform::v1::PaymentBehavior& behavior,
                        absl::string_view customer_id) {
  // Bounded by kDeclineCustomersMax (ValidateBehavior); an empty id never matches, so an order
  // without a customer is not declined by an empty entry.
  if (customer_id.empty()) return false;
  return std::any_of(behavior.decline_customers().begin(), behavior.decline_customers().end(),
                     [customer_id](const std::string& c) { return c == customer_id; });
}

bool IsRate(double rate) { return rate >= 0.0 && rate <= 1.0; }  // false for NaN

}  // namespace

namespace internal {

uint64_t Fnv1a64(absl::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

double UnitDraw(uint64_t seed, absl::string_view salt, absl::string_view order_id) {
  // The seed as 8 little-endian bytes, so the input does not depend on the host's byte order;
  // the NUL keeps (salt, seed) from running into each other.
  char seed_bytes[8];
  for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<char>((seed >> (8 * i)) & 0xff);
  uint64_t h = Fnv1a64(salt);
  h = Fnv1a64(absl::string_view("\0", 1), h);
  h = Fnv1a64(absl::string_view(seed_bytes, sizeof(seed_bytes)), h);
  h = Fnv1a64(order_id, h);
  // The top 53 bits fill a double's mantissa exactly: a uniform value in [0, 1).
  return static_cast<double>(Mix64(h) >> 11) * 0x1.0p-53;
}

}  // namespace internal

PaymentDecision DecidePayment(const orderplatform::v1::PaymentBehavior& behavior,
                              const OrderToPay& order) {
  const int64_t latency_ms = std::clamp<int64_t>(behavior.latency_ms(), 0, kLatencyMsMax);
  if (IsDeclinedCustomer(behavior, order.customer_id)) {
    return {PaymentAnswer::kDecline, kDeclinedCustomer, latency_ms};
  }
  if (behavior.max_amount_cents() > 0 && order.amount_cents > behavior.max_amount_cents()) {
    return {PaymentAnswer::kDecline, kDeclinedMaxAmount, latency_ms};
  }
  if (internal::UnitDraw(behavior.seed(), kNoAnswerSalt, order.order_id) <
      behavior.no_answer_rate()) {
    return {PaymentAnswer::kNoAnswer, "", 0};
  }
  if (internal::UnitDraw(behavior.seed(), kDeclineSalt, order.order_id) < behavior.decline_rate()) {
    return {PaymentAnswer::kDecline, kDeclinedRate, latency_ms};
  }
  return {PaymentAnswer::kAuthorize, "", latency_ms};
}

absl::Status ValidateBehavior(const orderplatform::v1::PaymentBehavior& behavior) {
  if (!IsRate(behavior.decline_rate())) {
    return absl::InvalidArgumentError("decline_rate must be in [0, 1]");
  }
  if (!IsRate(behavior.no_answer_rate())) {
    return absl::InvalidArgumentError("no_answer_rate must be in [0, 1]");
  }
  if (behavior.latency_ms() < 0 || behavior.latency_ms() > kBehaviorLatencyMsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("latency_ms must be in [0, ", kBehaviorLatencyMsMax, "]"));
  }
  if (behavior.max_amount_cents() < 0) {
    return absl::InvalidArgumentError("max_amount_cents must be >= 0 (0 = no limit)");
  }
  if (behavior.decline_customers_size() > kDeclineCustomersMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kDeclineCustomersMax, " decline_customers"));
  }
  return absl::OkStatus();
}

const char* PaymentAnswerName(PaymentAnswer answer) {
  switch (answer) {
    case PaymentAnswer::kAuthorize:
      return "AUTHORIZE";
    case PaymentAnswer::kDecline:
      return "DECLINE";
    case PaymentAnswer::kNoAnswer:
      return "NO_ANSWER";
  }
  return "UNKNOWN";
}

}  // namespace orderplatform::payment
