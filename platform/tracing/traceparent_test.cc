#include "platform/tracing/traceparent.h"

#include <random>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orderplatform::tracing {
namespace {

using ::testing::HasSubstr;

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(ParseTraceparentTest, ParsesTheSpecificationsExample) {
  absl::StatusOr<TraceContext> context = ParseTraceparent(kValid);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(context->flags, 0x01);
  EXPECT_TRUE(context->sampled());
  EXPECT_EQ(FormatTraceparent(*context), kValid);
}

TEST(ParseTraceparentTest, NotSampled) {
  absl::StatusOr<TraceContext> context =
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(context.ok());
  EXPECT_FALSE(context->sampled());
}

TEST(ParseTraceparentTest, AcceptsAHigherVersionWithMoreFields) {
  absl::StatusOr<TraceContext> context =
      ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  // Re-emitted as version 00, the only one this platform writes.
  EXPECT_EQ(FormatTraceparent(*context), kValid);
}

struct InvalidCase {
  std::string name;
  std::string text;
  std::string why;
};

class InvalidTraceparentTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidTraceparentTest, IsRejectedWithTheReason) {
  absl::StatusOr<TraceContext> context = ParseTraceparent(GetParam().text);
  ASSERT_FALSE(context.ok()) << GetParam().text;
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(context.status().message()), HasSubstr(GetParam().why));
  EXPECT_FALSE(IsValidTraceparent(GetParam().text));
  EXPECT_EQ(TraceIdOf(GetParam().text), "");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidTraceparentTest,
    ::testing::Values(
        InvalidCase{"empty", "", "too short"},
        InvalidCase{"truncated", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
                    "too short"},
        InvalidCase{"zero_trace_id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                    "all-zero trace id"},
        InvalidCase{"zero_parent_id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                    "all-zero parent id"},
        InvalidCase{"uppercase", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                    "lowercase hex"},
        InvalidCase{"non_hex", "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01",
                    "lowercase hex"},
        InvalidCase{"bad_flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
                    "lowercase hex"},
        InvalidCase{"version_ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "version ff"},
        InvalidCase{"version_not_hex", "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "version is not lowercase hex"},
        InvalidCase{"version_00_too_long",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                    "55 characters"},
        InvalidCase{"future_version_bad_tail",
                    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", "must start with '-'"},
        InvalidCase{"wrong_separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "separated by '-'"},
        InvalidCase{"shifted_fields", "00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01",
                    "separated by '-'"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

TEST(NewTraceTest, IsValidSampledAndRandom) {
  std::mt19937_64 random(42);  // seeded: the test is deterministic
  const TraceContext a = NewTrace(random);
  const TraceContext b = NewTrace(random);
  EXPECT_TRUE(IsValidTraceparent(FormatTraceparent(a))) << FormatTraceparent(a);
  EXPECT_TRUE(a.sampled());
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_NE(a.parent_id, b.parent_id);
}

// A generator that always answers 0: ids must still not be all zero.
class ZeroGenerator {
 public:
  using result_type = uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() { return 0; }
};

TEST(NewTraceTest, NeverAllZeroEvenFromAZeroGenerator) {
  ZeroGenerator zero;
  const TraceContext context = NewTrace(zero);
  EXPECT_TRUE(IsValidTraceparent(FormatTraceparent(context))) << FormatTraceparent(context);
}

TEST(ChildForEventTest, KeepsTheTraceAndDerivesTheSpanFromTheEvent) {
  const TraceContext parent = *ParseTraceparent(kValid);
  const TraceContext placed = ChildForEvent(parent, "o-1/OrderPlaced");
  const TraceContext reserved = ChildForEvent(parent, "o-1/StockReserved");
  EXPECT_EQ(placed.trace_id, parent.trace_id);
  EXPECT_NE(placed.parent_id, parent.parent_id);
  EXPECT_NE(placed.parent_id, reserved.parent_id);
  EXPECT_TRUE(placed.sampled());
  EXPECT_TRUE(IsValidTraceparent(FormatTraceparent(placed)));
}

TEST(ChildForEventTest, IsDeterministicSoReannouncementsStayByteIdentical) {
  const TraceContext parent = *ParseTraceparent(kValid);
  // Whatever span the cause came from, the same event in the same trace gets the same context.
  TraceContext other_parent = parent;
  other_parent.parent_id = "1111111111111111";
  EXPECT_EQ(ChildForEvent(parent, "o-1/StockReserved"),
            ChildForEvent(other_parent, "o-1/StockReserved"));
  // Pinned: the services derive span ids independently, so the scheme must not drift.
  EXPECT_EQ(FormatTraceparent(ChildForEvent(parent, "o-1/OrderPlaced")),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-911919d8b3e02b8a-01");
  EXPECT_EQ(FormatTraceparent(TraceForOrder("o-1")),
            "00-186eb5e91a0615030e95b684f84b588f-af33bb4ea4ec11b0-01");
}

TEST(ChildForEventTest, DropsFlagsOtherThanSampled) {
  TraceContext parent = *ParseTraceparent(kValid);
  parent.flags = 0xff;
  EXPECT_EQ(ChildForEvent(parent, "e").flags, kSampledFlag);
  parent.flags = 0x02;
  EXPECT_EQ(ChildForEvent(parent, "e").flags, 0);
}

TEST(TraceForOrderTest, IsStablePerOrderAndValid) {
  const TraceContext a = TraceForOrder("o-1");
  EXPECT_EQ(a, TraceForOrder("o-1"));
  EXPECT_NE(a.trace_id, TraceForOrder("o-2").trace_id);
  EXPECT_TRUE(IsValidTraceparent(FormatTraceparent(a))) << FormatTraceparent(a);
}

TEST(FirstValidTest, SkipsEmptyAndInvalidCandidates) {
  EXPECT_EQ(FirstValid({"", "garbage", kValid}), kValid);
  EXPECT_EQ(FirstValid({"", "garbage"}), "");
  EXPECT_EQ(FirstValid({}), "");
}

TEST(TraceIdOfTest, GivesTheTraceIdForLogs) {
  EXPECT_EQ(TraceIdOf(kValid), "4bf92f3577b34da6a3ce929d0e0e4736");
}

}  // namespace
}  // namespace orderplatform::tracing
