// What one load run does, and the pure rules around it: the run's options with their checks,
// the placement modes, what "terminal" means in each, and the names the generator gives to
// requests and SKUs. No I/O here, so the rules are unit-tested (load_options_test.cc).
//
//   LoadOptions options{.mode = PlaceMode::kKafka, .orders = 50000, .kafka_brokers = "..."};
//   if (absl::Status valid = ValidateLoadOptions(options); !valid.ok()) ...;
//   TerminalSource source = TerminalSourceFor(options);  // which topic ends an order
//
// Modes:
//   grpc   PlaceOrder on the order service (asynchronous, `inflight` calls at once). Terminal:
//          OrderConfirmed / OrderCancelled on orders.v1, emitted by the order projection.
//   kafka  OrderPlaced produced straight onto orders.v1 with the order service's own event
//          code (services/order/order_events.h), as its outbox would. The projection ignores
//          orders it never stored, so with `register_orders` (the default) the generator stores
//          every order as PlaceOrder would (OrderStore::Create, outbox entry removed at once),
//          ahead of its OrderPlaced and untimed (order_registrar.h); the terminal is then again
//          OrderConfirmed / OrderCancelled on orders.v1 and the whole saga is measured except
//          the PlaceOrder front door. Without registration the terminal is the inventory
//          outcome on inventory.v1 (StockCommitted, StockRejected, StockReleased): the order
//          projection then finds only unknown orders (and logs a warning for each event).
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_LOAD_OPTIONS_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_LOAD_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orderplatform/v1/order_service.pb.h"

namespace orderplatform::loadgen {

enum class PlaceMode { kGrpc, kKafka };

// Where an order's end is read from (see the top of this file).
enum class TerminalSource {
  kOrderOutcome,      // OrderConfirmed / OrderCancelled on orders.v1
  kInventoryOutcome,  // StockCommitted / StockRejected / StockReleased on inventory.v1
};

// Bounds the flags may not exceed: they keep one run's memory and the topics' backlog finite.
inline constexpr int64_t kOrdersMax = 10'000'000;
inline constexpr int kInflightMax = 100'000;
inline constexpr int kOpenMax = 1'000'000;
inline constexpr int kSkusMax = 1'000'000;
inline constexpr int kLinesMax = 100;  // the contract's limit per order
inline constexpr double kDurationMaxS = 24 * 3600;

struct LoadOptions {
  PlaceMode mode = PlaceMode::kGrpc;
  int64_t orders = 10000;     // orders to place; 0: until duration_s (at most kOrdersMax)
  double duration_s = 0;      // stop placing after this; 0: until `orders` are placed
  double rate = 0;            // orders/s on a fixed schedule; 0: as fast as the bounds allow
  int inflight = 256;         // placements awaiting their answer (RPCs / produce acks)
  // Orders placed but not yet terminal. Placement waits beyond it: it bounds the topics'
  // backlog (the development broker keeps only 5 MB per partition) and the tracker's memory.
  int open_max = 10000;
  int skus = 100;             // SKUs LG-000000 .. ; each order takes `lines` distinct ones
  int lines = 1;
  int quantity = 1;           // per line
  int64_t stock = 0;          // > 0: SetStock(available = stock) for every SKU first
  bool register_orders = true;  // kafka mode: store the orders first (see the top)
  double drain_timeout_s = 60;  // after placing, how long to wait for the open orders
  int grpc_channels = 2;        // separate HTTP/2 connections to the order service
  int register_threads = 8;     // kafka mode: parallel OrderStore::Create calls

  std::string order_addr;       // grpc mode: host:port of the order service
  std::string inventory_addr;   // stock > 0: host:port of the inventory service
  std::string kafka_brokers;    // always: the tracker reads the terminal topic
  std::string redis_addr;       // kafka mode with register_orders
  std::string redis_password;   // never printed
  std::string order_hash_tag = "orders";  // the order service's --redis_hash_tag
  std::string admin_token;      // for SetStock; never printed
  std::string run_id;           // request ids are "lg-<run_id>-<n>"; empty: chosen at random
  bool progress = true;         // live line on stderr
};

// "grpc" or "kafka"; INVALID_ARGUMENT otherwise.
absl::StatusOr<PlaceMode> ParsePlaceMode(absl::string_view text);
absl::string_view PlaceModeName(PlaceMode mode);

// INVALID_ARGUMENT, with a one-line reason, for options that cannot make a bounded run.
absl::Status ValidateLoadOptions(const LoadOptions& options);

TerminalSource TerminalSourceFor(const LoadOptions& options);
absl::string_view TerminalTopic(TerminalSource source);
// One line for reports: what the measured latency ends at.
absl::string_view TerminalDescription(TerminalSource source);

std::string RequestIdFor(absl::string_view run_id, int64_t n);
std::string SkuName(int index);  // "LG-000042"
// The `lines` distinct SKU indexes of order `n`: consecutive from a per-order start, so the
// orders spread evenly over all SKUs.
int SkuIndexFor(int64_t n, int line, int skus);

// The PlaceOrder request of order `n` of a run: request id RequestIdFor(run_id, n), `lines`
// lines of `quantity` each (SkuIndexFor), customer "lg-customer-<n % 1000>", 1000 cents a line,
// EUR. The same n always gives the same request, so a Kafka-mode run can rebuild what it
// registered.
orderplatform::v1::PlaceOrderRequest BuildPlaceOrderRequest(const LoadOptions& options,
                                                            absl::string_view run_id, int64_t n);

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_LOAD_OPTIONS_H_
