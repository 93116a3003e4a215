#include "platform/hash/stable_hash.h"

#include "gtest/gtest.h"

namespace orderplatform::hash {
namespace {

// Persisted values depend on these: they must never change.
TEST(StableHashTest, KnownValuesArePinned) {
  EXPECT_EQ(StableHashHex128("orderplatform.order.id.v1", "req-1"),
            "be427d647f7e048ecec08a5b4c2c9fed");
  EXPECT_EQ(StableHashHex128("orderplatform.order.id.v1", "a"),
            "5f080a5dce25f8f822853431dcff25e2");
}

TEST(StableHashTest, DomainSeparatesUses) {
  EXPECT_NE(StableHash64(kLaneA, "one", "x"), StableHash64(kLaneA, "two", "x"));
  // The separator keeps "ab"+"c" apart from "a"+"bc".
  EXPECT_NE(StableHash64(kLaneA, "ab", "c"), StableHash64(kLaneA, "a", "bc"));
}

TEST(StableHashTest, LanesDiffer) {
  EXPECT_NE(StableHash64(kLaneA, "d", "x"), StableHash64(kLaneB, "d", "x"));
}

}  // namespace
}  // namespace orderplatform::hash
