// payment_service: the platform's deterministic payment mock. Consumes inventory.v1, decides each
// StockReserved with the behavior stored in Redis, keeps a ledger in Redis (plain commands, no
// Lua), announces PaymentAuthorized / PaymentDeclined / PaymentRefunded on payments.v1, and
// serves gRPC PaymentService. See ../../../shared/contract.md and payment_event_handler.h.
//
//   payment_service --kafka_brokers=127.0.0.1:9092 --redis=127.0.0.1:6379 --grpc_port=0
//
// Exits 0 on SIGTERM/SIGINT after the in-flight batch is handled, produced and committed; exits 1
// with a one-line reason on stderr when Redis or Kafka stay unreachable for --dependency_wait_ms.
#include <cstdint>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
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
#include "services/payment/behavior_store.h"
#include "services/payment/payment_event_handler.h"
#include "services/payment/payment_grpc_service.h"
#include "services/payment/payment_keys.h"
#include "services/payment/payment_ledger.h"

ABSL_FLAG(int64_t, ledger_retention_ms, 7 * 24 * 3600 * 1000LL,
          "How long a payment ledger entry is kept after its last change. It must outlive the "
          "replay horizon (Kafka retention of inventory.v1 plus consumer lag): a replayed "
          "StockReserved whose entry has expired is decided again.");

namespace orderplatform::payment {
namespace {

constexpr char kService[] = "payment";
// Shorter retentions are almost certainly a unit mistake (seconds for milliseconds), and would
// let entries expire while their events are still being handled.
constexpr int64_t kLedgerRetentionMsMin = 60 * 1000;

int Main() {
  absl::StatusOr<config::ServiceConfig> config =
      config::LoadServiceConfig({.consumer_group = events::kPaymentGroup, .grpc_port = 50053});
  if (!config.ok()) service::ExitWithReason(kService, config.status().message());
  const int64_t retention_ms = absl::GetFlag(FLAGS_ledger_retention_ms);
  if (retention_ms < kLedgerRetentionMsMin) {
    service::ExitWithReason(
        kService, absl::StrCat("--ledger_retention_ms must be >= ", kLedgerRetentionMsMin));
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
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create(kafka_options);
  if (!producer.ok()) service::ExitWithReason(kService, producer.status().message());

  const PaymentKeys keys;
  PaymentLedger ledger(redis.get(), keys, {.retention = absl::Milliseconds(retention_ms)});
  BehaviorStore behaviors(redis.get(), keys);
  PaymentEventHandler handler(&ledger, &behaviors, {.metrics = registry});
  const metrics::CollectorHandle payment_counters = ExportPaymentCounters(registry, &handler);
  absl::StatusOr<std::unique_ptr<kafka::BatchConsumer>> consumer =
      kafka::BatchConsumer::Create({.kafka = kafka_options,
                                    .group_id = config->consumer_group,
                                    .topics = {events::kInventoryTopic},
                                    .metrics = registry},
                                   &handler, producer->get());
  if (!consumer.ok()) service::ExitWithReason(kService, consumer.status().message());

  const grpc_server::AdminTokenAuth admin(config->admin_token);
  PaymentGrpcService grpc_service(&ledger, &behaviors, {.authorize_admin = admin.AsCallback()});
  absl::StatusOr<std::unique_ptr<grpc_server::GrpcServer>> server =
      grpc_server::GrpcServer::Start(service::GrpcServerOptionsFor(*config, registry),
                                     {&grpc_service});
  if (!server.ok()) service::ExitWithReason(kService, server.status().message());

  // A consumer that fails stops the process (SIGTERM), so a supervisor restarts it.
  service::ConsumerThread consuming(consumer->get(), kService);
  (*server)->SetServing(true);
  log::LogInfo(
      "service_started",
      {{"service", kService}, {"group", config->consumer_group}, {"grpc_port", (*server)->port()}});

  const int signal = service::WaitForShutdownSignal();
  log::LogInfo("service_stopping", {{"service", kService}, {"signal", signal}});
  // The consumer first: it finishes the batch in hand (at most one answer latency plus its
  // produce), then commits and leaves the group, so the partitions move on at once.
  (*consumer)->Stop();
  absl::Status consumed = consuming.Join();
  (*server)->SetServing(false);
  (*server)->Shutdown(absl::Seconds(5));
  absl::Status flushed = (*producer)->Flush(absl::Seconds(10));
  const PaymentHandlerStats stats = handler.stats();
  log::LogInfo("service_stopped", {{"service", kService},
                                   {"consumer", consumed.ToString()},
                                   {"producer", flushed.ToString()},
                                   {"authorized", stats.authorized},
                                   {"declined", stats.declined},
                                   {"refunded", stats.refunded},
                                   {"dead_letters", stats.dead_letters}});
  return consumed.ok() && flushed.ok() ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::payment

int main(int argc, char** argv) {
  orderplatform::service::BlockShutdownSignals();
  absl::SetProgramUsageMessage("The payment service (a deterministic mock) of the order platform.");
  absl::ParseCommandLine(argc, argv);
  orderplatform::config::HideSecretFlagValues(argc, argv);
  return orderplatform::payment::Main();
}
