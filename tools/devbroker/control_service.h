// The devbroker's fault controls over gRPC (orderplatform.devbroker.v1.DevBrokerControl): each
// RPC checks its request, applies it to the MockCluster and answers with the mock's outcome.
// Served on 127.0.0.1 only, with gRPC server reflection, so tests and developers on this machine
// can reach it and nobody else can.
//
//   absl::StatusOr<std::unique_ptr<ControlServer>> server = ControlServer::Start(cluster.get(), 0);
//   std::cout << "control_port=" << (*server)->port() << std::endl;
//   ...
//   (*server)->Shutdown(absl::Seconds(2));
#ifndef ORDERPLATFORM_TOOLS_DEVBROKER_CONTROL_SERVICE_H_
#define ORDERPLATFORM_TOOLS_DEVBROKER_CONTROL_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orderplatform/devbroker/v1/devbroker_control.grpc.pb.h"
#include "tools/devbroker/mock_cluster.h"

namespace orderplatform::devbroker {

class ControlService final : public v1::DevBrokerControl::Service {
 public:
  explicit ControlService(MockCluster* cluster) : cluster_(cluster) {}

  grpc::Status ListBrokers(grpc::ServerContext* context, const v1::ListBrokersRequest* request,
                           v1::ListBrokersResponse* response) override;
  grpc::Status SetBrokerDown(grpc::ServerContext* context, const v1::SetBrokerDownRequest* request,
                             v1::ListBrokersResponse* response) override;
  grpc::Status SetBrokerUp(grpc::ServerContext* context, const v1::SetBrokerUpRequest* request,
                           v1::ListBrokersResponse* response) override;
  grpc::Status SetBrokerRtt(grpc::ServerContext* context, const v1::SetBrokerRttRequest* request,
                            v1::ListBrokersResponse* response) override;
  grpc::Status PushRequestErrors(grpc::ServerContext* context,
                                 const v1::PushRequestErrorsRequest* request,
                                 v1::PushRequestErrorsResponse* response) override;
  grpc::Status ClearRequestErrors(grpc::ServerContext* context,
                                  const v1::ClearRequestErrorsRequest* request,
                                  v1::ClearRequestErrorsResponse* response) override;
  grpc::Status SetCoordinator(grpc::ServerContext* context,
                              const v1::SetCoordinatorRequest* request,
                              v1::SetCoordinatorResponse* response) override;
  grpc::Status SetPartitionLeader(grpc::ServerContext* context,
                                  const v1::SetPartitionLeaderRequest* request,
                                  v1::SetPartitionLeaderResponse* response) override;

 private:
  MockCluster* const cluster_;
};

class ControlServer {
 public:
  // Serves `cluster` (which must outlive the server) on 127.0.0.1:`port`; 0 picks a free port.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(MockCluster* cluster, int port);
  ~ControlServer();

  int port() const { return port_; }
  // Stops accepting calls and waits up to `deadline` for running ones.
  void Shutdown(absl::Duration deadline);

 private:
  ControlServer(std::unique_ptr<ControlService> service, std::unique_ptr<grpc::Server> server,
                int port)
      : service_(std::move(service)), server_(std::move(server)), port_(port) {}

  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

}  // namespace orderplatform::devbroker

#endif  // ORDERPLATFORM_TOOLS_DEVBROKER_CONTROL_SERVICE_H_
