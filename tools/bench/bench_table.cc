#include "tools/bench/bench_table.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace orderplatform::bench {
namespace {

std::string Verdict(bool met) { return met ? "met" : "NOT met"; }

std::string Ms(double ms) { return absl::StrFormat("%.1f ms", ms); }

// Orders that did not end CONFIRMED: a run whose orders were cancelled or lost measured
// something else, and the table says so next to its rate.
std::string NotConfirmed(const loadgen::LoadResult& r) {
  const int64_t missing = r.cancelled + r.unfinished + r.place_errors;
  if (missing == 0) return "";
  return absl::StrFormat(" (%d not confirmed: %d cancelled, %d unfinished, %d errors)", missing,
                         r.cancelled, r.unfinished, r.place_errors);
}

// Completed orders over first placement -> last terminal event. (The 10-90% "sustained" rate of
// the load report is not used here: with a deep backlog the order projection confirms orders in
// bursts, and the middle of the completions can be far faster than what the run sustained.)
double RateOf(const loadgen::LoadResult& r) { return r.throughput; }

std::string Costs(const std::vector<ProcessCost>& costs) {
  return absl::StrJoin(costs, ", ", [](std::string* out, const ProcessCost& c) {
    absl::StrAppendFormat(out, "%s %.0f", c.name, c.cpu_us_per_order);
  });
}

std::string LogBytes(const std::vector<ProcessCost>& costs) {
  std::vector<std::string> parts;
  for (const ProcessCost& c : costs) {
    if (c.log_bytes_per_order >= 0) {
      parts.push_back(absl::StrFormat("%s %.0f", c.name, c.log_bytes_per_order));
    }
  }
  return absl::StrJoin(parts, ", ");
}

void AddRunRows(const std::string& name, const SagaRun& run, std::vector<BenchRow>* rows) {
  rows->push_back({.figure = absl::StrCat("CPU per completed order, ", name, " (us)"),
                   .value = Costs(run.costs)});
  const std::string log_bytes = LogBytes(run.costs);
  if (!log_bytes.empty()) {
    rows->push_back({.figure = absl::StrCat("log bytes per completed order, ", name),
                     .value = log_bytes});
  }
  rows->push_back(
      {.figure = absl::StrCat("Redis commands (Lua's own included) / round trips per completed "
                              "order, ",
                              name),
       .value = absl::StrFormat("%.1f / %.1f", run.redis_commands_per_order,
                                run.redis_round_trips_per_order)});
}

}  // namespace

std::string Thousands(double value) {
  const int64_t rounded = static_cast<int64_t>(std::llround(value));
  std::string digits = absl::StrCat(rounded < 0 ? -rounded : rounded);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return rounded < 0 ? "-" + out : out;
}

std::string Percent(double value, double reference) {
  if (!(reference > 0)) return "";
  return absl::StrFormat("%.0f%%", 100.0 * value / reference);
}

