// Bad input end to end (I7), through the real binaries. On every consumed topic — orders.v1
// (inventory), inventory.v1 (payment and order), payments.v1 (inventory and order) — truncated,
// garbage, oversized (900 KB), empty and unknown-type values end in the topic's .dlq with the
// contract's headers, once per consuming service; the services keep serving and nothing else
// changes. A value so close to the producer's 1 MB limit that its dead letter would not fit is
// forwarded cut to fit, marked dlq.value.truncated. At the gRPC door: SKUs that could name
// another Redis key are refused and never reach Redis, and the numeric limits (stock 2^53,
// quantity 2^31-1) hold exactly at the edge.
//
// The stack is shared by the tests of this file; each uses SKUs and request ids of its own.
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration_tests/observe.h"
#include "integration_tests/saga_client.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/stack.h"
#include "integration_tests/topic_probe.h"
#include "platform/events/sample_events.h"
#include "platform/events/topics.h"
#include "platform/events/validation.h"
#include "platform/kafka/dead_letter.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::integration {
namespace {

using orderplatform::v1::CANCELLED;
using orderplatform::v1::CONFIRMED;
using orderplatform::v1::Order;

constexpr absl::Duration kSagaTimeout = absl::Seconds(30);
constexpr int64_t kTwoPow53 = int64_t{1} << 53;

struct BadValue {
  std::string name;
  std::string bytes;
};

// Values that must never be applied: each fails to parse or to validate as any event type.
std::vector<BadValue> BadValues(const std::string& valid_event) {
  std::mt19937_64 rng(20261129);
  auto random_bytes = [&rng](size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  };
  return {
      {"truncated", valid_event.substr(0, valid_event.size() / 2)},
      {"garbage", random_bytes(256)},
      {"oversized", random_bytes(900 * 1024)},
      // Produced within the producer's 1 MB limit, but its dead letter, with the dlq.* headers,
      // would not be: it is forwarded cut to fit (it used to block its partition for good).
      {"at_the_limit", random_bytes(999850)},
      {"empty", ""},
      {"unknown_type", events::UnknownPayloadEvent("o-unknown-type")},
  };
}

template <typename Event>
bool Accepted(const std::string& bytes) {
  Event event;
  return event.ParseFromString(bytes) && events::ValidateEvent(event).ok();
}

// One bad message as it landed on its topic, and who consumes that topic.
struct Sent {
  std::string topic;
  std::string key;
  std::string value;
  int32_t partition = -1;
  int64_t offset = -1;
  std::vector<testenv::ServiceProcess*> consumers;
  std::vector<testenv::ServiceProcess*> others;
};

std::string DescribeSent(const Sent& sent) {
  return absl::StrCat(sent.key, " at ", sent.topic, "[", sent.partition, "]@", sent.offset);
}

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = testenv::Stack::Start({.partitions = 3, .reservation_ttl_ms = 30000});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack_, nullptr);
    client_ = std::make_unique<SagaClient>(stack_);
  }

  void TearDown() override {
    if (HasFatalFailure()) return;
    for (const std::string& violation : CheckInvariants(*client_, invariants_)) {
      ADD_FAILURE() << violation;
    }
  }

  void SetStock(const std::string& sku, int64_t available) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = client_->SetStock(sku, available);
    ASSERT_TRUE(level.ok()) << level.status();
    invariants_.stock_set[sku] = available;
  }

  Order PlaceAndAwait(const OrderSpec& spec) {
    absl::StatusOr<Order> placed = client_->Place(spec);
    EXPECT_TRUE(placed.ok()) << placed.status();
    if (!placed.ok()) return Order();
    invariants_.order_ids.push_back(placed->order_id());
    absl::StatusOr<Order> done = client_->AwaitTerminal(placed->order_id(), kSagaTimeout);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() ? *done : Order();
  }

  // Produces every bad value to every consumed topic and finds where each one landed.
  std::vector<Sent> ProduceBadValues() {
    testenv::ServiceProcess* order = &stack_->order();
    testenv::ServiceProcess* inventory = &stack_->inventory();
    testenv::ServiceProcess* payment = &stack_->payment();
    struct Topic {
      const char* name;
      std::string valid_event;
      std::vector<testenv::ServiceProcess*> consumers;
      std::vector<testenv::ServiceProcess*> others;
    };
    const std::vector<Topic> topics = {
        {events::kOrdersTopic,
         events::SampleOrderEvents().front().SerializeAsString(),
         {inventory},
         {order, payment}},
        {events::kInventoryTopic,
         events::SampleInventoryEvents().front().SerializeAsString(),
         {order, payment},
         {inventory}},
        {events::kPaymentsTopic,
         events::SamplePaymentEvents().front().SerializeAsString(),
         {inventory, order},
         {payment}},
    };
    std::vector<Sent> sent;
    std::vector<kafka::OutgoingMessage> messages;
    for (const Topic& topic : topics) {
      for (const BadValue& bad : BadValues(topic.valid_event)) {
        // The premise: no event type accepts the value.
        EXPECT_FALSE(Accepted<orderplatform::v1::OrderEvent>(bad.bytes)) << bad.name;
        EXPECT_FALSE(Accepted<orderplatform::v1::InventoryEvent>(bad.bytes)) << bad.name;
        EXPECT_FALSE(Accepted<orderplatform::v1::PaymentEvent>(bad.bytes)) << bad.name;
        const std::string key = absl::StrCat("bad-", topic.name, "-", bad.name);
        sent.push_back({.topic = topic.name,
                        .key = key,
                        .value = bad.bytes,
                        .consumers = topic.consumers,
                        .others = topic.others});
        messages.push_back({.topic = topic.name, .key = key, .value = bad.bytes});
      }
    }
    absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
        kafka::Producer::Create({.brokers = stack_->kafka().bootstrap(), .client_id = "bad-input"});
    EXPECT_TRUE(producer.ok()) << producer.status();
    if (!producer.ok()) return {};
    const absl::Status acked = (*producer)->ProduceAndWait(messages, absl::Seconds(30));
    EXPECT_TRUE(acked.ok()) << acked;
    for (Sent& s : sent) {
      absl::StatusOr<std::vector<kafka::ConsumedMessage>> on_topic =
          kafka::testing::ReadTopic(stack_->kafka().bootstrap(), s.topic, absl::Seconds(20));
      EXPECT_TRUE(on_topic.ok()) << on_topic.status();
      if (!on_topic.ok()) return {};
      for (const kafka::ConsumedMessage& m : *on_topic) {
        if (m.key == s.key) {
          s.partition = m.partition;
          s.offset = m.offset;
        }
      }
      EXPECT_GE(s.offset, 0) << s.key << " not found on " << s.topic;
    }
    return sent;
  }

  static testenv::Stack* stack_;
  std::unique_ptr<SagaClient> client_;
  InvariantInput invariants_;
};

