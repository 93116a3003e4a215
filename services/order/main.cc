// order_service: gRPC OrderService (place, get, cancel, watch orders), the order projection of
// inventory.v1 and payments.v1 in Redis (plain commands, check-and-set), and the orders.v1
// announcements through a transactional outbox. See docs/ORDER_SERVICE.md and
// ../shared/contract.md.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "platform/config/service_config.h"
#include "platform/events/topics.h"
#include "platform/grpc/server.h"
#include "platform/kafka/consumer.h"
#include "platform/kafka/producer.h"
#include "platform/log/log.h"
#include "platform/metrics/registry.h"
#include "platform/redis/client_metrics.h"
#include "platform/service/service_metrics.h"
#include "platform/service/shutdown_signal.h"
#include "platform/service/startup.h"
#include "services/order/order_counters.h"
#include "services/order/order_event_handler.h"
#include "services/order/order_grpc_service.h"
#include "services/order/order_keys.h"
#include "services/order/order_outbox.h"
#include "services/order/order_store.h"
#include "services/order/redis_session_pool.h"

ABSL_FLAG(int64_t, produce_timeout_ms, 5000,
          "How long PlaceOrder/CancelOrder wait for the broker's ack of their event before "
          "answering UNAVAILABLE (the order stays in the outbox and is announced later).");
ABSL_FLAG(int64_t, outbox_relay_interval_ms, 1000, "How often the outbox relay runs.");
ABSL_FLAG(int64_t, outbox_relay_min_age_ms, 6000,
          "The relay re-publishes outbox entries older than this; younger ones belong to the "
          "request that is publishing them. Must exceed --produce_timeout_ms.");
ABSL_FLAG(int32_t, watchers_max, 256,
          "Concurrent WatchOrder streams per instance; more get RESOURCE_EXHAUSTED.");
ABSL_FLAG(int64_t, watch_poll_ms, 50, "How often a WatchOrder stream polls Redis for news.");
ABSL_FLAG(int64_t, watch_max_ms, 3600000,
          "The longest a WatchOrder stream lasts; it then ends with UNAVAILABLE (watch again).");
ABSL_FLAG(int32_t, redis_connections, 8,
          "Redis connections; each check-and-set (WATCH..EXEC) has one to itself.");
ABSL_FLAG(std::string, redis_hash_tag, "orders",
          "Hash tag shared by every order key ({tag}:order:ID ...); see docs/ORDER_SERVICE.md.");
ABSL_FLAG(int64_t, shutdown_grace_ms, 5000,
          "On SIGTERM, how long in-flight RPCs may take before they are cancelled.");

namespace orderplatform::order {
namespace {

constexpr char kService[] = "order";

void CheckFlags() {
  const int64_t produce_timeout_ms = absl::GetFlag(FLAGS_produce_timeout_ms);
  if (produce_timeout_ms < 1 || absl::GetFlag(FLAGS_outbox_relay_min_age_ms) <= produce_timeout_ms) {
    service::ExitWithReason(kService,
                            "--produce_timeout_ms must be >= 1 and < --outbox_relay_min_age_ms");
  }
  if (absl::GetFlag(FLAGS_outbox_relay_interval_ms) < 1 || absl::GetFlag(FLAGS_watch_poll_ms) < 1 ||
      absl::GetFlag(FLAGS_watch_max_ms) < 1 || absl::GetFlag(FLAGS_shutdown_grace_ms) < 0) {
    service::ExitWithReason(kService, "intervals and durations must be positive");
  }
  if (absl::GetFlag(FLAGS_watchers_max) < 0) {
    service::ExitWithReason(kService, "--watchers_max must be >= 0");
  }
}

int Main() {
  absl::StatusOr<config::ServiceConfig> config = config::LoadServiceConfig(
      {.consumer_group = events::kOrderGroup, .grpc_port = 50051});
  if (!config.ok()) service::ExitWithReason(kService, config.status().message());
  CheckFlags();
  // Every component records into this registry; /metrics serves it when --metrics_port is set.
  const std::unique_ptr<service::ServiceMetrics> service_metrics =
      service::StartMetricsOrExit(kService, *config);
  metrics::Registry* const registry = service_metrics->registry();

  absl::StatusOr<redis::RedisOptions> redis_options = service::RedisOptionsFor(*config);
  if (!redis_options.ok()) service::ExitWithReason(kService, redis_options.status().message());
  absl::StatusOr<std::unique_ptr<RedisSessionPool>> pool = RedisSessionPool::Connect(
      *redis_options, absl::GetFlag(FLAGS_redis_connections), config->dependency_wait);
  if (!pool.ok()) service::ExitWithReason(kService, pool.status().message());
  const metrics::CollectorHandle redis_metrics =
      redis::ExportRedisClientStats(registry, [&pool] { return (*pool)->stats(); });
  service::WaitForKafkaOrExit(kService, *config);
  const kafka::KafkaOptions kafka_options = service::KafkaOptionsFor(*config, kService);
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer = kafka::Producer::Create(kafka_options);
  if (!producer.ok()) service::ExitWithReason(kService, producer.status().message());

  OrderCounters counters;
  const metrics::CollectorHandle order_counters = ExportOrderCounters(registry, &counters);
  OrderStore store(pool->get(), OrderKeys(absl::GetFlag(FLAGS_redis_hash_tag)), &counters);
  const absl::Duration produce_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_produce_timeout_ms));
  OrderOutbox outbox(
      &store, producer->get(), &counters,
      {.produce_timeout = produce_timeout,
       .relay_interval = absl::Milliseconds(absl::GetFlag(FLAGS_outbox_relay_interval_ms)),
       .relay_min_age = absl::Milliseconds(absl::GetFlag(FLAGS_outbox_relay_min_age_ms))});
  // Whatever a previous run stored but did not get acknowledged goes out before we serve.
  if (absl::StatusOr<int> relayed = outbox.RelayOnce(absl::ZeroDuration()); !relayed.ok()) {
    log::LogWarn("order_outbox_startup_relay_failed", {{"error", relayed.status().message()}});
  }

