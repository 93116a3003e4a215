// gRPC PaymentService: SetBehavior stores the mock's behavior in Redis (behavior_store.h), where
// every instance reads it once per batch; GetPayment reads an order's ledger entry.
//
//   PaymentGrpcService service(&ledger, &behaviors);
//   GrpcServer::Start({.port = 0}, {&service});
//
// SetBehavior is an admin call. Who may make it is decided by `authorize_admin`: it sees the call's
// metadata and returns OK or the status to fail with (UNAUTHENTICATED, PERMISSION_DENIED); the
// service's main wires it to the admin token (platform/grpc/admin_auth.h). Unset, every caller is
// allowed (unit tests).
//
// Status codes: INVALID_ARGUMENT (an empty or malformed order id; a behavior outside the limits
// of ValidateBehavior: nothing is stored), NOT_FOUND (no ledger entry: never decided, not
// answered, or expired), UNAVAILABLE (Redis down: retry), INTERNAL (a corrupt entry).
#ifndef ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_GRPC_SERVICE_H_
#define ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_GRPC_SERVICE_H_

#include <functional>

#include "grpcpp/grpcpp.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"
#include "services/payment/behavior_store.h"
#include "services/payment/payment_ledger.h"

namespace orderplatform::payment {

struct PaymentGrpcOptions {
  std::function<grpc::Status(const grpc::ServerContext& context)> authorize_admin;
};

class PaymentGrpcService final : public orderplatform::v1::PaymentService::Service {
 public:
  // `ledger` and `behaviors` are not owned and must outlive the service.
  PaymentGrpcService(PaymentLedger* ledger, BehaviorStore* behaviors,
                     PaymentGrpcOptions options = {});

  // Returns the behavior as stored.
  grpc::Status SetBehavior(grpc::ServerContext* context,
                           const orderplatform::v1::PaymentBehavior* request,
                           orderplatform::v1::PaymentBehavior* response) override;
  grpc::Status GetPayment(grpc::ServerContext* context,
                          const orderplatform::v1::GetPaymentRequest* request,
                          orderplatform::v1::Payment* response) override;

 private:
  PaymentLedger* const ledger_;
  BehaviorStore* const behaviors_;
  const PaymentGrpcOptions options_;
};

}  // namespace orderplatform::payment

#endif  // ORDERPLATFORM_SERVICES_PAYMENT_PAYMENT_GRPC_SERVICE_H_
