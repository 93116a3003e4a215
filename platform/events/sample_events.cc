#include "platform/events/sample_events.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "platform/events/envelope.h"

namespace orderplatform::events {
namespace {

using orderplatform::v1::InventoryEvent;
using orderplatform::v1::OrderEvent;
using orderplatform::v1::OrderLine;
using orderplatform::v1::PaymentEvent;

orderplatform::v1::Envelope Envelope(const std::string& order_id, const char* type,
                                     const char* producer) {
  return MakeEnvelope({.order_id = order_id,
                       .event_type = type,
                       .correlation_id = order_id,
                       .causation_id = absl::StrCat(order_id, "/OrderPlaced"),
                       .producer = producer,
                       .occurred_at_ms = 1764450000000});
}

void AddLine(google::protobuf::RepeatedPtrField<OrderLine>* lines, std::string sku,
             int32_t quantity) {
  OrderLine* line = lines->Add();
  line->set_sku(std::move(sku));
  line->set_quantity(quantity);
}

}  // namespace

std::vector<OrderEvent> SampleOrderEvents() {
  std::vector<OrderEvent> out;
  OrderEvent placed;
  *placed.mutable_envelope() = Envelope("o-1", "OrderPlaced", "order");
  placed.mutable_order_placed()->set_customer_id("c-1");
  placed.mutable_order_placed()->set_amount_cents(1999);
  placed.mutable_order_placed()->set_currency("EUR");
  placed.mutable_order_placed()->set_request_id("r-1");
  AddLine(placed.mutable_order_placed()->mutable_lines(), "B", 2);
  AddLine(placed.mutable_order_placed()->mutable_lines(), "A", 1);
  AddLine(placed.mutable_order_placed()->mutable_lines(), "B", 3);
  out.push_back(placed);

  OrderEvent largest;
  *largest.mutable_envelope() = Envelope(std::string(128, 'o'), "OrderPlaced", "order");
  largest.mutable_order_placed()->set_amount_cents(INT64_MAX);
  AddLine(largest.mutable_order_placed()->mutable_lines(), std::string(64, 'x'), INT32_MAX);
  out.push_back(largest);

  OrderEvent hundred_lines;
  *hundred_lines.mutable_envelope() = Envelope("o-100", "OrderPlaced", "order");
  for (int i = 0; i < 100; ++i) {
    AddLine(hundred_lines.mutable_order_placed()->mutable_lines(), absl::StrCat("sku-", i % 7), 1);
  }
  out.push_back(hundred_lines);

  OrderEvent cancel;
  *cancel.mutable_envelope() = Envelope("o-1", "OrderCancellationRequested", "order");
  cancel.mutable_order_cancellation_requested();
  out.push_back(cancel);

  OrderEvent confirmed;
  *confirmed.mutable_envelope() = Envelope("o-1", "OrderConfirmed", "order");
  confirmed.mutable_order_confirmed();
  out.push_back(confirmed);

  OrderEvent cancelled;
  *cancelled.mutable_envelope() = Envelope("o-1", "OrderCancelled", "order");
  cancelled.mutable_order_cancelled()->set_reason(orderplatform::v1::PAYMENT_DECLINED);
  out.push_back(cancelled);
  return out;
}

std::vector<InventoryEvent> SampleInventoryEvents() {
  std::vector<InventoryEvent> out;
  InventoryEvent reserved;
  *reserved.mutable_envelope() = Envelope("o-1", "StockReserved", "inventory");
  AddLine(reserved.mutable_stock_reserved()->mutable_lines(), "A", 1);
  AddLine(reserved.mutable_stock_reserved()->mutable_lines(), "B", INT32_MAX);
  reserved.mutable_stock_reserved()->set_expires_at_ms(1764450900000);
  reserved.mutable_stock_reserved()->set_customer_id("c-1");
  reserved.mutable_stock_reserved()->set_amount_cents(1999);
  reserved.mutable_stock_reserved()->set_currency("EUR");
  out.push_back(reserved);

  InventoryEvent rejected;
  *rejected.mutable_envelope() = Envelope("o-2", "StockRejected", "inventory");
  rejected.mutable_stock_rejected()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  rejected.mutable_stock_rejected()->set_sku("A");
  rejected.mutable_stock_rejected()->set_requested(5);
  rejected.mutable_stock_rejected()->set_available(int64_t{1} << 53);
  out.push_back(rejected);

  InventoryEvent committed;
  *committed.mutable_envelope() = Envelope("o-1", "StockCommitted", "inventory");
  AddLine(committed.mutable_stock_committed()->mutable_lines(), "A", 1);
  out.push_back(committed);

  for (auto reason : {orderplatform::v1::PAYMENT_DECLINED, orderplatform::v1::RESERVATION_EXPIRED,
                      orderplatform::v1::CUSTOMER_REQUEST}) {
    InventoryEvent released;
    *released.mutable_envelope() = Envelope("o-3", "StockReleased", "inventory");
    released.mutable_stock_released()->set_reason(reason);
    AddLine(released.mutable_stock_released()->mutable_lines(), "A", 1);
    out.push_back(released);
  }
  return out;
}

std::vector<PaymentEvent> SamplePaymentEvents() {
  std::vector<PaymentEvent> out;
  PaymentEvent authorized;
  *authorized.mutable_envelope() = Envelope("o-1", "PaymentAuthorized", "payment");
  authorized.mutable_payment_authorized()->set_amount_cents(1999);
  authorized.mutable_payment_authorized()->set_currency("EUR");
  out.push_back(authorized);

  PaymentEvent declined;
  *declined.mutable_envelope() = Envelope("o-2", "PaymentDeclined", "payment");
  declined.mutable_payment_declined()->set_reason("max_amount");
  out.push_back(declined);

  PaymentEvent refunded;
  *refunded.mutable_envelope() = Envelope("o-3", "PaymentRefunded", "payment");
  refunded.mutable_payment_refunded()->set_amount_cents(1999);
  refunded.mutable_payment_refunded()->set_currency("EUR");
  out.push_back(refunded);
  return out;
}

std::string UnknownPayloadEvent(const std::string& order_id) {
  OrderEvent envelope_only;
  *envelope_only.mutable_envelope() = Envelope(order_id, "OrderShipped", "order");
  // Field 99, wire type 2 (length-delimited): tag varint (99 << 3 | 2) = 0x9a 0x06; a 2-byte
  // message holding field 1 = 1.
  return envelope_only.SerializeAsString() + std::string("\x9a\x06\x02\x08\x01", 5);
}

}  // namespace orderplatform::events
