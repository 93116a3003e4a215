#include "platform/grpc/server_metrics.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace orderplatform::grpc_server {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr absl::string_view kUnknown = "unknown";

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(absl::string_view full_method, metrics::Family<metrics::Counter>* handled,
                     metrics::Family<metrics::Histogram>* handling_seconds)
      : method_(SplitMethodName(full_method)),
        handled_(handled),
        handling_seconds_(handling_seconds),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      // gRPC's and abseil's codes are the same numbers; abseil has the names.
      const std::string code =
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
      // UNIMPLEMENTED is what gRPC answers for a method the server does not have (the services
      // never answer it themselves), and a client may name any method: such calls share one
      // series instead of growing a series per made-up name.
      const bool unknown_method = status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
      const absl::string_view service = unknown_method ? kUnknown : method_.first;
      const absl::string_view method = unknown_method ? kUnknown : method_.second;
      handled_->WithLabels({service, method, code}).Increment();
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      handling_seconds_->WithLabels({service, method}).Observe(elapsed.count());
    }
    methods->Proceed();
  }

 private:
  const std::pair<std::string, std::string> method_;
  metrics::Family<metrics::Counter>* const handled_;
  metrics::Family<metrics::Histogram>* const handling_seconds_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::pair<std::string, std::string> SplitMethodName(absl::string_view full_method) {
  absl::string_view rest = full_method;
  if (absl::ConsumePrefix(&rest, "/")) {
    const size_t slash = rest.find('/');
    if (slash != absl::string_view::npos && slash > 0 && slash + 1 < rest.size() &&
        !absl::StrContains(rest.substr(slash + 1), "/")) {
      return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
    }
  }
  return {std::string(kUnknown), std::string(kUnknown)};
}

MetricsInterceptorFactory::MetricsInterceptorFactory(metrics::Registry* registry)
    : handled_(&registry->AddCounter(
          "orderplatform_grpc_server_handled_total",
          "gRPC calls completed by the server, by service, method and status code.",
          {"grpc_service", "grpc_method", "grpc_code"})),
      handling_seconds_(&registry->AddHistogram(
          "orderplatform_grpc_server_handling_seconds",
          "Time from a gRPC call's arrival to its status (a whole stream for streaming calls).",
          {"grpc_service", "grpc_method"}, metrics::kLatencyBucketsSeconds)) {}

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  return new MetricsInterceptor(method != nullptr ? method : "", handled_, handling_seconds_);
}

}  // namespace orderplatform::grpc_server
