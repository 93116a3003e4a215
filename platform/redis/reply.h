// RedisReply: one Redis (RESP2) reply as a plain value, copied out of hiredis' redisReply so that
// hiredis never leaks into callers and a reply can be kept, compared and built in tests.
//
//   absl::StatusOr<RedisReply> reply = client.Command({"INCRBY", "counter", "5"});
//   if (!reply.ok()) return reply.status();          // connection trouble: UNAVAILABLE
//   if (reply->is_error()) return Fail(reply->str);  // Redis said -ERR ...: a reply, not a status
//   absl::StatusOr<int64_t> value = reply->AsInteger();
//
// Error replies are values, not statuses: a Lua script reporting "OUT_OF_STOCK" is a normal answer.
#ifndef ORDERPLATFORM_PLATFORM_REDIS_REPLY_H_
#define ORDERPLATFORM_PLATFORM_REDIS_REPLY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orderplatform::redis {

struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };

  Type type = Type::kNil;
  int64_t integer = 0;               // kInteger
  std::string str;                   // kString (binary-safe), kStatus ("OK"), kError ("ERR ...")
  std::vector<RedisReply> elements;  // kArray

  static RedisReply String(std::string value);
  static RedisReply Status(std::string value);
  static RedisReply Integer(int64_t value);
  static RedisReply Nil();
  static RedisReply Array(std::vector<RedisReply> elements);
  static RedisReply Error(std::string message);

  bool is_string() const { return type == Type::kString; }
  bool is_status() const { return type == Type::kStatus; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
  bool is_error() const { return type == Type::kError; }

  // The first word of an error reply ("ERR", "WRONGTYPE", "NOSCRIPT", or a script's own code);
  // empty for every other type.
  absl::string_view error_code() const;

  // An integer reply, or a string reply holding a decimal integer (GET of a counter).
  // INTERNAL otherwise: the caller's assumption about the data is broken.
  absl::StatusOr<int64_t> AsInteger() const;
  // A string or status reply. INTERNAL otherwise.
  absl::StatusOr<std::string> AsString() const;

  // For logs and test failures: +OK, :42, "bytes" (C-escaped), (nil), -ERR ..., [a, b].
  std::string DebugString() const;

  friend bool operator==(const RedisReply& a, const RedisReply& b);
  friend bool operator!=(const RedisReply& a, const RedisReply& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const RedisReply& reply) {
    return os << reply.DebugString();
  }
};

}  // namespace orderplatform::redis

#endif  // ORDERPLATFORM_PLATFORM_REDIS_REPLY_H_
