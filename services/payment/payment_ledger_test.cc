// The ledger against a real redis-server: first writer wins, refunds happen once, the optimistic
// retry is bounded, entries expire, and Redis trouble has the right status codes.
#include "services/payment/payment_ledger.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::AUTHORIZED;
using orderplatform::v1::DECLINED;
using orderplatform::v1::REFUNDED;

LedgerEntry Decision(const std::string& order_id, orderplatform::v1::PaymentState state,
                     int64_t decided_at_ms = 1000) {
  return LedgerEntry{.order_id = order_id,
                     .state = state,
                     .amount_cents = 2500,
                     .currency = "EUR",
                     .decline_reason = state == DECLINED ? "decline_rate" : "",
                     .decided_at_ms = decided_at_ms};
}

class PaymentLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = Connect();
    ASSERT_NE(client_, nullptr);
    ledger_ = std::make_unique<PaymentLedger>(client_.get(), PaymentKeys(),
                                              LedgerOptions{.retention = absl::Hours(1)});
  }

  std::unique_ptr<redis::RedisClient> Connect() {
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  redis::RedisReply Raw(const std::vector<std::string>& argv) {
    auto reply = client_->Command(argv);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : redis::RedisReply::Error("no reply");
  }

  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<PaymentLedger> ledger_;
};

TEST_F(PaymentLedgerTest, RecordsADecisionAndReadsItBack) {
  auto recorded = ledger_->RecordDecision(Decision("o-1", AUTHORIZED));
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->recorded_now);
  EXPECT_EQ(recorded->entry, Decision("o-1", AUTHORIZED));
  auto read = ledger_->Get("o-1");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, Decision("o-1", AUTHORIZED));
  EXPECT_EQ(Raw({"HGET", "payment:ledger:o-1", "state"}).str, "AUTHORIZED");
}

TEST_F(PaymentLedgerTest, UnknownOrderHasNoEntry) {
  auto read = ledger_->Get("nobody");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST_F(PaymentLedgerTest, FirstWriterWinsAndLaterWritersLearnTheFirstDecision) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", DECLINED, 1000)).ok());
  // A zombie that decided under another behavior, later.
  auto second = ledger_->RecordDecision(Decision("o-1", AUTHORIZED, 2000));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->recorded_now);
  EXPECT_EQ(second->entry, Decision("o-1", DECLINED, 1000));
  // No field of the first decision was touched or added to.
  EXPECT_EQ(Raw({"HLEN", "payment:ledger:o-1"}).integer, 5);
}

TEST_F(PaymentLedgerTest, AnAuthorizationIsNotGivenADeclineReasonByALaterWriter) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  auto second = ledger_->RecordDecision(Decision("o-1", DECLINED));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entry.state, AUTHORIZED);
  EXPECT_EQ(second->entry.decline_reason, "");
}

TEST_F(PaymentLedgerTest, EntriesExpireAndAReplayDoesNotExtendThem) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  const int64_t ttl_ms = Raw({"PTTL", "payment:ledger:o-1"}).integer;
  EXPECT_GT(ttl_ms, 3590 * 1000);
  EXPECT_LE(ttl_ms, 3600 * 1000);
  ASSERT_EQ(Raw({"PEXPIRE", "payment:ledger:o-1", "5000"}).integer, 1);
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED, 9999)).ok());
  EXPECT_LE(Raw({"PTTL", "payment:ledger:o-1"}).integer, 5000);
}

TEST_F(PaymentLedgerTest, RefusesADecisionWithoutState) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      ledger_->RecordDecision(Decision("o-1", orderplatform::v1::PAYMENT_STATE_UNSPECIFIED))
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ledger_->RecordDecision(Decision("o-1", REFUNDED)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ledger_->RecordDecision(Decision("", AUTHORIZED)).status()));
  LedgerEntry answered_and_not = Decision("o-1", AUTHORIZED);
  answered_and_not.no_answer = true;
  EXPECT_TRUE(absl::IsInvalidArgument(ledger_->RecordDecision(answered_and_not).status()));
  EXPECT_EQ(Raw({"EXISTS", "payment:ledger:o-1"}).integer, 0);
}

TEST_F(PaymentLedgerTest, NoAnswerIsRecordedFirstWriterWinsAndIsNeverRefunded) {
  LedgerEntry no_answer = Decision("o-1", orderplatform::v1::PAYMENT_STATE_UNSPECIFIED);
  no_answer.no_answer = true;
  auto recorded = ledger_->RecordDecision(no_answer);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->recorded_now);
  EXPECT_EQ(recorded->entry, no_answer);
  EXPECT_EQ(Raw({"HGET", "payment:ledger:o-1", "state"}).str, "NO_ANSWER");
  // A later authorization (another instance, a changed behavior) does not replace it.
  auto later = ledger_->RecordDecision(Decision("o-1", AUTHORIZED, 2000));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->recorded_now);
  EXPECT_EQ(later->entry, no_answer);
  auto refund = ledger_->Refund("o-1", 5000);
  ASSERT_TRUE(refund.ok()) << refund.status();
  EXPECT_FALSE(refund->refunded_now);
  EXPECT_EQ(refund->entry, no_answer);
}

