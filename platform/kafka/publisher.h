// Publisher: what a component that announces events outside a consumer needs from Kafka, and
// nothing more: produce a batch and learn whether the broker acknowledged all of it. The order
// outbox and the inventory's expiry sweeper depend on this interface rather than on Producer, so
// the deterministic saga simulator (integration_tests/simulator) can run them unchanged over
// in-memory topics and make an acknowledgement fail at a chosen moment.
//
//   Publisher* publisher = producer.get();  // kafka::Producer implements it
//   absl::Status acked = publisher->ProduceAndWait(events, absl::Seconds(10));
//   if (acked.ok()) clear_outbox_entries();  // only after every event is durable
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_PUBLISHER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_PUBLISHER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "platform/kafka/message.h"

namespace orderplatform::kafka {

class Publisher {
 public:
  virtual ~Publisher() = default;

  // Produces all `messages` and waits until every one of them is acknowledged. OK only if all
  // were; UNAVAILABLE if any was not (some may still have been delivered: callers retry and
  // rely on idempotent consumers); INTERNAL when this publisher will never deliver again.
  virtual absl::Status ProduceAndWait(const std::vector<OutgoingMessage>& messages,
                                      absl::Duration timeout) = 0;
};

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_PUBLISHER_H_
