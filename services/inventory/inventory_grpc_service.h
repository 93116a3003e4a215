// gRPC InventoryService: SetStock (admin) and GetStock, both through the Lua scripts, so stock
// is only ever changed inside Redis, atomically. GetStock reads available, reserved and sold in
// one step, so invariant I1 can be checked at any instant.
//
//   InventoryGrpcService service(&store);
//   GrpcServer::Start({.port = 0}, {&service});
#ifndef ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_
#define ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_

#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "services/inventory/reservation_store.h"

namespace orderplatform::inventory {

// The largest stock a SKU may hold: Lua numbers are doubles, exact up to 2^53.
inline constexpr int64_t kStockMax = int64_t{1} << 53;

class InventoryGrpcService final : public orderplatform::v1::InventoryService::Service {
 public:
  explicit InventoryGrpcService(ReservationStore* store) : store_(store) {}

  grpc::Status SetStock(grpc::ServerContext* context,
                        const orderplatform::v1::SetStockRequest* request,
                        orderplatform::v1::StockLevel* response) override;
  grpc::Status GetStock(grpc::ServerContext* context,
                        const orderplatform::v1::GetStockRequest* request,
                        orderplatform::v1::StockLevel* response) override;

 private:
  ReservationStore* store_;
};

}  // namespace orderplatform::inventory

#endif  // ORDERPLATFORM_SERVICES_INVENTORY_INVENTORY_GRPC_SERVICE_H_
