#include "platform/tracing/trace_headers.h"

#include "gtest/gtest.h"

namespace orderplatform::tracing {
namespace {

TEST(TraceHeadersTest, FindsTheLastTraceparentHeader) {
  const std::vector<kafka::Header> headers = {{"traceparent", "first"},
                                              {"dlq.error", "x"},
                                              {"traceparent", "second"}};
  EXPECT_EQ(TraceparentHeader(headers), "second");
}

TEST(TraceHeadersTest, AbsentIsEmpty) {
  EXPECT_EQ(TraceparentHeader({}), "");
  EXPECT_EQ(TraceparentHeader({{"Traceparent", "other case is another key"}}), "");
}

TEST(TraceHeadersTest, AttachesUnderTheW3cKey) {
  const kafka::Header header = TraceHeader("00-abc");
  EXPECT_EQ(header.key, "traceparent");
  EXPECT_EQ(header.value, "00-abc");
}

}  // namespace
}  // namespace orderplatform::tracing
