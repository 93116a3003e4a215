#include "platform/redis/reply.h"

#include "gtest/gtest.h"

namespace orderplatform::redis {
namespace {

TEST(RedisReplyTest, AsIntegerAcceptsIntegersAndDecimalStrings) {
  EXPECT_EQ(RedisReply::Integer(-7).AsInteger().value(), -7);
  EXPECT_EQ(RedisReply::String("42").AsInteger().value(), 42);
}

TEST(RedisReplyTest, AsIntegerRejectsEverythingElseWithTheReplyInTheMessage) {
  absl::StatusOr<int64_t> text = RedisReply::String("4x2").AsInteger();
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(text.status().message().find("\"4x2\""), std::string::npos) << text.status();
  EXPECT_FALSE(RedisReply::Nil().AsInteger().ok());
  EXPECT_FALSE(RedisReply::Error("ERR boom").AsInteger().ok());
  EXPECT_FALSE(RedisReply::Status("42").AsInteger().ok());
}

TEST(RedisReplyTest, AsStringAcceptsStringsAndStatuses) {
  EXPECT_EQ(RedisReply::String(std::string("a\0b", 3)).AsString().value(), std::string("a\0b", 3));
  EXPECT_EQ(RedisReply::Status("OK").AsString().value(), "OK");
  EXPECT_EQ(RedisReply::Integer(1).AsString().status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(RedisReply::Error("ERR x").AsString().ok());
}

TEST(RedisReplyTest, ErrorCodeIsTheFirstWordOfAnErrorReplyOnly) {
  EXPECT_EQ(RedisReply::Error("NOSCRIPT No matching script.").error_code(), "NOSCRIPT");
  EXPECT_EQ(RedisReply::Error("OUT_OF_STOCK").error_code(), "OUT_OF_STOCK");
  EXPECT_EQ(RedisReply::String("NOSCRIPT lookalike").error_code(), "");
  EXPECT_TRUE(RedisReply::Error("ERR x").is_error());
  EXPECT_FALSE(RedisReply::Status("ERR x").is_error());
}

TEST(RedisReplyTest, DebugStringShowsTypeAndEscapesBytes) {
  RedisReply reply = RedisReply::Array({RedisReply::Status("OK"), RedisReply::Integer(3),
                                        RedisReply::String(std::string("a\0\n", 3)),
                                        RedisReply::Nil(), RedisReply::Error("ERR no")});
  EXPECT_EQ(reply.DebugString(), R"([+OK, :3, "a\x00\n", (nil), -ERR no])");
}

TEST(RedisReplyTest, EqualityComparesTypeAndContent) {
  EXPECT_EQ(RedisReply::String("x"), RedisReply::String("x"));
  EXPECT_NE(RedisReply::String("x"), RedisReply::Status("x"));
  EXPECT_NE(RedisReply::Array({RedisReply::Integer(1)}),
            RedisReply::Array({RedisReply::Integer(2)}));
  EXPECT_EQ(RedisReply::Nil(), RedisReply());
}

}  // namespace
}  // namespace orderplatform::redis