TEST_F(PaymentLedgerTest, RefundsAnAuthorizationOnce) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  auto first = ledger_->Refund("o-1", 5000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->refunded_now);
  ASSERT_TRUE(first->entry.has_value());
  EXPECT_EQ(first->entry->state, REFUNDED);
  EXPECT_EQ(first->entry->refunded_at_ms, 5000);
  EXPECT_EQ(first->entry->decided_at_ms, 1000);
  EXPECT_EQ(first->entry->amount_cents, 2500);

  auto again = ledger_->Refund("o-1", 6000);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->refunded_now);
  EXPECT_EQ(again->entry, first->entry);  // the first refund's time stays
}

TEST_F(PaymentLedgerTest, RefundOfADeclinedOrUnknownOrderDoesNothing) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("declined", DECLINED)).ok());
  auto declined = ledger_->Refund("declined", 5000);
  ASSERT_TRUE(declined.ok()) << declined.status();
  EXPECT_FALSE(declined->refunded_now);
  ASSERT_TRUE(declined->entry.has_value());
  EXPECT_EQ(*declined->entry, Decision("declined", DECLINED));

  auto unknown = ledger_->Refund("unknown", 5000);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->refunded_now);
  EXPECT_FALSE(unknown->entry.has_value());
  EXPECT_EQ(Raw({"EXISTS", "payment:ledger:unknown"}).integer, 0);
}

TEST_F(PaymentLedgerTest, ARefundThatReadsWithoutWritingLeavesNoWatchBehind) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("declined", DECLINED)).ok());
  ASSERT_TRUE(ledger_->Refund("declined", 5000).ok());  // WATCH, read, nothing to do
  // A change of the key it watched, then a transaction on the same connection: a WATCH left
  // behind would abort it.
  auto other = Connect();
  ASSERT_TRUE(other->Command({"HSET", "payment:ledger:declined", "touched", "1"}).ok());
  auto recorded = ledger_->RecordDecision(Decision("o-2", AUTHORIZED));
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->recorded_now);
}

