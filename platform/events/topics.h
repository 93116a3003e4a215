// Topic and consumer-group names fixed by the contract, in one place.
#ifndef ORDERPLATFORM_PLATFORM_EVENTS_TOPICS_H_
#define ORDERPLATFORM_PLATFORM_EVENTS_TOPICS_H_

namespace orderplatform::events {

inline constexpr char kOrdersTopic[] = "orders.v1";
inline constexpr char kInventoryTopic[] = "inventory.v1";
inline constexpr char kPaymentsTopic[] = "payments.v1";

inline constexpr char kOrderGroup[] = "orderplatform.order";
inline constexpr char kInventoryGroup[] = "orderplatform.inventory";
inline constexpr char kPaymentGroup[] = "orderplatform.payment";

}  // namespace orderplatform::events

#endif  // ORDERPLATFORM_PLATFORM_EVENTS_TOPICS_H_
