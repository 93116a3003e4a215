// The handler driven directly with consumed messages, against a real redis-server (no Kafka):
// what it returns is exactly what the consumer would produce before committing.
#include "services/payment/payment_event_handler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"
#include "platform/events/envelope.h"
#include "platform/events/topics.h"
#include "platform/tracing/trace_headers.h"
#include "platform/tracing/traceparent.h"
#include "platform/kafka/dead_letter.h"

namespace orderplatform::payment {
namespace {

using kafka::ConsumedMessage;
using kafka::OutgoingMessage;
using orderplatform::v1::InventoryEvent;
using orderplatform::v1::PaymentBehavior;
using orderplatform::v1::PaymentEvent;

ConsumedMessage Message(const InventoryEvent& event, int64_t offset = 0) {
  return ConsumedMessage{.topic = events::kInventoryTopic,
                         .partition = 0,
                         .offset = offset,
                         .key = event.envelope().order_id(),
                         .value = event.SerializeAsString()};
}

InventoryEvent Reserved(const std::string& order_id, const std::string& customer_id = "c-1",
                        int64_t amount_cents = 2500) {
  InventoryEvent event;
  *event.mutable_envelope() = events::MakeEnvelope({.order_id = order_id,
                                                    .event_type = "StockReserved",
                                                    .correlation_id = "req-" + order_id,
                                                    .causation_id = order_id + "/OrderPlaced",
                                                    .producer = "inventory",
                                                    .occurred_at_ms = 100});
  auto* reserved = event.mutable_stock_reserved();
  reserved->set_customer_id(customer_id);
  reserved->set_amount_cents(amount_cents);
  reserved->set_currency("EUR");
  reserved->set_expires_at_ms(900100);
  auto* line = reserved->add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(2);
  return event;
}

InventoryEvent Released(const std::string& order_id, orderplatform::v1::CancelReason reason =
                                                         orderplatform::v1::CUSTOMER_REQUEST) {
  InventoryEvent event;
  *event.mutable_envelope() =
      events::MakeEnvelope({.order_id = order_id,
                            .event_type = "StockReleased",
                            .correlation_id = "req-" + order_id,
                            .causation_id = order_id + "/OrderCancellationRequested",
                            .producer = "inventory",
                            .occurred_at_ms = 200});
  event.mutable_stock_released()->set_reason(reason);
  return event;
}

PaymentEvent Parse(const OutgoingMessage& message) {
  PaymentEvent event;
  EXPECT_TRUE(event.ParseFromString(message.value));
  return event;
}

std::string Header(const OutgoingMessage& message, const std::string& key) {
  for (const kafka::Header& header : message.headers) {
    if (header.key == key) return header.value;
  }
  return "<missing>";
}

class PaymentEventHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ledger_ = std::make_unique<PaymentLedger>(client_.get(), PaymentKeys(),
                                              LedgerOptions{.retention = absl::Hours(1)});
    behaviors_ = std::make_unique<BehaviorStore>(client_.get(), PaymentKeys());
    handler_ = std::make_unique<PaymentEventHandler>(
        ledger_.get(), behaviors_.get(),
        PaymentHandlerOptions{.now_ms = [this] { return now_ms_; },
                              .sleep = [this](absl::Duration d) { sleeps_.push_back(d); },
                              .metrics = &registry_});
  }

  // A counter series' value; 0 when it does not exist (yet).
  double Metric(absl::string_view name, const std::vector<std::string>& labels = {}) {
    for (const metrics::FamilySnapshot& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const metrics::Sample& sample : family.samples) {
        if (sample.label_values == labels) return sample.value;
      }
    }
    return 0;
  }

  absl::StatusOr<std::vector<OutgoingMessage>> Handle(const std::vector<ConsumedMessage>& batch) {
    return handler_->Handle(absl::MakeConstSpan(batch));
  }

  // Handles `batch` and expects success.
  std::vector<OutgoingMessage> HandleOk(const std::vector<ConsumedMessage>& batch) {
    auto out = Handle(batch);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *std::move(out) : std::vector<OutgoingMessage>{};
  }

  void SetBehavior(const PaymentBehavior& behavior) {
    ASSERT_TRUE(behaviors_->Store(behavior).ok());
  }

  std::optional<LedgerEntry> Ledger(const std::string& order_id) {
    auto entry = ledger_->Get(order_id);
    EXPECT_TRUE(entry.ok()) << entry.status();
    return entry.ok() ? *entry : std::nullopt;
  }

  int64_t now_ms_ = 1'000'000;
  std::vector<absl::Duration> sleeps_;
  metrics::Registry registry_;
  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<PaymentLedger> ledger_;
  std::unique_ptr<BehaviorStore> behaviors_;
  std::unique_ptr<PaymentEventHandler> handler_;
};

