#include "services/inventory/inventory_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "platform/events/validation.h"
#include "platform/log/log.h"

namespace orderplatform::inventory {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

grpc::Status InventoryGrpcService::SetStock(grpc::ServerContext* context,
                                            const orderplatform::v1::SetStockRequest* request,
                                            orderplatform::v1::StockLevel* response) {
  if (options_.authorize_admin) {
    grpc::Status allowed = options_.authorize_admin(*context);
    if (!allowed.ok()) return allowed;
  }
  if (!events::IsValidSku(request->sku())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "sku must match [A-Za-z0-9._-]{1,64}");
  }
  if (request->available() < 0 || request->available() > kStockMax) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "available must be in [0, 2^53]");
  }
  absl::StatusOr<orderplatform::v1::StockLevel> level =
      store_->SetStock(request->sku(), request->available());
  if (!level.ok()) return ToGrpc(level.status());
  log::LogInfo("stock_set", {{"sku", request->sku()}, {"available", request->available()}});
  *response = *std::move(level);
  return grpc::Status::OK;
}

grpc::Status InventoryGrpcService::GetStock(grpc::ServerContext*,
                                            const orderplatform::v1::GetStockRequest* request,
                                            orderplatform::v1::StockLevel* response) {
  if (!events::IsValidSku(request->sku())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "sku must match [A-Za-z0-9._-]{1,64}");
  }
  absl::StatusOr<orderplatform::v1::StockLevel> level = store_->GetStock(request->sku());
  if (!level.ok()) return ToGrpc(level.status());
  *response = *std::move(level);
  return grpc::Status::OK;
}

}  // namespace orderplatform::inventory
