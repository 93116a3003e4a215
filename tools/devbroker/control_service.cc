#include "tools/devbroker/control_service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace orderplatform::devbroker {
namespace {

constexpr int kMaxPort = 65535;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

void FillBrokers(const MockCluster& cluster, v1::ListBrokersResponse* response) {
  response->clear_brokers();
  for (const BrokerState& state : cluster.Brokers()) {
    v1::Broker* broker = response->add_brokers();
    broker->set_broker_id(state.id);
    broker->set_host(state.host);
    broker->set_port(state.port);
    broker->set_up(state.up);
    broker->set_rtt_ms(state.rtt_ms);
  }
}

grpc::Status AnswerWithBrokers(const absl::Status& status, const MockCluster& cluster,
                               v1::ListBrokersResponse* response) {
  if (status.ok()) FillBrokers(cluster, response);
  return ToGrpc(status);
}

}  // namespace

grpc::Status ControlService::ListBrokers(grpc::ServerContext* /*context*/,
                                         const v1::ListBrokersRequest* /*request*/,
                                         v1::ListBrokersResponse* response) {
  FillBrokers(*cluster_, response);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetBrokerDown(grpc::ServerContext* /*context*/,
                                           const v1::SetBrokerDownRequest* request,
                                           v1::ListBrokersResponse* response) {
  return AnswerWithBrokers(cluster_->SetBrokerUp(request->broker_id(), false), *cluster_, response);
}

grpc::Status ControlService::SetBrokerUp(grpc::ServerContext* /*context*/,
                                         const v1::SetBrokerUpRequest* request,
                                         v1::ListBrokersResponse* response) {
  return AnswerWithBrokers(cluster_->SetBrokerUp(request->broker_id(), true), *cluster_, response);
}

grpc::Status ControlService::SetBrokerRtt(grpc::ServerContext* /*context*/,
                                          const v1::SetBrokerRttRequest* request,
                                          v1::ListBrokersResponse* response) {
  return AnswerWithBrokers(cluster_->SetBrokerRtt(request->broker_id(), request->rtt_ms()),
                           *cluster_, response);
}

grpc::Status ControlService::PushRequestErrors(grpc::ServerContext* /*context*/,
                                               const v1::PushRequestErrorsRequest* request,
                                               v1::PushRequestErrorsResponse* /*response*/) {
  std::optional<int32_t> broker_id;
  if (request->has_broker_id()) broker_id = request->broker_id();
  const std::vector<int32_t> codes(request->error_codes().begin(), request->error_codes().end());
  return ToGrpc(cluster_->PushRequestErrors(request->api_key(), codes, broker_id));
}

grpc::Status ControlService::ClearRequestErrors(grpc::ServerContext* /*context*/,
                                                const v1::ClearRequestErrorsRequest* request,
                                                v1::ClearRequestErrorsResponse* /*response*/) {
  return ToGrpc(cluster_->ClearRequestErrors(request->api_key()));
}

grpc::Status ControlService::SetCoordinator(grpc::ServerContext* /*context*/,
                                            const v1::SetCoordinatorRequest* request,
                                            v1::SetCoordinatorResponse* /*response*/) {
  CoordinatorType type;
  switch (request->type()) {
    case v1::GROUP:
      type = CoordinatorType::kGroup;
      break;
    case v1::TRANSACTION:
      type = CoordinatorType::kTransaction;
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "type must be GROUP or TRANSACTION");
  }
  return ToGrpc(cluster_->SetCoordinator(type, request->key(), request->broker_id()));
}

grpc::Status ControlService::SetPartitionLeader(grpc::ServerContext* /*context*/,
                                                const v1::SetPartitionLeaderRequest* request,
                                                v1::SetPartitionLeaderResponse* /*response*/) {
  return ToGrpc(
      cluster_->SetPartitionLeader(request->topic(), request->partition(), request->broker_id()));
}

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(MockCluster* cluster,
                                                                    int port) {
  if (port < 0 || port > kMaxPort) {
    return absl::InvalidArgumentError(
        absl::StrCat("control_port must be 0..", kMaxPort, ", got ", port));
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto service = std::make_unique<ControlService>(cluster);
  int bound_port = 0;
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second devbroker "bind" a taken
  // --control_port and share it; a taken port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  // gRPC reports a failed bind as no server, or as port 0.
  if (server == nullptr || bound_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the control service on 127.0.0.1:", port, " (port in use?)"));
  }
  return std::unique_ptr<ControlServer>(
      new ControlServer(std::move(service), std::move(server), bound_port));
}

ControlServer::~ControlServer() { Shutdown(absl::ZeroDuration()); }

void ControlServer::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
  server_->Wait();
  server_.reset();
}

}  // namespace orderplatform::devbroker
