// Follows the orders of a load run to their terminal events: a plain Kafka consumer (no group
// membership, nothing committed) assigned to every partition of the terminal topic from its end
// offsets at start, so it sees exactly what happens after it started. The generator registers
// each order (Expect) before placing it; the tracker matches terminal events by order id,
// records placement->terminal latency and the completion timeline, and forgets the order.
// Events for orders it does not expect (other clients, duplicates of re-announced outcomes)
// are ignored.
//
//   ASSIGN_OR_RETURN(auto tracker, OrderTracker::Start({.brokers = b, .source = source}));
//   tracker->Expect(order_id, absl::Now());       // then place the order
//   tracker->Forget(order_id);                    // if the placement failed
//   tracker->AwaitAllDone(absl::Now() + absl::Seconds(60));
//   tracker->Fill(&result);
//
// Memory: one entry per open order; the generator bounds that by --open_max.
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_ORDER_TRACKER_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_ORDER_TRACKER_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/loadgen/latency_histogram.h"
#include "tools/loadgen/load_options.h"
#include "tools/loadgen/load_report.h"

namespace orderplatform::loadgen {

class OrderTracker {
 public:
  struct Options {
    std::string brokers;
    TerminalSource source = TerminalSource::kOrderOutcome;
    absl::Duration start_timeout = absl::Seconds(15);  // metadata and end offsets
    absl::Duration horizon = absl::Hours(25);          // of the completion timeline
  };

  // Assigned and positioned when this returns. UNAVAILABLE when the broker does not answer.
  static absl::StatusOr<std::unique_ptr<OrderTracker>> Start(Options options);
  ~OrderTracker();

  OrderTracker(const OrderTracker&) = delete;
  OrderTracker& operator=(const OrderTracker&) = delete;

  // Latency is measured from `placed_at`. The first call starts the run's clock.
  void Expect(const std::string& order_id, absl::Time placed_at) ABSL_LOCKS_EXCLUDED(mu_);
  // The placement failed: stop waiting for it. True if it was still open.
  bool Forget(const std::string& order_id) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t open() const ABSL_LOCKS_EXCLUDED(mu_);
  // Until nothing is open or `deadline`; true when nothing is open.
  bool AwaitAllDone(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

  struct Progress {
    int64_t completed = 0;
    int64_t open = 0;
    double p50_ms = 0;
    double p99_ms = 0;
  };
  Progress progress() const ABSL_LOCKS_EXCLUDED(mu_);

  // Completed/confirmed/cancelled, reasons, latency, sustained rate; and elapsed_s from the
  // first Expect to the last completion. Also `unfinished` = open orders now.
  void Fill(LoadResult* result) const ABSL_LOCKS_EXCLUDED(mu_);

  // Consume errors seen (each also printed once per kind to stderr).
  int64_t consume_errors() const { return consume_errors_.load(); }

 private:
  explicit OrderTracker(Options options);

  void Loop();
  void Handle(const rd_kafka_message_t& message) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> consume_errors_{0};
  std::thread thread_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> open_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> first_expected_at_ ABSL_GUARDED_BY(mu_);
  absl::Time last_completed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  LatencyHistogram latency_ ABSL_GUARDED_BY(mu_);
  CompletionTimeline timeline_ ABSL_GUARDED_BY(mu_);
  int64_t confirmed_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cancelled_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> cancel_reasons_ ABSL_GUARDED_BY(mu_);
  int last_error_code_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_ORDER_TRACKER_H_
