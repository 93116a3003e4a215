#include "integration_tests/observe.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "platform/events/topics.h"
#include "platform/kafka/dead_letter.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::integration {

int CountLogLines(const std::string& path, const std::vector<std::string>& substrings) {
  std::ifstream file(path);
  int count = 0;
  std::string line;
  // Bounded by the file's length.
  while (std::getline(file, line)) {
    bool all = true;
    for (const std::string& s : substrings) all = all && line.find(s) != std::string::npos;
    if (all) ++count;
  }
  return count;
}

absl::StatusOr<int64_t> ResidentKb(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  while (std::getline(file, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kb)) return kb;
    return absl::InternalError(absl::StrCat("unexpected VmRSS line: ", line));
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS in ", path));
}

absl::StatusOr<std::vector<kafka::ConsumedMessage>> AllDeadLetters(const std::string& bootstrap) {
  std::vector<kafka::ConsumedMessage> all;
  for (const char* topic :
       {events::kOrdersTopic, events::kInventoryTopic, events::kPaymentsTopic}) {
    absl::StatusOr<std::vector<kafka::ConsumedMessage>> dead =
        kafka::testing::ReadTopic(bootstrap, kafka::DeadLetterTopic(topic), absl::Seconds(20));
    if (!dead.ok()) return dead.status();
    all.insert(all.end(), dead->begin(), dead->end());
  }
  return all;
}

std::string HeaderValue(const kafka::ConsumedMessage& message, absl::string_view key) {
  for (const kafka::Header& header : message.headers) {
    if (header.key == key) return header.value;
  }
  return "";
}

}  // namespace orderplatform::integration
