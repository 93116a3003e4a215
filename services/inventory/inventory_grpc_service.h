// gRPC InventoryService: SetStock (admin) and GetStock, both through the Lua scripts, so stock
// is only ever changed inside Redis, atomically. GetStock reads available, reserved and sold in
// one step, so invariant I1 can be checked at any instant.
//
// SetStock is an admin call. Who may make it is decided by `authorize_admin`: it sees the call's
// metadata and returns OK or the status to fail with; the service's main wires it to the admin
// token (platform/grpc/admin_auth.h). Unset, every caller is allowed (unit tests).
//
//   InventoryGrpcService service(&store, {.authorize_admin = admin.AsCallback()});
//   GrpcServer::Start({.port = 0}, {&service});
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_

#include <functional>
#include <utility>

#include "grpcpp/grpcpp.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "services/inventory/reservation_store.h"

namespace orderplatform::inventory {

// The largest stock a SKU may hold: Lua numbers are doubles, exact up to 2^53.
inline constexpr int64_t kStockMax = int64_t{1} << 53;

struct InventoryGrpcOptions {
  std::function<grpc::Status(const grpc::ServerContext& context)> authorize_admin;
};

class InventoryGrpcService final : public orderplatform::v1::InventoryService::Service {
 public:
  // `store` is not owned and must outlive the service.
  explicit InventoryGrpcService(ReservationStore* store, InventoryGrpcOptions options = {})
      : store_(store), options_(std::move(options)) {}

  grpc::Status SetStock(grpc::ServerContext* context,
                        const orderplatform::v1::SetStockRequest* request,
                        orderplatform::v1::StockLevel* response) override;
  grpc::Status GetStock(grpc::ServerContext* context,
                        const orderplatform::v1::GetStockRequest* request,
                        orderplatform::v1::StockLevel* response) override;

 private:
  ReservationStore* store_;
  const InventoryGrpcOptions options_;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_
