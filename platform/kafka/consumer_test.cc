#include "platform/kafka/consumer.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/kafka/dead_letter.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::kafka {
namespace {

using testing::CommittedOffsets;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using testing::MockCluster;
using ::testing::Not;
using testing::ReadTopic;
using ::testing::SizeIs;

using Events = absl::StatusOr<std::vector<OutgoingMessage>>;
using Decide = std::function<Events(absl::Span<const ConsumedMessage> batch, int call)>;

// Polls `done` every 20 ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// Records every call; `decide` says what each call returns (default: success, no events).
class RecordingHandler : public BatchHandler {
 public:
  struct Call {
    std::vector<ConsumedMessage> batch;
    absl::Time at;
    bool ok;
  };

  explicit RecordingHandler(Decide decide = nullptr) : decide_(std::move(decide)) {}

  Events Handle(absl::Span<const ConsumedMessage> batch) override {
    int index;
    {
      absl::MutexLock lock(&mu_);
      index = static_cast<int>(calls_.size());
      calls_.push_back({{batch.begin(), batch.end()}, absl::Now(), false});
    }
    Events result = decide_ ? decide_(batch, index) : Events(std::vector<OutgoingMessage>{});
    absl::MutexLock lock(&mu_);
    calls_[index].ok = result.ok();
    return result;
  }

  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  // Messages of the calls that returned OK, in call order.
  std::vector<ConsumedMessage> handled() {
    absl::MutexLock lock(&mu_);
    std::vector<ConsumedMessage> out;
    for (const Call& c : calls_) {
      if (c.ok) out.insert(out.end(), c.batch.begin(), c.batch.end());
    }
    return out;
  }

 private:
  const Decide decide_;
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

std::vector<int64_t> Offsets(const std::vector<ConsumedMessage>& messages) {
  std::vector<int64_t> out;
  for (const ConsumedMessage& m : messages) out.push_back(m.offset);
  return out;
}

bool Contains(const std::vector<ConsumedMessage>& batch, int64_t offset) {
  return std::any_of(batch.begin(), batch.end(),
                     [offset](const ConsumedMessage& m) { return m.offset == offset; });
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartCluster(3); }

  void StartCluster(int brokers) {
    producer_.reset();
    auto cluster = MockCluster::Start(brokers);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    auto producer = Producer::Create(kafka());
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }

  // Reconnects are capped at 1 s so that a test that takes a broker down and up again does not
  // wait for librdkafka's 10 s reconnect backoff.
  KafkaOptions kafka() const {
    return {.brokers = cluster_->bootstrap(),
            .client_id = "test",
            .extra_config = {{"reconnect.backoff.max.ms", "1000"}}};
  }

  ConsumerOptions Options(const std::string& group, std::vector<std::string> topics) const {
    return {.kafka = kafka(), .group_id = group, .topics = std::move(topics)};
  }

  std::unique_ptr<BatchConsumer> Start(ConsumerOptions options, BatchHandler* handler) {
    auto consumer = BatchConsumer::Create(std::move(options), handler, producer_.get());
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return nullptr;
    (*consumer)->RunInThread();
    return *std::move(consumer);
  }

  // Produces `count` messages numbered from `first`: key "order-<i % keys>", value "v-<i>",
  // header seq=<i>.
  void Produce(const std::string& topic, int first, int count, int keys = 1) {
    std::vector<OutgoingMessage> messages;
    for (int i = first; i < first + count; ++i) {
      messages.push_back({.topic = topic,
                          .key = absl::StrCat("order-", i % keys),
                          .value = absl::StrCat("v-", i),
                          .headers = {{"seq", absl::StrCat(i)}}});
    }
    ASSERT_TRUE(producer_->ProduceAndWait(messages, absl::Seconds(10)).ok());
  }

  std::vector<int64_t> Committed(const std::string& group, const std::string& topic) {
    auto offsets = CommittedOffsets(cluster_->bootstrap(), group, topic, absl::Seconds(5));
    EXPECT_TRUE(offsets.ok()) << offsets.status();
    return offsets.ok() ? *offsets : std::vector<int64_t>{};
  }

