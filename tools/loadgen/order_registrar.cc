#include "tools/loadgen/order_registrar.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "platform/redis/client.h"
#include "services/order/order_counters.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_keys.h"
#include "services/order/order_record.h"
#include "services/order/order_store.h"
#include "services/order/redis_session_pool.h"

namespace orderplatform::loadgen {
namespace {

// A loaded machine can stall Redis (appendfsync always) for seconds: retry what is safe to
// retry (Create and the outbox removal are idempotent), a bounded number of times.
constexpr int kAttemptsMax = 5;
constexpr absl::Duration kRetryBackoff = absl::Milliseconds(200);

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

absl::Status OrderRegistrar::Register(int64_t count,
                                      const std::function<void(int64_t)>& on_progress) {
  absl::StatusOr<redis::RedisOptions> redis_options = redis::ParseRedisAddress(options_.redis_addr);
  if (!redis_options.ok()) return redis_options.status();
  redis_options->password = options_.redis_password;
  redis_options->command_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<order::RedisSessionPool>> pool = order::RedisSessionPool::Connect(
      *redis_options, options_.register_threads, absl::Seconds(10));
  if (!pool.ok()) return pool.status();
  order::OrderCounters counters;
  order::OrderStore store(pool->get(), order::OrderKeys(options_.order_hash_tag), &counters);

  const int64_t chunks = (count + kChunk - 1) / kChunk;
  created_at_ms_.assign(static_cast<size_t>(chunks), 0);
  std::atomic<int64_t> next_chunk{0};
  std::atomic<int64_t> stored{0};
  absl::Mutex mu;
  absl::Status first_error;

  auto work = [&] {
    // Bounded by `chunks`; stops early after any error.
    for (int64_t chunk = next_chunk.fetch_add(1); chunk < chunks;
         chunk = next_chunk.fetch_add(1)) {
      {
        absl::MutexLock lock(&mu);
        if (!first_error.ok()) return;
      }
      const int64_t created_at_ms = absl::ToUnixMillis(absl::Now());
      created_at_ms_[static_cast<size_t>(chunk)] = created_at_ms;
      std::vector<std::string> outbox;
      absl::Status status;
      for (int64_t n = chunk * kChunk; n < std::min(count, (chunk + 1) * kChunk); ++n) {
        const orderplatform::v1::PlaceOrderRequest request = BuildPlaceOrderRequest(options_, run_id_, n);
        const std::string order_id = order::OrderIdForRequest(request.request_id());
        status = CreateOne(&store, order::NewOrderRecord(request, order_id, created_at_ms));
        if (!status.ok()) break;
        outbox.push_back(order::OutboxMember(order_id, order::kOrderPlaced));
      }
      if (status.ok() && !outbox.empty()) status = RemoveFromOutbox(&store, outbox);
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = status;
        return;
      }
      const int64_t done = stored.fetch_add(static_cast<int64_t>(outbox.size())) +
                           static_cast<int64_t>(outbox.size());
      if (on_progress) on_progress(done);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.register_threads; ++i) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  return first_error;
}

}  // namespace orderplatform::loadgen
