#include "platform/kafka/rdkafka_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::kafka::internal {
namespace {

// librdkafka logs with syslog levels (0 emerg .. 7 debug).
void LogFromLibrdkafka(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  log::Level ours = level <= 3   ? log::Level::kError
                    : level == 4 ? log::Level::kWarn
                    : level <= 6 ? log::Level::kInfo
                                 : log::Level::kDebug;
  if (!log::Enabled(ours)) return;
  log::Log(ours, "librdkafka",
           {{"client", rk != nullptr ? rd_kafka_name(rk) : "?"},
            {"facility", facility},
            {"message", text}});
}

// Sets one property. Messages name the key but never the value: values may be secrets.
absl::Status Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  switch (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr))) {
    case RD_KAFKA_CONF_OK:
      return absl::OkStatus();
    case RD_KAFKA_CONF_UNKNOWN:
      return absl::InvalidArgumentError(absl::StrCat("unknown librdkafka property ", key));
    case RD_KAFKA_CONF_INVALID:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid value for librdkafka property ", key));
}

}  // namespace

absl::StatusOr<ConfPtr> BuildConfig(const KafkaOptions& options, const ConfigList& defaults,
                                    const std::vector<std::string>& reserved_keys) {
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError("kafka brokers are empty");
  }
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogFromLibrdkafka);
  if (absl::Status s = Set(conf.get(), "bootstrap.servers", options.brokers); !s.ok()) return s;
  if (!options.client_id.empty()) {
    if (absl::Status s = Set(conf.get(), "client.id", options.client_id); !s.ok()) return s;
  }
  for (const auto& [key, value] : defaults) {
    if (absl::Status s = Set(conf.get(), key, value); !s.ok()) return s;
  }
  for (const auto& [key, value] : options.extra_config) {
    if (std::find(reserved_keys.begin(), reserved_keys.end(), key) != reserved_keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("librdkafka property ", key,
                       " is fixed by the platform (it carries the delivery guarantees)"));
    }
    if (absl::Status s = Set(conf.get(), key, value); !s.ok()) return s;
  }
  return conf;
}

absl::StatusOr<rd_kafka_t*> NewClient(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("rd_kafka_new failed: ", errstr));
  }
  conf.release();  // owned by rk now
  return rk;
}

ConsumedMessage ToConsumedMessage(const rd_kafka_message_t& message) {
  ConsumedMessage out;
  out.topic = rd_kafka_topic_name(message.rkt);
  out.partition = message.partition;
  out.offset = message.offset;
  if (message.key != nullptr) {
    out.key.assign(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    out.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_timestamp_type_t timestamp_type;
  out.timestamp_ms = rd_kafka_message_timestamp(&message, &timestamp_type);
  rd_kafka_headers_t* headers = nullptr;
  // The const_cast is librdkafka's API shape: it parses headers lazily into the message.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&message), &headers) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      out.headers.push_back(
          {name, value != nullptr ? std::string(static_cast<const char*>(value), size) : ""});
    }
  }
  return out;
}

std::string PartitionName(absl::string_view topic, int32_t partition) {
  return absl::StrCat(topic, "[", partition, "]");
}

}  // namespace orderplatform::kafka::internal
