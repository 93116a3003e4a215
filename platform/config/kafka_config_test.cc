#include "platform/config/kafka_config.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orderplatform::config {
namespace {

TEST(ParseKafkaConfigTest, ReadsKeyValuePairsInOrder) {
  absl::StatusOr<KafkaConfigList> config = ParseKafkaConfig(
      "security.protocol=SASL_SSL,sasl.mechanism=PLAIN, sasl.username = orders,client.rack=r1");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config, (KafkaConfigList{{"security.protocol", "SASL_SSL"},
                                      {"sasl.mechanism", "PLAIN"},
                                      {"sasl.username", " orders"},
                                      {"client.rack", "r1"}}));
}

TEST(ParseKafkaConfigTest, EmptyTextAndEmptyEntriesAreNothing) {
  EXPECT_EQ(ParseKafkaConfig("").value(), KafkaConfigList{});
  EXPECT_EQ(ParseKafkaConfig("client.rack=r1,,").value(), (KafkaConfigList{{"client.rack", "r1"}}));
}

TEST(ParseKafkaConfigTest, ValuesKeepEqualsSignsEscapedCommasAndOtherBackslashes) {
  absl::StatusOr<KafkaConfigList> config = ParseKafkaConfig(
      "sasl.password=a=b\\,c\\\\d,debug=broker\\,topic,ssl.ca.location=C:\\certs\\ca.pem");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config, (KafkaConfigList{{"sasl.password", "a=b,c\\d"},
                                      {"debug", "broker,topic"},
                                      {"ssl.ca.location", "C:\\certs\\ca.pem"}}));
}

TEST(ParseKafkaConfigTest, RefusesEveryGuaranteeKeyWithItsReason) {
  for (const char* key :
       {"enable.idempotence", "acks", "request.required.acks", "transactional.id",
        "enable.auto.offset.store", "enable.auto.commit", "auto.commit.enable", "auto.offset.reset",
        "group.id", "bootstrap.servers", "metadata.broker.list", "ACKS"}) {
    absl::StatusOr<KafkaConfigList> config =
        ParseKafkaConfig(absl::StrCat("client.rack=r1,", key, "=false"));
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << key;
    const std::string message(config.status().message());
    EXPECT_TRUE(absl::StrContains(message, absl::StrCat(key, " cannot be set: "))) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ParseKafkaConfigTest, TheReasonSaysWhatTheKeyProtects) {
  EXPECT_TRUE(absl::StrContains(FixedKafkaKeyReason("enable.idempotence").value(), "idempotent"));
  EXPECT_TRUE(absl::StrContains(FixedKafkaKeyReason("group.id").value(), "--consumer_group"));
  EXPECT_FALSE(FixedKafkaKeyReason("socket.timeout.ms").has_value());
  EXPECT_FALSE(FixedKafkaKeyReason("sasl.password").has_value());
}

TEST(ParseKafkaConfigTest, ErrorsNeverEchoAValue) {
  const std::string secret = "hunter2-very-secret";
  for (const std::string& text : {
           absl::StrCat("sasl.password=", secret, ",", secret),                // no '='
           absl::StrCat("sasl.password=", secret, ",sasl.password=", secret),  // repeated
           absl::StrCat(secret, " ", secret, "=x"),                            // not a key
           absl::StrCat("sasl.password=", secret, ",acks=", secret),           // fixed
       }) {
    absl::StatusOr<KafkaConfigList> config = ParseKafkaConfig(text);
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(absl::StrContains(config.status().message(), secret)) << config.status();
    EXPECT_TRUE(absl::StartsWith(config.status().message(), "--kafka_config/KAFKA_CONFIG: "))
        << config.status();
  }
}

TEST(ParseKafkaConfigTest, NamesTheEntryWithoutEquals) {
  absl::StatusOr<KafkaConfigList> config = ParseKafkaConfig("client.rack=r1,debug=broker,topic");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::StrContains(config.status().message(), "entry 3 is not key=value"))
      << config.status();
}

TEST(ParseKafkaConfigTest, RefusesARepeatedKey) {
  absl::StatusOr<KafkaConfigList> config =
      ParseKafkaConfig("socket.timeout.ms=1000,socket.timeout.ms=2000");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::StrContains(config.status().message(), "socket.timeout.ms is given twice"))
      << config.status();
}

}  // namespace
}  // namespace orderplatform::config
