// loadgen: places orders on a running platform and follows each one to its terminal event on
// the topics; prints completed orders/s, placement->terminal latency (p50 ... max) and errors.
// See tools/loadgen/README.md.
//
//   bazel run -c opt //tools/loadgen -- --mode=grpc --order_addr=127.0.0.1:50051
//       --kafka_brokers=$(cat /tmp/kafka.addr) --orders=20000 --rate=2000   (one line)
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "platform/log/log.h"
#include "tools/loadgen/load_generator.h"
#include "tools/loadgen/load_options.h"
#include "tools/loadgen/load_report.h"

ABSL_FLAG(std::string, mode, "grpc", "grpc (PlaceOrder) or kafka (OrderPlaced onto orders.v1).");
ABSL_FLAG(int64_t, orders, 10000, "Orders to place; 0: until --duration_s.");
ABSL_FLAG(double, duration_s, 0, "Stop placing after this many seconds; 0: until --orders.");
ABSL_FLAG(double, rate, 0, "Orders/s on a fixed schedule; 0: as fast as the bounds allow.");
ABSL_FLAG(int32_t, inflight, 256, "Placements awaiting their answer (RPCs, produce acks).");
ABSL_FLAG(int32_t, open_max, 10000,
          "Orders placed but not yet terminal; placement waits beyond it (bounds topic backlog).");
ABSL_FLAG(int32_t, skus, 100, "SKUs LG-000000..; each order takes --lines distinct ones.");
ABSL_FLAG(int32_t, lines, 1, "Lines per order.");
ABSL_FLAG(int32_t, quantity, 1, "Quantity per line.");
ABSL_FLAG(int64_t, stock, 0, "> 0: SetStock(available=N) for every SKU first; 0: assume seeded.");
ABSL_FLAG(bool, register_orders, true,
          "Kafka mode: store the orders in the order service's Redis first (as PlaceOrder "
          "would, untimed), so the run ends at OrderConfirmed; false: ends at the inventory "
          "outcome on inventory.v1.");
ABSL_FLAG(double, drain_timeout_s, 60, "After placing, how long to wait for open orders.");
ABSL_FLAG(int32_t, grpc_channels, 2, "gRPC connections to the order service.");
ABSL_FLAG(int32_t, register_threads, 8, "Kafka mode: parallel order registrations.");
ABSL_FLAG(std::string, order_addr, "127.0.0.1:50051", "Order service gRPC host:port.");
ABSL_FLAG(std::string, inventory_addr, "127.0.0.1:50052",
          "Inventory service gRPC host:port (for --stock).");
ABSL_FLAG(std::string, kafka_brokers, "", "Bootstrap servers; env KAFKA_BROKERS.");
ABSL_FLAG(std::string, redis, "", "The order service's Redis host:port (kafka mode); env REDIS_ADDR.");
ABSL_FLAG(std::string, order_hash_tag, "orders", "The order service's --redis_hash_tag.");
ABSL_FLAG(std::string, admin_token, "", "For SetStock; better through env ADMIN_TOKEN.");
ABSL_FLAG(std::string, run_id, "", "Request ids are lg-<run_id>-<n>; empty: random.");
ABSL_FLAG(bool, json, false, "Print the result as one JSON object instead of the text report.");
ABSL_FLAG(bool, progress, true, "Live progress line on stderr.");

namespace orderplatform::loadgen {
namespace {

std::string FlagOrEnv(const std::string& flag, const char* env) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value != nullptr ? value : "";
}

int Main() {
  absl::StatusOr<PlaceMode> mode = ParsePlaceMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", std::string(mode.status().message()).c_str());
    return 2;
  }
  LoadOptions options{
      .mode = *mode,
      .orders = absl::GetFlag(FLAGS_orders),
      .duration_s = absl::GetFlag(FLAGS_duration_s),
      .rate = absl::GetFlag(FLAGS_rate),
      .inflight = absl::GetFlag(FLAGS_inflight),
      .open_max = absl::GetFlag(FLAGS_open_max),
      .skus = absl::GetFlag(FLAGS_skus),
      .lines = absl::GetFlag(FLAGS_lines),
      .quantity = absl::GetFlag(FLAGS_quantity),
      .stock = absl::GetFlag(FLAGS_stock),
      .register_orders = absl::GetFlag(FLAGS_register_orders),
      .drain_timeout_s = absl::GetFlag(FLAGS_drain_timeout_s),
      .grpc_channels = absl::GetFlag(FLAGS_grpc_channels),
      .register_threads = absl::GetFlag(FLAGS_register_threads),
      .order_addr = absl::GetFlag(FLAGS_order_addr),
      .inventory_addr = absl::GetFlag(FLAGS_inventory_addr),
      .kafka_brokers = FlagOrEnv(absl::GetFlag(FLAGS_kafka_brokers), "KAFKA_BROKERS"),
      .redis_addr = FlagOrEnv(absl::GetFlag(FLAGS_redis), "REDIS_ADDR"),
      .redis_password = FlagOrEnv("", "REDIS_PASSWORD"),
      .order_hash_tag = absl::GetFlag(FLAGS_order_hash_tag),
      .admin_token = FlagOrEnv(absl::GetFlag(FLAGS_admin_token), "ADMIN_TOKEN"),
      .run_id = absl::GetFlag(FLAGS_run_id),
      .progress = absl::GetFlag(FLAGS_progress),
  };
  absl::StatusOr<LoadResult> result = RunLoad(options);
  if (!result.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", result.status().ToString().c_str());
    return 1;
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? FormatJson(*result) + "\n" : FormatText(*result));
  // Non-zero when something did not finish: a script should not mistake a broken run for a
  // slow one.
  return result->place_errors == 0 && result->unfinished == 0 ? 0 : 3;
}

}  // namespace
}  // namespace orderplatform::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Places orders on the order platform and measures them to their terminal events.");
  absl::ParseCommandLine(argc, argv);
  // The platform libraries' info lines (connections, producers) would drown the progress line.
  orderplatform::log::SetMinLevel(orderplatform::log::Level::kWarn);
  return orderplatform::loadgen::Main();
}
