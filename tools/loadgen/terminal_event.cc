#include "tools/loadgen/terminal_event.h"

#include "orderplatform/v1/events.pb.h"

namespace orderplatform::loadgen {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;

std::optional<TerminalEvent> FromOrderEvent(absl::string_view value) {
  OrderEvent event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
  const std::string& order_id = event.envelope().order_id();
  switch (event.payload_case()) {
    case OrderEvent::kOrderConfirmed:
      return TerminalEvent{.order_id = order_id, .outcome = Outcome::kConfirmed};
    case OrderEvent::kOrderCancelled:
      return TerminalEvent{
          .order_id = order_id,
          .outcome = Outcome::kCancelled,
          .reason = orderplatform::v1::CancelReason_Name(event.order_cancelled().reason())};
    default:
      return std::nullopt;
  }
}

std::optional<TerminalEvent> FromInventoryEvent(absl::string_view value) {
  InventoryEvent event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
  const std::string& order_id = event.envelope().order_id();
  switch (event.payload_case()) {
    case InventoryEvent::kStockCommitted:
      return TerminalEvent{.order_id = order_id, .outcome = Outcome::kConfirmed};
    case InventoryEvent::kStockRejected:
      return TerminalEvent{
          .order_id = order_id,
          .outcome = Outcome::kCancelled,
          .reason = orderplatform::v1::CancelReason_Name(event.stock_rejected().reason())};
    case InventoryEvent::kStockReleased:
      return TerminalEvent{
          .order_id = order_id,
          .outcome = Outcome::kCancelled,
          .reason = orderplatform::v1::CancelReason_Name(event.stock_released().reason())};
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<TerminalEvent> ClassifyTerminal(TerminalSource source, absl::string_view topic,
                                              absl::string_view value) {
  if (topic != TerminalTopic(source)) return std::nullopt;
  std::optional<TerminalEvent> event = source == TerminalSource::kOrderOutcome
                                           ? FromOrderEvent(value)
                                           : FromInventoryEvent(value);
  if (event.has_value() && event->order_id.empty()) return std::nullopt;
  return event;
}

}  // namespace orderplatform::loadgen