testenv::Stack* BadInputTest::stack_ = nullptr;

// The dead letters of `sent` (matched by their dlq.source.* headers).
std::vector<kafka::ConsumedMessage> DeadLettersOf(const Sent& sent,
                                                  const std::vector<kafka::ConsumedMessage>& dlq) {
  std::vector<kafka::ConsumedMessage> out;
  for (const kafka::ConsumedMessage& m : dlq) {
    if (m.topic == kafka::DeadLetterTopic(sent.topic) &&
        HeaderValue(m, kafka::kDeadLetterSourceTopicHeader) == sent.topic &&
        HeaderValue(m, kafka::kDeadLetterSourcePartitionHeader) == absl::StrCat(sent.partition) &&
        HeaderValue(m, kafka::kDeadLetterSourceOffsetHeader) == absl::StrCat(sent.offset)) {
      out.push_back(m);
    }
  }
  return out;
}

// The service's log line for dead-lettering `sent`.
int DeadLetterLogLines(testenv::ServiceProcess* service, const Sent& sent) {
  return CountLogLines(service->process().stderr_path(),
                       {"event=kafka_dead_letter", absl::StrCat(" topic=", sent.topic, " "),
                        absl::StrCat(" partition=", sent.partition, " "),
                        absl::StrCat(" offset=", sent.offset, " ")});
}

