#include "integration_tests/testenv/devbroker.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace orderplatform::testenv {
namespace {

namespace v1 = ::orderplatform::devbroker::v1;

constexpr absl::Duration kStartTimeout = absl::Seconds(15);
constexpr absl::Duration kCallTimeout = absl::Seconds(5);
constexpr char kBootstrapPrefix[] = "bootstrap=";
constexpr char kControlPortPrefix[] = "control_port=";

absl::Status FromGrpc(const grpc::Status& status, absl::string_view call) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbers.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(call, ": ", status.error_message()));
}

// Each call gets its own deadline, so a wedged devbroker fails the test instead of hanging it.
template <typename Request, typename Response, typename Method>
absl::Status Call(v1::DevBrokerControl::Stub* stub, Method method, const Request& request,
                  Response* response, absl::string_view name) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  return FromGrpc((stub->*method)(&context, request, response), name);
}

}  // namespace

DevBroker::DevBroker(std::unique_ptr<Process> process, std::string bootstrap, int control_port)
    : process_(std::move(process)),
      bootstrap_(std::move(bootstrap)),
      control_port_(control_port),
      control_(v1::DevBrokerControl::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", control_port), grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<std::unique_ptr<DevBroker>> DevBroker::Start(int brokers, int partitions) {
  // --control_port=0: the devbroker binds a free port itself, so parallel tests never collide.
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start({.binary = RunfilePath("tools/devbroker/devbroker"),
                      .args = {absl::StrCat("--brokers=", brokers),
                               absl::StrCat("--partitions=", partitions), "--control_port=0"},
                      .name = "devbroker"});
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> bootstrap_line =
      (*process)->WaitForStdoutLine(kBootstrapPrefix, kStartTimeout);
  if (!bootstrap_line.ok()) return bootstrap_line.status();
  absl::StatusOr<std::string> control_line =
      (*process)->WaitForStdoutLine(kControlPortPrefix, kStartTimeout);
  if (!control_line.ok()) return control_line.status();
  int control_port = 0;
  if (!absl::SimpleAtoi(control_line->substr(sizeof(kControlPortPrefix) - 1), &control_port)) {
    return absl::InternalError(absl::StrCat("devbroker printed a bad line: ", *control_line));
  }
  std::unique_ptr<DevBroker> broker(new DevBroker(
      *std::move(process), bootstrap_line->substr(sizeof(kBootstrapPrefix) - 1), control_port));
  // The control server is up before the lines are printed; one call proves the channel works.
  absl::StatusOr<std::vector<v1::Broker>> listed = broker->ListBrokers();
  if (!listed.ok()) return listed.status();
  if (static_cast<int>(listed->size()) != brokers) {
    return absl::InternalError(
        absl::StrCat("devbroker lists ", listed->size(), " brokers, asked for ", brokers));
  }
  return broker;
}

absl::StatusOr<std::vector<v1::Broker>> DevBroker::ListBrokers() {
  v1::ListBrokersResponse response;
  absl::Status status = Call(control_.get(), &v1::DevBrokerControl::Stub::ListBrokers,
                             v1::ListBrokersRequest(), &response, "ListBrokers");
  if (!status.ok()) return status;
  return std::vector<v1::Broker>(response.brokers().begin(), response.brokers().end());
}

absl::Status DevBroker::BrokerDown(int32_t broker_id) {
  v1::SetBrokerDownRequest request;
  request.set_broker_id(broker_id);
  v1::ListBrokersResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::SetBrokerDown, request, &response,
              "SetBrokerDown");
}

absl::Status DevBroker::BrokerUp(int32_t broker_id) {
  v1::SetBrokerUpRequest request;
  request.set_broker_id(broker_id);
  v1::ListBrokersResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::SetBrokerUp, request, &response,
              "SetBrokerUp");
}

absl::Status DevBroker::SetRtt(int32_t broker_id, int rtt_ms) {
  v1::SetBrokerRttRequest request;
  request.set_broker_id(broker_id);
  request.set_rtt_ms(rtt_ms);
  v1::ListBrokersResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::SetBrokerRtt, request, &response,
              "SetBrokerRtt");
}

absl::Status DevBroker::PushRequestErrors(KafkaApiKey api, const std::vector<int32_t>& error_codes,
                                          std::optional<int32_t> broker_id) {
  v1::PushRequestErrorsRequest request;
  request.set_api_key(static_cast<int32_t>(api));
  for (int32_t code : error_codes) request.add_error_codes(code);
  if (broker_id.has_value()) request.set_broker_id(*broker_id);
  v1::PushRequestErrorsResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::PushRequestErrors, request, &response,
              "PushRequestErrors");
}

absl::Status DevBroker::ClearRequestErrors(KafkaApiKey api) {
  v1::ClearRequestErrorsRequest request;
  request.set_api_key(static_cast<int32_t>(api));
  v1::ClearRequestErrorsResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::ClearRequestErrors, request, &response,
              "ClearRequestErrors");
}

absl::Status DevBroker::SetGroupCoordinator(const std::string& group, int32_t broker_id) {
  v1::SetCoordinatorRequest request;
  request.set_type(v1::GROUP);
  request.set_key(group);
  request.set_broker_id(broker_id);
  v1::SetCoordinatorResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::SetCoordinator, request, &response,
              "SetCoordinator");
}

absl::Status DevBroker::SetPartitionLeader(const std::string& topic, int32_t partition,
                                           int32_t broker_id) {
  v1::SetPartitionLeaderRequest request;
  request.set_topic(topic);
  request.set_partition(partition);
  request.set_broker_id(broker_id);
  v1::SetPartitionLeaderResponse response;
  return Call(control_.get(), &v1::DevBrokerControl::Stub::SetPartitionLeader, request, &response,
              "SetPartitionLeader");
}

}  // namespace orderplatform::testenv
