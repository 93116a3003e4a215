#include "platform/tracing/traceparent.h"

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/hash/stable_hash.h"

namespace orderplatform::tracing {
namespace {

constexpr size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
constexpr size_t kTraceIdOffset = 3;
constexpr size_t kTraceIdLength = 32;
constexpr size_t kParentIdOffset = 36;
constexpr size_t kParentIdLength = 16;
constexpr size_t kFlagsOffset = 53;

// Hashed before the data, so these values never collide with another stable-hash use.
constexpr absl::string_view kSpanDomain = "orderplatform.trace.span.v1";
constexpr absl::string_view kOrderTraceDomain = "orderplatform.trace.order.v1";

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsAllZero(absl::string_view text) { return text.find_first_not_of('0') == text.npos; }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

std::string Hex64(uint64_t value) { return absl::StrFormat("%016x", value); }

// All-zero ids are invalid; a derived or random id that happens to be zero (one chance in 2^64)
// is replaced by a fixed non-zero one.
uint64_t NonZero(uint64_t value) { return value == 0 ? 1 : value; }

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid traceparent: ", why));
}

}  // namespace

absl::StatusOr<TraceContext> ParseTraceparent(absl::string_view text) {
  if (text.size() < kVersion00Length) return Invalid("too short");
  const absl::string_view version = text.substr(0, 2);
  if (!IsLowerHex(version)) return Invalid("version is not lowercase hex");
  if (version == "ff") return Invalid("version ff is forbidden");
  if (version == "00" && text.size() != kVersion00Length) {
    return Invalid("version 00 must be 55 characters");
  }
  if (text.size() > kVersion00Length && text[kVersion00Length] != '-') {
    return Invalid("a field after the flags must start with '-'");
  }
  if (text[2] != '-' || text[kParentIdOffset - 1] != '-' || text[kFlagsOffset - 1] != '-') {
    return Invalid("fields must be separated by '-'");
  }
  TraceContext context{.trace_id = std::string(text.substr(kTraceIdOffset, kTraceIdLength)),
                       .parent_id = std::string(text.substr(kParentIdOffset, kParentIdLength))};
  const absl::string_view flags = text.substr(kFlagsOffset, 2);
  if (!IsLowerHex(context.trace_id) || !IsLowerHex(context.parent_id) || !IsLowerHex(flags)) {
    return Invalid("ids and flags must be lowercase hex");
  }
  if (IsAllZero(context.trace_id)) return Invalid("all-zero trace id");
  if (IsAllZero(context.parent_id)) return Invalid("all-zero parent id");
  context.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return context;
}

bool IsValidTraceparent(absl::string_view text) { return ParseTraceparent(text).ok(); }

std::string FormatTraceparent(const TraceContext& context) {
  return absl::StrCat("00-", context.trace_id, "-", context.parent_id, "-",
                      absl::Hex(context.flags, absl::kZeroPad2));
}

TraceContext NewTrace(absl::BitGenRef random) {
  const uint64_t high = absl::Uniform<uint64_t>(random);
  const uint64_t low = NonZero(absl::Uniform<uint64_t>(random));
  return TraceContext{.trace_id = absl::StrCat(Hex64(high), Hex64(low)),
                      .parent_id = Hex64(NonZero(absl::Uniform<uint64_t>(random))),
                      .flags = kSampledFlag};
}

TraceContext ChildForEvent(const TraceContext& parent, absl::string_view event_id) {
  const uint64_t span =
      hash::StableHash64(hash::kLaneA, kSpanDomain, absl::StrCat(parent.trace_id, "/", event_id));
  return TraceContext{.trace_id = parent.trace_id,
                      .parent_id = Hex64(NonZero(span)),
                      .flags = static_cast<uint8_t>(parent.flags & kSampledFlag)};
}

TraceContext TraceForOrder(absl::string_view order_id) {
  std::string trace_id = hash::StableHashHex128(kOrderTraceDomain, order_id);
  if (IsAllZero(trace_id)) trace_id.back() = '1';
  const uint64_t span = hash::StableHash64(hash::kLaneA, kSpanDomain, trace_id);
  return TraceContext{
      .trace_id = std::move(trace_id), .parent_id = Hex64(NonZero(span)), .flags = kSampledFlag};
}

absl::string_view FirstValid(std::initializer_list<absl::string_view> candidates) {
  for (absl::string_view candidate : candidates) {
    if (IsValidTraceparent(candidate)) return candidate;
  }
  return "";
}

std::string TraceIdOf(absl::string_view traceparent) {
  absl::StatusOr<TraceContext> context = ParseTraceparent(traceparent);
  return context.ok() ? context->trace_id : "";
}

}  // namespace orderplatform::tracing
