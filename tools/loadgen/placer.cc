#include "tools/loadgen/placer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/order/order_events.h"
#include "services/order/order_id.h"
#include "services/order/order_record.h"

namespace orderplatform::loadgen {

using orderplatform::v1::Order;
using orderplatform::v1::PlaceOrderRequest;

// One asynchronous PlaceOrder; its address is the CompletionQueue tag.
struct GrpcPlacer::Call {
  grpc::ClientContext context;
  Order reply;
  grpc::Status status;
  Done done;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Order>> reader;
};

GrpcPlacer::GrpcPlacer(std::vector<std::unique_ptr<orderplatform::v1::OrderService::Stub>> stubs,
                       absl::Duration call_timeout)
    : stubs_(std::move(stubs)), call_timeout_(call_timeout) {
  thread_ = std::thread([this] { Drain(); });
}

absl::StatusOr<std::unique_ptr<GrpcPlacer>> GrpcPlacer::Create(const std::string& address,
                                                               int channels,
                                                               absl::Duration call_timeout,
                                                               absl::Duration connect_timeout) {
  std::vector<std::unique_ptr<orderplatform::v1::OrderService::Stub>> stubs;
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // Without a pool of its own, every channel to one address would share one connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(absl::StrCat("order service at ", address,
                                                 " did not accept a connection within ",
                                                 absl::FormatDuration(connect_timeout)));
    }
    stubs.push_back(orderplatform::v1::OrderService::NewStub(channel));
  }
  return std::unique_ptr<GrpcPlacer>(new GrpcPlacer(std::move(stubs), call_timeout));
}

GrpcPlacer::~GrpcPlacer() {
  // Next() still hands out every outstanding call (each ends by its deadline), then returns
  // false once the queue is shut down and empty.
  queue_.Shutdown();
  thread_.join();
}

void GrpcPlacer::Place(const PlaceOrderRequest& request, int64_t /*created_at_ms*/, Done done) {
  auto* call = new Call;
  call->done = std::move(done);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + call_timeout_));
  orderplatform::v1::OrderService::Stub* stub = stubs_[next_stub_].get();
  next_stub_ = (next_stub_ + 1) % stubs_.size();
  inflight_.fetch_add(1);
  call->reader = stub->PrepareAsyncPlaceOrder(&call->context, request, &queue_);
  call->reader->StartCall();
  call->reader->Finish(&call->reply, &call->status, call);
}

void GrpcPlacer::Drain() {
  void* tag = nullptr;
  bool ok = false;
  // Bounded by the queue's shutdown; each call by its deadline.
  while (queue_.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    absl::Status status =
        call->status.ok()
            ? absl::OkStatus()
            : absl::Status(static_cast<absl::StatusCode>(call->status.error_code()),
                           call->status.error_message());
    call->done(std::move(status));
    inflight_.fetch_sub(1);
  }
}

KafkaPlacer::KafkaPlacer(std::unique_ptr<kafka::Producer> producer)
    : producer_(std::move(producer)) {}

absl::StatusOr<std::unique_ptr<KafkaPlacer>> KafkaPlacer::Create(const std::string& brokers) {
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create({.brokers = brokers, .client_id = "loadgen"});
  if (!producer.ok()) return producer.status();
  return std::unique_ptr<KafkaPlacer>(new KafkaPlacer(*std::move(producer)));
}

KafkaPlacer::~KafkaPlacer() { producer_.reset(); }

void KafkaPlacer::Place(const PlaceOrderRequest& request, int64_t created_at_ms, Done done) {
  const int64_t created =
      created_at_ms > 0 ? created_at_ms : absl::ToUnixMillis(absl::Now());
  const order::OrderRecord record =
      order::NewOrderRecord(request, order::OrderIdForRequest(request.request_id()), created);
  inflight_.fetch_add(1);
  producer_->ProduceAsync(order::OrdersMessage(order::OrderPlacedEvent(record)),
                          [this, done = std::move(done)](absl::Status status) {
                            done(std::move(status));
                            inflight_.fetch_sub(1);
                          });
}

}  // namespace orderplatform::loadgen
