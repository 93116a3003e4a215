// How the load generator puts an order into the platform, one implementation per mode:
//
//   GrpcPlacer   PlaceOrder on the order service through gRPC's asynchronous API (one
//                CompletionQueue, several channels = separate HTTP/2 connections), so many
//                calls are in flight from one thread; every call has a deadline.
//   KafkaPlacer  OrderPlaced onto orders.v1 with the platform's own idempotent producer
//                (acks=all, linger.ms=1, as the order service's), the event built by the order
//                service's code (OrderPlacedEvent / OrdersMessage), so it is byte for byte what
//                the order service's outbox would publish for that record.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Placer> placer, GrpcPlacer::Create("127.0.0.1:50051", 2));
//   placer->Place(request, /*created_at_ms=*/0, [](absl::Status answered) { ... });
//   placer.reset();   // waits for every outstanding answer (each is deadline-bounded)
//
// `done` runs exactly once, on the placer's thread (or the caller's when the placement could not
// even start); it must be quick and must not call Place.
#ifndef ORDERPLATFORM_TOOLS_LOADGEN_PLACER_H_
#define ORDERPLATFORM_TOOLS_LOADGEN_PLACER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "platform/kafka/producer.h"

namespace orderplatform::loadgen {

class Placer {
 public:
  using Done = std::function<void(absl::Status status)>;
  virtual ~Placer() = default;

  // `created_at_ms`: the record's creation time (KafkaPlacer: must equal what was registered;
  // 0 = now). GrpcPlacer ignores it: the order service stamps its own.
  virtual void Place(const orderplatform::v1::PlaceOrderRequest& request, int64_t created_at_ms,
                     Done done) = 0;
  // Placements whose `done` has not run yet.
  virtual int inflight() const = 0;
};

class GrpcPlacer final : public Placer {
 public:
  // Waits up to `connect_timeout` for every channel to connect; UNAVAILABLE otherwise.
  static absl::StatusOr<std::unique_ptr<GrpcPlacer>> Create(
      const std::string& address, int channels, absl::Duration call_timeout = absl::Seconds(30),
      absl::Duration connect_timeout = absl::Seconds(10));
  ~GrpcPlacer() override;

  void Place(const orderplatform::v1::PlaceOrderRequest& request, int64_t created_at_ms,
             Done done) override;
  int inflight() const override { return inflight_.load(); }

 private:
  struct Call;
  GrpcPlacer(std::vector<std::unique_ptr<orderplatform::v1::OrderService::Stub>> stubs,
             absl::Duration call_timeout);
  void Drain();

  const std::vector<std::unique_ptr<orderplatform::v1::OrderService::Stub>> stubs_;
  const absl::Duration call_timeout_;
  grpc::CompletionQueue queue_;
  std::atomic<int> inflight_{0};
  size_t next_stub_ = 0;  // only the generator's thread calls Place
  std::thread thread_;
};

class KafkaPlacer final : public Placer {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaPlacer>> Create(const std::string& brokers);
  ~KafkaPlacer() override;  // flushes (bounded by the producer's close timeout)

  void Place(const orderplatform::v1::PlaceOrderRequest& request, int64_t created_at_ms,
             Done done) override;
  int inflight() const override { return inflight_.load(); }

 private:
  explicit KafkaPlacer(std::unique_ptr<kafka::Producer> producer);

  std::unique_ptr<kafka::Producer> producer_;
  std::atomic<int> inflight_{0};
};

}  // namespace orderplatform::loadgen

#endif  // ORDERPLATFORM_TOOLS_LOADGEN_PLACER_H_
