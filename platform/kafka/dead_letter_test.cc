#include "platform/kafka/dead_letter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orderplatform/v1/events.pb.h"

namespace orderplatform::kafka {
namespace {

using ::orderplatform::v1::OrderEvent;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::SizeIs;

std::vector<std::pair<std::string, std::string>> HeaderPairs(const std::vector<Header>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Header& h : headers) out.emplace_back(h.key, h.value);
  return out;
}

ConsumedMessage Consumed(std::string value, int64_t offset) {
  return {.topic = "orders.v1",
          .partition = 3,
          .offset = offset,
          .key = "order-1",
          .value = std::move(value),
          .headers = {{"trace", "t-1"}}};
}

std::string ValidOrderEvent(const std::string& order_id) {
  OrderEvent event;
  event.mutable_envelope()->set_order_id(order_id);
  event.mutable_envelope()->set_event_id(order_id + ":placed");
  event.mutable_order_placed()->set_customer_id("c-1");
  return event.SerializeAsString();
}

TEST(DeadLetterTest, KeepsKeyBytesAndHeadersAndAddsTheSourceHeaders) {
  const std::string bytes("\x00\xff garbage", 10);
  OutgoingMessage dlq = MakeDeadLetter(Consumed(bytes, 42), "bad value");
  EXPECT_EQ(dlq.topic, "orders.v1.dlq");
  EXPECT_EQ(dlq.key, "order-1");
  EXPECT_EQ(dlq.value, bytes);
  EXPECT_THAT(HeaderPairs(dlq.headers),
              ElementsAre(std::pair<std::string, std::string>("trace", "t-1"),
                          std::pair<std::string, std::string>("dlq.error", "bad value"),
                          std::pair<std::string, std::string>("dlq.source.topic", "orders.v1"),
                          std::pair<std::string, std::string>("dlq.source.partition", "3"),
                          std::pair<std::string, std::string>("dlq.source.offset", "42")));
}

TEST(DeadLetterTest, ErrorIsOneBoundedLine) {
  OutgoingMessage dlq =
      MakeDeadLetter(Consumed("x", 1), "line one\nline two\r\n" + std::string(5000, 'e'));
  const std::string& error = dlq.headers[1].value;
  EXPECT_EQ(dlq.headers[1].key, "dlq.error");
  EXPECT_EQ(error.find_first_of("\r\n"), std::string::npos);
  EXPECT_EQ(error.size(), kDeadLetterErrorBytesMax);
  EXPECT_EQ(error.substr(0, 18), "line one line two ");
}

TEST(DeadLetterTest, ParseBatchSplitsEventsFromGarbageAndInvalidEvents) {
  std::vector<ConsumedMessage> batch = {
      Consumed(ValidOrderEvent("o-1"), 10),
      Consumed("not a protobuf \xff\xff", 11),  // 'n' = field 13 with wire type 6: cannot parse
      Consumed(ValidOrderEvent(""), 12),        // parses, but the validator refuses it
      Consumed(ValidOrderEvent("o-2"), 13),
  };
  auto require_order_id = [](const OrderEvent& e) {
    return e.envelope().order_id().empty() ? absl::InvalidArgumentError("no order id")
                                           : absl::OkStatus();
  };
  ParsedBatch<OrderEvent> parsed = ParseBatchOrDeadLetter<OrderEvent>(batch, require_order_id);

  ASSERT_THAT(parsed.events, SizeIs(2));
  EXPECT_EQ(parsed.events[0].event.envelope().order_id(), "o-1");
  EXPECT_EQ(parsed.events[0].message, &batch[0]);
  EXPECT_EQ(parsed.events[1].event.envelope().order_id(), "o-2");
  EXPECT_EQ(parsed.events[1].message, &batch[3]);

  ASSERT_THAT(parsed.dead_letters, SizeIs(2));
  EXPECT_EQ(parsed.dead_letters[0].value, batch[1].value);
  EXPECT_EQ(parsed.dead_letters[0].headers[1].value,
            "value does not parse as orderplatform.v1.OrderEvent");
  EXPECT_EQ(parsed.dead_letters[0].headers[4].value, "11");
  EXPECT_EQ(parsed.dead_letters[1].headers[1].value,
            "invalid orderplatform.v1.OrderEvent: no order id");
  EXPECT_EQ(parsed.dead_letters[1].headers[4].value, "12");
}

TEST(DeadLetterTest, ParseBatchWithoutValidatorAcceptsEverythingThatParses) {
  std::vector<ConsumedMessage> batch = {Consumed(ValidOrderEvent(""), 1)};
  ParsedBatch<OrderEvent> parsed = ParseBatchOrDeadLetter<OrderEvent>(batch);
  EXPECT_THAT(parsed.events, SizeIs(1));
  EXPECT_THAT(parsed.dead_letters, SizeIs(0));
}

TEST(DeadLetterTest, A900KilobyteValueIsKeptWhole) {
  const std::string value(900 * 1024, 'g');
  OutgoingMessage dlq = MakeDeadLetter(Consumed(value, 7), "value does not parse");
  EXPECT_TRUE(dlq.value == value);
  EXPECT_THAT(dlq.headers, SizeIs(5));
  EXPECT_LE(DeadLetterBytes(dlq), kDeadLetterBytesMax);
}

// A value that just fit the producer's limit no longer fits with the dlq.* headers; sent whole,
// its dead letter could never be produced and would block the partition.
TEST(DeadLetterTest, AValueTooLargeToBeForwardedKeepsTheLargestPrefixThatFitsAndSaysSo) {
  std::string value(999990, 'a');
  value[0] = 'b';
  OutgoingMessage dlq = MakeDeadLetter(Consumed(value, 8), "value does not parse");
  EXPECT_EQ(DeadLetterBytes(dlq), kDeadLetterBytesMax);
  ASSERT_LT(dlq.value.size(), value.size());
  EXPECT_TRUE(value.compare(0, dlq.value.size(), dlq.value) == 0) << "not a prefix";
  EXPECT_EQ(dlq.key, "order-1");
  EXPECT_THAT(HeaderPairs(dlq.headers),
              ElementsAre(std::pair<std::string, std::string>("trace", "t-1"),
                          std::pair<std::string, std::string>("dlq.error", "value does not parse"),
                          std::pair<std::string, std::string>("dlq.source.topic", "orders.v1"),
                          std::pair<std::string, std::string>("dlq.source.partition", "3"),
                          std::pair<std::string, std::string>("dlq.source.offset", "8"),
                          std::pair<std::string, std::string>("dlq.value.truncated", "999990")));
}

TEST(DeadLetterTest, HeadersThatLeaveNoRoomAreDroppedAndCounted) {
  ConsumedMessage message = Consumed("v", 9);
  message.key = std::string(5000, 'k');
  message.headers = {{"huge", std::string(995000, 'h')}, {"small", "s"}};
  OutgoingMessage dlq = MakeDeadLetter(message, "value does not parse");
  EXPECT_LE(DeadLetterBytes(dlq), kDeadLetterBytesMax);
  EXPECT_EQ(dlq.key, std::string(kDeadLetterKeyBytesMax, 'k'));
  EXPECT_EQ(dlq.value, "v");
  EXPECT_THAT(HeaderPairs(dlq.headers),
              ElementsAre(std::pair<std::string, std::string>("dlq.error", "value does not parse"),
                          std::pair<std::string, std::string>("dlq.source.topic", "orders.v1"),
                          std::pair<std::string, std::string>("dlq.source.partition", "3"),
                          std::pair<std::string, std::string>("dlq.source.offset", "9"),
                          std::pair<std::string, std::string>("dlq.value.truncated", "1"),
                          std::pair<std::string, std::string>("dlq.headers.dropped", "2")));
}

}  // namespace
}  // namespace orderplatform::kafka