  std::unique_ptr<MockCluster> cluster_;
  std::unique_ptr<Producer> producer_;
};

TEST_F(ConsumerTest, CreateRefusesMissingPiecesAndSettingsThatBreakTheGuarantees) {
  RecordingHandler handler;
  EXPECT_EQ(BatchConsumer::Create(Options("", {"t"}), &handler, producer_.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BatchConsumer::Create(Options("g", {}), &handler, producer_.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BatchConsumer::Create(Options("g", {"t"}), nullptr, producer_.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  ConsumerOptions auto_store = Options("g", {"t"});
  auto_store.kafka.extra_config.push_back({"enable.auto.offset.store", "true"});
  EXPECT_EQ(BatchConsumer::Create(auto_store, &handler, producer_.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ConsumerTest, RoundTripThroughAGroupKeepsKeysValuesHeadersAndPartitionOrder) {
  ASSERT_TRUE(cluster_->CreateTopic("orders.v1", 3).ok());
  Produce("orders.v1", 0, 30, /*keys=*/5);
  RecordingHandler handler;
  auto consumer = Start(Options("orderplatform.test", {"orders.v1"}), &handler);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return handler.handled().size() >= 30; }, absl::Seconds(20)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());

  std::vector<ConsumedMessage> seen = handler.handled();
  ASSERT_THAT(seen, SizeIs(30));
  std::set<int> seqs;
  std::map<int32_t, int64_t> last_offset;
  std::map<std::string, int> last_seq_of_key;
  for (const ConsumedMessage& m : seen) {
    EXPECT_EQ(m.topic, "orders.v1");
    ASSERT_THAT(m.headers, SizeIs(1));
    ASSERT_EQ(m.headers[0].key, "seq");
    const int seq = std::stoi(m.headers[0].value);
    seqs.insert(seq);
    EXPECT_EQ(m.value, absl::StrCat("v-", seq));
    EXPECT_EQ(m.key, absl::StrCat("order-", seq % 5));
    auto [it, first] = last_offset.emplace(m.partition, m.offset);
    if (!first) {
      EXPECT_EQ(m.offset, it->second + 1) << "partition " << m.partition;
      it->second = m.offset;
    }
    if (last_seq_of_key.count(m.key) > 0) {
      EXPECT_GT(seq, last_seq_of_key[m.key]);
    }
    last_seq_of_key[m.key] = seq;
  }
  EXPECT_THAT(seqs, SizeIs(30));
}

TEST_F(ConsumerTest, FailedBatchIsRedeliveredAfterGrowingBackoffAndNothingIsSkipped) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 1).ok());
  Produce("t", 0, 10);
  int failures_left = 3;  // only touched on the consumer's thread
  RecordingHandler handler([&](absl::Span<const ConsumedMessage> batch, int) -> Events {
    for (const ConsumedMessage& m : batch) {
      if (m.offset == 5 && failures_left > 0) {
        --failures_left;
        return absl::UnavailableError("redis is down");
      }
    }
    return std::vector<OutgoingMessage>{};
  });
  auto consumer = Start(Options("g.redeliver", {"t"}), &handler);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return Committed("g.redeliver", "t") == std::vector<int64_t>{10}; },
                        absl::Seconds(20)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());

