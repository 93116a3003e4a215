#include "services/payment/payment_grpc_service.h"

#include <string>
#include <utility>

#include "platform/events/validation.h"
#include "platform/log/log.h"
#include "services/payment/payment_decision.h"

namespace orderplatform::payment {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

PaymentGrpcService::PaymentGrpcService(PaymentLedger* ledger, BehaviorStore* behaviors,
                                       PaymentGrpcOptions options)
    : ledger_(ledger), behaviors_(behaviors), options_(std::move(options)) {}

grpc::Status PaymentGrpcService::SetBehavior(grpc::ServerContext* context,
                                             const orderplatform::v1::PaymentBehavior* request,
                                             orderplatform::v1::PaymentBehavior* response) {
  if (options_.authorize_admin) {
    grpc::Status allowed = options_.authorize_admin(*context);
    if (!allowed.ok()) return allowed;
  }
  if (absl::Status valid = ValidateBehavior(*request); !valid.ok()) return ToGrpc(valid);
  if (absl::Status stored = behaviors_->Store(*request); !stored.ok()) return ToGrpc(stored);
  log::LogInfo("payment_behavior_set", {{"decline_rate", request->decline_rate()},
                                        {"seed", request->seed()},
                                        {"latency_ms", request->latency_ms()},
                                        {"max_amount_cents", request->max_amount_cents()},
                                        {"decline_customers", request->decline_customers_size()},
                                        {"no_answer_rate", request->no_answer_rate()}});
  *response = *request;
  return grpc::Status::OK;
}

grpc::Status PaymentGrpcService::GetPayment(grpc::ServerContext*,
                                            const orderplatform::v1::GetPaymentRequest* request,
                                            orderplatform::v1::Payment* response) {
  if (request->order_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "order_id must not be empty");
  }
  if (!events::IsValidId(request->order_id())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "order_id must be 1..128 printable ASCII characters without spaces");
  }
  absl::StatusOr<std::optional<LedgerEntry>> entry = ledger_->Get(request->order_id());
  if (!entry.ok()) return ToGrpc(entry.status());
  // An order the mock chose never to answer has a ledger record but no payment.
  if (!entry->has_value() || (*entry)->no_answer) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no payment for this order");
  }
  response->set_order_id((*entry)->order_id);
  response->set_state((*entry)->state);
  response->set_amount_cents((*entry)->amount_cents);
  response->set_currency((*entry)->currency);
  return grpc::Status::OK;
}

}  // namespace orderplatform::payment
