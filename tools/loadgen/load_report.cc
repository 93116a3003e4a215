#include "tools/loadgen/load_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace orderplatform::loadgen {

CompletionTimeline::CompletionTimeline(absl::Duration tick, absl::Duration horizon)
    : tick_(tick),
      ticks_(static_cast<size_t>(std::max<int64_t>(1, horizon / tick)), 0) {}

void CompletionTimeline::Record(absl::Duration since_start) {
  int64_t index = since_start < absl::ZeroDuration() ? 0 : since_start / tick_;
  index = std::min<int64_t>(index, static_cast<int64_t>(ticks_.size()) - 1);
  ++ticks_[static_cast<size_t>(index)];
  ++total_;
}

double CompletionTimeline::SecondsWhenReached(double target) const {
  const double tick_s = absl::ToDoubleSeconds(tick_);
  double cumulative = 0;
  for (size_t i = 0; i < ticks_.size(); ++i) {
    const double next = cumulative + static_cast<double>(ticks_[i]);
    if (next >= target && ticks_[i] > 0) {
      const double fraction = (target - cumulative) / static_cast<double>(ticks_[i]);
      return (static_cast<double>(i) + fraction) * tick_s;
    }
    cumulative = next;
  }
  return static_cast<double>(ticks_.size()) * tick_s;
}

double CompletionTimeline::SustainedRate() const {
  if (total_ < 10) return 0;
  const double total = static_cast<double>(total_);
  const double t10 = SecondsWhenReached(0.1 * total);
  const double t90 = SecondsWhenReached(0.9 * total);
  if (t90 - t10 < absl::ToDoubleSeconds(tick_)) return 0;
  return 0.8 * total / (t90 - t10);
}

namespace {

std::string LatencyLine(const LatencySummary& s) {
  return absl::StrFormat("p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f ms (n=%d)",
                         s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms, s.mean_ms, s.count);
}

std::string LatencyJson(const LatencySummary& s) {
  return absl::StrFormat(
      R"({"count": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f, )"
      R"("max_ms": %.3f, "mean_ms": %.3f})",
      s.count, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms, s.mean_ms);
}

}  // namespace

std::string FormatText(const LoadResult& r) {
  std::string out;
  absl::StrAppendFormat(&out, "mode           %s (run %s)\n", r.mode, r.run_id);
  absl::StrAppendFormat(&out, "terminal       %s\n", r.terminal);
  absl::StrAppendFormat(&out, "target rate    %s\n",
                        r.target_rate > 0 ? absl::StrFormat("%.0f orders/s", r.target_rate)
                                          : std::string("as fast as possible"));
  absl::StrAppendFormat(&out, "orders         placed %d, completed %d (confirmed %d, cancelled %d)",
                        r.placed, r.completed, r.confirmed, r.cancelled);
  absl::StrAppendFormat(&out, ", unfinished %d, placement errors %d\n", r.unfinished,
                        r.place_errors);
  if (!r.cancel_reasons.empty()) {
    absl::StrAppendFormat(&out, "cancel reasons %s\n",
                          absl::StrJoin(r.cancel_reasons, ", ", absl::PairFormatter("=")));
  }
  for (const std::string& error : r.error_samples) {
    absl::StrAppendFormat(&out, "error sample   %s\n", error);
  }
  absl::StrAppendFormat(&out, "throughput     %.0f orders/s completed (%.0f sustained, 10-90%%)",
                        r.throughput, r.sustained);
  absl::StrAppendFormat(&out, " over %.2f s; placing took %.2f s\n", r.elapsed_s, r.placing_s);
  if (r.target_rate > 0) {
    absl::StrAppendFormat(&out, "schedule lag   max %.1f ms behind the fixed schedule\n",
                          r.schedule_lag_max_ms);
  }
  absl::StrAppendFormat(&out, "latency        placement -> terminal: %s\n", LatencyLine(r.latency));
  absl::StrAppendFormat(&out, "               placement -> answer:   %s\n",
                        LatencyLine(r.place_latency));
  return out;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string FormatJson(const LoadResult& r) {
  std::string out = "{";
  absl::StrAppend(&out, "\"mode\": ", JsonString(r.mode), ", \"terminal\": ", JsonString(r.terminal),
                  ", \"run_id\": ", JsonString(r.run_id));
  absl::StrAppendFormat(&out, ", \"target_rate\": %.3f", r.target_rate);
  absl::StrAppendFormat(&out,
                        ", \"placed\": %d, \"place_errors\": %d, \"completed\": %d, "
                        "\"confirmed\": %d, \"cancelled\": %d, \"unfinished\": %d",
                        r.placed, r.place_errors, r.completed, r.confirmed, r.cancelled,
                        r.unfinished);
  absl::StrAppend(&out, ", \"cancel_reasons\": {",
                  absl::StrJoin(r.cancel_reasons, ", ",
                                [](std::string* s, const auto& entry) {
                                  absl::StrAppend(s, JsonString(entry.first), ": ", entry.second);
                                }),
                  "}");
  absl::StrAppend(&out, ", \"error_samples\": [",
                  absl::StrJoin(r.error_samples, ", ",
                                [](std::string* s, const std::string& e) {
                                  absl::StrAppend(s, JsonString(e));
                                }),
                  "]");
  absl::StrAppendFormat(&out,
                        ", \"placing_s\": %.3f, \"elapsed_s\": %.3f, \"throughput_per_s\": %.1f, "
                        "\"sustained_per_s\": %.1f, \"schedule_lag_max_ms\": %.3f",
                        r.placing_s, r.elapsed_s, r.throughput, r.sustained,
                        r.schedule_lag_max_ms);
  absl::StrAppend(&out, ", \"latency\": ", LatencyJson(r.latency),
                  ", \"place_latency\": ", LatencyJson(r.place_latency), "}");
  return out;
}

}  // namespace orderplatform::loadgen