  // Every message was handled successfully exactly once, in order: retried, never skipped.
  EXPECT_THAT(Offsets(handler.handled()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  std::vector<absl::Time> attempts_at;
  for (const RecordingHandler::Call& call : handler.calls()) {
    if (Contains(call.batch, 5)) attempts_at.push_back(call.at);
  }
  ASSERT_THAT(attempts_at, SizeIs(4));  // three failures, then the success
  // 100 ms, 200 ms, 400 ms (with slack for timer granularity): backoff, not a hot loop.
  EXPECT_GE(attempts_at[1] - attempts_at[0], absl::Milliseconds(90));
  EXPECT_GE(attempts_at[2] - attempts_at[1], absl::Milliseconds(180));
  EXPECT_GE(attempts_at[3] - attempts_at[2], absl::Milliseconds(360));
}

TEST_F(ConsumerTest, NewConsumerInTheGroupGetsUnackedMessagesButNotCommittedOnes) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 1).ok());
  const std::string group = "g.restart";
  Produce("t", 0, 5);
  RecordingHandler first([](absl::Span<const ConsumedMessage> batch, int) -> Events {
    if (Contains({batch.begin(), batch.end()}, 5)) return absl::UnavailableError("redis down");
    return std::vector<OutgoingMessage>{};
  });
  auto consumer = Start(Options(group, {"t"}), &first);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return Committed(group, "t") == std::vector<int64_t>{5}; },
                        absl::Seconds(20)));
  Produce("t", 5, 5);
  auto failed_on_5 = [&] {
    int failures = 0;
    for (const auto& call : first.calls()) failures += !call.ok && Contains(call.batch, 5);
    return failures >= 2;
  };
  ASSERT_TRUE(WaitUntil(failed_on_5, absl::Seconds(10)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());
  consumer.reset();
  EXPECT_EQ(Committed(group, "t"), std::vector<int64_t>{5});

  RecordingHandler second;
  auto restarted = Start(Options(group, {"t"}), &second);
  ASSERT_NE(restarted, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return Committed(group, "t") == std::vector<int64_t>{10}; },
                        absl::Seconds(30)));
  restarted->Stop();
  ASSERT_TRUE(restarted->Join().ok());
  // The un-acked messages came again; the committed ones did not.
  EXPECT_THAT(Offsets(second.handled()), ElementsAre(5, 6, 7, 8, 9));
  for (const auto& call : second.calls()) EXPECT_FALSE(Contains(call.batch, 4));
}

