// Test-only: one valid event of every payload type of each topic, with edge values (the largest
// quantity, 100 lines, the longest SKU), for fuzz seeds and table tests.
//
//   for (const OrderEvent& event : SampleOrderEvents()) seeds.push_back(event.SerializeAsString());
#ifndef ORDERPLATFORM_PLATFORM_EVENTS_SAMPLE_EVENTS_H_
#define ORDERPLATFORM_PLATFORM_EVENTS_SAMPLE_EVENTS_H_

#include <string>
#include <vector>

#include "orderplatform/v1/events.pb.h"

namespace orderplatform::events {

// Every event passes ValidateEvent.
std::vector<orderplatform::v1::OrderEvent> SampleOrderEvents();
std::vector<orderplatform::v1::InventoryEvent> SampleInventoryEvents();
std::vector<orderplatform::v1::PaymentEvent> SamplePaymentEvents();

// The bytes of an event of a type this version does not know (a newer producer's): a valid
// envelope for `order_id` and a payload in field 99. It parses as any of the three event types,
// with no payload set, so validation sends it to the .dlq.
std::string UnknownPayloadEvent(const std::string& order_id);

}  // namespace orderplatform::events

#endif  // ORDERPLATFORM_PLATFORM_EVENTS_SAMPLE_EVENTS_H_
