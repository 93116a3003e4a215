#include "platform/log/log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orderplatform::log {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(LogTest, FormatsKeyValuePairsOnOneLine) {
  std::string line = FormatLine(Level::kInfo, "order_placed", {{"order_id", "o-1"}, {"lines", 2}});
  EXPECT_THAT(line, MatchesRegex("ts=[0-9T:.-]+Z level=info event=order_placed order_id=o-1 lines=2"));
}

TEST(LogTest, QuotesValuesThatWouldBreakParsing) {
  std::string line = FormatLine(Level::kWarn, "x", {{"reason", "bad \"value\"\nhere"}, {"empty", ""}});
  EXPECT_THAT(line, HasSubstr(R"(reason="bad \"value\"\nhere")"));
  EXPECT_THAT(line, EndsWith(R"(empty="")"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogTest, MinLevelFiltersDebug) {
  SetMinLevel(Level::kInfo);
  EXPECT_FALSE(Enabled(Level::kDebug));
  EXPECT_TRUE(Enabled(Level::kError));
  SetMinLevel(Level::kDebug);
  EXPECT_TRUE(Enabled(Level::kDebug));
  SetMinLevel(Level::kInfo);
}

}  // namespace
}  // namespace orderplatform::log
