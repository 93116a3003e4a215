// gRPC server metrics, taken by a server interceptor so that every service, health checks and
// reflection included, is measured the same way without touching the service code:
//
//   orderplatform_grpc_server_handled_total{grpc_service, grpc_method, grpc_code}
//   orderplatform_grpc_server_handling_seconds{grpc_service, grpc_method}   (histogram)
//
// The latency runs from the call's arrival to the status being sent: for a streaming call
// (WatchOrder) that is the whole stream. A call that ends without the server sending a status
// (the client cancelled, the server shut down) is not counted. Calls answered UNIMPLEMENTED (a
// method the server does not have; clients may send any name) are counted under
// grpc_service="unknown", grpc_method="unknown", so made-up names cannot add series.
//
//   GrpcServer::Start({.port = 0, .metrics = &registry}, {&service});  // wires it in
//
// Built on grpc::experimental::ServerInterceptorFactoryInterface (gRPC 1.51).
#ifndef ORDERPLATFORM_PLATFORM_GRPC_SERVER_METRICS_H_
#define ORDERPLATFORM_PLATFORM_GRPC_SERVER_METRICS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "platform/metrics/registry.h"

namespace orderplatform::grpc_server {

// "/orderplatform.v1.OrderService/PlaceOrder" -> {"orderplatform.v1.OrderService", "PlaceOrder"};
// anything else -> {"unknown", "unknown"}.
std::pair<std::string, std::string> SplitMethodName(absl::string_view full_method);

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `registry` must outlive the server.
  explicit MetricsInterceptorFactory(metrics::Registry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  metrics::Family<metrics::Counter>* handled_;
  metrics::Family<metrics::Histogram>* handling_seconds_;
};

}  // namespace orderplatform::grpc_server

#endif  // ORDERPLATFORM_PLATFORM_GRPC_SERVER_METRICS_H_
