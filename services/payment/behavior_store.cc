#include "services/payment/behavior_store.h"

#include "absl/strings/str_cat.h"
#include "services/payment/payment_decision.h"

namespace orderplatform::payment {

absl::StatusOr<orderplatform::v1::PaymentBehavior> BehaviorStore::Load() {
  absl::StatusOr<redis::RedisReply> reply = redis_->Command({"GET", keys_.Behavior()});
  if (!reply.ok()) return reply.status();
  orderplatform::v1::PaymentBehavior behavior;
  if (reply->is_nil()) return behavior;
  if (!reply->is_string()) {
    return absl::InternalError(
        absl::StrCat("GET ", keys_.Behavior(), " failed: ", reply->DebugString()));
  }
  if (!behavior.ParseFromString(reply->str)) {
    return absl::InternalError(
        absl::StrCat(keys_.Behavior(), " does not hold a PaymentBehavior; set it again"));
  }
  // Decisions must never run on a behavior the front door would have refused.
  if (absl::Status valid = ValidateBehavior(behavior); !valid.ok()) {
    return absl::InternalError(
        absl::StrCat(keys_.Behavior(), " holds an invalid behavior: ", valid.message()));
  }
  return behavior;
}

absl::Status BehaviorStore::Store(const orderplatform::v1::PaymentBehavior& behavior) {
  if (absl::Status valid = ValidateBehavior(behavior); !valid.ok()) return valid;
  absl::StatusOr<redis::RedisReply> reply =
      redis_->Command({"SET", keys_.Behavior(), behavior.SerializeAsString()});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) {
    return absl::InternalError(absl::StrCat("SET ", keys_.Behavior(), " failed: ", reply->str));
  }
  return absl::OkStatus();
}

}  // namespace orderplatform::payment