TEST_F(BadInputTest, BadValuesOnEveryConsumedTopicEndInItsDlqAndChangeNothing) {
  SetStock("bad-A", 5);
  ASSERT_EQ(PlaceAndAwait({.request_id = "bad-before", .lines = {{"bad-A", 1}}}).status(),
            CONFIRMED);
  ASSERT_TRUE(WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), kSagaTimeout).ok());
  const std::string before = Snapshot(*client_, invariants_);

  const std::vector<Sent> sent = ProduceBadValues();
  ASSERT_EQ(sent.size(), 18u);
  ASSERT_FALSE(HasFailure());

  // Each bad message is dead-lettered by every service that consumes its topic.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::vector<kafka::ConsumedMessage> dlq;
  std::string missing;
  do {
    absl::SleepFor(absl::Milliseconds(500));
    absl::StatusOr<std::vector<kafka::ConsumedMessage>> read =
        AllDeadLetters(stack_->kafka().bootstrap());
    ASSERT_TRUE(read.ok()) << read.status();
    dlq = *std::move(read);
    missing.clear();
    for (const Sent& s : sent) {
      if (DeadLettersOf(s, dlq).size() < s.consumers.size()) {
        absl::StrAppend(&missing, DescribeSent(s), "; ");
      }
    }
  } while (!missing.empty() && absl::Now() < deadline);
  ASSERT_TRUE(missing.empty()) << "not dead-lettered by every consumer: " << missing;

  for (const Sent& s : sent) {
    for (const kafka::ConsumedMessage& dead : DeadLettersOf(s, dlq)) {
      EXPECT_EQ(dead.key, s.key);
      if (s.value.size() < 990000) {
        EXPECT_TRUE(dead.value == s.value) << DescribeSent(s) << ": the original bytes changed";
        EXPECT_EQ(HeaderValue(dead, kafka::kDeadLetterValueTruncatedHeader), "");
      } else {
        EXPECT_EQ(HeaderValue(dead, kafka::kDeadLetterValueTruncatedHeader),
                  absl::StrCat(s.value.size()));
        EXPECT_LT(dead.value.size(), s.value.size());
        EXPECT_TRUE(s.value.compare(0, dead.value.size(), dead.value) == 0)
            << DescribeSent(s) << ": not a prefix of the original bytes";
      }
      const std::string error = HeaderValue(dead, kafka::kDeadLetterErrorHeader);
      EXPECT_FALSE(error.empty()) << DescribeSent(s);
      EXPECT_EQ(error.find_first_of("\r\n"), std::string::npos) << error;
    }
    for (testenv::ServiceProcess* consumer : s.consumers) {
      EXPECT_GE(DeadLetterLogLines(consumer, s), 1)
          << consumer->name() << " did not dead-letter " << DescribeSent(s);
    }
    for (testenv::ServiceProcess* other : s.others) {
      EXPECT_EQ(DeadLetterLogLines(other, s), 0)
          << other->name() << " does not consume " << s.topic << " but dead-lettered it";
    }
  }

  // Nothing else changed, every consumer moved past the bad messages, and all keep serving.
  const absl::Status caught_up =
      WaitForConsumersCaughtUp(stack_->kafka().bootstrap(), kSagaTimeout);
  ASSERT_TRUE(caught_up.ok()) << caught_up;
  EXPECT_EQ(Snapshot(*client_, invariants_), before);
  for (testenv::ServiceProcess* service : stack_->services()) {
    EXPECT_TRUE(service->Running()) << service->name() << " died on bad input";
  }
  EXPECT_EQ(PlaceAndAwait({.request_id = "bad-after", .lines = {{"bad-A", 2}}}).status(),
            CONFIRMED);
  EXPECT_EQ(client_->GetStock("bad-A")->available(), 2);
}

