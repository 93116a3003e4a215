// Dead letters: a consumed message that can never be handled (its value does not parse, or the
// event fails validation) goes to `<topic>.dlq` instead of blocking its partition, and the
// consumer moves on. The dead letter keeps the key, the original bytes and the original
// headers, and adds the contract's headers: dlq.error (one line), dlq.source.topic,
// dlq.source.partition and dlq.source.offset (decimal text).
//
//   absl::StatusOr<std::vector<OutgoingMessage>> Handle(
//       absl::Span<const ConsumedMessage> batch) override {
//     ParsedBatch<OrderEvent> parsed = ParseBatchOrDeadLetter<OrderEvent>(batch, Validate);
//     std::vector<OutgoingMessage> out = std::move(parsed.dead_letters);
//     for (const ParsedEvent<OrderEvent>& e : parsed.events) { ... apply e.event ... }
//     return out;  // produced (dead letters included) and acknowledged before offsets move
//   }
#ifndef ORDERPLATFORM_PLATFORM_KAFKA_DEAD_LETTER_H_
#define ORDERPLATFORM_PLATFORM_KAFKA_DEAD_LETTER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "platform/kafka/message.h"
#include "platform/log/log.h"

namespace orderplatform::kafka {

inline constexpr absl::string_view kDeadLetterTopicSuffix = ".dlq";
inline constexpr absl::string_view kDeadLetterErrorHeader = "dlq.error";
inline constexpr absl::string_view kDeadLetterSourceTopicHeader = "dlq.source.topic";
inline constexpr absl::string_view kDeadLetterSourcePartitionHeader = "dlq.source.partition";
inline constexpr absl::string_view kDeadLetterSourceOffsetHeader = "dlq.source.offset";
// dlq.error is a reason for a human, not a dump: long parser messages are cut here.
inline constexpr size_t kDeadLetterErrorBytesMax = 512;
// The most a dead letter may weigh (key, value, and each header's key and value plus
// kDeadLetterHeaderOverheadBytes): what the platform's producer can always send
// (message.max.bytes=1000000, producer.cc) with room for the record's framing. A value that was
// just small enough to be produced would no longer fit once the dlq.* headers are added; such a
// dead letter could never be produced and would block its partition for good. So a dead letter
// that would be heavier keeps only the prefix of the value that fits and says so:
// dlq.value.truncated holds the original value's length (decimal). If even the original
// headers leave no room, they are left out too (dlq.headers.dropped: how many), and a key longer
// than kDeadLetterKeyBytesMax is cut.
inline constexpr size_t kDeadLetterBytesMax = 990000;
inline constexpr size_t kDeadLetterHeaderOverheadBytes = 16;
inline constexpr size_t kDeadLetterKeyBytesMax = 1024;
inline constexpr absl::string_view kDeadLetterValueTruncatedHeader = "dlq.value.truncated";
inline constexpr absl::string_view kDeadLetterHeadersDroppedHeader = "dlq.headers.dropped";

// "orders.v1" -> "orders.v1.dlq".
std::string DeadLetterTopic(absl::string_view topic);

// `error` on one line (CR, LF and other control characters become spaces) and at most
// kDeadLetterErrorBytesMax bytes.
std::string OneLineError(absl::string_view error);

// The dead letter for `message`: topic `<topic>.dlq`, same key, the original value bytes, the
// original headers followed by the four dlq.* headers; cut to kDeadLetterBytesMax (see there).
OutgoingMessage MakeDeadLetter(const ConsumedMessage& message, absl::string_view error);

// What `message` weighs against kDeadLetterBytesMax.
size_t DeadLetterBytes(const OutgoingMessage& message);

// One message of a batch that parsed (and validated) as `Event`.
template <typename Event>
struct ParsedEvent {
  const ConsumedMessage* message;  // points into the batch given to ParseBatchOrDeadLetter
  Event event;
};

template <typename Event>
struct ParsedBatch {
  std::vector<ParsedEvent<Event>> events;     // in batch order
  std::vector<OutgoingMessage> dead_letters;  // to be produced with the handler's events
};

// Splits `batch` into events that parse as `Event` (any protobuf message type: it uses
// ParseFromString) and pass `validate` (optional), and dead letters for the rest. Never fails:
// a bad value is data, not an outage, so it must not stop the partition. Values are never logged.
template <typename Event>
ParsedBatch<Event> ParseBatchOrDeadLetter(
    absl::Span<const ConsumedMessage> batch,
    const std::function<absl::Status(const Event&)>& validate = nullptr) {
  ParsedBatch<Event> out;
  for (const ConsumedMessage& message : batch) {
    Event event;
    std::string error;
    if (!event.ParseFromString(message.value)) {
      error = absl::StrCat("value does not parse as ", event.GetTypeName());
    } else if (validate) {
      if (absl::Status valid = validate(event); !valid.ok()) {
        error = absl::StrCat("invalid ", event.GetTypeName(), ": ", valid.message());
      }
    }
    if (error.empty()) {
      out.events.push_back({&message, std::move(event)});
      continue;
    }
    log::LogWarn("kafka_dead_letter", {{"topic", message.topic},
                                       {"partition", message.partition},
                                       {"offset", message.offset},
                                       {"error", OneLineError(error)}});
    out.dead_letters.push_back(MakeDeadLetter(message, error));
  }
  return out;
}

}  // namespace orderplatform::kafka

#endif  // ORDERPLATFORM_PLATFORM_KAFKA_DEAD_LETTER_H_
