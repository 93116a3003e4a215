#include "platform/grpc/admin_auth.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::grpc_server {
namespace {

absl::string_view View(const grpc::string_ref& ref) {
  return absl::string_view(ref.data(), ref.size());
}

// The credential of "Bearer <token>" (the scheme is case-insensitive, RFC 7235), or nullopt.
std::optional<absl::string_view> BearerCredential(absl::string_view value) {
  const size_t space = value.find(' ');
  if (space == absl::string_view::npos ||
      !absl::EqualsIgnoreCase(value.substr(0, space), kAdminTokenScheme)) {
    return std::nullopt;
  }
  return absl::StripLeadingAsciiWhitespace(value.substr(space + 1));
}

}  // namespace

bool ConstantTimeEquals(absl::string_view expected, absl::string_view presented) {
  // volatile keeps the compiler from turning the loop into an early-exit comparison.
  volatile unsigned char difference = expected.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char given = i < presented.size() ? presented[i] : 0;
    difference = difference | (static_cast<unsigned char>(expected[i]) ^ given);
  }
  return difference == 0;
}

grpc::Status AdminTokenAuth::Check(const ClientMetadata& metadata) const {
  if (token_.empty()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "admin RPCs are disabled: this service has no admin token "
                        "(--admin_token or ADMIN_TOKEN)");
  }
  const auto [begin, end] = metadata.equal_range(kAdminTokenMetadataKey);
  if (begin == end) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "admin RPC without metadata `authorization: Bearer <admin token>`");
  }
  bool well_formed = false;
  bool matched = false;
  for (auto it = begin; it != end; ++it) {
    std::optional<absl::string_view> credential = BearerCredential(View(it->second));
    if (!credential.has_value()) continue;
    well_formed = true;
    // Every value is compared in full: no short cut that a caller could time.
    matched = ConstantTimeEquals(token_, *credential) || matched;
  }
  if (!well_formed) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the authorization metadata is not `Bearer <admin token>`");
  }
  if (!matched) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the admin token does not match");
  }
  return grpc::Status::OK;
}

grpc::Status AdminTokenAuth::Authorize(const grpc::ServerContext& context) const {
  grpc::Status status = Check(context.client_metadata());
  if (!status.ok()) {
    log::LogWarn(
        "admin_call_refused",
        {{"peer", context.peer()},
         {"code", status.error_code() == grpc::StatusCode::PERMISSION_DENIED ? "PERMISSION_DENIED"
                                                                             : "UNAUTHENTICATED"},
         {"reason", status.error_message()}});
  }
  return status;
}

std::function<grpc::Status(const grpc::ServerContext&)> AdminTokenAuth::AsCallback() const {
  return [this](const grpc::ServerContext& context) { return Authorize(context); };
}

void AddAdminToken(grpc::ClientContext* context, absl::string_view token) {
  context->AddMetadata(kAdminTokenMetadataKey, absl::StrCat(kAdminTokenScheme, " ", token));
}

}  // namespace orderplatform::grpc_server