  OrderEventHandler handler(&store, &counters, {.metrics = registry});
  absl::StatusOr<std::unique_ptr<kafka::BatchConsumer>> consumer = kafka::BatchConsumer::Create(
      {.kafka = kafka_options,
       .group_id = config->consumer_group,
       .topics = {events::kInventoryTopic, events::kPaymentsTopic},
       .metrics = registry},
      &handler, producer->get());
  if (!consumer.ok()) service::ExitWithReason(kService, consumer.status().message());

  OrderGrpcService grpc_service(
      &store, &outbox, &counters,
      {.watchers_max = absl::GetFlag(FLAGS_watchers_max),
       .watch_poll_interval = absl::Milliseconds(absl::GetFlag(FLAGS_watch_poll_ms)),
       .watch_duration_max = absl::Milliseconds(absl::GetFlag(FLAGS_watch_max_ms))});
  absl::StatusOr<std::unique_ptr<grpc_server::GrpcServer>> server =
      grpc_server::GrpcServer::Start(service::GrpcServerOptionsFor(*config, registry),
                                     {&grpc_service});
  if (!server.ok()) service::ExitWithReason(kService, server.status().message());

  absl::Status consumed;
  std::thread consumer_thread([&consumed, &consumer] {
    consumed = (*consumer)->Run();
    if (!consumed.ok()) {
      // The consumer cannot go on without risking a skipped message: stop the whole process
      // (non-zero exit) so that a restart replays from the committed offsets.
      log::LogError("order_consumer_failed", {{"error", consumed.message()}});
      kill(getpid(), SIGTERM);
    }
  });
  outbox.Start();
  (*server)->SetServing(true);
  log::LogInfo("service_started", {{"service", kService}, {"group", config->consumer_group}});

  const int signal = service::WaitForShutdownSignal();
  log::LogInfo("service_stopping", {{"service", kService}, {"signal", signal}});
  grpc_service.BeginShutdown();
  (*server)->Shutdown(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  (*consumer)->Stop();
  consumer_thread.join();
  outbox.Stop();
  absl::Status flushed = (*producer)->Flush(absl::Seconds(10));
  log::LogInfo("service_stopped", {{"service", kService},
                                   {"consumer", consumed.ToString()},
                                   {"producer", flushed.ToString()},
                                   {"counters", counters.Summary()}});
  return consumed.ok() && flushed.ok() ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::order

int main(int argc, char** argv) {
  orderplatform::service::BlockShutdownSignals();
  absl::SetProgramUsageMessage("The order service of the order platform.");
  absl::ParseCommandLine(argc, argv);
  orderplatform::config::HideSecretFlagValues(argc, argv);
  return orderplatform::order::Main();
}