TEST_F(ConsumerTest, OffsetsAreStoredOnlyAfterTheHandlersEventsAreAcknowledged) {
  // Broker 1 leads the input and coordinates the group; broker 2 leads the output topic and
  // goes down, so the handler's events cannot be acknowledged while consuming still works.
  StartCluster(2);
  ASSERT_TRUE(cluster_->CreateTopic("in", 1).ok());
  ASSERT_TRUE(cluster_->CreateTopic("out", 1).ok());
  ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster_->mock(), "in", 0, 1), 0);
  ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster_->mock(), "out", 0, 2), 0);
  const std::string group = "g.acks";
  ASSERT_EQ(rd_kafka_mock_coordinator_set(cluster_->mock(), "group", group.c_str(), 1), 0);
  Produce("in", 0, 3);
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_->mock(), 2), 0);

  RecordingHandler handler([](absl::Span<const ConsumedMessage> batch, int) -> Events {
    std::vector<OutgoingMessage> out;
    for (const ConsumedMessage& m : batch) {
      out.push_back({.topic = "out", .key = m.key, .value = "echo-" + m.value});
    }
    return out;
  });
  ConsumerOptions options = Options(group, {"in"});
  options.produce_timeout = absl::Milliseconds(500);
  options.retry_backoff_max = absl::Milliseconds(400);  // recovers quickly once broker 2 is back
  auto consumer = Start(options, &handler);
  ASSERT_NE(consumer, nullptr);

  ASSERT_TRUE(WaitUntil([&] { return handler.calls().size() >= 3; }, absl::Seconds(20)));
  // Auto-commit runs every second; give it two chances to publish anything that was stored.
  absl::SleepFor(absl::Milliseconds(2200));
  EXPECT_EQ(Committed(group, "in"), std::vector<int64_t>{-1});

  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_->mock(), 2), 0);
  ASSERT_TRUE(WaitUntil([&] { return Committed(group, "in") == std::vector<int64_t>{3}; },
                        absl::Seconds(20)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());
  auto out = ReadTopic(cluster_->bootstrap(), "out", absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  std::set<std::string> echoed;
  for (const ConsumedMessage& m : *out) echoed.insert(m.value);
  EXPECT_THAT(echoed, ElementsAre("echo-v-0", "echo-v-1", "echo-v-2"));
}

TEST_F(ConsumerTest, GarbageGoesToTheDeadLetterTopicAndTheConsumerMovesOn) {
  using ::orderplatform::v1::OrderEvent;
  ASSERT_TRUE(cluster_->CreateTopic("orders.v1", 2).ok());
  ASSERT_TRUE(cluster_->CreateTopic("orders.v1.dlq", 1).ok());
  auto event = [](const std::string& id) {
    OrderEvent e;
    e.mutable_envelope()->set_order_id(id);
    return e.SerializeAsString();
  };
  const std::string garbage("not a protobuf \xff\x00\xff", 18);
  // One key, so all three share a partition and the garbage sits between two good events.
  ASSERT_TRUE(producer_
                  ->ProduceAndWait({{.topic = "orders.v1", .key = "o-1", .value = event("a")},
                                    {.topic = "orders.v1",
                                     .key = "o-1",
                                     .value = garbage,
                                     .headers = {{"trace", "t-9"}}},
                                    {.topic = "orders.v1", .key = "o-1", .value = event("b")}},
                                   absl::Seconds(10))
                  .ok());

  absl::Mutex mu;
  std::vector<std::string> applied;
  RecordingHandler handler([&](absl::Span<const ConsumedMessage> batch, int) -> Events {
    ParsedBatch<OrderEvent> parsed = ParseBatchOrDeadLetter<OrderEvent>(batch);
    absl::MutexLock lock(&mu);
    for (const auto& e : parsed.events) applied.push_back(e.event.envelope().order_id());
    return std::move(parsed.dead_letters);
  });
  const std::string group = "g.dlq";
  auto consumer = Start(Options(group, {"orders.v1"}), &handler);
  ASSERT_NE(consumer, nullptr);
  auto all_committed = [&] {
    std::vector<int64_t> c = Committed(group, "orders.v1");
    return c.size() == 2 && std::max(c[0], int64_t{0}) + std::max(c[1], int64_t{0}) == 3;
  };
  ASSERT_TRUE(WaitUntil(all_committed, absl::Seconds(20)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(applied, ElementsAre("a", "b"));
  }

  auto dlq = ReadTopic(cluster_->bootstrap(), "orders.v1.dlq", absl::Seconds(10));
  ASSERT_TRUE(dlq.ok()) << dlq.status();
  ASSERT_THAT(*dlq, SizeIs(1));
  const ConsumedMessage& dead = (*dlq)[0];
  EXPECT_EQ(dead.key, "o-1");
  EXPECT_EQ(dead.value, garbage);
  std::map<std::string, std::string> headers;
  for (const Header& h : dead.headers) headers[h.key] = h.value;
  ConsumedMessage source;
  for (const ConsumedMessage& m : handler.handled()) {
    if (m.value == garbage) source = m;
  }
  EXPECT_EQ(headers["trace"], "t-9");
  EXPECT_THAT(headers["dlq.error"], Not(IsEmpty()));
  EXPECT_EQ(headers["dlq.error"].find('\n'), std::string::npos);
  EXPECT_EQ(headers["dlq.source.topic"], "orders.v1");
  EXPECT_EQ(headers["dlq.source.partition"], absl::StrCat(source.partition));
  EXPECT_EQ(headers["dlq.source.offset"], "1");
}

TEST_F(ConsumerTest, ABatchStopsGrowingAtItsByteBound) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 1).ok());
  constexpr size_t kValueBytes = 300 * 1024;
  std::vector<OutgoingMessage> large;
  for (int i = 0; i < 12; ++i) {
    large.push_back({.topic = "t", .key = "k", .value = std::string(kValueBytes, 'a' + i)});
  }
  ASSERT_TRUE(producer_->ProduceAndWait(large, absl::Seconds(20)).ok());
  RecordingHandler handler;
  ConsumerOptions options = Options("g.bytes", {"t"});
  options.batch_bytes_max = size_t{1} << 20;
  auto consumer = Start(options, &handler);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return handler.handled().size() >= 12; }, absl::Seconds(20)));
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());

  EXPECT_THAT(Offsets(handler.handled()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
  for (const RecordingHandler::Call& call : handler.calls()) {
    // The message that crossed the bound ends the batch: at most 4 of 300 KiB under 1 MiB.
    EXPECT_LE(call.batch.size(), 4u);
    size_t before_last = 0;
    for (size_t i = 0; i + 1 < call.batch.size(); ++i) {
      before_last += call.batch[i].value.size() + call.batch[i].key.size();
    }
    EXPECT_LT(before_last, options.batch_bytes_max);
  }
}

TEST_F(ConsumerTest, StopFinishesTheBatchInHandCommitsItAndReturnsPromptly) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 2).ok());
  Produce("t", 0, 20, /*keys=*/4);
  absl::Notification entered, release;
  RecordingHandler handler([&](absl::Span<const ConsumedMessage>, int call) -> Events {
    if (call == 0) {
      entered.Notify();
      release.WaitForNotification();
    }
    return std::vector<OutgoingMessage>{};
  });
  ConsumerOptions options = Options("g.stop", {"t"});
  // Only the shutdown path can make offsets visible within this test.
  options.kafka.extra_config.push_back({"auto.commit.interval.ms", "600000"});
  auto consumer = Start(options, &handler);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(20)));

  const absl::Time stop_at = absl::Now();
  consumer->Stop();
  release.Notify();
  ASSERT_TRUE(consumer->Join().ok());
  EXPECT_LT(absl::Now() - stop_at, absl::Seconds(3));

  std::vector<RecordingHandler::Call> calls = handler.calls();
  ASSERT_THAT(calls, SizeIs(1));  // finished the batch in hand, started no other
  std::vector<int64_t> expected = {-1, -1};
  for (const ConsumedMessage& m : calls[0].batch) {
    expected[m.partition] = std::max(expected[m.partition], m.offset + 1);
  }
  EXPECT_EQ(Committed("g.stop", "t"), expected);
}