TEST_F(BadInputTest, SkusThatCouldNameRedisKeysAreRefusedAndNeverReachRedis) {
  SetStock("inj-A", 3);
  // Every Redis command from now on, as redis-server sees it.
  absl::StatusOr<std::unique_ptr<testenv::Process>> monitor =
      testenv::Process::Start({.binary = "/usr/bin/redis-cli",
                               .args = {"-p", absl::StrCat(stack_->redis().port()), "monitor"},
                               .name = "redis-monitor"});
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  ASSERT_TRUE((*monitor)->WaitForStdoutLine("OK", absl::Seconds(10)).ok());

  // Each names (or would break into) another key if it reached a key name: hash tags, key
  // separators, spaces, protocol line breaks, the list separator of reservation records.
  const std::vector<std::string> bad_skus = {
      "{op}:inj3ct",        "{op}:stock:inj3ct", "inj3ct}:x",  "inj3ct a",
      "inj3ct\r\nFLUSHALL", "inj3ct,inj-A",      "inj3ct\x01", "inj3ct*",
  };
  for (size_t i = 0; i < bad_skus.size(); ++i) {
    const std::string& sku = bad_skus[i];
    EXPECT_EQ(client_->SetStock(sku, 5).status().code(), absl::StatusCode::kInvalidArgument) << sku;
    EXPECT_EQ(client_->GetStock(sku).status().code(), absl::StatusCode::kInvalidArgument) << sku;
    EXPECT_EQ(client_->Place({.request_id = absl::StrCat("inj-", i), .lines = {{sku, 1}}})
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << sku;
    EXPECT_EQ(client_
                  ->Place({.request_id = absl::StrCat("inj-mixed-", i),
                           .lines = {{"inj-A", 1}, {sku, 1}}})
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << sku;
  }

  // A marker command after the calls: once the monitor shows it, it has shown everything before.
  absl::StatusOr<std::unique_ptr<testenv::Process>> marker = testenv::Process::Start(
      {.binary = "/usr/bin/redis-cli",
       .args = {"-p", absl::StrCat(stack_->redis().port()), "ECHO", "monitor-marker-4e1"},
       .name = "redis-marker"});
  ASSERT_TRUE(marker.ok()) << marker.status();
  ASSERT_TRUE((*marker)->Wait(absl::Seconds(10)).ok());
  std::string seen;
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(10), [&] {
    std::ifstream file((*monitor)->stdout_path());
    std::stringstream contents;
    contents << file.rdbuf();
    seen = contents.str();
    return seen.find("monitor-marker-4e1") != std::string::npos;
  }));
  EXPECT_EQ(seen.find("inj3ct"), std::string::npos) << "a refused SKU reached Redis:\n"
                                                    << seen.substr(0, 4000);
  EXPECT_EQ(seen.find("FLUSHALL"), std::string::npos);
  EXPECT_EQ(client_->GetStock("inj-A")->available(), 3);
}

TEST_F(BadInputTest, StockAndQuantityLimitsHoldExactlyAtTheEdge) {
  constexpr int32_t kQuantityMax = INT32_MAX;
  // Stock up to 2^53 is exact; one more is refused and changes nothing.
  absl::StatusOr<orderplatform::v1::StockLevel> set = client_->SetStock("lim-A", kTwoPow53);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->available(), kTwoPow53);
  invariants_.stock_set["lim-A"] = kTwoPow53;
  EXPECT_EQ(client_->SetStock("lim-A", kTwoPow53 + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->SetStock("lim-A", -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->GetStock("lim-A")->available(), kTwoPow53);

  // The largest quantity against the largest stock sells exactly that many.
  EXPECT_EQ(PlaceAndAwait({.request_id = "lim-1", .lines = {{"lim-A", kQuantityMax}}}).status(),
            CONFIRMED);
  absl::StatusOr<orderplatform::v1::StockLevel> level = client_->GetStock("lim-A");
  ASSERT_TRUE(level.ok()) << level.status();
  EXPECT_EQ(level->available(), kTwoPow53 - kQuantityMax);
  EXPECT_EQ(level->reserved(), 0);
  EXPECT_EQ(level->sold(), kQuantityMax);

  // Two lines of one SKU are reserved as one line, whose quantity is an int32 too: a sum beyond
  // it is refused (it used to be clamped, selling less than the order confirmed).
  EXPECT_EQ(
      client_->Place({.request_id = "lim-2", .lines = {{"lim-A", kQuantityMax}, {"lim-A", 1}}})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->GetStock("lim-A")->sold(), kQuantityMax);

  // One unit short of the largest quantity: out of stock, nothing moves.
  SetStock("lim-B", kQuantityMax - 1);
  Order short_one = PlaceAndAwait({.request_id = "lim-3", .lines = {{"lim-B", kQuantityMax}}});
  EXPECT_EQ(short_one.status(), CANCELLED);
  EXPECT_EQ(short_one.cancel_reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(client_->GetStock("lim-B")->available(), kQuantityMax - 1);

  // The largest amount is paid and kept as is.
  Order rich =
      PlaceAndAwait({.request_id = "lim-4", .lines = {{"lim-B", 1}}, .amount_cents = INT64_MAX});
  EXPECT_EQ(rich.status(), CONFIRMED);
  EXPECT_EQ(rich.amount_cents(), INT64_MAX);
  absl::StatusOr<orderplatform::v1::Payment> payment = client_->GetPayment(rich.order_id());
  ASSERT_TRUE(payment.ok()) << payment.status();
  EXPECT_EQ(payment->amount_cents(), INT64_MAX);
}

}  // namespace
}  // namespace orderplatform::integration
