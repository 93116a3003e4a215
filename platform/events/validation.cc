#include "platform/events/validation.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace orderplatform::events {
namespace {

using orderplatform::v1::OrderLine;

absl::Status ValidateEnvelope(const orderplatform::v1::Envelope& envelope, bool has_payload,
                              bool has_envelope) {
  if (!has_envelope) return absl::InvalidArgumentError("event has no envelope");
  if (!IsValidId(envelope.order_id())) return absl::InvalidArgumentError("invalid order_id");
  if (envelope.event_id().empty()) return absl::InvalidArgumentError("empty event_id");
  if (!has_payload) return absl::InvalidArgumentError("event has no payload (unknown event type?)");
  return absl::OkStatus();
}

}  // namespace

bool IsValidSku(absl::string_view sku) {
  if (sku.empty() || sku.size() > kMaxSkuLength) return false;
  for (char c : sku) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

absl::Status ValidateLines(const google::protobuf::RepeatedPtrField<OrderLine>& lines) {
  if (lines.empty()) return absl::InvalidArgumentError("order has no lines");
  if (lines.size() > kMaxLines) {
    return absl::InvalidArgumentError(absl::StrCat("order has more than ", kMaxLines, " lines"));
  }
  for (int i = 0; i < lines.size(); ++i) {
    if (!IsValidSku(lines[i].sku())) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": SKU must match [A-Za-z0-9._-]{1,64}"));
    }
    if (lines[i].quantity() < 1) {
      return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, ": quantity must be >= 1"));
    }
  }
  // Lines of one SKU are reserved as one (NormalizeLines), whose quantity is an int32 too: a sum
  // beyond it could only be clamped, and a clamped order would sell less than it confirms (I3).
  std::map<absl::string_view, int64_t> quantity_by_sku;
  for (int i = 0; i < lines.size(); ++i) {
    int64_t& quantity = quantity_by_sku[lines[i].sku()];
    quantity += lines[i].quantity();
    if (quantity > INT32_MAX) {
      return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, ": the quantities of SKU ",
                                                     lines[i].sku(), " add up to more than ",
                                                     INT32_MAX));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAmount(int64_t amount_cents) {
  if (amount_cents < 0) return absl::InvalidArgumentError("amount_cents must not be negative");
  return absl::OkStatus();
}

std::vector<OrderLine> NormalizeLines(const google::protobuf::RepeatedPtrField<OrderLine>& lines) {
  std::map<std::string, int64_t> by_sku;
  for (const OrderLine& line : lines) by_sku[line.sku()] += line.quantity();
  std::vector<OrderLine> out;
  for (const auto& [sku, quantity] : by_sku) {
    OrderLine line;
    line.set_sku(sku);
    // ValidateLines refuses sums beyond int32; for lines it did not check, clamping at least keeps
    // the type instead of wrapping around.
    line.set_quantity(quantity > INT32_MAX ? INT32_MAX : static_cast<int32_t>(quantity));
    out.push_back(std::move(line));
  }
  return out;
}

absl::Status ValidateEvent(const orderplatform::v1::OrderEvent& event) {
  absl::Status status = ValidateEnvelope(event.envelope(),
                                         event.payload_case() != event.PAYLOAD_NOT_SET,
                                         event.has_envelope());
  if (!status.ok()) return status;
  if (event.has_order_placed()) {
    const auto& placed = event.order_placed();
    status = ValidateLines(placed.lines());
    if (status.ok()) status = ValidateAmount(placed.amount_cents());
  }
  return status;
}

absl::Status ValidateEvent(const orderplatform::v1::InventoryEvent& event) {
  return ValidateEnvelope(event.envelope(), event.payload_case() != event.PAYLOAD_NOT_SET,
                          event.has_envelope());
}

absl::Status ValidateEvent(const orderplatform::v1::PaymentEvent& event) {
  return ValidateEnvelope(event.envelope(), event.payload_case() != event.PAYLOAD_NOT_SET,
                          event.has_envelope());
}

}  // namespace orderplatform::events
