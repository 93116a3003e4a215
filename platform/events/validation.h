// Validation shared by the gRPC front door and the event consumers: the contract's rules for an
// order (SKU alphabet, line count, quantities, amount) and for an event's envelope.
//
// A SKU is `[A-Za-z0-9._-]{1,64}`; it becomes part of Redis key names, so this alphabet is also
// what keeps a SKU from naming another key (no braces, colons or spaces).
#ifndef ORDERPLATFORM_PLATFORM_EVENTS_VALIDATION_H_
#define ORDERPLATFORM_PLATFORM_EVENTS_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "orderplatform/v1/events.pb.h"
#include "orderplatform/v1/types.pb.h"

namespace orderplatform::events {

inline constexpr int kMaxLines = 100;
inline constexpr int kMaxSkuLength = 64;
inline constexpr int kMaxIdLength = 128;

bool IsValidSku(absl::string_view sku);
// Order ids, request ids and customer ids: 1..128 printable ASCII characters without spaces.
bool IsValidId(absl::string_view id);

// INVALID_ARGUMENT with a one-line reason, or OK. Besides each line's rules, the quantities of
// the lines of one SKU must add up to at most INT32_MAX (they are reserved as one line).
absl::Status ValidateLines(const google::protobuf::RepeatedPtrField<orderplatform::v1::OrderLine>& lines);
absl::Status ValidateAmount(int64_t amount_cents);

// The same SKU on two lines becomes one line with the summed quantity, sorted by SKU: the form
// the Lua scripts need (distinct keys) and a canonical one for replays.
std::vector<orderplatform::v1::OrderLine> NormalizeLines(
    const google::protobuf::RepeatedPtrField<orderplatform::v1::OrderLine>& lines);

// Envelope present, ids well-formed, payload set. Used before a consumer acts on an event;
// a failure sends the message to the topic's .dlq.
absl::Status ValidateEvent(const orderplatform::v1::OrderEvent& event);
absl::Status ValidateEvent(const orderplatform::v1::InventoryEvent& event);
absl::Status ValidateEvent(const orderplatform::v1::PaymentEvent& event);

}  // namespace orderplatform::events

#endif  // ORDERPLATFORM_PLATFORM_EVENTS_VALIDATION_H_
