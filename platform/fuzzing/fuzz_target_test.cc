#include "platform/fuzzing/fuzz_target.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

// The test binary is not a fuzz target; these satisfy the header's declarations.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
std::vector<std::string> orderplatform::fuzzing::Seeds() { return {}; }

namespace orderplatform::fuzzing {
namespace {

FuzzInput Of(const std::string& bytes) {
  return FuzzInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(FuzzInputTest, ReadsFrontToBackAndZeroFillsPastTheEnd) {
  const std::string bytes("\x01\x02\x03", 3);
  FuzzInput input = Of(bytes);
  EXPECT_EQ(input.TakeByte(), 1);
  EXPECT_EQ(input.TakeUint64(), 0x0302u);
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(input.TakeByte(), 0);
  EXPECT_EQ(input.TakeChunk(), "");
  EXPECT_EQ(input.TakeRest(), "");
}

TEST(FuzzInputTest, ChunksAreLengthPrefixedAndCutAtTheEnd) {
  const std::string bytes = {'\x02', '\x00', 'a', 'b', '\x05', '\x00', 'c', 'd'};
  FuzzInput input = Of(bytes);
  EXPECT_EQ(input.TakeChunk(), "ab");
  EXPECT_EQ(input.TakeChunk(), "cd");
  EXPECT_TRUE(input.empty());
}

TEST(FuzzInputTest, RangesHoldTheirBoundsIncludingTheWidestOne) {
  const std::string bytes(64, '\xff');
  FuzzInput input = Of(bytes);
  EXPECT_EQ(input.TakeInt64InRange(5, 5), 5);
  const int64_t small = input.TakeInt64InRange(-3, 3);
  EXPECT_GE(small, -3);
  EXPECT_LE(small, 3);
  EXPECT_EQ(input.TakeInt64InRange(std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max());
}

TEST(FuzzInputDeathTest, FailPrintsWhereAndWhy) {
  EXPECT_DEATH(OP_FUZZ_CHECK(1 + 1 == 3, "arithmetic"),
               "fuzz property violated at .*fuzz_target_test.cc:[0-9]+: 1 \\+ 1 == 3: arithmetic");
}

}  // namespace
}  // namespace orderplatform::fuzzing
