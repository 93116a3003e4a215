#include "tools/loadgen/load_generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "platform/grpc/admin_auth.h"
#include "services/order/order_id.h"
#include "tools/loadgen/latency_histogram.h"
#include "tools/loadgen/order_registrar.h"
#include "tools/loadgen/order_tracker.h"
#include "tools/loadgen/placer.h"

namespace orderplatform::loadgen {
namespace {

constexpr absl::Duration kProgressInterval = absl::Milliseconds(500);
constexpr absl::Duration kBoundWait = absl::Microseconds(100);
constexpr absl::Duration kScheduleWaitMax = absl::Milliseconds(1);
constexpr size_t kErrorSamplesMax = 5;

std::string RandomRunId() {
  absl::BitGen random;
  return absl::StrCat(absl::Hex(absl::Uniform<uint32_t>(random), absl::kZeroPad8));
}

// What the placement callbacks share with the generator.
struct PlacementStats {
  absl::Mutex mu;
  LatencyHistogram latency ABSL_GUARDED_BY(mu);
  int64_t placed ABSL_GUARDED_BY(mu) = 0;
  std::atomic<int64_t> errors{0};  // also read by the progress line, without the lock
  std::vector<std::string> error_samples ABSL_GUARDED_BY(mu);

  void Answer(const absl::Status& status, absl::Duration latency) {
    absl::MutexLock lock(&mu);
    this->latency.Record(latency);
    if (status.ok()) {
      ++placed;
      return;
    }
    ++errors;
    std::string sample = status.ToString();
    if (error_samples.size() < kErrorSamplesMax &&
        std::find(error_samples.begin(), error_samples.end(), sample) == error_samples.end()) {
      error_samples.push_back(std::move(sample));
    }
  }
};

// The live line on stderr, rewritten in place.
class ProgressLine {
 public:
  ProgressLine(bool enabled, absl::string_view mode, int64_t orders)
      : enabled_(enabled), mode_(mode), orders_(orders) {}

  // Prints when kProgressInterval has passed since the last line, or when `force` says so.
  void MaybePrint(absl::Time now, absl::Time start, int64_t sent, const OrderTracker& tracker,
                  int64_t errors, bool force = false) {
    if (!enabled_ || (now < next_ && !force)) return;
    next_ = now + kProgressInterval;
    const OrderTracker::Progress p = tracker.progress();
    const double interval_s = absl::ToDoubleSeconds(now - last_at_);
    const double rate =
        last_at_ == absl::InfinitePast() || interval_s <= 0
            ? 0
            : static_cast<double>(p.completed - last_completed_) / interval_s;
    last_at_ = now;
    last_completed_ = p.completed;
    std::fprintf(stderr,
                 "\r[%s] %6.1f s  sent %lld%s  done %lld  open %lld  err %lld  %7.0f/s  "
                 "p50 %.1f ms  p99 %.1f ms   ",
                 std::string(mode_).c_str(), absl::ToDoubleSeconds(now - start),
                 static_cast<long long>(sent),
                 orders_ > 0 ? absl::StrCat("/", orders_).c_str() : "",
                 static_cast<long long>(p.completed), static_cast<long long>(p.open),
                 static_cast<long long>(errors), rate, p.p50_ms, p.p99_ms);
    std::fflush(stderr);
  }

  void Finish() {
    if (enabled_) std::fprintf(stderr, "\n");
  }

