// inventory_service: consumes orders.v1 and payments.v1, keeps stock and reservations in Redis
// through the Lua scripts of lua/, announces outcomes on inventory.v1, expires reservations, and
// serves gRPC InventoryService. See README.md and ../shared/contract.md.
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "platform/config/service_config.h"
#include "platform/events/topics.h"
#include "platform/grpc/admin_auth.h"
#include "platform/grpc/server.h"
#include "platform/kafka/consumer.h"
#include "platform/kafka/producer.h"
#include "platform/log/log.h"
#include "platform/metrics/registry.h"
#include "platform/redis/client_metrics.h"
#include "platform/service/consumer_thread.h"
#include "platform/service/service_metrics.h"
#include "platform/service/shutdown_signal.h"
#include "platform/service/startup.h"
#include "services/inventory/expiry_sweeper.h"
#include "services/inventory/inventory_event_handler.h"
#include "services/inventory/inventory_grpc_service.h"
#include "services/inventory/inventory_metrics.h"
#include "services/inventory/reservation_store.h"

ABSL_FLAG(int64_t, reservation_ttl_ms, 900000,
          "How long a reservation waits for payment before it expires (RESERVATION_EXPIRED).");
ABSL_FLAG(int64_t, reservation_retention_ms, 7 * 24 * 3600 * 1000LL,
          "How long a closed reservation record is kept. It must outlive the replay horizon "
          "(Kafka retention of orders.v1 and payments.v1), or a replay older than this would "
          "reserve again.");
ABSL_FLAG(int64_t, expiry_interval_ms, 1000, "How often the expiry sweeper runs.");
ABSL_FLAG(int32_t, expiry_batch, 100, "Reservations released per expire.lua call.");
ABSL_FLAG(std::string, redis_hash_tag, "op",
          "Hash tag shared by every inventory key ({tag}:stock:SKU ...); see docs/INVENTORY.md.");

namespace orderplatform::inventory {
namespace {

constexpr char kService[] = "inventory";

int Main() {
  absl::StatusOr<config::ServiceConfig> config = config::LoadServiceConfig(
      {.consumer_group = events::kInventoryGroup, .grpc_port = 50052});
  if (!config.ok()) service::ExitWithReason(kService, config.status().message());
  if (absl::GetFlag(FLAGS_reservation_ttl_ms) < 1 ||
      absl::GetFlag(FLAGS_reservation_retention_ms) < absl::GetFlag(FLAGS_reservation_ttl_ms)) {
    service::ExitWithReason(kService,
                            "--reservation_ttl_ms must be >= 1 and <= --reservation_retention_ms");
  }

  // Every component records into this registry; /metrics serves it when --metrics_port is set.
  const std::unique_ptr<service::ServiceMetrics> service_metrics =
      service::StartMetricsOrExit(kService, *config);
  metrics::Registry* const registry = service_metrics->registry();

  std::unique_ptr<redis::RedisClient> redis = service::ConnectRedisOrExit(kService, *config);
  const metrics::CollectorHandle redis_metrics =
      redis::ExportRedisClientStats(registry, [&redis] { return redis->stats(); });
  service::WaitForKafkaOrExit(kService, *config);
  const kafka::KafkaOptions kafka_options = service::KafkaOptionsFor(*config, kService);
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer = kafka::Producer::Create(kafka_options);
  if (!producer.ok()) service::ExitWithReason(kService, producer.status().message());

  ReservationStore store(redis.get(), InventoryKeys(absl::GetFlag(FLAGS_redis_hash_tag)),
                         absl::Milliseconds(absl::GetFlag(FLAGS_reservation_retention_ms)),
                         registry);
  const metrics::CollectorHandle reservation_gauges = AddReservationGauges(registry, &store);
  InventoryEventHandler handler(
      &store, {.reservation_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_reservation_ttl_ms)),
               .metrics = registry});
  absl::StatusOr<std::unique_ptr<kafka::BatchConsumer>> consumer = kafka::BatchConsumer::Create(
      {.kafka = kafka_options,
       .group_id = config->consumer_group,
       .topics = {events::kOrdersTopic, events::kPaymentsTopic},
       .metrics = registry},
      &handler, producer->get());
  if (!consumer.ok()) service::ExitWithReason(kService, consumer.status().message());

  ExpirySweeper sweeper(&store, producer->get(),
                        {.interval = absl::Milliseconds(absl::GetFlag(FLAGS_expiry_interval_ms)),
                         .batch_size = absl::GetFlag(FLAGS_expiry_batch),
                         .metrics = registry});
  const grpc_server::AdminTokenAuth admin(config->admin_token);
  InventoryGrpcService grpc_service(&store, {.authorize_admin = admin.AsCallback()});
  absl::StatusOr<std::unique_ptr<grpc_server::GrpcServer>> server =
      grpc_server::GrpcServer::Start(service::GrpcServerOptionsFor(*config, registry),
                                     {&grpc_service});
  if (!server.ok()) service::ExitWithReason(kService, server.status().message());

  // A consumer that fails stops the process (SIGTERM), so a supervisor restarts it.
  service::ConsumerThread consuming(consumer->get(), kService);
  sweeper.Start();
  (*server)->SetServing(true);
  log::LogInfo("service_started", {{"service", kService}, {"group", config->consumer_group}});

  const int signal = service::WaitForShutdownSignal();
  log::LogInfo("service_stopping", {{"service", kService}, {"signal", signal}});
  (*server)->Shutdown(absl::Seconds(5));
  sweeper.Stop();
  (*consumer)->Stop();
  absl::Status consumed = consuming.Join();
  absl::Status flushed = (*producer)->Flush(absl::Seconds(10));
  log::LogInfo("service_stopped", {{"service", kService},
                                   {"consumer", consumed.ToString()},
                                   {"producer", flushed.ToString()}});
  return consumed.ok() && flushed.ok() ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::inventory

int main(int argc, char** argv) {
  orderplatform::service::BlockShutdownSignals();
  absl::SetProgramUsageMessage("The inventory service of the order platform.");
  absl::ParseCommandLine(argc, argv);
  orderplatform::config::HideSecretFlagValues(argc, argv);
  return orderplatform::inventory::Main();
}