std::vector<BenchRow> BuildRows(const Ceilings& c, const SagaFigures& saga,
                                const Targets& targets) {
  std::vector<BenchRow> rows;
  rows.push_back({.figure = absl::StrFormat(
                      "ceiling: Redis EVALSHA reserve.lua (redis-benchmark, %d clients)",
                      c.redis_clients),
                  .value = absl::StrCat(Thousands(c.evalsha_per_s), " calls/s")});
  rows.push_back({.figure = absl::StrFormat("ceiling: Redis SET (redis-benchmark, %d clients)",
                                            c.redis_clients),
                  .value = absl::StrCat(Thousands(c.set_per_s), " ops/s")});
  rows.push_back({.figure = "ceiling: Redis SET, 1 client (a sequential writer, as each "
                            "service's consumer is)",
                  .value = absl::StrCat(Thousands(c.set_serial_per_s), " ops/s")});
  rows.push_back(
      {.figure = absl::StrFormat("ceiling: devbroker produce, platform producer (acks=all, "
                                 "idempotent), %s x %d B, %d partitions",
                                 Thousands(static_cast<double>(c.kafka_messages)),
                                 c.message_bytes, c.kafka_partitions),
       .value = absl::StrCat(Thousands(c.produce_per_s), " msgs/s")});
  rows.push_back({.figure = absl::StrFormat("ceiling: devbroker consume, librdkafka, %d partitions",
                                            c.kafka_partitions),
                  .value = absl::StrCat(Thousands(c.consume_per_s), " msgs/s")});

  // What the ceilings allow a saga: each order needs 2 Lua calls, 5 produced and 8 consumed
  // messages, and the order projection writes 3 times in a row. The smallest is the bound.
  std::vector<std::pair<std::string, double>> bounds = {
      {"EVALSHA/2", c.evalsha_per_s / kLuaCallsPerOrder},
      {"produce/5", c.produce_per_s / kProducedPerOrder},
      {"consume/8", c.consume_per_s / kConsumedPerOrder}};
  if (c.set_serial_per_s > 0) {
    bounds.push_back({"1-client SET/3", c.set_serial_per_s / kSerialWritesPerOrder});
  }
  const auto binding = std::min_element(
      bounds.begin(), bounds.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::string saga_ceiling =
      absl::StrCat(Thousands(binding->second), " (", binding->first, ")");

  if (saga.kafka.has_value()) {
    const SagaRun& run = *saga.kafka;
    const double rate = RateOf(run.load);
    rows.push_back({.figure = "saga via Kafka: max throughput, orders/s OrderPlaced -> "
                              "OrderConfirmed",
                    .value = absl::StrCat(Thousands(rate), NotConfirmed(run.load)),
                    .ceiling = saga_ceiling,
                    .ceiling_ratio = Percent(rate, binding->second),
                    .target = absl::StrCat(">= ", Thousands(targets.kafka_orders_per_s)),
                    .verdict = Verdict(rate >= targets.kafka_orders_per_s &&
                                       run.load.unfinished == 0)});
    rows.push_back({.figure = "inventory path: EVALSHA calls/s during the Kafka saga",
                    .value = Thousands(run.evalsha_per_s),
                    .ceiling = Thousands(c.evalsha_per_s),
                    .ceiling_ratio = Percent(run.evalsha_per_s, c.evalsha_per_s),
                    .target = absl::StrFormat(">= %.0f%% of ceiling",
                                              100 * targets.inventory_ceiling_share),
                    .verdict = Verdict(run.evalsha_per_s >=
                                       targets.inventory_ceiling_share * c.evalsha_per_s)});
  }
  if (saga.grpc.has_value()) {
    const SagaRun& run = *saga.grpc;
    const double rate = RateOf(run.load);
    const double kafka_rate = saga.kafka.has_value() ? RateOf(saga.kafka->load) : 0;
    rows.push_back({.figure = "saga via gRPC: max throughput, orders/s PlaceOrder -> "
                              "OrderConfirmed",
                    .value = absl::StrCat(Thousands(rate), NotConfirmed(run.load)),
                    .ceiling = kafka_rate > 0 ? absl::StrCat(Thousands(kafka_rate), " (Kafka saga)")
                                              : saga_ceiling,
                    .ceiling_ratio = Percent(rate, kafka_rate > 0 ? kafka_rate : binding->second),
                    .target = absl::StrCat(">= ", Thousands(targets.grpc_orders_per_s)),
                    .verdict = Verdict(rate >= targets.grpc_orders_per_s &&
                                       run.load.unfinished == 0)});
  }
  if (saga.latency.has_value()) {
    const loadgen::LoadResult& r = saga.latency->load;
    rows.push_back({.figure = absl::StrFormat("latency run: completed orders/s at %s offered",
                                              Thousands(targets.latency_rate)),
                    .value = absl::StrCat(Thousands(r.throughput), NotConfirmed(r)),
                    .ceiling = Thousands(targets.latency_rate),
                    .ceiling_ratio = Percent(r.throughput, targets.latency_rate)});
    rows.push_back({.figure = "latency at that rate: p50 placement -> CONFIRMED",
                    .value = Ms(r.latency.p50_ms)});
    rows.push_back({.figure = "latency at that rate: p99 placement -> CONFIRMED",
                    .value = Ms(r.latency.p99_ms),
                    .target = absl::StrCat("<= ", Ms(targets.latency_p99_ms_max)),
                    .verdict = Verdict(r.latency.p99_ms <= targets.latency_p99_ms_max &&
                                       r.latency.count > 0 &&
                                       r.throughput >= 0.95 * targets.latency_rate)});
    rows.push_back({.figure = "latency at that rate: p99.9 / max",
                    .value = absl::StrCat(Ms(r.latency.p999_ms), " / ", Ms(r.latency.max_ms))});
  }
  if (saga.latency_floor.has_value()) {
    const loadgen::LoadResult& r = saga.latency_floor->load;
    rows.push_back(
        {.figure = absl::StrFormat("latency at %s orders/s offered (light load): "
                                   "p50 / p99 / p99.9 placement -> CONFIRMED",
                                   Thousands(r.target_rate)),
         .value = absl::StrCat(Ms(r.latency.p50_ms), " / ", Ms(r.latency.p99_ms), " / ",
                               Ms(r.latency.p999_ms), NotConfirmed(r)),
         .ceiling = absl::StrCat(Thousands(r.throughput), " completed/s")});
  }
  if (saga.kafka.has_value()) AddRunRows("Kafka saga", *saga.kafka, &rows);
  if (saga.grpc.has_value()) AddRunRows("gRPC saga", *saga.grpc, &rows);
  if (!saga.rss_mb_peak.empty()) {
    double worst = 0;
    for (const auto& [name, mb] : saga.rss_mb_peak) worst = std::max(worst, mb);
    rows.push_back({.figure = "peak RSS per service (VmHWM, MB)",
                    .value = absl::StrJoin(saga.rss_mb_peak, ", ",
                                           [](std::string* out, const auto& entry) {
                                             absl::StrAppendFormat(out, "%s %.0f", entry.first,
                                                                   entry.second);
                                           }),
                    .target = absl::StrFormat("< %.0f MB each", targets.rss_mb_max),
                    .verdict = Verdict(worst < targets.rss_mb_max)});
  }
  return rows;
}

std::string RenderText(const std::vector<BenchRow>& rows) {
  size_t figure_width = 6;
  size_t value_width = 8;
  for (const BenchRow& row : rows) {
    figure_width = std::max(figure_width, row.figure.size());
    value_width = std::max(value_width, row.value.size());
  }
  std::string out;
  absl::StrAppendFormat(&out, "%-*s  %-*s  %-28s %-6s %-22s %s\n", figure_width, "figure",
                        value_width, "measured", "ceiling", "ratio", "target", "verdict");
  for (const BenchRow& row : rows) {
    absl::StrAppendFormat(&out, "%-*s  %-*s  %-28s %-6s %-22s %s\n", figure_width, row.figure,
                          value_width, row.value, row.ceiling, row.ceiling_ratio, row.target,
                          row.verdict);
  }
  return out;
}

std::string RenderMarkdown(const std::string& header, const std::vector<BenchRow>& rows) {
  std::string out = header;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "\n| figure | measured | ceiling | % of ceiling | target | verdict |\n";
  out += "|---|---|---|---|---|---|\n";
  for (const BenchRow& row : rows) {
    absl::StrAppend(&out, "| ", row.figure, " | ", row.value, " | ", row.ceiling, " | ",
                    row.ceiling_ratio, " | ", row.target, " | ",
                    row.verdict == "NOT met" ? "**NOT met**" : row.verdict, " |\n");
  }
  return out;
}

absl::StatusOr<std::string> ReplaceMarkedSection(absl::string_view doc, absl::string_view body) {
  const size_t begin = doc.find(kSectionBegin);
  const size_t end = doc.find(kSectionEnd);
  if (begin == absl::string_view::npos && end == absl::string_view::npos) {
    std::string out(doc);
    if (!out.empty() && out.back() != '\n') out += '\n';
    absl::StrAppend(&out, "\n", kSectionBegin, "\n", body);
    if (!body.empty() && body.back() != '\n') out += '\n';
    absl::StrAppend(&out, kSectionEnd, "\n");
    return out;
  }
  if (begin == absl::string_view::npos || end == absl::string_view::npos || end < begin) {
    return absl::InvalidArgumentError(absl::StrCat("the document must hold ", kSectionBegin,
                                                   " before ", kSectionEnd, ", or neither"));
  }
  std::string out(doc.substr(0, begin));
  absl::StrAppend(&out, kSectionBegin, "\n", body);
  if (!body.empty() && body.back() != '\n') out += '\n';
  absl::StrAppend(&out, doc.substr(end));
  return out;
}

}  // namespace orderplatform::bench
