// Fuzzes what every consumer does first with a value from a topic: decode it as the topic's event
// type and validate it, through kafka::ParseBatchOrDeadLetter with events::ValidateEvent, exactly
// as the services' handlers call it. Every input is tried as an OrderEvent (orders.v1), an
// InventoryEvent (inventory.v1) and a PaymentEvent (payments.v1).
//
// Properties, for any bytes:
//   - no crash, and the message ends as exactly one of: an event, a dead letter;
//   - a dead letter goes to "<topic>.dlq" with the key, the value bytes and the original headers,
//     then dlq.error (one line, 1..512 bytes), dlq.source.topic, .partition and .offset, and fits
//     what the producer can send (a value too large for that is cut and marked);
//   - an accepted event has a well-formed order id and a payload, and re-encodes to bytes that
//     decode to the same bytes again and still validate;
//   - an accepted OrderPlaced normalizes to distinct, sorted, valid SKUs whose quantities are the
//     exact per-SKU sums of its lines (nothing clamped, nothing lost).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/sample_events.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/fuzzing/fuzz_target.h"
#include "platform/kafka/dead_letter.h"

namespace orderplatform::events {
namespace {

using kafka::ConsumedMessage;
using kafka::OutgoingMessage;

constexpr int32_t kPartition = 2;
constexpr int64_t kOffset = 41;

void CheckDeadLetter(const ConsumedMessage& message, const OutgoingMessage& dead) {
  OP_FUZZ_CHECK(dead.topic == message.topic + ".dlq", dead.topic);
  OP_FUZZ_CHECK(dead.key == message.key, "key changed");
  OP_FUZZ_CHECK(kafka::DeadLetterBytes(dead) <= kafka::kDeadLetterBytesMax,
                "a dead letter the producer could not send");
  const size_t original = message.headers.size();
  if (dead.headers.size() == original + 5) {  // too large to forward whole: cut and marked
    OP_FUZZ_CHECK(dead.headers.back().key == kafka::kDeadLetterValueTruncatedHeader &&
                      dead.headers.back().value == absl::StrCat(message.value.size()),
                  "dlq.value.truncated");
    OP_FUZZ_CHECK(message.value.compare(0, dead.value.size(), dead.value) == 0,
                  "the forwarded value is not a prefix of the original");
  } else {
    OP_FUZZ_CHECK(dead.headers.size() == original + 4, dead.headers.size());
    OP_FUZZ_CHECK(dead.value == message.value, "value bytes changed");
  }
  for (size_t i = 0; i < original; ++i) {
    OP_FUZZ_CHECK(dead.headers[i].key == message.headers[i].key, "original header lost");
  }
  const std::string& error = dead.headers[original].value;
  OP_FUZZ_CHECK(dead.headers[original].key == "dlq.error", dead.headers[original].key);
  OP_FUZZ_CHECK(!error.empty() && error.size() <= kafka::kDeadLetterErrorBytesMax, error.size());
  for (char c : error) {
    OP_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control char in dlq.error");
  }
  OP_FUZZ_CHECK(dead.headers[original + 1].key == "dlq.source.topic" &&
                    dead.headers[original + 1].value == message.topic,
                "dlq.source.topic");
  OP_FUZZ_CHECK(dead.headers[original + 2].key == "dlq.source.partition" &&
                    dead.headers[original + 2].value == absl::StrCat(kPartition),
                "dlq.source.partition");
  OP_FUZZ_CHECK(dead.headers[original + 3].key == "dlq.source.offset" &&
                    dead.headers[original + 3].value == absl::StrCat(kOffset),
                "dlq.source.offset");
}

void CheckNormalizedLines(const orderplatform::v1::OrderPlaced& placed) {
  std::map<std::string, int64_t> sums;
  for (const auto& line : placed.lines()) sums[line.sku()] += line.quantity();
  const std::vector<orderplatform::v1::OrderLine> lines = NormalizeLines(placed.lines());
  OP_FUZZ_CHECK(lines.size() == sums.size(), "normalized line count");
  auto sum = sums.begin();
  for (size_t i = 0; i < lines.size(); ++i, ++sum) {
    OP_FUZZ_CHECK(lines[i].sku() == sum->first, "normalized SKUs are not the sorted distinct SKUs");
    OP_FUZZ_CHECK(IsValidSku(lines[i].sku()), lines[i].sku());
    OP_FUZZ_CHECK(lines[i].quantity() >= 1 && lines[i].quantity() == sum->second,
                  absl::StrCat("SKU ", sum->first, ": normalized ", lines[i].quantity(), " != sum ",
                               sum->second));
  }
}

template <typename Event>
void CheckAccepted(const Event& event) {
  OP_FUZZ_CHECK(IsValidId(event.envelope().order_id()), "accepted an invalid order id");
  OP_FUZZ_CHECK(event.payload_case() != Event::PAYLOAD_NOT_SET,
                "accepted an event without payload");
  const std::string bytes = event.SerializeAsString();
  Event again;
  OP_FUZZ_CHECK(again.ParseFromString(bytes), "re-encoded event does not decode");
  OP_FUZZ_CHECK(again.SerializeAsString() == bytes, "re-encoding is not stable");
  OP_FUZZ_CHECK(ValidateEvent(again).ok(), "re-decoded event no longer validates");
}

void CheckExtra(const orderplatform::v1::OrderEvent& event) {
  if (event.has_order_placed()) CheckNormalizedLines(event.order_placed());
}
void CheckExtra(const orderplatform::v1::InventoryEvent&) {}
void CheckExtra(const orderplatform::v1::PaymentEvent&) {}

template <typename Event>
void DecodeAs(const char* topic, const std::string& value) {
  const ConsumedMessage message{.topic = topic,
                                .partition = kPartition,
                                .offset = kOffset,
                                .key = "o-1",
                                .value = value,
                                .headers = {{"traceparent", "00-abc-def-01"}}};
  kafka::ParsedBatch<Event> parsed = kafka::ParseBatchOrDeadLetter<Event>(
      absl::MakeConstSpan(&message, 1), [](const Event& event) { return ValidateEvent(event); });
  OP_FUZZ_CHECK(parsed.events.size() + parsed.dead_letters.size() == 1,
                "a message must become exactly one event or one dead letter");
  if (!parsed.dead_letters.empty()) {
    CheckDeadLetter(message, parsed.dead_letters.front());
    return;
  }
  OP_FUZZ_CHECK(parsed.events.front().message == &message, "event points at another message");
  CheckAccepted(parsed.events.front().event);
  CheckExtra(parsed.events.front().event);
}

}  // namespace
}  // namespace orderplatform::events

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderplatform::events;  // NOLINT(build/namespaces): a fuzz entry point
  const std::string value(reinterpret_cast<const char*>(data), size);
  DecodeAs<orderplatform::v1::OrderEvent>(kOrdersTopic, value);
  DecodeAs<orderplatform::v1::InventoryEvent>(kInventoryTopic, value);
  DecodeAs<orderplatform::v1::PaymentEvent>(kPaymentsTopic, value);
  return 0;
}

std::vector<std::string> orderplatform::fuzzing::Seeds() {
  using namespace orderplatform::events;  // NOLINT(build/namespaces)
  std::vector<std::string> seeds;
  for (const auto& event : SampleOrderEvents()) seeds.push_back(event.SerializeAsString());
  for (const auto& event : SampleInventoryEvents()) seeds.push_back(event.SerializeAsString());
  for (const auto& event : SamplePaymentEvents()) seeds.push_back(event.SerializeAsString());
  seeds.push_back(UnknownPayloadEvent("o-9"));
  // Inputs the fuzzer found are checked in as files in event_decode_corpus/ (BUILD: corpus).
  return seeds;
}
