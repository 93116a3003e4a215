#include "platform/config/kafka_config.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace orderplatform::config {
namespace {

constexpr char kSource[] = "--kafka_config/KAFKA_CONFIG";
// Longer than any librdkafka property name; a longer "key" is a value typed in the wrong place,
// and the messages below would echo it.
constexpr size_t kKeyLengthMax = 64;

struct FixedKey {
  const char* key;
  const char* reason;
};

// The settings the delivery guarantees rest on (../shared/contract.md, "Delivery semantics"), and
// those that have a flag of their own. platform/kafka refuses the guarantee keys again when a
// client is created; this list answers first, with the reason, before anything connects.
constexpr FixedKey kFixedKeys[] = {
    {"enable.idempotence",
     "the producer must be idempotent, so a retried send never duplicates an event"},
    {"acks", "every event must be on all in-sync replicas before its input is committed"},
    {"request.required.acks",
     "every event must be on all in-sync replicas before its input is committed"},
    {"transactional.id", "the producer is idempotent, not transactional"},
    {"enable.auto.offset.store",
     "an offset is stored only after the message's effects are done and acknowledged"},
    {"enable.auto.commit",
     "stored offsets are committed automatically, so the committed offset follows the work"},
    {"auto.commit.enable",
     "stored offsets are committed automatically, so the committed offset follows the work"},
    {"auto.offset.reset",
     "a group without a committed offset starts at the earliest event, or it would skip events"},
    {"group.id", "set the consumer group with --consumer_group"},
    {"bootstrap.servers", "set the brokers with --kafka_brokers (KAFKA_BROKERS)"},
    {"metadata.broker.list", "set the brokers with --kafka_brokers (KAFKA_BROKERS)"},
};

bool IsKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// Splits at unescaped commas and resolves "\," and "\\". A backslash before anything else is
// kept as is, so paths and patterns need no escaping.
std::vector<std::string> SplitEntries(absl::string_view text) {
  std::vector<std::string> entries(1);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == '\\')) {
      entries.back().push_back(text[++i]);
    } else if (c == ',') {
      entries.emplace_back();
    } else {
      entries.back().push_back(c);
    }
  }
  return entries;
}

}  // namespace

std::optional<std::string> FixedKafkaKeyReason(absl::string_view key) {
  const std::string lower = absl::AsciiStrToLower(key);
  for (const FixedKey& fixed : kFixedKeys) {
    if (lower == fixed.key) return std::string(fixed.reason);
  }
  return std::nullopt;
}

absl::StatusOr<KafkaConfigList> ParseKafkaConfig(absl::string_view text) {
  KafkaConfigList config;
  const std::vector<std::string> entries = SplitEntries(text);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& entry = entries[i];
    if (absl::StripAsciiWhitespace(entry).empty()) continue;
    // Positions count from 1, as an operator reads the list.
    const size_t position = i + 1;
    const size_t equals = entry.find('=');
    if (equals == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(kSource, ": entry ", position,
                       " is not key=value (write \\, for a comma inside a value)"));
    }
    const std::string key(absl::StripAsciiWhitespace(absl::string_view(entry).substr(0, equals)));
    if (key.empty() || key.size() > kKeyLengthMax ||
        !std::all_of(key.begin(), key.end(), IsKeyChar)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kSource, ": entry ", position, " does not start with a librdkafka property name"));
    }
    if (std::optional<std::string> reason = FixedKafkaKeyReason(key); reason.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kSource, ": ", key, " cannot be set: ", *reason));
    }
    const bool repeated = std::any_of(config.begin(), config.end(),
                                      [&key](const auto& setting) { return setting.first == key; });
    if (repeated) {
      return absl::InvalidArgumentError(absl::StrCat(kSource, ": ", key, " is given twice"));
    }
    config.emplace_back(key, entry.substr(equals + 1));
  }
  return config;
}

}  // namespace orderplatform::config
