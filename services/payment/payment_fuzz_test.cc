// Fuzzes the payment service's pure logic: the decision (payment_decision.h) for any behaviour
// SetBehavior would accept, and the event mapping (payment_events.h) for any inventory.v1 event
// that passes its validation.
//
// Input: a chunk with a PaymentBehavior's bytes, two times, then an InventoryEvent's bytes.
//
// Properties:
//   - the decision is a pure function: asked twice, it answers the same;
//   - its answer follows the documented precedence: a listed (non-empty) customer is declined
//     ("declined_customer"), then an amount above a set maximum ("max_amount"); with both rates 0
//     the rest is authorized, with a no-answer rate of 1 the rest gets no answer;
//   - the latency is within [0, kLatencyMsMax] (0 without an answer), and only a decline has a
//     reason, one of the three documented ones;
//   - StockReserved pays for its own order and amount, StockReleased asks for a refund, the rest
//     is ignored;
//   - every announced event validates, names the order, has the id "<order_id>/<type>" and the
//     time of the ledger entry (not of the announcement), so a replay is byte-identical; a
//     refunded entry re-announces the same PaymentAuthorized as the authorized one did.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/payment_service.pb.h"
#include "platform/events/sample_events.h"
#include "platform/events/validation.h"
#include "platform/fuzzing/fuzz_target.h"
#include "services/payment/payment_decision.h"
#include "services/payment/payment_events.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::Envelope;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::PaymentBehavior;
using orderplatform::v1::PaymentEvent;

constexpr int64_t kTimeMsMax = int64_t{1} << 50;

// An empty customer id never matches (payment_decision.cc), not even an empty entry.
bool Listed(const PaymentBehavior& behavior, const std::string& customer) {
  if (customer.empty()) return false;
  for (const std::string& listed : behavior.decline_customers()) {
    if (listed == customer) return true;
  }
  return false;
}

void CheckDecision(const PaymentBehavior& behavior, const OrderToPay& order,
                   const PaymentDecision& decision) {
  const PaymentDecision again = DecidePayment(behavior, order);
  OP_FUZZ_CHECK(again.answer == decision.answer &&
                    again.decline_reason == decision.decline_reason &&
                    again.latency_ms == decision.latency_ms,
                "the same behaviour and order got two answers");
  OP_FUZZ_CHECK(decision.latency_ms >= 0 && decision.latency_ms <= kLatencyMsMax,
                decision.latency_ms);
  if (decision.answer == PaymentAnswer::kDecline) {
    const std::string& reason = decision.decline_reason;
    OP_FUZZ_CHECK(
        reason == kDeclinedCustomer || reason == kDeclinedMaxAmount || reason == kDeclinedRate,
        reason);
  } else {
    OP_FUZZ_CHECK(decision.decline_reason.empty(), "a reason without a decline");
  }
  if (decision.answer == PaymentAnswer::kNoAnswer) {
    OP_FUZZ_CHECK(decision.latency_ms == 0, "no answer, yet a latency");
  }
  const bool listed = Listed(behavior, order.customer_id);
  const bool over_max =
      behavior.max_amount_cents() > 0 && order.amount_cents > behavior.max_amount_cents();
  if (listed) {
    OP_FUZZ_CHECK(decision.decline_reason == kDeclinedCustomer, "a listed customer got through");
  } else if (over_max) {
    OP_FUZZ_CHECK(decision.decline_reason == kDeclinedMaxAmount, "an amount over the maximum");
  } else if (behavior.decline_rate() == 0 && behavior.no_answer_rate() == 0) {
    OP_FUZZ_CHECK(decision.answer == PaymentAnswer::kAuthorize, "nothing to decline, yet not paid");
  } else if (behavior.no_answer_rate() == 1) {
    OP_FUZZ_CHECK(decision.answer == PaymentAnswer::kNoAnswer, "a no-answer rate of 1 answered");
  }
}

void CheckAnnounced(const PaymentEvent& event, const Envelope& cause, const char* type,
                    int64_t occurred_at_ms) {
  OP_FUZZ_CHECK(events::ValidateEvent(event).ok(),
                absl::StrCat(type, " does not validate: ", events::ValidateEvent(event).message()));
  OP_FUZZ_CHECK(event.envelope().order_id() == cause.order_id(), "announced for another order");
  OP_FUZZ_CHECK(event.envelope().event_id() == absl::StrCat(cause.order_id(), "/", type),
                event.envelope().event_id());
  OP_FUZZ_CHECK(event.envelope().causation_id() == cause.event_id(), "causation lost");
  OP_FUZZ_CHECK(event.envelope().occurred_at_ms() == occurred_at_ms,
                "an announcement must carry the ledger's time");
}