TEST_F(PaymentEventHandlerTest, StockReservedIsAuthorized) {
  const InventoryEvent cause = Reserved("o-1");
  std::vector<OutgoingMessage> out = HandleOk({Message(cause)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "payments.v1");
  EXPECT_EQ(out[0].key, "o-1");
  const PaymentEvent event = Parse(out[0]);
  ASSERT_TRUE(event.has_payment_authorized());
  EXPECT_EQ(event.payment_authorized().amount_cents(), 2500);
  EXPECT_EQ(event.payment_authorized().currency(), "EUR");
  EXPECT_EQ(event.envelope().event_id(), "o-1/PaymentAuthorized");
  EXPECT_EQ(event.envelope().correlation_id(), "req-o-1");
  EXPECT_EQ(event.envelope().causation_id(), cause.envelope().event_id());
  EXPECT_EQ(event.envelope().producer(), "payment");
  EXPECT_EQ(event.envelope().occurred_at_ms(), now_ms_);

  std::optional<LedgerEntry> entry = Ledger("o-1");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->state, orderplatform::v1::AUTHORIZED);
  EXPECT_EQ(entry->amount_cents, 2500);
  EXPECT_EQ(handler_->stats().authorized, 1);
}

TEST_F(PaymentEventHandlerTest, TheAnswerContinuesTheTraceOfTheConsumedRecord) {
  constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ConsumedMessage reserved = Message(Reserved("o-t"));
  reserved.headers = {{"traceparent", kTrace}};
  std::vector<OutgoingMessage> out = HandleOk({reserved});
  ASSERT_EQ(out.size(), 1u);
  const std::string header(tracing::TraceparentHeader(out[0].headers));
  EXPECT_EQ(tracing::TraceIdOf(header), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Parse(out[0]).envelope().traceparent(), header);
  // Answered again from the ledger: the identical record.
  std::vector<OutgoingMessage> again = HandleOk({reserved});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].value, out[0].value);
  EXPECT_EQ(tracing::TraceparentHeader(again[0].headers), header);
}

TEST_F(PaymentEventHandlerTest, ReplayEmitsTheSameEventAndLeavesTheLedgerUnchanged) {
  std::vector<OutgoingMessage> first = HandleOk({Message(Reserved("o-1"))});
  std::optional<LedgerEntry> before = Ledger("o-1");
  now_ms_ += 60'000;
  std::vector<OutgoingMessage> replay = HandleOk({Message(Reserved("o-1"))});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_EQ(Parse(replay[0]).envelope().event_id(), "o-1/PaymentAuthorized");
  EXPECT_EQ(replay[0].value, first[0].value);  // a byte-identical duplicate
  EXPECT_EQ(Ledger("o-1"), before);
  EXPECT_EQ(handler_->stats().authorized, 1);
  EXPECT_EQ(handler_->stats().reannounced, 1);
}

TEST_F(PaymentEventHandlerTest, ReplayAfterABehaviorChangeKeepsTheFirstDecision) {
  HandleOk({Message(Reserved("o-1"))});
  PaymentBehavior decline_all;
  decline_all.set_decline_rate(1.0);
  SetBehavior(decline_all);
  std::vector<OutgoingMessage> replay = HandleOk({Message(Reserved("o-1"))});
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_TRUE(Parse(replay[0]).has_payment_authorized());
  // A new order is decided with the new behavior.
  std::vector<OutgoingMessage> fresh = HandleOk({Message(Reserved("o-2"))});
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(Parse(fresh[0]).payment_declined().reason(), "decline_rate");
}

