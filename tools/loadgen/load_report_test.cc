#include "tools/loadgen/load_report.h"

#include "gtest/gtest.h"

namespace orderplatform::loadgen {
namespace {

TEST(CompletionTimelineTest, SteadyRateIgnoresRampAndDrain) {
  CompletionTimeline timeline(absl::Milliseconds(100), absl::Seconds(100));
  // 1 s of slow ramp (10/s), 10 s at 1000/s, 1 s of slow drain.
  for (int i = 0; i < 10; ++i) timeline.Record(absl::Milliseconds(i * 100));
  for (int i = 0; i < 10000; ++i) timeline.Record(absl::Seconds(1) + absl::Microseconds(i * 1000));
  for (int i = 0; i < 10; ++i) timeline.Record(absl::Seconds(11) + absl::Milliseconds(i * 100));
  EXPECT_NEAR(timeline.SustainedRate(), 1000.0, 15.0);
  EXPECT_EQ(timeline.total(), 10020);
}

TEST(CompletionTimelineTest, TooFewOrTooFastGivesZero) {
  CompletionTimeline few(absl::Milliseconds(100), absl::Seconds(10));
  for (int i = 0; i < 5; ++i) few.Record(absl::Seconds(i));
  EXPECT_EQ(few.SustainedRate(), 0);
  CompletionTimeline burst(absl::Milliseconds(100), absl::Seconds(10));
  for (int i = 0; i < 1000; ++i) burst.Record(absl::Milliseconds(5));
  EXPECT_EQ(burst.SustainedRate(), 0);
}

TEST(CompletionTimelineTest, ClampsBeyondTheHorizon) {
  CompletionTimeline timeline(absl::Seconds(1), absl::Seconds(10));
  timeline.Record(absl::Hours(5));
  timeline.Record(-absl::Seconds(1));
  EXPECT_EQ(timeline.total(), 2);
}

TEST(LoadReportTest, JsonEscapesAndCarriesTheFigures) {
  LoadResult r;
  r.mode = "grpc";
  r.terminal = "t";
  r.run_id = "x";
  r.placed = 10;
  r.completed = 9;
  r.confirmed = 8;
  r.cancelled = 1;
  r.cancel_reasons = {{"OUT_OF_STOCK", 1}};
  r.error_samples = {"UNAVAILABLE: \"quoted\"\nnext"};
  r.latency.p99_ms = 12.5;
  const std::string json = FormatJson(r);
  EXPECT_NE(json.find("\"placed\": 10"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cancel_reasons\": {\"OUT_OF_STOCK\": 1}"), std::string::npos) << json;
  EXPECT_NE(json.find("\\\"quoted\\\"\\nnext"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99_ms\": 12.500"), std::string::npos) << json;
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
}

TEST(LoadReportTest, JsonStringEscapesControlCharacters) {
  EXPECT_EQ(JsonString(std::string("a\x01z", 3)), "\"a\\u0001z\"");
  EXPECT_EQ(JsonString("back\\slash"), "\"back\\\\slash\"");
}

TEST(LoadReportTest, TextNamesTheRateAndLatencies) {
  LoadResult r;
  r.mode = "kafka";
  r.target_rate = 2000;
  r.throughput = 1999;
  const std::string text = FormatText(r);
  EXPECT_NE(text.find("2000 orders/s"), std::string::npos) << text;
  EXPECT_NE(text.find("placement -> terminal"), std::string::npos) << text;
  EXPECT_NE(text.find("schedule lag"), std::string::npos) << text;
}

}  // namespace
}  // namespace orderplatform::loadgen
