// The bench's figures, the one table they become (each figure next to the ceiling or target it
// is judged against, and the ratio), and the marked section of docs/PERFORMANCE.md it is written
// into. Pure: tested in bench_table_test.cc.
//
//   std::vector<BenchRow> rows = BuildRows(ceilings, saga);
//   std::cout << RenderText(rows);
//   absl::StatusOr<std::string> doc = ReplaceMarkedSection(old_doc, RenderMarkdown(header, rows));
#ifndef ORDERPLATFORM_TOOLS_BENCH_BENCH_TABLE_H_
#define ORDERPLATFORM_TOOLS_BENCH_BENCH_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/loadgen/load_report.h"

namespace orderplatform::bench {

inline constexpr char kSectionBegin[] = "<!-- bench:begin -->";
inline constexpr char kSectionEnd[] = "<!-- bench:end -->";

// The targets of issue 5, on 2 cores.
struct Targets {
  double kafka_orders_per_s = 20000;
  double grpc_orders_per_s = 10000;
  double latency_rate = 2000;          // orders/s offered in the latency run
  double latency_p99_ms_max = 25;
  double inventory_ceiling_share = 0.70;  // of the raw EVALSHA ceiling
  double rss_mb_max = 256;
};

// (a) raw ceilings, measured in the same run.
struct Ceilings {
  double evalsha_per_s = 0;  // redis-benchmark, EVALSHA of reserve.lua
  double set_per_s = 0;      // redis-benchmark, SET
  double set_serial_per_s = 0;  // redis-benchmark, SET with one client: a sequential writer
  int redis_clients = 0;
  double produce_per_s = 0;  // the platform's producer (acks=all, idempotent) into devbroker
  double consume_per_s = 0;  // a librdkafka consumer reading them back
  int64_t kafka_messages = 0;
  int kafka_partitions = 0;
  int message_bytes = 0;
};

// One process's cost in a saga run.
struct ProcessCost {
  std::string name;             // "order", "inventory", "payment", "redis", "devbroker"
  double cpu_us_per_order = 0;  // (utime + stime) delta / completed orders
  double log_bytes_per_order = -1;  // stderr growth / completed orders; -1: not a service
};

struct SagaRun {
  loadgen::LoadResult load;
  std::vector<ProcessCost> costs;
  double redis_commands_per_order = 0;  // INFO commandstats delta / completed (Lua's included)
  double redis_round_trips_per_order = 0;  // INFO total_reads_processed delta / completed
  double evalsha_per_s = 0;             // EVALSHA calls during the run / its elapsed time
};

struct SagaFigures {
  std::optional<SagaRun> kafka;    // max throughput, OrderPlaced straight onto orders.v1
  std::optional<SagaRun> grpc;     // max throughput through PlaceOrder
  std::optional<SagaRun> latency;  // PlaceOrder at Targets::latency_rate
  // PlaceOrder at a light rate: the latency floor.
  std::optional<SagaRun> latency_floor;
  std::vector<std::pair<std::string, double>> rss_mb_peak;  // per service, VmHWM at the end
};

struct BenchRow {
  std::string figure;
  std::string value;
  std::string ceiling;        // what bounds it from the raw ceilings, "" when nothing does
  std::string ceiling_ratio;  // value / ceiling
  std::string target;         // the target, "" for figures without one
  std::string verdict;        // "met", "NOT met", or ""
};

// Kafka messages per completed order in the saga: produced (OrderPlaced, StockReserved,
// PaymentAuthorized, StockCommitted, OrderConfirmed) and consumed by the services (orders.v1 by
// inventory; inventory.v1 by payment and order; payments.v1 by inventory and order).
inline constexpr int kProducedPerOrder = 5;
inline constexpr int kConsumedPerOrder = 8;
// Lua calls per confirmed order: reserve.lua and commit.lua.
inline constexpr int kLuaCallsPerOrder = 2;
// Writes the busiest sequential writer makes per order, each waiting for its reply: the order
// projection's three check-and-sets (RESERVED, PAID, CONFIRMED), one MULTI/EXEC each.
inline constexpr int kSerialWritesPerOrder = 3;

std::vector<BenchRow> BuildRows(const Ceilings& ceilings, const SagaFigures& saga,
                                const Targets& targets = {});

// A fixed-width table for the terminal.
std::string RenderText(const std::vector<BenchRow>& rows);
// `header` (markdown lines: date, nproc, flags, caveats) followed by the table.
std::string RenderMarkdown(const std::string& header, const std::vector<BenchRow>& rows);

// `doc` with everything between kSectionBegin and kSectionEnd replaced by `body` (markers
// kept). A doc without the markers gets them, with `body`, appended at its end.
// INVALID_ARGUMENT when only one marker is there, or they are out of order.
absl::StatusOr<std::string> ReplaceMarkedSection(absl::string_view doc, absl::string_view body);

// "1,234,567" style for counts and rates.
std::string Thousands(double value);
// "73%"; "" when the reference is not positive.
std::string Percent(double value, double reference);

}  // namespace orderplatform::bench

#endif  // ORDERPLATFORM_TOOLS_BENCH_BENCH_TABLE_H_