TEST_F(ConsumerTest, ASecondConsumerTakesHalfThePartitionsAndTogetherTheySeeEveryMessageOnce) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 4).ok());
  const std::string group = "g.split";
  auto committed_total = [&] {
    int64_t total = 0;
    for (int64_t offset : Committed(group, "t")) total += std::max(offset, int64_t{0});
    return total;
  };
  RecordingHandler a, b;
  auto consumer_a = Start(Options(group, {"t"}), &a);
  ASSERT_NE(consumer_a, nullptr);
  Produce("t", 0, 100, /*keys=*/40);
  // Committed, not just handled: librdkafka's mock broker refuses commits while the group
  // rebalances (a real broker accepts them), so only offsets committed before B joins are safe
  // from a replay.
  ASSERT_TRUE(WaitUntil([&] { return committed_total() == 100; }, absl::Seconds(20)));
  EXPECT_THAT(consumer_a->assignment(), SizeIs(4));

  auto consumer_b = Start(Options(group, {"t"}), &b);
  ASSERT_NE(consumer_b, nullptr);
  ASSERT_TRUE(WaitUntil(
      [&] { return consumer_a->assignment().size() == 2 && consumer_b->assignment().size() == 2; },
      absl::Seconds(30)));
  std::vector<TopicPartition> owned_by_b = consumer_b->assignment();
  Produce("t", 100, 100, /*keys=*/40);
  ASSERT_TRUE(
      WaitUntil([&] { return a.handled().size() + b.handled().size() >= 200; }, absl::Seconds(20)));
  consumer_a->Stop();
  consumer_b->Stop();
  ASSERT_TRUE(consumer_a->Join().ok());
  ASSERT_TRUE(consumer_b->Join().ok());

  std::multiset<std::pair<int32_t, int64_t>> seen;
  for (const ConsumedMessage& m : a.handled()) seen.insert({m.partition, m.offset});
  std::set<int32_t> partitions_b;
  for (const ConsumedMessage& m : b.handled()) {
    seen.insert({m.partition, m.offset});
    partitions_b.insert(m.partition);
    EXPECT_GE(std::stoi(m.headers.at(0).value), 100) << "B replayed a committed message";
    EXPECT_NE(std::find(owned_by_b.begin(), owned_by_b.end(), TopicPartition{"t", m.partition}),
              owned_by_b.end());
  }
  EXPECT_THAT(partitions_b, SizeIs(2));
  EXPECT_THAT(seen, SizeIs(200));
  std::set<std::pair<int32_t, int64_t>> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a message was handled twice";
}

