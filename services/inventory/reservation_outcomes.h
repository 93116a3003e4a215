// What the inventory's Lua scripts answered, as plain values. The store (reservation_store.h)
// produces them from Redis replies; the pure decisions (inventory_decisions.h) turn them into
// events. Nothing here touches Redis or Kafka.
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_OUTCOMES_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_OUTCOMES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "orderplatform/v1/types.pb.h"

namespace orderplatform::inventory {

struct ReserveOutcome {
  bool reserved = false;      // false: rejected
  int64_t deadline_ms = 0;    // reserved
  int64_t reserved_at_ms = 0; // reserved
  int reject_index = 0;       // rejected: 0-based index of the first short line
  int64_t requested = 0;      // rejected
  int64_t available = 0;      // rejected
};

// The answer of commit.lua or release.lua (and of expire.lua for one order).
struct CloseOutcome {
  enum class Kind {
    kCommitted,  // sold (now or earlier)
    kReleased,   // stock returned (now or earlier), with `reason`
    kRejected,   // the order was never reserved
    kNotFound,   // no reservation record
  };
  Kind kind = Kind::kNotFound;
  orderplatform::v1::CancelReason reason = orderplatform::v1::CANCEL_REASON_UNSPECIFIED;
  bool changed_now = false;  // this call made the transition (false: a replay)
  std::vector<orderplatform::v1::OrderLine> lines;  // the reserved lines, when a record exists
};

// A reservation released by the expiry sweeper, still to be announced on inventory.v1.
struct ExpiredReservation {
  std::string order_id;
  std::vector<orderplatform::v1::OrderLine> lines;
  // The OrderPlaced's trace, kept with the reservation record: the expiry continues it.
  std::string traceparent;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_RESERVATION_OUTCOMES_H_
