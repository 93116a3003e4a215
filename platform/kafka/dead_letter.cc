#include "platform/kafka/dead_letter.h"

#include <utility>
#include <vector>

namespace orderplatform::kafka {

std::string DeadLetterTopic(absl::string_view topic) {
  return absl::StrCat(topic, kDeadLetterTopicSuffix);
}

std::string OneLineError(absl::string_view error) {
  std::string line(error.substr(0, kDeadLetterErrorBytesMax));
  for (char& c : line) {
    // Control characters would break the one-line promise (and log lines that quote it).
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return line;
}

size_t DeadLetterBytes(const OutgoingMessage& message) {
  size_t bytes = message.key.size() + message.value.size();
  for (const Header& h : message.headers) {
    bytes += h.key.size() + h.value.size() + kDeadLetterHeaderOverheadBytes;
  }
  return bytes;
}

OutgoingMessage MakeDeadLetter(const ConsumedMessage& message, absl::string_view error) {
  std::vector<Header> dlq_headers = {
      {std::string(kDeadLetterErrorHeader), OneLineError(error)},
      {std::string(kDeadLetterSourceTopicHeader), message.topic},
      {std::string(kDeadLetterSourcePartitionHeader), absl::StrCat(message.partition)},
      {std::string(kDeadLetterSourceOffsetHeader), absl::StrCat(message.offset)}};
  OutgoingMessage out{.topic = DeadLetterTopic(message.topic),
                      .key = message.key,
                      .value = message.value,
                      .headers = message.headers};
  out.headers.insert(out.headers.end(), dlq_headers.begin(), dlq_headers.end());
  if (DeadLetterBytes(out) <= kDeadLetterBytesMax) return out;

  // Too heavy to be produced: keep what fits of the value, and say how long it was.
  out.value.clear();
  out.headers.push_back(
      {std::string(kDeadLetterValueTruncatedHeader), absl::StrCat(message.value.size())});
  if (DeadLetterBytes(out) > kDeadLetterBytesMax) {
    out.headers = std::move(dlq_headers);
    out.headers.push_back(
        {std::string(kDeadLetterValueTruncatedHeader), absl::StrCat(message.value.size())});
    out.headers.push_back(
        {std::string(kDeadLetterHeadersDroppedHeader), absl::StrCat(message.headers.size())});
    if (out.key.size() > kDeadLetterKeyBytesMax) out.key.resize(kDeadLetterKeyBytesMax);
  }
  const size_t room = kDeadLetterBytesMax - DeadLetterBytes(out);
  out.value = message.value.substr(0, room);
  log::LogWarn("kafka_dead_letter_truncated", {{"topic", message.topic},
                                               {"partition", message.partition},
                                               {"offset", message.offset},
                                               {"value_bytes", message.value.size()},
                                               {"kept_bytes", out.value.size()}});
  return out;
}

}  // namespace orderplatform::kafka
