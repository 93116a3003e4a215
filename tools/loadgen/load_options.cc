#include "tools/loadgen/load_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace orderplatform::loadgen {

absl::StatusOr<PlaceMode> ParsePlaceMode(absl::string_view text) {
  if (text == "grpc") return PlaceMode::kGrpc;
  if (text == "kafka") return PlaceMode::kKafka;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode must be grpc or kafka, not '", text, "'"));
}

absl::string_view PlaceModeName(PlaceMode mode) {
  return mode == PlaceMode::kGrpc ? "grpc" : "kafka";
}

absl::Status ValidateLoadOptions(const LoadOptions& o) {
  auto bad = [](absl::string_view reason) { return absl::InvalidArgumentError(reason); };
  if (o.orders < 0 || o.orders > kOrdersMax) {
    return bad(absl::StrCat("--orders must be in [0, ", kOrdersMax, "]"));
  }
  if (!(o.duration_s >= 0 && o.duration_s <= kDurationMaxS)) {
    return bad(absl::StrCat("--duration_s must be in [0, ", kDurationMaxS, "]"));
  }
  if (o.orders == 0 && o.duration_s == 0) {
    return bad("give --orders or --duration_s (or both): a run needs a bound");
  }
  if (!(o.rate >= 0 && o.rate <= 10'000'000)) return bad("--rate must be in [0, 10000000]");
  if (o.orders == 0 && o.rate > 0 && o.rate * o.duration_s > kOrdersMax) {
    return bad(absl::StrCat("--rate x --duration_s must stay <= ", kOrdersMax, " orders"));
  }
  if (o.inflight < 1 || o.inflight > kInflightMax) {
    return bad(absl::StrCat("--inflight must be in [1, ", kInflightMax, "]"));
  }
  if (o.open_max < o.inflight || o.open_max > kOpenMax) {
    return bad(absl::StrCat("--open_max must be in [--inflight, ", kOpenMax, "]"));
  }
  if (o.skus < 1 || o.skus > kSkusMax) {
    return bad(absl::StrCat("--skus must be in [1, ", kSkusMax, "]"));
  }
  if (o.lines < 1 || o.lines > kLinesMax || o.lines > o.skus) {
    return bad(absl::StrCat("--lines must be in [1, min(", kLinesMax, ", --skus)]"));
  }
  if (o.quantity < 1) return bad("--quantity must be >= 1");
  if (o.stock < 0) return bad("--stock must be >= 0 (0: assume the SKUs are seeded)");
  if (!(o.drain_timeout_s > 0 && o.drain_timeout_s <= kDurationMaxS)) {
    return bad("--drain_timeout_s must be > 0");
  }
  if (o.grpc_channels < 1 || o.grpc_channels > 64) return bad("--grpc_channels must be in [1, 64]");
  if (o.register_threads < 1 || o.register_threads > 64) {
    return bad("--register_threads must be in [1, 64]");
  }
  if (o.kafka_brokers.empty()) {
    return bad("--kafka_brokers is required: orders are tracked on the topics");
  }
  if (o.mode == PlaceMode::kGrpc && o.order_addr.empty()) {
    return bad("--mode=grpc needs --order_addr");
  }
  if (o.mode == PlaceMode::kKafka && o.register_orders) {
    if (o.redis_addr.empty()) {
      return bad("--mode=kafka with --register_orders needs --redis (the order service's Redis)");
    }
  }
  if (o.stock > 0 && o.inventory_addr.empty()) return bad("--stock needs --inventory_addr");
  for (char c : o.run_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok || o.run_id.size() > 32) return bad("--run_id must be [A-Za-z0-9._-]{0,32}");
  }
  return absl::OkStatus();
}

TerminalSource TerminalSourceFor(const LoadOptions& options) {
  if (options.mode == PlaceMode::kKafka && !options.register_orders) {
    return TerminalSource::kInventoryOutcome;
  }
  return TerminalSource::kOrderOutcome;
}

absl::string_view TerminalTopic(TerminalSource source) {
  return source == TerminalSource::kOrderOutcome ? "orders.v1" : "inventory.v1";
}

absl::string_view TerminalDescription(TerminalSource source) {
  return source == TerminalSource::kOrderOutcome
             ? "OrderConfirmed/OrderCancelled on orders.v1 (order projection)"
             : "StockCommitted/StockRejected/StockReleased on inventory.v1 (inventory outcome)";
}

std::string RequestIdFor(absl::string_view run_id, int64_t n) {
  return absl::StrCat("lg-", run_id, "-", n);
}

std::string SkuName(int index) { return absl::StrFormat("LG-%06d", index); }

int SkuIndexFor(int64_t n, int line, int skus) {
  // Multiplying by a large odd constant scatters consecutive orders over the SKUs.
  const uint64_t start = static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ull;
  return static_cast<int>((start % static_cast<uint64_t>(skus) + static_cast<uint64_t>(line)) %
                          static_cast<uint64_t>(skus));
}

orderplatform::v1::PlaceOrderRequest BuildPlaceOrderRequest(const LoadOptions& options,
                                                            absl::string_view run_id, int64_t n) {
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id(RequestIdFor(run_id, n));
  request.set_customer_id(absl::StrCat("lg-customer-", n % 1000));
  for (int line = 0; line < options.lines; ++line) {
    orderplatform::v1::OrderLine* order_line = request.add_lines();
    order_line->set_sku(SkuName(SkuIndexFor(n, line, options.skus)));
    order_line->set_quantity(options.quantity);
  }
  request.set_amount_cents(1000 * static_cast<int64_t>(options.lines));
  request.set_currency("EUR");
  return request;
}

}  // namespace orderplatform::loadgen
