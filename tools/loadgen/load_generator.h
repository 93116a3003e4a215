// One load run against a running platform: seeds stock (optional), registers the orders
// (Kafka mode), starts the tracker on the terminal topic, places orders on a fixed schedule or
// as fast as the bounds allow, waits for the open ones, and returns the figures. The loadgen
// binary and the bench both call it.
//
//   LoadOptions options{.mode = PlaceMode::kGrpc, .orders = 20000, .rate = 2000,
//                       .order_addr = "127.0.0.1:50051", .kafka_brokers = "127.0.0.1:9092"};
//   absl::StatusOr<LoadResult> result = RunLoad(options);
//   std::cout << FormatText(*result);
//
// Pacing: with rate > 0 order n is due at start + n/rate and its latency counts from that due
// time, so a sender held back by the bounds (inflight, open_max) shows up as latency instead of
// hiding it (no coordinated omission); schedule_lag_max_ms says how far behind it fell. With
// rate = 0 latency counts from the moment the order was sent.
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_LOAD_GENERATOR_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_LOAD_GENERATOR_H_

#include "absl/status/statusor.h"
#include "tools/loadgen/load_options.h"
#include "tools/loadgen/load_report.h"

namespace orderplatform::loadgen {

// INVALID_ARGUMENT for bad options; UNAVAILABLE when a dependency cannot be reached; the other
// failures of seeding or registration as they come. Placement errors are counted, not returned.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options);

// SetStock(available = options.stock) for every SKU of the run (admin token from options).
absl::Status SeedStock(const LoadOptions& options);

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_LOAD_GENERATOR_H_
