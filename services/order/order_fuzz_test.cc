// Fuzzes the order service's pure logic: request validation (order_validation.h) with the
// events it leads to (order_events.h), and the projection (order_projection.h) over any sequence
// of valid inventory.v1 and payments.v1 events.
//
// Input: a selector byte; even: a PlaceOrderRequest's bytes; odd: a time, then up to
// kEventsMax chunks, each a selector byte (even: InventoryEvent, odd: PaymentEvent) and the
// event's bytes.
//
// Properties:
//   - a request that passes ValidatePlaceOrder leads to an OrderPlaced (and an
//     OrderCancellationRequested) that inventory's validation accepts: otherwise the order would be
//     dead-lettered and stay PENDING forever (I2); a request whose lines fail the events' own
//     line rules never passes;
//   - the projection only raises the status, never leaves a terminal one, writes exactly when it
//     advances, announces exactly when it terminates or restates the terminal status, and every
//     announced outcome validates;
//   - the final state does not depend on the order the events arrive in, as long as they do not
//     contradict each other (all their terminal facts agree): forward and reverse give the same
//     status and reason.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/order_service.pb.h"
#include "platform/events/sample_events.h"
#include "platform/events/validation.h"
#include "platform/fuzzing/fuzz_target.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_projection.h"
#include "services/order/order_record.h"
#include "services/order/order_validation.h"