TEST_F(PaymentEventHandlerTest, StockReleasedAfterAuthorizationRefunds) {
  HandleOk({Message(Reserved("o-1"))});
  now_ms_ += 5'000;
  const InventoryEvent cause = Released("o-1");
  std::vector<OutgoingMessage> out = HandleOk({Message(cause)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "payments.v1");
  EXPECT_EQ(out[0].key, "o-1");
  const PaymentEvent event = Parse(out[0]);
  ASSERT_TRUE(event.has_payment_refunded());
  EXPECT_EQ(event.payment_refunded().amount_cents(), 2500);
  EXPECT_EQ(event.envelope().event_id(), "o-1/PaymentRefunded");
  EXPECT_EQ(event.envelope().causation_id(), cause.envelope().event_id());
  EXPECT_EQ(event.envelope().occurred_at_ms(), now_ms_);
  std::optional<LedgerEntry> entry = Ledger("o-1");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->state, orderplatform::v1::REFUNDED);

  // Released again (a replay, or a crash before the produce): the same refund, announced again.
  now_ms_ += 5'000;
  std::vector<OutgoingMessage> again = HandleOk({Message(cause)});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].value, out[0].value);
  EXPECT_EQ(handler_->stats().refunded, 1);
  EXPECT_EQ(handler_->stats().refund_reannounced, 1);

  // And StockReserved replayed after all that still answers with the original authorization.
  std::vector<OutgoingMessage> reserved_again = HandleOk({Message(Reserved("o-1"))});
  ASSERT_EQ(reserved_again.size(), 1u);
  EXPECT_TRUE(Parse(reserved_again[0]).has_payment_authorized());
  EXPECT_EQ(Ledger("o-1")->state, orderplatform::v1::REFUNDED);
}

