// The result of one load run and its two renderings: the human report (text) and the same
// figures as JSON (--json, and what the bench reads in-process). Also the completion timeline
// that yields the sustained rate. Pure; tested in load_report_test.cc.
//
//   CompletionTimeline timeline(absl::Milliseconds(100), absl::Hours(1));
//   timeline.Record(absl::Seconds(3));                 // one completion 3 s after the start
//   double sustained = timeline.SustainedRate();      // orders/s between 10% and 90% done
//   std::cout << FormatText(result);  std::cout << FormatJson(result);
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_LOAD_REPORT_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_LOAD_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/loadgen/latency_histogram.h"

namespace orderplatform::loadgen {

// Completions counted per tick since the run's start, over a bounded horizon (later ones land in
// the last tick), so a long run needs no more memory than a short one.
class CompletionTimeline {
 public:
  CompletionTimeline(absl::Duration tick, absl::Duration horizon);

  void Record(absl::Duration since_start);
  int64_t total() const { return total_; }

  // Orders/s over the middle of the run: between the moments 10% and 90% of all completions
  // had happened (linear within a tick). It leaves out the ramp-up and the drain, so it is the
  // rate the system sustained. 0 with fewer than 10 completions or when they span less than a
  // tick (then only the overall rate is meaningful).
  double SustainedRate() const;

 private:
  // The moment the cumulative count reaches `target` (> 0, <= total_).
  double SecondsWhenReached(double target) const;

  const absl::Duration tick_;
  std::vector<int64_t> ticks_;
  int64_t total_ = 0;
};

struct LoadResult {
  std::string mode;         // "grpc" / "kafka"
  std::string terminal;     // TerminalDescription()
  std::string run_id;
  double target_rate = 0;   // 0: as fast as possible

  int64_t placed = 0;        // placements that were answered OK (RPC OK / produce acked)
  int64_t place_errors = 0;  // placements that failed (not tracked further)
  int64_t completed = 0;     // reached the terminal event
  int64_t confirmed = 0;
  int64_t cancelled = 0;
  int64_t unfinished = 0;    // still open when the drain timeout passed
  std::map<std::string, int64_t> cancel_reasons;
  std::vector<std::string> error_samples;  // a few distinct placement errors

  double placing_s = 0;      // first placement to the last placement sent
  double elapsed_s = 0;      // first placement to the last terminal event
  double throughput = 0;     // completed / elapsed_s
  double sustained = 0;      // CompletionTimeline::SustainedRate()
  double schedule_lag_max_ms = 0;  // fixed rate: how far the sender fell behind its schedule

  LatencySummary latency;        // placement -> terminal (from the scheduled send time at a rate)
  LatencySummary place_latency;  // placement -> its answer (PlaceOrder reply / produce ack)
};

std::string FormatText(const LoadResult& result);
// One JSON object; strings escaped; numbers as JSON numbers.
std::string FormatJson(const LoadResult& result);
// The JSON string literal for `text`, quotes included.
std::string JsonString(const std::string& text);

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_LOAD_REPORT_H_