namespace orderplatform::order {
namespace {

using fuzzing::FuzzInput;
using orderplatform::v1::PlaceOrderRequest;

constexpr int kEventsMax = 8;
constexpr int64_t kTimeMsMax = int64_t{1} << 50;

void FuzzPlaceOrder(const std::string& bytes, int64_t now_ms) {
  PlaceOrderRequest request;
  if (!request.ParseFromString(bytes)) return;
  const absl::Status valid = ValidatePlaceOrder(request);
  if (!events::ValidateLines(request.lines()).ok() || !events::IsValidId(request.request_id())) {
    OP_FUZZ_CHECK(!valid.ok(), "accepted a request whose lines or id the events refuse");
  }
  if (!valid.ok()) {
    OP_FUZZ_CHECK(absl::IsInvalidArgument(valid), valid.ToString());
    return;
  }
  OrderRecord record = NewOrderRecord(request, OrderIdForRequest(request.request_id()), now_ms);
  OP_FUZZ_CHECK(OrderIdForRequest(request.request_id()) == record.order.order_id() &&
                    events::IsValidId(record.order.order_id()),
                record.order.order_id());
  const orderplatform::v1::OrderEvent placed = OrderPlacedEvent(record);
  const absl::Status placed_valid = events::ValidateEvent(placed);
  OP_FUZZ_CHECK(placed_valid.ok(), absl::StrCat("inventory would dead-letter an accepted order: ",
                                                placed_valid.message()));
  record.order.set_cancellation_requested(true);
  record.cancellation_requested_at_ms = now_ms;
  OP_FUZZ_CHECK(events::ValidateEvent(CancellationRequestedEvent(record)).ok(),
                "inventory would dead-letter a cancellation");
}

struct Replayed {
  OrderRecord record;
  int terminal_facts = 0;
};

Replayed Replay(const std::vector<StatusFact>& facts, int64_t now_ms) {
  PlaceOrderRequest request;
  request.set_request_id("r-1");
  Replayed out{.record = NewOrderRecord(request, OrderIdForRequest("r-1"), now_ms)};
  for (const StatusFact& fact : facts) {
    const OrderRecord& before = out.record;
    const Projection p = Project(before, fact, now_ms);
    const int rank_before = StatusRank(before.order.status());
    const int rank_after = StatusRank(p.record.order.status());
    OP_FUZZ_CHECK(rank_after >= rank_before, "the status went down");
    if (IsTerminal(before.order.status())) {
      OP_FUZZ_CHECK(p.record.order.status() == before.order.status() &&
                        p.record.order.cancel_reason() == before.order.cancel_reason(),
                    "a terminal status was left");
      OP_FUZZ_CHECK(!p.write(), "a terminal order was written again");
    }
    OP_FUZZ_CHECK(p.write() == (rank_after > rank_before), "writes exactly when it advances");
    OP_FUZZ_CHECK(p.announce() == (p.kind == Projection::Kind::kTerminated ||
                                   p.kind == Projection::Kind::kReannounced),
                  "announce");
    if (p.announce()) {
      OP_FUZZ_CHECK(IsTerminal(p.record.order.status()), "announced an open order");
      const orderplatform::v1::OrderEvent outcome = OutcomeEvent(p.record);
      OP_FUZZ_CHECK(events::ValidateEvent(outcome).ok(), "an outcome that does not validate");
    }
    if (p.write()) out.record = p.record;
    if (IsTerminal(fact.status)) ++out.terminal_facts;
  }
  return out;
}

bool TerminalFactsAgree(const std::vector<StatusFact>& facts) {
  const StatusFact* first = nullptr;
  for (const StatusFact& fact : facts) {
    if (!IsTerminal(fact.status)) continue;
    if (first == nullptr) first = &fact;
    if (fact.status != first->status || fact.cancel_reason != first->cancel_reason) return false;
  }
  return true;
}

void FuzzProjection(FuzzInput& input) {
  const int64_t now_ms = input.TakeInt64InRange(0, kTimeMsMax);
  std::vector<StatusFact> facts;
  for (int i = 0; i < kEventsMax && !input.empty(); ++i) {
    const bool payment = input.TakeBool();
    const std::string bytes = input.TakeChunk();
    std::optional<StatusFact> fact;
    if (payment) {
      orderplatform::v1::PaymentEvent event;
      if (event.ParseFromString(bytes) && events::ValidateEvent(event).ok()) fact = FactOf(event);
    } else {
      orderplatform::v1::InventoryEvent event;
      if (event.ParseFromString(bytes) && events::ValidateEvent(event).ok()) fact = FactOf(event);
    }
    if (fact.has_value()) facts.push_back(*std::move(fact));
  }
  const Replayed forward = Replay(facts, now_ms);
  if (!TerminalFactsAgree(facts)) return;
  std::vector<StatusFact> reversed(facts.rbegin(), facts.rend());
  const Replayed backward = Replay(reversed, now_ms);
  OP_FUZZ_CHECK(
      forward.record.order.status() == backward.record.order.status() &&
          forward.record.order.cancel_reason() == backward.record.order.cancel_reason(),
      absl::StrCat("arrival order changed the outcome: ",
                   orderplatform::v1::OrderStatus_Name(forward.record.order.status()), " vs ",
                   orderplatform::v1::OrderStatus_Name(backward.record.order.status())));
}

std::string Chunk(bool payment, const std::string& bytes) {
  const size_t n = bytes.size();
  return std::string{static_cast<char>(payment ? 1 : 0), static_cast<char>(n & 0xff),
                     static_cast<char>((n >> 8) & 0xff)} +
         bytes;
}

}  // namespace
}  // namespace orderplatform::order

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderplatform::order;  // NOLINT(build/namespaces): a fuzz entry point
  orderplatform::fuzzing::FuzzInput input(data, size);
  if (input.TakeBool()) {
    FuzzProjection(input);
  } else {
    FuzzPlaceOrder(input.TakeRest(), 1764450000000);
  }
  return 0;
}

std::vector<std::string> orderplatform::fuzzing::Seeds() {
  using orderplatform::order::Chunk;
  std::vector<std::string> seeds;
  for (const auto& event : orderplatform::events::SampleOrderEvents()) {
    if (!event.has_order_placed()) continue;
    orderplatform::v1::PlaceOrderRequest request;
    request.set_request_id("r-1");
    request.set_customer_id(event.order_placed().customer_id());
    *request.mutable_lines() = event.order_placed().lines();
    request.set_amount_cents(event.order_placed().amount_cents());
    request.set_currency(event.order_placed().currency());
    seeds.push_back(std::string(1, '\0') + request.SerializeAsString());
  }
  const std::string time(8, '\x03');
  std::string all_events(1, '\x01');
  all_events += time;
  for (const auto& event : orderplatform::events::SampleInventoryEvents()) {
    const std::string one = Chunk(false, event.SerializeAsString());
    seeds.push_back(std::string(1, '\x01') + time + one);
    all_events += one;
  }
  for (const auto& event : orderplatform::events::SamplePaymentEvents()) {
    const std::string one = Chunk(true, event.SerializeAsString());
    seeds.push_back(std::string(1, '\x01') + time + one);
    all_events += one;
  }
  seeds.push_back(all_events);
  return seeds;
}
