#include "services/order/order_record.h"

namespace orderplatform::order {

OrderRecord NewOrderRecord(const orderplatform::v1::PlaceOrderRequest& request,
                           const std::string& order_id, int64_t now_ms) {
  OrderRecord record;
  orderplatform::v1::Order& order = record.order;
  order.set_order_id(order_id);
  order.set_status(orderplatform::v1::PENDING);
  order.set_customer_id(request.customer_id());
  *order.mutable_lines() = request.lines();
  order.set_amount_cents(request.amount_cents());
  order.set_currency(request.currency());
  order.set_request_id(request.request_id());
  order.set_created_at_ms(now_ms);
  order.set_updated_at_ms(now_ms);
  return record;
}

}  // namespace orderplatform::order