TEST_F(PaymentLedgerTest, ConcurrentRefundsRefundOnce) {
  constexpr int kOrders = 20;
  constexpr int kInstances = 4;
  for (int i = 0; i < kOrders; ++i) {
    ASSERT_TRUE(ledger_->RecordDecision(Decision(absl::StrCat("o-", i), AUTHORIZED)).ok());
  }
  // Separate clients and ledgers, as separate service instances would have, plus one ledger
  // shared by two threads.
  std::vector<std::unique_ptr<redis::RedisClient>> clients;
  std::vector<std::unique_ptr<PaymentLedger>> ledgers;
  for (int i = 0; i < kInstances; ++i) {
    clients.push_back(Connect());
    ledgers.push_back(std::make_unique<PaymentLedger>(clients.back().get(), PaymentKeys(),
                                                      LedgerOptions{.retention = absl::Hours(1)}));
  }
  std::atomic<int> refunded_now{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kInstances + 1; ++t) {
    PaymentLedger* ledger = t < kInstances ? ledgers[t].get() : ledgers[0].get();
    threads.emplace_back([ledger, t, &refunded_now, &failures] {
      for (int i = 0; i < kOrders; ++i) {
        auto outcome = ledger->Refund(absl::StrCat("o-", i), 5000 + t);
        if (!outcome.ok() || !outcome->entry.has_value() || outcome->entry->state != REFUNDED) {
          ++failures;
        } else if (outcome->refunded_now) {
          ++refunded_now;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(refunded_now.load(), kOrders);  // exactly one winner per order
  for (int i = 0; i < kOrders; ++i) {
    auto entry = ledger_->Get(absl::StrCat("o-", i));
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ((*entry)->state, REFUNDED);
  }
}

TEST_F(PaymentLedgerTest, ARefundByAnotherInstanceInTheWindowMakesThisOneReadAgain) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  auto other_client = Connect();
  PaymentLedger other(other_client.get(), PaymentKeys(), {.retention = absl::Hours(1)});
  int hook_calls = 0;
  PaymentLedger racing(client_.get(), PaymentKeys(),
                       {.retention = absl::Hours(1), .before_refund_exec_for_testing = [&] {
                          ++hook_calls;
                          if (hook_calls == 1) {
                            ASSERT_TRUE(other.Refund("o-1", 4000).ok());
                          }
                        }});
  auto outcome = racing.Refund("o-1", 5000);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(hook_calls, 1);  // the second attempt found it REFUNDED and stopped before EXEC
  EXPECT_FALSE(outcome->refunded_now);
  ASSERT_TRUE(outcome->entry.has_value());
  EXPECT_EQ(outcome->entry->refunded_at_ms, 4000);  // the other instance's refund stands
}

TEST_F(PaymentLedgerTest, AConflictingWriteIsRetriedAndTheRefundSucceeds) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  auto other = Connect();
  int hook_calls = 0;
  PaymentLedger ledger(
      client_.get(), PaymentKeys(),
      {.retention = absl::Hours(1), .before_refund_exec_for_testing = [&] {
         // Rewrites the same value: still a change for WATCH.
         if (++hook_calls == 1) {
           ASSERT_TRUE(other->Command({"HSET", "payment:ledger:o-1", "state", "AUTHORIZED"}).ok());
         }
       }});
  auto outcome = ledger.Refund("o-1", 5000);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(hook_calls, 2);
  EXPECT_TRUE(outcome->refunded_now);
  EXPECT_EQ(outcome->entry->state, REFUNDED);
}

TEST_F(PaymentLedgerTest, EndlessConflictsAreAbortedAfterTheBound) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  auto other = Connect();
  int hook_calls = 0;
  PaymentLedger ledger(
      client_.get(), PaymentKeys(),
      {.retention = absl::Hours(1),
       .refund_attempts_max = 3,
       .before_refund_exec_for_testing = [&] {
         ++hook_calls;
         ASSERT_TRUE(other->Command({"PEXPIRE", "payment:ledger:o-1", "3600000"}).ok());
       }});
  auto outcome = ledger.Refund("o-1", 5000);
  EXPECT_TRUE(absl::IsAborted(outcome.status())) << outcome.status();
  EXPECT_EQ(hook_calls, 3);
  auto entry = ledger_->Get("o-1");
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->state, AUTHORIZED);  // nothing half-done
}

TEST_F(PaymentLedgerTest, RefundRenewsTheRetention) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  ASSERT_EQ(Raw({"PEXPIRE", "payment:ledger:o-1", "5000"}).integer, 1);
  ASSERT_TRUE(ledger_->Refund("o-1", 5000).ok());
  EXPECT_GT(Raw({"PTTL", "payment:ledger:o-1"}).integer, 3590 * 1000);
}

TEST_F(PaymentLedgerTest, ACorruptEntryIsInternal) {
  Raw({"HSET", "payment:ledger:bad-state", "state", "MAYBE", "amount_cents", "1", "decided_at_ms",
       "1"});
  EXPECT_TRUE(absl::IsInternal(ledger_->Get("bad-state").status()));
  Raw({"HSET", "payment:ledger:no-amount", "state", "AUTHORIZED", "decided_at_ms", "1"});
  EXPECT_TRUE(absl::IsInternal(ledger_->Get("no-amount").status()));
  Raw({"SET", "payment:ledger:not-a-hash", "x"});
  EXPECT_TRUE(absl::IsInternal(ledger_->Get("not-a-hash").status()));
  EXPECT_TRUE(absl::IsInternal(ledger_->Refund("not-a-hash", 1).status()));
  EXPECT_TRUE(
      absl::IsInternal(ledger_->RecordDecision(Decision("not-a-hash", AUTHORIZED)).status()));
}

TEST_F(PaymentLedgerTest, RedisDownIsUnavailable) {
  ASSERT_TRUE(ledger_->RecordDecision(Decision("o-1", AUTHORIZED)).ok());
  server_->Kill9();
  EXPECT_TRUE(absl::IsUnavailable(ledger_->Get("o-1").status()));
  EXPECT_TRUE(absl::IsUnavailable(ledger_->RecordDecision(Decision("o-2", AUTHORIZED)).status()));
  EXPECT_TRUE(absl::IsUnavailable(ledger_->Refund("o-1", 5000).status()));
  ASSERT_TRUE(server_->Restart().ok());
  // Back: the AOF kept the entry, and the refund that failed can now be done.
  absl::StatusOr<RefundOutcome> refund;
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(10), [&] {
    refund = ledger_->Refund("o-1", 5000);
    return refund.ok();
  })) << refund.status();
  EXPECT_TRUE(refund->refunded_now);
}

TEST(ParseLedgerEntryTest, EmptyReplyIsNoEntry) {
  auto entry = ParseLedgerEntry("o-1", redis::RedisReply::Array({}));
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
  EXPECT_TRUE(absl::IsInternal(
      ParseLedgerEntry("o-1", redis::RedisReply::Array({redis::RedisReply::String("state")}))
          .status()));
}

}  // namespace
}  // namespace orderplatform::payment
