#include "platform/redis/reply.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace orderplatform::redis {

RedisReply RedisReply::String(std::string value) {
  RedisReply reply;
  reply.type = Type::kString;
  reply.str = std::move(value);
  return reply;
}

RedisReply RedisReply::Status(std::string value) {
  RedisReply reply;
  reply.type = Type::kStatus;
  reply.str = std::move(value);
  return reply;
}

RedisReply RedisReply::Integer(int64_t value) {
  RedisReply reply;
  reply.type = Type::kInteger;
  reply.integer = value;
  return reply;
}

RedisReply RedisReply::Nil() { return RedisReply(); }

RedisReply RedisReply::Array(std::vector<RedisReply> elements) {
  RedisReply reply;
  reply.type = Type::kArray;
  reply.elements = std::move(elements);
  return reply;
}

RedisReply RedisReply::Error(std::string message) {
  RedisReply reply;
  reply.type = Type::kError;
  reply.str = std::move(message);
  return reply;
}

absl::string_view RedisReply::error_code() const {
  if (!is_error()) return "";
  absl::string_view message = str;
  return message.substr(0, message.find(' '));
}

absl::StatusOr<int64_t> RedisReply::AsInteger() const {
  if (is_integer()) return integer;
  int64_t parsed = 0;
  if (is_string() && absl::SimpleAtoi(str, &parsed)) return parsed;
  return absl::InternalError(absl::StrCat("expected an integer reply, got ", DebugString()));
}

absl::StatusOr<std::string> RedisReply::AsString() const {
  if (is_string() || is_status()) return str;
  return absl::InternalError(absl::StrCat("expected a string reply, got ", DebugString()));
}

std::string RedisReply::DebugString() const {
  switch (type) {
    case Type::kString: return absl::StrCat("\"", absl::CHexEscape(str), "\"");
    case Type::kStatus: return absl::StrCat("+", str);
    case Type::kInteger: return absl::StrCat(":", integer);
    case Type::kNil: return "(nil)";
    case Type::kError: return absl::StrCat("-", str);
    case Type::kArray:
      return absl::StrCat("[",
                          absl::StrJoin(elements, ", ",
                                        [](std::string* out, const RedisReply& element) {
                                          absl::StrAppend(out, element.DebugString());
                                        }),
                          "]");
  }
  return "(unknown reply type)";
}

bool operator==(const RedisReply& a, const RedisReply& b) {
  return a.type == b.type && a.integer == b.integer && a.str == b.str && a.elements == b.elements;
}

}  // namespace orderplatform::redis
