// Fuzzes the inventory's pure decisions (inventory_decisions.h) with any event that passes
// validation and any outcome the Lua scripts could report.
//
// Input: one selector byte (even: an orders.v1 OrderEvent, odd: a payments.v1 PaymentEvent), the
// outcome fields, then the event's bytes.
//
// Properties:
//   - OrderPlaced reserves exactly its normalized lines (distinct sorted valid SKUs, exact sums);
//     a cancellation releases with CUSTOMER_REQUEST; PaymentAuthorized commits; PaymentDeclined
//     releases with PAYMENT_DECLINED; every other valid event is ignored. Always for the
//     event's own order id.
//   - every event inventory announces passes events::ValidateEvent (its consumers would otherwise
//     dead-letter it), names the same order, has the id "<order_id>/<type>", and carries the
//     saga's correlation id and the cause's event id;
//   - StockReserved is a function of the stored outcome only: announcing it at another time gives
//     the same bytes (a replay re-announces it identically);
//   - StockRejected names a SKU of the order, or none when the script's index is out of range.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/sample_events.h"
#include "platform/events/validation.h"
#include "platform/fuzzing/fuzz_target.h"
#include "services/inventory/inventory_decisions.h"

namespace orderplatform::inventory {
namespace {

using fuzzing::FuzzInput;
using orderplatform::v1::Envelope;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderLine;
using orderplatform::v1::PaymentEvent;

constexpr int64_t kTimeMsMax = int64_t{1} << 50;

struct FuzzedOutcomes {
  ReserveOutcome reserve;
  CloseOutcome close;
  int64_t now_ms = 0;
  int64_t later_ms = 0;
};

FuzzedOutcomes TakeOutcomes(FuzzInput& input) {
  FuzzedOutcomes out;
  out.reserve.reserved = input.TakeBool();
  out.reserve.reserved_at_ms = input.TakeInt64InRange(0, kTimeMsMax);
  out.reserve.deadline_ms = input.TakeInt64InRange(0, kTimeMsMax);
  out.reserve.reject_index = static_cast<int>(input.TakeInt64InRange(-2, 101));
  out.reserve.requested = input.TakeInt64InRange(0, INT32_MAX);
  out.reserve.available = input.TakeInt64InRange(0, int64_t{1} << 53);
  out.close.kind = static_cast<CloseOutcome::Kind>(input.TakeByte() % 4);
  out.close.reason = static_cast<orderplatform::v1::CancelReason>(input.TakeByte() % 6);
  out.close.changed_now = input.TakeBool();
  const int lines = input.TakeByte() % 4;
  for (int i = 0; i < lines; ++i) {
    OrderLine line;
    line.set_sku(absl::StrCat("sku-", i));
    line.set_quantity(static_cast<int32_t>(input.TakeInt64InRange(1, INT32_MAX)));
    out.close.lines.push_back(line);
  }
  out.now_ms = input.TakeInt64InRange(0, kTimeMsMax);
  out.later_ms = input.TakeInt64InRange(0, kTimeMsMax);
  return out;
}

void CheckAnnounced(const InventoryEvent& event, const Envelope& cause, const char* type) {
  OP_FUZZ_CHECK(events::ValidateEvent(event).ok(),
                absl::StrCat(type, " does not validate: ", events::ValidateEvent(event).message()));
  OP_FUZZ_CHECK(event.envelope().order_id() == cause.order_id(), "announced for another order");
  OP_FUZZ_CHECK(event.envelope().event_id() == absl::StrCat(cause.order_id(), "/", type),
                event.envelope().event_id());
  OP_FUZZ_CHECK(event.envelope().correlation_id() == cause.correlation_id(), "correlation lost");
  OP_FUZZ_CHECK(event.envelope().causation_id() == cause.event_id(), "causation lost");
}

void CheckReserve(const OrderEvent& placed, const ReserveCommand& reserve,
                  const FuzzedOutcomes& outcomes) {
  OP_FUZZ_CHECK(reserve.order_id == placed.envelope().order_id(), "reserve for another order");
  const std::vector<OrderLine> expected = events::NormalizeLines(placed.order_placed().lines());
  OP_FUZZ_CHECK(reserve.lines.size() == expected.size(),
                "reserve lines are not the normalized ones");
  for (size_t i = 0; i < expected.size(); ++i) {
    OP_FUZZ_CHECK(reserve.lines[i].SerializeAsString() == expected[i].SerializeAsString(),
                  "reserve lines are not the normalized ones");
    OP_FUZZ_CHECK(i == 0 || reserve.lines[i - 1].sku() < reserve.lines[i].sku(), "not sorted");
  }
  const InventoryEvent event =
      ReserveOutcomeEvent(placed, reserve, outcomes.reserve, outcomes.now_ms);
  if (outcomes.reserve.reserved) {
    OP_FUZZ_CHECK(event.has_stock_reserved(), "a reservation must announce StockReserved");
    CheckAnnounced(event, placed.envelope(), "StockReserved");
    const InventoryEvent again =
        ReserveOutcomeEvent(placed, reserve, outcomes.reserve, outcomes.later_ms);
    OP_FUZZ_CHECK(again.SerializeAsString() == event.SerializeAsString(),
                  "StockReserved depends on the time it is announced");
    OP_FUZZ_CHECK(event.stock_reserved().lines_size() == static_cast<int>(reserve.lines.size()),
                  "StockReserved lines");
    OP_FUZZ_CHECK(event.stock_reserved().amount_cents() == placed.order_placed().amount_cents(),
                  "StockReserved amount");
    return;
  }
  OP_FUZZ_CHECK(event.has_stock_rejected(), "a rejection must announce StockRejected");
  CheckAnnounced(event, placed.envelope(), "StockRejected");
  const int index = outcomes.reserve.reject_index;
  const bool in_range = index >= 0 && index < static_cast<int>(reserve.lines.size());
  OP_FUZZ_CHECK(event.stock_rejected().sku() == (in_range ? reserve.lines[index].sku() : ""),
                "StockRejected names the wrong SKU");
}

void CheckClose(const Envelope& cause, const FuzzedOutcomes& outcomes) {
  const std::optional<InventoryEvent> event =
      CloseOutcomeEvent(cause, outcomes.close, outcomes.now_ms);
  switch (outcomes.close.kind) {
    case CloseOutcome::Kind::kCommitted:
      OP_FUZZ_CHECK(event.has_value() && event->has_stock_committed(), "commit not announced");
      CheckAnnounced(*event, cause, "StockCommitted");
      break;
    case CloseOutcome::Kind::kReleased:
      OP_FUZZ_CHECK(event.has_value() && event->has_stock_released(), "release not announced");
      OP_FUZZ_CHECK(event->stock_released().reason() == outcomes.close.reason, "release reason");
      CheckAnnounced(*event, cause, "StockReleased");
      break;
    case CloseOutcome::Kind::kRejected:
    case CloseOutcome::Kind::kNotFound:
      OP_FUZZ_CHECK(!event.has_value(), "nothing was closed, yet something was announced");
      break;
  }
}

void FuzzOrderEvent(const OrderEvent& event, const FuzzedOutcomes& outcomes) {
  const InventoryCommand command = DecideOrderEvent(event);
  if (event.has_order_placed()) {
    const auto* reserve = std::get_if<ReserveCommand>(&command);
    OP_FUZZ_CHECK(reserve != nullptr, "OrderPlaced must reserve");
    CheckReserve(event, *reserve, outcomes);
  } else if (event.has_order_cancellation_requested()) {
    const auto* release = std::get_if<ReleaseCommand>(&command);
    OP_FUZZ_CHECK(release != nullptr && release->reason == orderplatform::v1::CUSTOMER_REQUEST &&
                      release->order_id == event.envelope().order_id(),
                  "a cancellation must release with CUSTOMER_REQUEST");
    CheckClose(event.envelope(), outcomes);
  } else {
    OP_FUZZ_CHECK(std::holds_alternative<IgnoreEvent>(command),
                  "the order's own news must be ignored");
  }
}

void FuzzPaymentEvent(const PaymentEvent& event, const FuzzedOutcomes& outcomes) {
  const InventoryCommand command = DecidePaymentEvent(event);
  const std::string& order_id = event.envelope().order_id();
  if (event.has_payment_authorized()) {
    const auto* commit = std::get_if<CommitCommand>(&command);
    OP_FUZZ_CHECK(commit != nullptr && commit->order_id == order_id, "authorization must commit");
    CheckClose(event.envelope(), outcomes);
  } else if (event.has_payment_declined()) {
    const auto* release = std::get_if<ReleaseCommand>(&command);
    OP_FUZZ_CHECK(release != nullptr && release->reason == orderplatform::v1::PAYMENT_DECLINED &&
                      release->order_id == order_id,
                  "a decline must release with PAYMENT_DECLINED");
    CheckClose(event.envelope(), outcomes);
  } else {
    OP_FUZZ_CHECK(std::holds_alternative<IgnoreEvent>(command), "a refund must be ignored");
  }
  // The sweeper's announcement for this order, whatever the lines.
  const InventoryEvent expired =
      ExpiryEvent({.order_id = order_id, .lines = outcomes.close.lines}, outcomes.now_ms);
  OP_FUZZ_CHECK(events::ValidateEvent(expired).ok(), "StockReleased(expired) does not validate");
  OP_FUZZ_CHECK(expired.stock_released().reason() == orderplatform::v1::RESERVATION_EXPIRED,
                "expiry reason");
}

// The selector, zeroed outcome fields and the event: a seed libFuzzer can mutate field by field.
std::string Seed(uint8_t selector, const std::string& event_bytes) {
  return std::string(1, static_cast<char>(selector)) + std::string(64, '\x01') + event_bytes;
}

}  // namespace
}  // namespace orderplatform::inventory

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderplatform::inventory;  // NOLINT(build/namespaces): a fuzz entry point
  orderplatform::fuzzing::FuzzInput input(data, size);
  const bool payment = input.TakeBool();
  const FuzzedOutcomes outcomes = TakeOutcomes(input);
  const std::string bytes = input.TakeRest();
  if (payment) {
    orderplatform::v1::PaymentEvent event;
    if (event.ParseFromString(bytes) && orderplatform::events::ValidateEvent(event).ok()) {
      FuzzPaymentEvent(event, outcomes);
    }
  } else {
    orderplatform::v1::OrderEvent event;
    if (event.ParseFromString(bytes) && orderplatform::events::ValidateEvent(event).ok()) {
      FuzzOrderEvent(event, outcomes);
    }
  }
  return 0;
}

std::vector<std::string> orderplatform::fuzzing::Seeds() {
  using orderplatform::inventory::Seed;
  std::vector<std::string> seeds;
  for (const auto& event : events::SampleOrderEvents()) {
    seeds.push_back(Seed(0, event.SerializeAsString()));
    seeds.push_back(Seed(2, event.SerializeAsString()));
  }
  for (const auto& event : events::SamplePaymentEvents()) {
    seeds.push_back(Seed(1, event.SerializeAsString()));
  }
  return seeds;
}