// The consumer's own metrics: lag grows while a batch keeps failing and returns to 0 once it
// succeeds; failed batches and acknowledged dead letters are counted.
TEST_F(ConsumerTest, MetricsShowLagFailuresAndDeadLetters) {
  ASSERT_TRUE(cluster_->CreateTopic("t", 1).ok());
  ASSERT_TRUE(cluster_->CreateTopic("t.dlq", 1).ok());
  metrics::Registry registry;
  std::atomic<bool> redis_down{true};
  RecordingHandler handler([&](absl::Span<const ConsumedMessage> batch, int) -> Events {
    std::vector<OutgoingMessage> out;
    for (const ConsumedMessage& m : batch) {
      if (m.offset == 5 && redis_down.load()) return absl::UnavailableError("redis is down");
      if (m.offset == 2) out.push_back(MakeDeadLetter(m, "garbage"));
    }
    return out;
  });
  ConsumerOptions options = Options("g.metrics", {"t"});
  options.metrics = &registry;
  options.kafka.extra_config.push_back({"statistics.interval.ms", "100"});
  auto consumer = Start(std::move(options), &handler);
  ASSERT_NE(consumer, nullptr);

  auto value = [&registry](absl::string_view name, const std::vector<std::string>& labels) {
    for (const metrics::FamilySnapshot& family : registry.Collect()) {
      if (family.name != name) continue;
      for (const metrics::Sample& sample : family.samples) {
        if (sample.label_values == labels) return sample.value;
      }
    }
    return -1.0;  // no such series (yet)
  };
  // The series alerts watch exist from the start, at 0.
  EXPECT_EQ(value("orderplatform_dlq_messages_total", {"t.dlq"}), 0);
  EXPECT_EQ(value("orderplatform_kafka_consumer_batch_failures_total", {"produce"}), 0);
  // First a healthy stretch, so the group has committed offset 5 ...
  Produce("t", 0, 5);
  ASSERT_TRUE(WaitUntil([&] { return Committed("g.metrics", "t") == std::vector<int64_t>{5}; },
                        absl::Seconds(20)));
  EXPECT_EQ(value("orderplatform_dlq_messages_total", {"t.dlq"}), 1);
  EXPECT_EQ(value("orderplatform_kafka_consumer_assigned_partitions", {"g.metrics"}), 1);
  // ... then offset 5 cannot be handled: the five new messages stay behind.
  Produce("t", 5, 5);
  EXPECT_TRUE(WaitUntil(
      [&] { return value("orderplatform_kafka_consumer_batch_failures_total", {"handler"}) >= 2; },
      absl::Seconds(20)));
  auto lag = [&value] {
    return value("orderplatform_kafka_consumer_lag_messages", {"g.metrics", "t", "0"});
  };
  EXPECT_TRUE(WaitUntil([&] { return lag() == 5; }, absl::Seconds(20)));

  redis_down = false;
  EXPECT_TRUE(WaitUntil([&] { return lag() == 0; }, absl::Seconds(20)));
  EXPECT_EQ(value("orderplatform_dlq_messages_total", {"t.dlq"}), 1);  // no double count
  EXPECT_EQ(value("orderplatform_kafka_consumer_batch_failures_total", {"produce"}), 0);
  consumer->Stop();
  ASSERT_TRUE(consumer->Join().ok());
}

}  // namespace
}  // namespace orderplatform::kafka
