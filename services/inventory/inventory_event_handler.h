// The inventory's Kafka shell: consumes orders.v1 and payments.v1, runs the store command that
// inventory_decisions.h chooses, and returns the inventory.v1 events that announce the outcomes
// (the consumer produces them and waits for the acks before it stores the offsets).
//
//   InventoryEventHandler handler(&store, {.reservation_ttl = absl::Minutes(15)});
//   BatchConsumer::Create({... .topics = {"orders.v1", "payments.v1"}}, &handler, producer);
//
// A batch's store ops run together (ReservationStore::RunBatch: a few round trips per batch,
// not one or two per message); parsing, deciding and announcing stay pure and per message.
//
// Failure mapping: a value that does not parse or validate goes to its topic's .dlq; a script
// error (INTERNAL: corrupt data or a bug) also goes to the .dlq with the error, so one poisoned
// order cannot block its partition; Redis unavailable fails the whole batch with UNAVAILABLE and
// the consumer re-delivers it after a backoff (every command is idempotent).
//
// Each message is counted in orderplatform_events_handled_total (kafka/event_metrics.h) with the
// outcome the store reported: applied (the script changed state), duplicate (it answered with the
// stored outcome), ignored, dead_lettered or retried.
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_EVENT_HANDLER_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_EVENT_HANDLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/kafka/consumer.h"
#include "platform/kafka/event_metrics.h"
#include "platform/metrics/registry.h"
#include "services/inventory/inventory_decisions.h"
#include "services/inventory/reservation_store.h"

namespace orderplatform::inventory {

struct InventoryHandlerOptions {
  absl::Duration reservation_ttl = absl::Minutes(15);
  // Milliseconds since the epoch; replaceable so tests and the simulator control time.
  std::function<int64_t()> now_ms;
  // Where orderplatform_events_handled_total goes; null: not recorded. Must outlive the handler.
  metrics::Registry* metrics = nullptr;
};

class InventoryEventHandler : public kafka::BatchHandler {
 public:
  InventoryEventHandler(ReservationStore* store, InventoryHandlerOptions options);

  absl::StatusOr<std::vector<kafka::OutgoingMessage>> Handle(
      absl::Span<const kafka::ConsumedMessage> batch) override;

 private:
  // One message, parsed and decided, before its store op has run.
  struct Decided {
    std::vector<kafka::OutgoingMessage> dead_letters;  // did not parse or validate
    orderplatform::v1::OrderEvent order_event;         // orders.v1 messages
    orderplatform::v1::Envelope cause;
    InventoryCommand command;
    int op = -1;  // index of its store op; -1: nothing to run
    std::string type;  // for the metrics: the payload name, kafka::kInvalidEventType or empty
  };
  // Parses and decides one message; appends its store op, if any, to `ops`.
  Decided Decide(const kafka::ConsumedMessage& message, std::vector<ReservationOp>* ops);

  ReservationStore* store_;
  InventoryHandlerOptions options_;
  kafka::EventMetrics events_;
};

// An inventory.v1 message for `event` (key = order id).
kafka::OutgoingMessage InventoryMessage(const orderplatform::v1::InventoryEvent& event);

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_EVENT_HANDLER_H_
