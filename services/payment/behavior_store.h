// Where the payment mock's behavior lives: one Redis key (payment_keys.h) holding the
// PaymentBehavior proto, so that every instance and every restart decide with the same behavior
// (a decision is a pure function of behavior and order; two instances with different behaviors
// would answer a replay differently). The event handler reads it once per batch; SetBehavior
// writes it.
//
//   BehaviorStore behaviors(&redis, PaymentKeys());
//   ASSIGN_OR_RETURN(PaymentBehavior behavior, behaviors.Load());  // default: authorize all
//   RETURN_IF_ERROR(behaviors.Store(behavior));
//
// Status codes: UNAVAILABLE (Redis down: retry), INVALID_ARGUMENT (Store of a behavior that
// ValidateBehavior refuses), INTERNAL (the stored value is not a valid behavior: someone wrote
// the key by hand; SetBehavior repairs it).
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_BEHAVIOR_STORE_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_BEHAVIOR_STORE_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "orderplatform/v1/payment_service.pb.h"
#include "platform/redis/client.h"
#include "services/payment/payment_keys.h"

namespace orderplatform::payment {

class BehaviorStore {
 public:
  BehaviorStore(redis::RedisClient* redis, PaymentKeys keys)
      : redis_(redis), keys_(std::move(keys)) {}

  // The stored behavior; the proto's defaults (authorize everything at once) when none was set.
  absl::StatusOr<orderplatform::v1::PaymentBehavior> Load();

  absl::Status Store(const orderplatform::v1::PaymentBehavior& behavior);

 private:
  redis::RedisClient* const redis_;
  const PaymentKeys keys_;
};

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_BEHAVIOR_STORE_H_
