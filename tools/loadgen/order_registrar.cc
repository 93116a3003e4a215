#include "tools/loadgen/order_registrar.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/redis/client.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_keys.h"
#include "services/order/order_record.h"

namespace orderplatform::loadgen {
namespace {

constexpr int kAttemptsMax = 5;
constexpr absl::Duration kRetryBackoff = absl::Milliseconds(200);
// How long an idle thread waits before it looks at the allowance again (and at Finish()).
constexpr absl::Duration kIdleWait = absl::Milliseconds(20);

bool Retryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsAborted(status);
}

// Stores one order. A retry may find the order stored by its own earlier attempt (whose reply
// was lost); only a first attempt that finds it means the run id was used before.
absl::Status CreateOne(order::OrderStore* store, const order::OrderRecord& record) {
  absl::Status status;
  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    absl::StatusOr<order::OrderStore::CreateResult> created = store->Create(record);
    if (created.ok()) {
      if (created->created || attempt > 1) return absl::OkStatus();
      return absl::AlreadyExistsError(absl::StrCat("order ", record.order.order_id(),
                                                   " of request ", record.order.request_id(),
                                                   " is already stored: use a new --run_id"));
    }
    status = created.status();
    if (!Retryable(status)) return status;
    absl::SleepFor(kRetryBackoff * attempt);
  }
  return status;
}

absl::Status RemoveFromOutbox(order::OrderStore* store, const std::vector<std::string>& ids) {
  absl::Status status;
  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    status = store->RemoveFromOutbox(ids);
    if (status.ok() || !Retryable(status)) return status;
    absl::SleepFor(kRetryBackoff * attempt);
  }
  return status;
}

}  // namespace

OrderRegistrar::OrderRegistrar(const LoadOptions& options, std::string run_id)
    : options_(options), run_id_(std::move(run_id)) {}

OrderRegistrar::~OrderRegistrar() { Finish(); }

absl::Status OrderRegistrar::Start(int64_t limit) {
  absl::StatusOr<redis::RedisOptions> redis_options = redis::ParseRedisAddress(options_.redis_addr);
  if (!redis_options.ok()) return redis_options.status();
  redis_options->password = options_.redis_password;
  redis_options->command_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<order::RedisSessionPool>> pool = order::RedisSessionPool::Connect(
      *redis_options, options_.register_threads, absl::Seconds(10));
  if (!pool.ok()) return pool.status();
  pool_ = *std::move(pool);
  store_ = std::make_unique<order::OrderStore>(
      pool_.get(), order::OrderKeys(options_.order_hash_tag), &counters_);
  {
    absl::MutexLock lock(&mu_);
    limit_ = limit;
  }
  for (int i = 0; i < options_.register_threads; ++i) threads_.emplace_back([this] { Work(); });
  return absl::OkStatus();
}

void OrderRegistrar::AllowUpTo(int64_t end) {
  absl::MutexLock lock(&mu_);
  allowed_end_ = std::max(allowed_end_, end);
}

bool OrderRegistrar::IsRegistered(int64_t n) const {
  absl::MutexLock lock(&mu_);
  return n < done_prefix_chunks_ * kChunk && n < limit_;
}

absl::Status OrderRegistrar::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

int64_t OrderRegistrar::CreatedAtMs(int64_t n) const {
  absl::MutexLock lock(&mu_);
  return created_at_ms_.at(static_cast<size_t>(n / kChunk));
}

int64_t OrderRegistrar::Finish() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  absl::MutexLock lock(&mu_);
  return std::min(done_prefix_chunks_ * kChunk, limit_);
}

void OrderRegistrar::Work() {
  // Bounded: each turn either stores one of the finitely many chunks or waits kIdleWait and
  // re-checks stopping_.
  for (;;) {
    int64_t chunk = 0;
    const int64_t created_at_ms = absl::ToUnixMillis(absl::Now());
    {
      absl::MutexLock lock(&mu_);
      auto claimable = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !status_.ok() ||
               (next_chunk_ * kChunk < limit_ && next_chunk_ * kChunk < allowed_end_);
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&claimable), kIdleWait)) continue;
      if (stopping_ || !status_.ok()) return;
      chunk = next_chunk_++;
      created_at_ms_.push_back(created_at_ms);
      chunk_done_.push_back(false);
    }
    absl::Status stored = StoreChunk(chunk, created_at_ms);
    absl::MutexLock lock(&mu_);
    if (!stored.ok()) {
      if (status_.ok()) status_ = stored;
      return;
    }
    chunk_done_[static_cast<size_t>(chunk)] = true;
    while (done_prefix_chunks_ < static_cast<int64_t>(chunk_done_.size()) &&
           chunk_done_[static_cast<size_t>(done_prefix_chunks_)]) {
      ++done_prefix_chunks_;
    }
  }
}

absl::Status OrderRegistrar::StoreChunk(int64_t chunk, int64_t created_at_ms) {
  int64_t limit = 0;
  {
    absl::MutexLock lock(&mu_);
    limit = limit_;
  }
  std::vector<std::string> outbox;
  for (int64_t n = chunk * kChunk; n < std::min(limit, (chunk + 1) * kChunk); ++n) {
    const orderplatform::v1::PlaceOrderRequest request = BuildPlaceOrderRequest(options_, run_id_, n);
    const std::string order_id = order::OrderIdForRequest(request.request_id());
    absl::Status status =
        CreateOne(store_.get(), order::NewOrderRecord(request, order_id, created_at_ms));
    if (!status.ok()) return status;
    outbox.push_back(order::OutboxMember(order_id, order::kOrderPlaced));
  }
  return outbox.empty() ? absl::OkStatus() : RemoveFromOutbox(store_.get(), outbox);
}

}  // namespace orderplatform::loadgen
