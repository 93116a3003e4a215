#include "platform/grpc/admin_auth.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orderplatform::grpc_server {
namespace {

constexpr char kToken[] = "0123456789abcdef-admin";

using Entries = std::vector<std::pair<std::string, std::string>>;

// Owns the strings that the string_refs of ClientMetadata point into, so it cannot be copied.
class Metadata {
 public:
  explicit Metadata(Entries entries) : entries_(std::move(entries)) {
    for (const auto& [key, value] : entries_) map_.emplace(key, value);
  }
  Metadata(const Metadata&) = delete;
  Metadata& operator=(const Metadata&) = delete;
  const ClientMetadata& map() const { return map_; }

 private:
  const Entries entries_;
  ClientMetadata map_;
};

TEST(ConstantTimeEqualsTest, EqualOnlyForTheSameBytes) {
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-tokeN"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-token-and-more"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  // A presented prefix padded with NULs must not pass for the token.
  EXPECT_FALSE(ConstantTimeEquals(std::string("ab\0", 3), "ab"));
}

TEST(AdminTokenAuthTest, WithoutAConfiguredTokenEveryCallIsPermissionDenied) {
  const AdminTokenAuth auth("");
  for (const Entries& entries : {Entries{}, Entries{{"authorization", "Bearer "}},
                                 Entries{{"authorization", absl::StrCat("Bearer ", kToken)}}}) {
    grpc::Status status = auth.Check(Metadata(entries).map());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "ADMIN_TOKEN")) << status.error_message();
  }
}

TEST(AdminTokenAuthTest, TheRightBearerTokenIsAccepted) {
  const AdminTokenAuth auth(kToken);
  EXPECT_TRUE(
      auth.Check(Metadata(Entries{{"authorization", absl::StrCat("Bearer ", kToken)}}).map()).ok());
  // The scheme is case-insensitive (RFC 7235), and other metadata does not matter.
  EXPECT_TRUE(auth.Check(Metadata(Entries{{"x-request-id", "r-1"},
                                          {"authorization", absl::StrCat("bearer  ", kToken)}})
                             .map())
                  .ok());
}

TEST(AdminTokenAuthTest, AMissingMalformedOrWrongTokenIsUnauthenticatedAndNeverEchoed) {
  const AdminTokenAuth auth(kToken);
  const std::string wrong = "wrong-token-that-must-not-be-echoed";
  for (const Entries& entries : {
           Entries{},
           Entries{{"x-admin-token", kToken}},  // not the header the platform reads
           Entries{{"authorization", kToken}},  // no scheme
           Entries{{"authorization", absl::StrCat("Basic ", kToken)}},
           Entries{{"authorization", absl::StrCat("Bearer ", wrong)}},
           Entries{{"authorization", absl::StrCat("Bearer ", kToken, "x")}},
           Entries{{"authorization", "Bearer "}},
       }) {
    grpc::Status status = auth.Check(Metadata(entries).map());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_FALSE(absl::StrContains(status.error_message(), wrong)) << status.error_message();
    EXPECT_FALSE(absl::StrContains(status.error_message(), kToken)) << status.error_message();
  }
}

TEST(AdminTokenAuthTest, OneMatchingValueAmongSeveralIsEnough) {
  const AdminTokenAuth auth(kToken);
  EXPECT_TRUE(auth.Check(Metadata(Entries{{"authorization", "Bearer stale-token"},
                                          {"authorization", absl::StrCat("Bearer ", kToken)}})
                             .map())
                  .ok());
}

}  // namespace
}  // namespace orderplatform::grpc_server
