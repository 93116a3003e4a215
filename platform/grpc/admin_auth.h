// Guards the admin RPCs (InventoryService.SetStock, PaymentService.SetBehavior) with a shared
// token: the caller sends it as gRPC metadata `authorization: Bearer <token>`, and the service
// compares it in constant time with the one it was configured with (--admin_token/ADMIN_TOKEN).
//
// Status codes, per gRPC's conventions:
//   PERMISSION_DENIED  the service has no admin token configured: admin RPCs are switched off,
//                      no credentials would help.
//   UNAUTHENTICATED    the token is missing, malformed or wrong.
// Neither message nor log ever contains a presented or configured token.
//
//   // server
//   const AdminTokenAuth admin(config.admin_token);
//   PaymentGrpcService service(&ledger, &behaviors, {.authorize_admin = admin.AsCallback()});
//   // client
//   grpc::ClientContext context;
//   AddAdminToken(&context, token);
//   stub->SetBehavior(&context, behavior, &applied);
#ifndef ORDERPLATFORM_PLATFORM_GRPC_ADMIN_AUTH_H_
#define ORDERPLATFORM_PLATFORM_GRPC_ADMIN_AUTH_H_

#include <functional>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace orderplatform::grpc_server {

// The metadata key (gRPC keys are lower case) and the scheme of its value.
inline constexpr char kAdminTokenMetadataKey[] = "authorization";
inline constexpr char kAdminTokenScheme[] = "Bearer";

// True when the strings are equal. Its running time depends on the lengths only, not on where
// they differ, so a caller cannot find the token a byte at a time by timing refusals.
bool ConstantTimeEquals(absl::string_view expected, absl::string_view presented);

using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

class AdminTokenAuth {
 public:
  // `token` empty: every admin call is refused with PERMISSION_DENIED.
  explicit AdminTokenAuth(std::string token) : token_(std::move(token)) {}

  // OK, PERMISSION_DENIED or UNAUTHENTICATED (see the top of this file) for a call's metadata.
  grpc::Status Check(const ClientMetadata& metadata) const;

  // Check() on a live call; refusals are logged with the peer address (not the token).
  grpc::Status Authorize(const grpc::ServerContext& context) const;

  // Authorize() as the services' `authorize_admin` seam. This object must outlive the callback.
  std::function<grpc::Status(const grpc::ServerContext&)> AsCallback() const;

 private:
  const std::string token_;
};

// Adds `authorization: Bearer <token>` to an outgoing call.
void AddAdminToken(grpc::ClientContext* context, absl::string_view token);

}  // namespace orderplatform::grpc_server

#endif  // ORDERPLATFORM_PLATFORM_GRPC_ADMIN_AUTH_H_
