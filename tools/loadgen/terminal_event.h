// Recognises the message that ends an order for the load generator, from a consumed record of
// the terminal topic (load_options.h, TerminalSource). Pure: a message in, a verdict out.
//
//   std::optional<TerminalEvent> end = ClassifyTerminal(TerminalSource::kOrderOutcome,
//                                                       "orders.v1", message_value);
//   if (end.has_value() && end->outcome == Outcome::kConfirmed) ...
//
// Every other message of the topic (OrderPlaced on orders.v1, StockReserved on inventory.v1,
// a value that does not parse, another topic) is not terminal: nullopt.
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_TERMINAL_EVENT_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_TERMINAL_EVENT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "tools/loadgen/load_options.h"

namespace orderplatform::loadgen {

enum class Outcome { kConfirmed, kCancelled };

struct TerminalEvent {
  std::string order_id;
  Outcome outcome = Outcome::kConfirmed;
  std::string reason;  // the cancel reason's name for a cancellation, else ""
};

std::optional<TerminalEvent> ClassifyTerminal(TerminalSource source, absl::string_view topic,
                                              absl::string_view value);

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_TERMINAL_EVENT_H_