 private:
  const bool enabled_;
  const absl::string_view mode_;
  const int64_t orders_;
  absl::Time next_ = absl::InfinitePast();
  absl::Time last_at_ = absl::InfinitePast();
  int64_t last_completed_ = 0;
};

}  // namespace

absl::Status SeedStock(const LoadOptions& options) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(options.inventory_addr, grpc::InsecureChannelCredentials());
  std::unique_ptr<orderplatform::v1::InventoryService::Stub> stub =
      orderplatform::v1::InventoryService::NewStub(channel);
  for (int i = 0; i < options.skus; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.set_wait_for_ready(true);
    grpc_server::AddAdminToken(&context, options.admin_token);
    orderplatform::v1::SetStockRequest request;
    request.set_sku(SkuName(i));
    request.set_available(options.stock);
    orderplatform::v1::StockLevel level;
    grpc::Status status = stub->SetStock(&context, request, &level);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("SetStock ", request.sku(), ": ", status.error_message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options) {
  if (absl::Status valid = ValidateLoadOptions(options); !valid.ok()) return valid;
  const std::string run_id = options.run_id.empty() ? RandomRunId() : options.run_id;
  const TerminalSource source = TerminalSourceFor(options);
  if (options.stock > 0) {
    if (absl::Status seeded = SeedStock(options); !seeded.ok()) return seeded;
  }

  std::unique_ptr<OrderRegistrar> registrar;
  if (options.mode == PlaceMode::kKafka && options.register_orders) {
    registrar = std::make_unique<OrderRegistrar>(options, run_id);
    absl::Mutex print_mu;
    absl::Time next_print = absl::InfinitePast();
    absl::Status stored = registrar->Register(options.orders, [&](int64_t done) {
      if (!options.progress) return;
      absl::MutexLock lock(&print_mu);
      if (absl::Now() < next_print && done < options.orders) return;
      next_print = absl::Now() + kProgressInterval;
      std::fprintf(stderr, "\r[kafka] registering orders in the order service's Redis: %lld/%lld",
                   static_cast<long long>(done), static_cast<long long>(options.orders));
    });
    if (options.progress) std::fprintf(stderr, "\n");
    if (!stored.ok()) return stored;
  }

  absl::StatusOr<std::unique_ptr<OrderTracker>> tracker =
      OrderTracker::Start({.brokers = options.kafka_brokers, .source = source});
  if (!tracker.ok()) return tracker.status();

  PlacementStats stats;  // outlives the placer, whose callbacks use it
  std::unique_ptr<Placer> placer;
  if (options.mode == PlaceMode::kGrpc) {
    absl::StatusOr<std::unique_ptr<GrpcPlacer>> grpc_placer =
        GrpcPlacer::Create(options.order_addr, options.grpc_channels);
    if (!grpc_placer.ok()) return grpc_placer.status();
    placer = *std::move(grpc_placer);
  } else {
    absl::StatusOr<std::unique_ptr<KafkaPlacer>> kafka_placer =
        KafkaPlacer::Create(options.kafka_brokers);
    if (!kafka_placer.ok()) return kafka_placer.status();
    placer = *std::move(kafka_placer);
  }

  ProgressLine progress(options.progress, PlaceModeName(options.mode), options.orders);
  const int64_t limit = options.orders > 0 ? options.orders : std::numeric_limits<int64_t>::max();
  const absl::Time start = absl::Now();
  const absl::Time stop_placing = options.duration_s > 0
                                      ? start + absl::Seconds(options.duration_s)
                                      : absl::InfiniteFuture();
  absl::Duration lag_max = absl::ZeroDuration();
  absl::Time last_sent = start;
  int64_t sent = 0;
  // Bounded by `limit` and `stop_placing`; each wait below is short and re-checks both.
  while (sent < limit) {
    const absl::Time now = absl::Now();
    if (now >= stop_placing) break;
    progress.MaybePrint(now, start, sent, **tracker, stats.errors.load());
    absl::Time due = now;
    if (options.rate > 0) {
      due = start + absl::Seconds(static_cast<double>(sent) / options.rate);
      if (due > now) {
        absl::SleepFor(std::min(due - now, kScheduleWaitMax));
        continue;
      }
    }
    if (placer->inflight() >= options.inflight || (*tracker)->open() >= options.open_max) {
      absl::SleepFor(kBoundWait);
      continue;
    }
    lag_max = std::max(lag_max, now - due);
    const orderplatform::v1::PlaceOrderRequest request =
        BuildPlaceOrderRequest(options, run_id, sent);
    const std::string order_id = order::OrderIdForRequest(request.request_id());
    const int64_t created_at_ms = registrar != nullptr ? registrar->CreatedAtMs(sent) : 0;
    (*tracker)->Expect(order_id, due);
    OrderTracker* tracker_ptr = tracker->get();
    placer->Place(request, created_at_ms,
                  [&stats, tracker_ptr, order_id, sent_at = absl::Now()](absl::Status status) {
                    stats.Answer(status, absl::Now() - sent_at);
                    if (!status.ok()) tracker_ptr->Forget(order_id);
                  });
    last_sent = absl::Now();
    ++sent;
  }

  // Drain: every answer, then every open order, within the drain timeout.
  const absl::Time drain_deadline = absl::Now() + absl::Seconds(options.drain_timeout_s);
  while (absl::Now() < drain_deadline) {
    progress.MaybePrint(absl::Now(), start, sent, **tracker, stats.errors.load());
    if (placer->inflight() == 0 &&
        (*tracker)->AwaitAllDone(std::min(drain_deadline, absl::Now() + kProgressInterval))) {
      break;
    }
    if (placer->inflight() > 0) absl::SleepFor(absl::Milliseconds(10));
  }
  progress.MaybePrint(absl::Now(), start, sent, **tracker, stats.errors.load(), /*force=*/true);
  progress.Finish();
  placer.reset();  // waits for stragglers; their callbacks still see `stats`

  LoadResult result;
  result.mode = std::string(PlaceModeName(options.mode));
  result.terminal = std::string(TerminalDescription(source));
  result.run_id = run_id;
  result.target_rate = options.rate;
  result.placing_s = absl::ToDoubleSeconds(last_sent - start);
  result.schedule_lag_max_ms = absl::ToDoubleMilliseconds(lag_max);
  {
    absl::MutexLock lock(&stats.mu);
    result.placed = stats.placed;
    result.place_errors = stats.errors;
    result.error_samples = stats.error_samples;
    result.place_latency = stats.latency.Summary();
  }
  (*tracker)->Fill(&result);
  return result;
}

}  // namespace orderplatform::loadgen
