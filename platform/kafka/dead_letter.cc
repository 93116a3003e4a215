#include "platform/kafka/dead_letter.h"

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

OutgoingMessage MakeDeadLetter(const ConsumedMessage& message, absl::string_view error) {
  OutgoingMessage out{.topic = DeadLetterTopic(message.topic),
                      .key = message.key,
                      .value = message.value,
                      .headers = message.headers};
  out.headers.push_back({std::string(kDeadLetterErrorHeader), OneLineError(error)});
  out.headers.push_back({std::string(kDeadLetterSourceTopicHeader), message.topic});
  out.headers.push_back(
      {std::string(kDeadLetterSourcePartitionHeader), absl::StrCat(message.partition)});
  out.headers.push_back({std::string(kDeadLetterSourceOffsetHeader), absl::StrCat(message.offset)});
  return out;
}

}  // namespace orderplatform::kafka