TEST_F(PaymentEventHandlerTest, ReservedAndReleasedInOneBatchAreHandledInOrder) {
  std::vector<OutgoingMessage> out =
      HandleOk({Message(Reserved("o-1"), 0), Message(Released("o-1"), 1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(Parse(out[0]).has_payment_authorized());
  EXPECT_TRUE(Parse(out[1]).has_payment_refunded());
  EXPECT_EQ(Ledger("o-1")->state, orderplatform::v1::REFUNDED);
}

TEST_F(PaymentEventHandlerTest, StockReleasedWithoutAnAuthorizationEmitsNothing) {
  PaymentBehavior behavior;
  behavior.add_decline_customers("c-bad");
  SetBehavior(behavior);
  HandleOk({Message(Reserved("declined", "c-bad"))});
  for (auto reason :
       {orderplatform::v1::PAYMENT_DECLINED, orderplatform::v1::RESERVATION_EXPIRED}) {
    EXPECT_TRUE(HandleOk({Message(Released("declined", reason))}).empty());
    EXPECT_TRUE(HandleOk({Message(Released("never-reserved", reason))}).empty());
  }
  EXPECT_EQ(Ledger("declined")->state, orderplatform::v1::DECLINED);
  EXPECT_FALSE(Ledger("never-reserved").has_value());
  EXPECT_EQ(handler_->stats().nothing_to_refund, 4);
}

TEST_F(PaymentEventHandlerTest, DeclinedCustomerIsDeclined) {
  PaymentBehavior behavior;
  behavior.add_decline_customers("c-bad");
  SetBehavior(behavior);
  std::vector<OutgoingMessage> out =
      HandleOk({Message(Reserved("o-1", "c-bad"), 0), Message(Reserved("o-2", "c-good"), 1)});
  ASSERT_EQ(out.size(), 2u);
  const PaymentEvent declined = Parse(out[0]);
  ASSERT_TRUE(declined.has_payment_declined());
  EXPECT_EQ(declined.payment_declined().reason(), "declined_customer");
  EXPECT_EQ(declined.envelope().event_id(), "o-1/PaymentDeclined");
  EXPECT_TRUE(Parse(out[1]).has_payment_authorized());
  std::optional<LedgerEntry> entry = Ledger("o-1");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->state, orderplatform::v1::DECLINED);
  EXPECT_EQ(entry->decline_reason, "declined_customer");
}

TEST_F(PaymentEventHandlerTest, MaxAmountDeclinesLargeOrders) {
  PaymentBehavior behavior;
  behavior.set_max_amount_cents(1000);
  SetBehavior(behavior);
  std::vector<OutgoingMessage> out = HandleOk({Message(Reserved("o-1", "c-1", 1001))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Parse(out[0]).payment_declined().reason(), "max_amount");
}

TEST_F(PaymentEventHandlerTest, NoAnswerEmitsNothingAndIsRecordedAsNoAnswer) {
  PaymentBehavior behavior;
  behavior.set_no_answer_rate(1.0);
  behavior.set_latency_ms(500);
  SetBehavior(behavior);
  EXPECT_TRUE(HandleOk({Message(Reserved("o-1"), 0), Message(Reserved("o-2"), 1)}).empty());
  for (const std::string order_id : {"o-1", "o-2"}) {
    std::optional<LedgerEntry> entry = Ledger(order_id);
    ASSERT_TRUE(entry.has_value()) << order_id;
    EXPECT_TRUE(entry->no_answer);
    EXPECT_EQ(entry->state, orderplatform::v1::PAYMENT_STATE_UNSPECIFIED);
  }
  EXPECT_TRUE(sleeps_.empty());  // an answer that never comes is not waited for
  EXPECT_EQ(handler_->stats().no_answer, 2);
  // The reservation expires; its release finds nothing to refund.
  EXPECT_TRUE(HandleOk({Message(Released("o-1", orderplatform::v1::RESERVATION_EXPIRED))}).empty());
  EXPECT_EQ(handler_->stats().nothing_to_refund, 1);
  EXPECT_TRUE(Ledger("o-1")->no_answer);
}

// The I5 gap the simulator found: with the record, a replay after the operator changed the
// behavior stays unanswered instead of authorizing an order whose reservation expired.
TEST_F(PaymentEventHandlerTest, ReplayAfterBehaviorChangeKeepsTheNoAnswer) {
  PaymentBehavior never;
  never.set_no_answer_rate(1.0);
  SetBehavior(never);
  EXPECT_TRUE(HandleOk({Message(Reserved("o-1"), 0)}).empty());
  SetBehavior(PaymentBehavior());  // authorize everything from now on
  EXPECT_TRUE(HandleOk({Message(Reserved("o-1"), 0)}).empty());
  EXPECT_EQ(handler_->stats().no_answer_kept, 1);
  EXPECT_EQ(handler_->stats().authorized, 0);
  EXPECT_TRUE(Ledger("o-1")->no_answer);
  // A new order is decided under the new behavior.
  std::vector<OutgoingMessage> out = HandleOk({Message(Reserved("o-2"), 1)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(Parse(out[0]).has_payment_authorized());
}

TEST_F(PaymentEventHandlerTest, LatencyIsWaitedOncePerBatchAndNotForReplays) {
  PaymentBehavior behavior;
  behavior.set_latency_ms(250);
  SetBehavior(behavior);
  HandleOk({Message(Reserved("o-1"), 0), Message(Reserved("o-2"), 1), Message(Reserved("o-3"), 2)});
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(sleeps_[0], absl::Milliseconds(250));
  HandleOk({Message(Reserved("o-1"), 0), Message(Reserved("o-2"), 1)});
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(PaymentEventHandlerTest, GarbageGoesToTheDeadLetterTopicAndTheBatchGoesOn) {
  ConsumedMessage garbage{.topic = "inventory.v1",
                          .partition = 3,
                          .offset = 42,
                          .key = "o-x",
                          .value = "\xff\xfe not a protobuf",
                          .headers = {{"trace", "t-1"}}};
  InventoryEvent no_envelope = Reserved("o-y");
  no_envelope.clear_envelope();
  InventoryEvent negative = Reserved("o-z", "c-1", -5);
  std::vector<OutgoingMessage> out = HandleOk(
      {garbage, Message(no_envelope, 43), Message(negative, 44), Message(Reserved("o-1"), 45)});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].topic, "inventory.v1.dlq");
  EXPECT_EQ(out[0].key, "o-x");
  EXPECT_EQ(out[0].value, garbage.value);
  EXPECT_EQ(Header(out[0], "trace"), "t-1");
  EXPECT_NE(Header(out[0], "dlq.error"), "<missing>");
  EXPECT_EQ(Header(out[0], "dlq.error").find('\n'), std::string::npos);
  EXPECT_EQ(Header(out[0], "dlq.source.topic"), "inventory.v1");
  EXPECT_EQ(Header(out[0], "dlq.source.partition"), "3");
  EXPECT_EQ(Header(out[0], "dlq.source.offset"), "42");
  EXPECT_EQ(out[1].topic, "inventory.v1.dlq");
  EXPECT_EQ(Header(out[1], "dlq.source.offset"), "43");
  EXPECT_EQ(out[2].topic, "inventory.v1.dlq");
  EXPECT_NE(Header(out[2], "dlq.error").find("amount_cents"), std::string::npos);
  // The valid message after them is handled normally.
  EXPECT_TRUE(Parse(out[3]).has_payment_authorized());
  EXPECT_FALSE(Ledger("o-z").has_value());
  EXPECT_EQ(handler_->stats().dead_letters, 3);
}

TEST_F(PaymentEventHandlerTest, OtherInventoryEventsAreIgnored) {
  InventoryEvent rejected = Reserved("o-1");
  rejected.mutable_stock_rejected()->set_reason(orderplatform::v1::OUT_OF_STOCK);
  InventoryEvent committed = Reserved("o-2");
  committed.mutable_stock_committed();
  EXPECT_TRUE(HandleOk({Message(rejected, 0), Message(committed, 1)}).empty());
  EXPECT_FALSE(Ledger("o-1").has_value());
  EXPECT_FALSE(Ledger("o-2").has_value());
  EXPECT_EQ(handler_->stats().ignored, 2);
}

TEST_F(PaymentEventHandlerTest, RedisDownFailsTheBatchWithoutDeadLetters) {
  server_->Kill9();
  auto out = Handle({Message(InventoryEvent(), 0), Message(Reserved("o-1"), 1)});
  EXPECT_TRUE(absl::IsUnavailable(out.status())) << out.status();
  EXPECT_TRUE(absl::IsUnavailable(Handle({Message(Released("o-1"))}).status()));
  EXPECT_EQ(handler_->stats().failed_batches, 2);
  EXPECT_EQ(handler_->stats().dead_letters, 0);  // the failed batch's work is not counted

  // Redis back: the consumer's retry of the same batch succeeds.
  ASSERT_TRUE(server_->Restart().ok());
  absl::StatusOr<std::vector<OutgoingMessage>> retried;
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(10), [&] {
    retried = Handle({Message(InventoryEvent(), 0), Message(Reserved("o-1"), 1)});
    return retried.ok();
  })) << retried.status();
  ASSERT_EQ(retried->size(), 2u);
  EXPECT_EQ((*retried)[0].topic, "inventory.v1.dlq");
  EXPECT_TRUE(Parse((*retried)[1]).has_payment_authorized());
}

TEST_F(PaymentEventHandlerTest, AnUnreadableBehaviorFailsTheBatch) {
  ASSERT_TRUE(client_->Command({"SET", "payment:behavior", "\xff garbage"}).ok());
  auto out = Handle({Message(Reserved("o-1"))});
  EXPECT_TRUE(absl::IsInternal(out.status())) << out.status();
  EXPECT_FALSE(Ledger("o-1").has_value());
  // Replays are answered from the ledger, without the behavior.
  SetBehavior(PaymentBehavior());
  HandleOk({Message(Reserved("o-2"))});
  ASSERT_TRUE(client_->Command({"SET", "payment:behavior", "\xff garbage"}).ok());
  std::vector<OutgoingMessage> replay = HandleOk({Message(Reserved("o-2"))});
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_TRUE(Parse(replay[0]).has_payment_authorized());
}

TEST_F(PaymentEventHandlerTest, ACorruptLedgerEntryGoesToTheDeadLetterTopic) {
  ASSERT_TRUE(client_->Command({"SET", "payment:ledger:o-bad", "not a hash"}).ok());
  std::vector<OutgoingMessage> out =
      HandleOk({Message(Reserved("o-bad"), 7), Message(Reserved("o-1"), 8)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "inventory.v1.dlq");
  EXPECT_EQ(Header(out[0], "dlq.source.offset"), "7");
  EXPECT_TRUE(Parse(out[1]).has_payment_authorized());
}

TEST_F(PaymentEventHandlerTest, ADuplicateInOneRunAnnouncesTheFirstDecisionTwice) {
  std::vector<OutgoingMessage> out =
      HandleOk({Message(Reserved("o-1"), 0), Message(Reserved("o-1"), 1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, out[1].value);  // byte for byte: the same event id and time
  EXPECT_EQ(handler_->stats().authorized, 1);
  EXPECT_EQ(handler_->stats().reannounced, 1);
}

int64_t ReadsProcessed(redis::RedisClient* client) {
  auto info = client->Command({"INFO", "stats"});
  EXPECT_TRUE(info.ok()) << info.status();
  const std::string text = info.ok() ? info->str : "";
  const size_t at = text.find("total_reads_processed:");
  EXPECT_NE(at, std::string::npos) << text;
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + 22));
}

// A run of StockReserved shares two ledger round trips (each fsynced once with appendfsync
// always) instead of two per order.
TEST_F(PaymentEventHandlerTest, ARunOfManyOrdersTakesAFewRoundTrips) {
  std::vector<ConsumedMessage> batch;
  for (int i = 0; i < 200; ++i) batch.push_back(Message(Reserved(absl::StrCat("o-", i)), i));
  const int64_t before = ReadsProcessed(client_.get());
  EXPECT_EQ(HandleOk(batch).size(), 200u);
  const int64_t after = ReadsProcessed(client_.get());
  EXPECT_EQ(handler_->stats().authorized, 200);
  // The behavior read, the INFO itself and large pipelines read in chunks; one call per order
  // would be 400.
  EXPECT_LE(after - before, 20);
}

// Each message is counted by what the ledger said, and the declared counters are exported.
TEST_F(PaymentEventHandlerTest, MetricsCountEachEventByOutcomeAndExportTheCounters) {
  metrics::CollectorHandle exported = ExportPaymentCounters(&registry_, handler_.get());
  PaymentBehavior behavior;
  behavior.add_decline_customers("mallory");
  SetBehavior(behavior);
  HandleOk({Message(Reserved("o-1")), Message(Reserved("o-2", "mallory"))});
  HandleOk({Message(Reserved("o-1")),  // replay: answered from the ledger
            Message(Released("o-1")), Message(Released("o-1")), Message(Released("o-never"))});
  ConsumedMessage garbage{.topic = events::kInventoryTopic, .offset = 9, .value = "\xff junk"};
  HandleOk({garbage});
  auto handled = [this](const char* type, const char* outcome) {
    return Metric("orderplatform_events_handled_total", {"inventory.v1", type, outcome});
  };
  EXPECT_EQ(handled("StockReserved", "applied"), 2);  // authorized and declined
  EXPECT_EQ(handled("StockReserved", "duplicate"), 1);
  EXPECT_EQ(handled("StockReleased", "applied"), 1);  // refunded
  EXPECT_EQ(handled("StockReleased", "duplicate"), 1);
  EXPECT_EQ(handled("StockReleased", "ignored"), 1);  // nothing to refund
  EXPECT_EQ(handled("invalid", "dead_lettered"), 1);
  EXPECT_EQ(Metric("orderplatform_payment_authorized_total"), 1);
  EXPECT_EQ(Metric("orderplatform_payment_declined_total"), 1);
  EXPECT_EQ(Metric("orderplatform_payment_refunded_total"), 1);
  EXPECT_EQ(Metric("orderplatform_payment_dead_letters_total"), 1);

  server_->Kill9();
  EXPECT_FALSE(Handle({Message(Reserved("o-3"))}).ok());
  EXPECT_EQ(handled("StockReserved", "retried"), 1);
  EXPECT_EQ(Metric("orderplatform_payment_failed_batches_total"), 1);
}

}  // namespace
}  // namespace orderplatform::payment
