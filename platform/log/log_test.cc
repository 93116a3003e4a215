#include "platform/log/log.h"

#include <string>
#include <thread>

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

TEST(LogTest, ScopedContextAddsItsFieldsAfterTheLinesOwn) {
  ScopedContext context({{"order_id", "o-1"}, {"trace_id", "t-1"}});
  EXPECT_THAT(FormatLine(Level::kInfo, "x", {{"attempts", 3}}),
              EndsWith("event=x attempts=3 order_id=o-1 trace_id=t-1"));
}

TEST(LogTest, ScopedContextDoesNotRepeatAKeyTheLineHas) {
  ScopedContext context({{"order_id", "o-1"}, {"trace_id", "t-1"}});
  EXPECT_THAT(FormatLine(Level::kInfo, "x", {{"order_id", "o-2"}}),
              EndsWith("event=x order_id=o-2 trace_id=t-1"));
}

TEST(LogTest, InnermostScopeWinsAndEndsWithItsScope) {
  ScopedContext outer({{"order_id", "o-1"}, {"batch", 7}});
  {
    ScopedContext inner({{"order_id", "o-2"}});
    EXPECT_THAT(FormatLine(Level::kInfo, "x", {}), EndsWith("event=x batch=7 order_id=o-2"));
  }
  EXPECT_THAT(FormatLine(Level::kInfo, "x", {}), EndsWith("event=x order_id=o-1 batch=7"));
}

TEST(LogTest, ScopedContextIsPerThread) {
  ScopedContext context({{"order_id", "o-1"}});
  std::string other_thread_line;
  std::thread([&] { other_thread_line = FormatLine(Level::kInfo, "x", {}); }).join();
  EXPECT_THAT(other_thread_line, EndsWith("event=x"));
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
