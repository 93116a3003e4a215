#include "tools/loadgen/load_generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
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

namespace {

// One run, in the order RunLoad calls its steps. Members are declared so that the placer (whose
// callbacks use `stats_` and the tracker) goes first.
class LoadRun {
 public:
  LoadRun(const LoadOptions& options, std::string run_id)
      : options_(options),
        run_id_(std::move(run_id)),
        source_(TerminalSourceFor(options)),
        limit_(options.orders > 0 ? options.orders : kOrdersMax),
        progress_(options.progress, PlaceModeName(options.mode), options.orders) {}

  absl::Status Prepare();
  absl::Status PlaceAll();
  void Drain();
  LoadResult Result();

 private:
  absl::Status StartRegistrar();
  // Waits for room under the bounds (and for the order's registration); false: not yet.
  bool ReadyToPlace(absl::Time now, absl::Time* due);
  void PlaceNext(absl::Time due);

  const LoadOptions options_;
  const std::string run_id_;
  const TerminalSource source_;
  const int64_t limit_;
  std::unique_ptr<OrderRegistrar> registrar_;
  std::unique_ptr<OrderTracker> tracker_;
  PlacementStats stats_;
  std::unique_ptr<Placer> placer_;
  ProgressLine progress_;
  absl::Time start_;
  absl::Time last_sent_;
  absl::Duration lag_max_ = absl::ZeroDuration();
  int64_t sent_ = 0;
};

absl::Status LoadRun::StartRegistrar() {
  registrar_ = std::make_unique<OrderRegistrar>(options_, run_id_);
  if (absl::Status started = registrar_->Start(limit_); !started.ok()) return started;
  // Stores ahead of placement, at most `inflight` orders beyond those sent (what a
  // duration-bounded run still places after its end); a first window is stored before the
  // clock starts, so the run begins at full speed.
  registrar_->AllowUpTo(options_.inflight);
  const int64_t first_window = std::min<int64_t>(limit_, options_.inflight);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!registrar_->IsRegistered(first_window - 1) && registrar_->status().ok() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  return registrar_->status();
}

absl::Status LoadRun::Prepare() {
  if (options_.stock > 0) {
    if (absl::Status seeded = SeedStock(options_); !seeded.ok()) return seeded;
  }
  if (options_.mode == PlaceMode::kKafka && options_.register_orders) {
    if (absl::Status started = StartRegistrar(); !started.ok()) return started;
  }
  absl::StatusOr<std::unique_ptr<OrderTracker>> tracker =
      OrderTracker::Start({.brokers = options_.kafka_brokers, .source = source_});
  if (!tracker.ok()) return tracker.status();
  tracker_ = *std::move(tracker);
  if (options_.mode == PlaceMode::kGrpc) {
    absl::StatusOr<std::unique_ptr<GrpcPlacer>> placer =
        GrpcPlacer::Create(options_.order_addr, options_.grpc_channels);
    if (!placer.ok()) return placer.status();
    placer_ = *std::move(placer);
  } else {
    absl::StatusOr<std::unique_ptr<KafkaPlacer>> placer = KafkaPlacer::Create(options_.kafka_brokers);
    if (!placer.ok()) return placer.status();
    placer_ = *std::move(placer);
  }
  return absl::OkStatus();
}

bool LoadRun::ReadyToPlace(absl::Time now, absl::Time* due) {
  *due = now;
  if (options_.rate > 0) {
    *due = start_ + absl::Seconds(static_cast<double>(sent_) / options_.rate);
    if (*due > now) {
      absl::SleepFor(std::min(*due - now, kScheduleWaitMax));
      return false;
    }
  }
  if (placer_->inflight() >= options_.inflight || tracker_->open() >= options_.open_max) {
    absl::SleepFor(kBoundWait);
    return false;
  }
  if (registrar_ != nullptr) {
    registrar_->AllowUpTo(sent_ + options_.inflight);
    if (!registrar_->IsRegistered(sent_)) {
      absl::SleepFor(kBoundWait);
      return false;
    }
  }
  return true;
}

void LoadRun::PlaceNext(absl::Time due) {
  const orderplatform::v1::PlaceOrderRequest request =
      BuildPlaceOrderRequest(options_, run_id_, sent_);
  const std::string order_id = order::OrderIdForRequest(request.request_id());
  const int64_t created_at_ms = registrar_ != nullptr ? registrar_->CreatedAtMs(sent_) : 0;
  tracker_->Expect(order_id, due);
  placer_->Place(request, created_at_ms,
                 [this, order_id, sent_at = absl::Now()](absl::Status status) {
                   stats_.Answer(status, absl::Now() - sent_at);
                   if (!status.ok()) tracker_->Forget(order_id);
                 });
  last_sent_ = absl::Now();
  ++sent_;
}

absl::Status LoadRun::PlaceAll() {
  start_ = absl::Now();
  last_sent_ = start_;
  const absl::Time stop_placing = options_.duration_s > 0
                                      ? start_ + absl::Seconds(options_.duration_s)
                                      : absl::InfiniteFuture();
  int64_t place_limit = limit_;
  bool duration_over = false;
  // Bounded by `place_limit` and `stop_placing`; each wait in ReadyToPlace is short. When the
  // duration ends in Kafka mode, the orders already registered are placed too (at most
  // `inflight` more, on the same schedule), so none is left stored but unannounced.
  while (sent_ < place_limit) {
    const absl::Time now = absl::Now();
    if (!duration_over && now >= stop_placing) {
      duration_over = true;
      if (registrar_ == nullptr) break;
      place_limit = std::min(place_limit, registrar_->Finish());
      continue;
    }
    if (registrar_ != nullptr && !registrar_->status().ok()) {
      // Orders of chunks stored after the failed one may stay stored but unannounced.
      return absl::Status(registrar_->status().code(),
                          absl::StrCat("registering orders of run ", run_id_, " failed after ",
                                       sent_, " were placed: ", registrar_->status().message()));
    }
    progress_.MaybePrint(now, start_, sent_, *tracker_, stats_.errors.load());
    absl::Time due;
    if (!ReadyToPlace(now, &due)) continue;
    lag_max_ = std::max(lag_max_, now - due);
    PlaceNext(due);
  }
  return absl::OkStatus();
}

void LoadRun::Drain() {
  // Every answer, then every open order, within the drain timeout.
  const absl::Time deadline = absl::Now() + absl::Seconds(options_.drain_timeout_s);
  while (absl::Now() < deadline) {
    progress_.MaybePrint(absl::Now(), start_, sent_, *tracker_, stats_.errors.load());
    if (placer_->inflight() > 0) {
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    if (tracker_->AwaitAllDone(std::min(deadline, absl::Now() + kProgressInterval))) break;
  }
  progress_.MaybePrint(absl::Now(), start_, sent_, *tracker_, stats_.errors.load(),
                       /*force=*/true);
  progress_.Finish();
  placer_.reset();  // waits for stragglers (deadline-bounded); their callbacks see stats_
}

LoadResult LoadRun::Result() {
  LoadResult result;
  result.mode = std::string(PlaceModeName(options_.mode));
  result.terminal = std::string(TerminalDescription(source_));
  result.run_id = run_id_;
  result.target_rate = options_.rate;
  result.placing_s = absl::ToDoubleSeconds(last_sent_ - start_);
  result.schedule_lag_max_ms = absl::ToDoubleMilliseconds(lag_max_);
  {
    absl::MutexLock lock(&stats_.mu);
    result.placed = stats_.placed;
    result.place_errors = stats_.errors.load();
    result.error_samples = stats_.error_samples;
    result.place_latency = stats_.latency.Summary();
  }
  tracker_->Fill(&result);
  return result;
}

}  // namespace

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options) {
  if (absl::Status valid = ValidateLoadOptions(options); !valid.ok()) return valid;
  LoadRun run(options, options.run_id.empty() ? RandomRunId() : options.run_id);
  if (absl::Status prepared = run.Prepare(); !prepared.ok()) return prepared;
  absl::Status placed = run.PlaceAll();
  run.Drain();
  if (!placed.ok()) return placed;
  return run.Result();
}

}  // namespace orderplatform::loadgen