void CheckPay(const InventoryEvent& event, const PayCommand& pay, const PaymentBehavior& behavior,
              int64_t now_ms, int64_t later_ms) {
  const auto& reserved = event.stock_reserved();
  OP_FUZZ_CHECK(pay.order.order_id == event.envelope().order_id() &&
                    pay.order.customer_id == reserved.customer_id() &&
                    pay.order.amount_cents == reserved.amount_cents() &&
                    pay.currency == reserved.currency(),
                "paying for something else than the reservation");
  const PaymentDecision decision = DecidePayment(behavior, pay.order);
  CheckDecision(behavior, pay.order, decision);
  if (decision.answer == PaymentAnswer::kNoAnswer) return;
  LedgerEntry entry = ProposedEntry(pay, decision, now_ms);
  const std::optional<PaymentEvent> announced = DecisionEvent(event.envelope(), entry);
  OP_FUZZ_CHECK(announced.has_value(), "a decision without an announcement");
  if (decision.answer == PaymentAnswer::kDecline) {
    OP_FUZZ_CHECK(entry.state == orderplatform::v1::DECLINED && announced->has_payment_declined(),
                  "a decline must be recorded and announced as one");
    CheckAnnounced(*announced, event.envelope(), "PaymentDeclined", now_ms);
    OP_FUZZ_CHECK(!RefundEvent(event.envelope(), entry).has_value(), "a decline refunded");
    return;
  }
  OP_FUZZ_CHECK(entry.state == orderplatform::v1::AUTHORIZED && announced->has_payment_authorized(),
                "an authorization must be recorded and announced as one");
  CheckAnnounced(*announced, event.envelope(), "PaymentAuthorized", now_ms);
  OP_FUZZ_CHECK(announced->payment_authorized().amount_cents() == reserved.amount_cents(),
                "authorized another amount");
  OP_FUZZ_CHECK(!RefundEvent(event.envelope(), entry).has_value(), "refunded before a refund");
  // Refunded later: a replayed StockReserved still gets the same authorization.
  entry.state = orderplatform::v1::REFUNDED;
  entry.refunded_at_ms = later_ms;
  const std::optional<PaymentEvent> replayed = DecisionEvent(event.envelope(), entry);
  OP_FUZZ_CHECK(
      replayed.has_value() && replayed->SerializeAsString() == announced->SerializeAsString(),
      "a refunded entry changed its authorization");
  const std::optional<PaymentEvent> refund = RefundEvent(event.envelope(), entry);
  OP_FUZZ_CHECK(refund.has_value() && refund->has_payment_refunded(), "refund not announced");
  CheckAnnounced(*refund, event.envelope(), "PaymentRefunded", later_ms);
}

void FuzzOne(const PaymentBehavior& behavior, const InventoryEvent& event, int64_t now_ms,
             int64_t later_ms) {
  const PaymentCommand command = DecideInventoryEvent(event);
  if (event.has_stock_reserved()) {
    const auto* pay = std::get_if<PayCommand>(&command);
    OP_FUZZ_CHECK(pay != nullptr, "StockReserved must be paid");
    CheckPay(event, *pay, behavior, now_ms, later_ms);
  } else if (event.has_stock_released()) {
    const auto* refund = std::get_if<RefundCommand>(&command);
    OP_FUZZ_CHECK(refund != nullptr && refund->order_id == event.envelope().order_id(),
                  "StockReleased must ask for a refund of its order");
  } else {
    OP_FUZZ_CHECK(std::holds_alternative<IgnoreEvent>(command), "must be ignored");
  }
}

std::string Chunk(const std::string& bytes) {
  const size_t n = bytes.size();
  return std::string{static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff)} + bytes;
}

}  // namespace
}  // namespace orderplatform::payment

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderplatform::payment;  // NOLINT(build/namespaces): a fuzz entry point
  orderplatform::fuzzing::FuzzInput input(data, size);
  PaymentBehavior behavior;
  if (!behavior.ParseFromString(input.TakeChunk()) || !ValidateBehavior(behavior).ok()) return 0;
  const int64_t now_ms = input.TakeInt64InRange(0, kTimeMsMax);
  const int64_t later_ms = input.TakeInt64InRange(now_ms, kTimeMsMax);
  orderplatform::v1::InventoryEvent event;
  if (!event.ParseFromString(input.TakeRest()) || !ValidateInventoryEvent(event).ok()) return 0;
  FuzzOne(behavior, event, now_ms, later_ms);
  return 0;
}

std::vector<std::string> orderplatform::fuzzing::Seeds() {
  using orderplatform::payment::Chunk;
  using orderplatform::v1::PaymentBehavior;
  std::vector<PaymentBehavior> behaviors(5);
  behaviors[1].set_decline_rate(0.5);
  behaviors[1].set_seed(42);
  behaviors[2].set_max_amount_cents(1000);
  behaviors[2].add_decline_customers("c-1");
  behaviors[3].set_no_answer_rate(1);
  behaviors[4].set_latency_ms(60000);
  behaviors[4].set_decline_rate(1);
  const std::string times(16, '\x02');
  std::vector<std::string> seeds;
  for (const PaymentBehavior& behavior : behaviors) {
    for (const auto& event : orderplatform::events::SampleInventoryEvents()) {
      seeds.push_back(Chunk(behavior.SerializeAsString()) + times + event.SerializeAsString());
    }
  }
  return seeds;
}
