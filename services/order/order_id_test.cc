#include "services/order/order_id.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/events/validation.h"

namespace orderplatform::order {
namespace {

TEST(OrderIdTest, SameRequestIdSameOrderId) {
  EXPECT_EQ(OrderIdForRequest("req-1"), OrderIdForRequest("req-1"));
  EXPECT_NE(OrderIdForRequest("req-1"), OrderIdForRequest("req-2"));
}

TEST(OrderIdTest, IsPrefixedLowercaseHexOf128BitsAndAValidId) {
  for (absl::string_view request_id : {"a", "req-42", "Ω-unicode-bytes", "x"}) {
    const std::string id = OrderIdForRequest(request_id);
    ASSERT_EQ(id.size(), 2u + 32u) << id;
    EXPECT_EQ(id.substr(0, 2), "o-");
    for (char c : id.substr(2)) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    }
    EXPECT_TRUE(events::IsValidId(id)) << id;
  }
}

// Order ids are persisted: these values must never change (a new scheme needs a new prefix).
// They were cross-checked against an independent implementation of the documented scheme.
TEST(OrderIdTest, KnownValuesArePinned) {
  EXPECT_EQ(OrderIdForRequest("req-1"), "o-be427d647f7e048ecec08a5b4c2c9fed");
  EXPECT_EQ(OrderIdForRequest("a"), "o-5f080a5dce25f8f822853431dcff25e2");
}

TEST(OrderIdTest, NoCollisionsAmongManySimilarRequestIds) {
  absl::flat_hash_set<std::string> seen;
  constexpr int kCount = 200000;
  for (int i = 0; i < kCount; ++i) seen.insert(OrderIdForRequest(absl::StrCat("req-", i)));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
}

TEST(OrderIdTest, EveryByteAndTheLengthMatter) {
  EXPECT_NE(OrderIdForRequest("ab"), OrderIdForRequest("ba"));
  EXPECT_NE(OrderIdForRequest(std::string("a\0", 2)), OrderIdForRequest("a"));
  // The two 64-bit halves are independent lanes, not one value repeated.
  const std::string id = OrderIdForRequest("req-1");
  EXPECT_NE(id.substr(2, 16), id.substr(18, 16));
}

}  // namespace
}  // namespace orderplatform::order
