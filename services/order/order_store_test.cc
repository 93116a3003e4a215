// The order store against a real redis-server: records round-trip, creation is idempotent and
// one transaction, check-and-set holds under concurrent writers, histories and the outbox.
#include "services/order/order_store.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"
#include "services/order/order_events.h"

namespace orderplatform::order {
namespace {

using orderplatform::v1::PlaceOrderRequest;

PlaceOrderRequest Request(const std::string& request_id) {
  PlaceOrderRequest request;
  request.set_request_id(request_id);
  request.set_customer_id("customer with spaces, and commas");
  request.set_amount_cents(4200);
  request.set_currency("EUR");
  auto* a = request.add_lines();
  a->set_sku("SKU.a-1");
  a->set_quantity(3);
  auto* b = request.add_lines();
  b->set_sku("SKU_b");
  b->set_quantity(1);
  return request;
}

class OrderStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    pool_ = ConnectPool(4);
    ASSERT_NE(pool_, nullptr);
    store_ = std::make_unique<OrderStore>(pool_.get(), OrderKeys(), &counters_);
    auto raw = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                           absl::Seconds(5));
    ASSERT_TRUE(raw.ok()) << raw.status();
    raw_ = *std::move(raw);
  }

  std::unique_ptr<RedisSessionPool> ConnectPool(int size) {
    auto pool = RedisSessionPool::Connect({.host = server_->host(), .port = server_->port()}, size,
                                          absl::Seconds(5), absl::Seconds(1));
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? *std::move(pool) : nullptr;
  }

  // Calls of each command so far, from INFO commandstats.
  std::map<std::string, int64_t> CommandCalls() {
    std::map<std::string, int64_t> calls;
    auto info = raw_->Command({"INFO", "commandstats"});
    EXPECT_TRUE(info.ok());
    for (absl::string_view line : absl::StrSplit(info->str, "\r\n", absl::SkipEmpty())) {
      // cmdstat_hset:calls=1,usec=...
      if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 1));
      absl::string_view rest = parts[1];
      absl::ConsumePrefix(&rest, "calls=");
      int64_t n = 0;
      (void)absl::SimpleAtoi(rest.substr(0, rest.find(',')), &n);
      calls[std::string(parts[0])] = n;
    }
    return calls;
  }

  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<RedisSessionPool> pool_;
  OrderCounters counters_;
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<redis::RedisClient> raw_;
};

TEST_F(OrderStoreTest, CreateStoresRecordHistoryAndOutboxEntryInOneTransaction) {
  OrderRecord record = NewOrderRecord(Request("req-1"), "o-1", 1000);
  const std::map<std::string, int64_t> before = CommandCalls();
  auto created = store_->Create(record);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::map<std::string, int64_t> after = CommandCalls();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->unpublished, std::vector<std::string>{"o-1/OrderPlaced"});
  // One MULTI/EXEC around exactly the three writes.
  for (const char* command : {"multi", "exec", "hset", "rpush", "zadd"}) {
    EXPECT_EQ(after.at(command) - (before.count(command) ? before.at(command) : 0), 1) << command;
  }

  auto stored = store_->Get("o-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->order.SerializeAsString(), record.order.SerializeAsString());
  auto history = store_->History("o-1", 0, 10);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(*history, (std::vector<StatusEntry>{{orderplatform::v1::PENDING,
                                                 orderplatform::v1::CANCEL_REASON_UNSPECIFIED,
                                                 1000}}));
  auto due = store_->OutboxDue(1000, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].event_id, "o-1/OrderPlaced");
  EXPECT_EQ((*due)[0].enqueued_at_ms, 1000);
  EXPECT_TRUE(store_->OutboxDue(999, 10)->empty());  // younger than asked for
}

TEST_F(OrderStoreTest, CreateAgainReturnsTheStoredOrderAndItsUnpublishedEvents) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  // A retry later, with other details: the first order stands; nothing is written again.
  PlaceOrderRequest retry = Request("req-1");
  retry.set_amount_cents(1);
  auto again = store_->Create(NewOrderRecord(retry, "o-1", 5000));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->record.order.created_at_ms(), 1000);
  EXPECT_EQ(again->record.order.amount_cents(), 4200);
  EXPECT_EQ(again->unpublished, std::vector<std::string>{"o-1/OrderPlaced"});
  EXPECT_EQ(store_->History("o-1", 0, 10)->size(), 1u);

  ASSERT_TRUE(store_->RemoveFromOutbox({"o-1/OrderPlaced"}).ok());
  again = store_->Create(NewOrderRecord(Request("req-1"), "o-1", 6000));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unpublished.empty());
}

TEST_F(OrderStoreTest, CreateOverAnotherRequestsOrderIsInternal) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  auto collision = store_->Create(NewOrderRecord(Request("req-2"), "o-1", 2000));
  EXPECT_EQ(collision.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_->Get("o-1")->order.request_id(), "req-1");
}

TEST_F(OrderStoreTest, ConcurrentCreatesOfOneOrderCreateItOnce) {
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto result = store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000 + t));
      if (!result.ok()) {
        ++failed;
      } else if (result->created) {
        ++created;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(store_->History("o-1", 0, 100)->size(), 1u);
  EXPECT_EQ(store_->OutboxDue(INT64_MAX / 2, 100)->size(), 1u);
}

TEST_F(OrderStoreTest, UpdateIsCheckAndSetUnderConcurrentWriters) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  // Two stores with their own connections stand for two service instances.
  std::unique_ptr<RedisSessionPool> other_pool = ConnectPool(2);
  ASSERT_NE(other_pool, nullptr);
  OrderStore other(other_pool.get(), OrderKeys(), &counters_);
  constexpr int kUpdatesPerThread = 150;
  auto increment = [](OrderStore* store) {
    for (int i = 0; i < kUpdatesPerThread; ++i) {
      absl::StatusOr<OrderRecord> updated = absl::AbortedError("not tried");
      // ABORTED means "retry at a higher level": this loop is that level, as the consumer is.
      for (int round = 0; round < 10 && absl::IsAborted(updated.status()); ++round) {
        updated = store->Update(
          "o-1", [](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
            OrderStore::Change change{.record = current, .append_history = true};
            change.record.order.set_amount_cents(current.order.amount_cents() + 1);
            return std::optional<OrderStore::Change>(std::move(change));
          });
      }
      ASSERT_TRUE(updated.ok()) << updated.status();
    }
  };
  std::thread a(increment, store_.get());
  std::thread b(increment, &other);
  std::thread c(increment, store_.get());
  a.join();
  b.join();
  c.join();
  // A lost update would leave the amount short while every RPUSH still landed.
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 4200 + 3 * kUpdatesPerThread);
  auto history = store_->History("o-1", 0, OrderStore::kBatchMax);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u + 3 * kUpdatesPerThread);
}

TEST_F(OrderStoreTest, AWriteBetweenWatchAndExecAbortsTheAttemptUntilTheBoundIsReached) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  OrderStore impatient(pool_.get(), OrderKeys(), &counters_, {.cas_attempts_max = 3});
  int attempts = 0;
  auto updated = impatient.Update(
      "o-1", [&](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
        ++attempts;
        // Another writer commits after this attempt's read: its EXEC must not go through.
        EXPECT_TRUE(raw_->Command({"HSET", OrderKeys().Order("o-1"), "currency",
                                   absl::StrCat("X", attempts)})
                        .ok());
        OrderStore::Change change{.record = current, .append_history = true};
        change.record.order.set_amount_cents(1);
        return std::optional<OrderStore::Change>(std::move(change));
      });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(counters_.cas_conflicts.load(), 3);
  EXPECT_EQ(counters_.cas_exhausted.load(), 1);
  auto stored = store_->Get("o-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->order.amount_cents(), 4200);  // none of the aborted writes landed
  EXPECT_EQ(stored->order.currency(), "X3");
  EXPECT_EQ(store_->History("o-1", 0, 10)->size(), 1u);
}

OrderStore::Decide AddCents(int64_t cents, int* calls = nullptr) {
  return [cents, calls](const OrderRecord& current)
             -> absl::StatusOr<std::optional<OrderStore::Change>> {
    if (calls != nullptr) ++*calls;
    OrderStore::Change change{.record = current, .append_history = true};
    change.record.order.set_amount_cents(current.order.amount_cents() + cents);
    return std::optional<OrderStore::Change>(std::move(change));
  };
}

TEST_F(OrderStoreTest, UpdateBatchAppliesUpdatesInOrderAndFailsOnlyWhatCannotBeApplied) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-2"), "o-2", 1000)).ok());
  ASSERT_TRUE(raw_->Command({"SET", OrderKeys().Order("corrupt"), "not a hash"}).ok());
  const std::vector<OrderStore::BatchUpdate> updates = {
      {.order_id = "o-1", .decide = AddCents(1)},
      {.order_id = "unknown", .decide = AddCents(1)},
      {.order_id = "o-2", .decide = AddCents(10)},
      {.order_id = "corrupt", .decide = AddCents(1)},
      // The same order again sees the first update's record.
      {.order_id = "o-1", .decide = AddCents(100)},
      {.order_id = "o-2",
       .decide = [](const OrderRecord&) -> absl::StatusOr<std::optional<OrderStore::Change>> {
         return absl::FailedPreconditionError("this fact cannot apply");
       }},
  };
  auto results = store_->UpdateBatch(updates);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), updates.size());
  ASSERT_TRUE((*results)[0].ok());
  EXPECT_EQ((*results)[0]->order.amount_cents(), 4201);
  EXPECT_EQ((*results)[1].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*results)[2]->order.amount_cents(), 4210);
  EXPECT_EQ((*results)[3].status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ((*results)[4]->order.amount_cents(), 4301);
  EXPECT_EQ((*results)[5].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 4301);
  EXPECT_EQ(store_->Get("o-2")->order.amount_cents(), 4210);
  EXPECT_EQ(store_->History("o-1", 0, 10)->size(), 3u);  // PENDING + two appended
  EXPECT_EQ(store_->History("o-2", 0, 10)->size(), 2u);
  EXPECT_EQ(store_->Get("unknown").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OrderStoreTest, UpdateBatchDecidesAgainWhenAWatchedOrderChangesAndLosesNoUpdate) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-2"), "o-2", 1000)).ok());
  int calls = 0;
  OrderStore::Decide interfered = [&](const OrderRecord& current)
      -> absl::StatusOr<std::optional<OrderStore::Change>> {
    if (++calls == 1) {
      // Another writer (a CancelOrder, another instance) commits after this attempt's read.
      EXPECT_TRUE(raw_->Command({"HSET", OrderKeys().Order("o-2"), "currency", "CHF"}).ok());
    }
    OrderStore::Change change{.record = current};
    change.record.order.set_amount_cents(current.order.amount_cents() + 1);
    return std::optional<OrderStore::Change>(std::move(change));
  };
  int o1_calls = 0;
  auto results = store_->UpdateBatch(
      {{.order_id = "o-1", .decide = AddCents(5, &o1_calls)}, {.order_id = "o-2", .decide = interfered}});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(o1_calls, 2);  // the whole batch is decided again, not applied half
  EXPECT_EQ(counters_.cas_conflicts.load(), 1);
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 4205);
  const OrderRecord o2 = *store_->Get("o-2");
  EXPECT_EQ(o2.order.amount_cents(), 4201);
  EXPECT_EQ(o2.order.currency(), "CHF");  // the other writer's change was read, not overwritten
}

// A connection the server closed between WATCH and MULTI, noticed at once (the connection was in
// use moments ago, RedisOptions::idle_check_after): the EXEC is not sent unwatched; the update
// fails UNAVAILABLE with nothing written, and the caller's retry applies it.
TEST_F(OrderStoreTest, AConnectionLostBetweenWatchAndExecFailsTheUpdateWithoutWriting) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  int attempts = 0;
  OrderStore::Decide decide =
      [&](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
    if (++attempts == 1) {
      // Closes every connection but this test's own, the leased one included.
      EXPECT_TRUE(raw_->Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).ok());
      absl::SleepFor(absl::Milliseconds(50));  // let the close reach the client's socket
    }
    OrderStore::Change change{.record = current};
    change.record.order.set_amount_cents(7);
    return std::optional<OrderStore::Change>(std::move(change));
  };
  auto failed = store_->Update("o-1", decide);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 4200);
  auto retried = store_->Update("o-1", decide);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 7);
  EXPECT_EQ(counters_.reconnects_in_transaction.load(), 0);
}

// The documented gap (redis_session_pool.h): a connection the server closed between WATCH and
// MULTI and left idle for longer than idle_check_after is reopened by RedisClient, and the EXEC
// then runs unwatched. It is detected and counted.
TEST_F(OrderStoreTest, AReconnectBetweenWatchAndExecIsDetectedAndCounted) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  auto updated = store_->Update(
      "o-1", [&](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
        if (counters_.reconnects_in_transaction.load() == 0) {
          EXPECT_TRUE(raw_->Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).ok());
          // Idle past idle_check_after: the client checks the connection and reopens it.
          absl::SleepFor(redis::RedisOptions().idle_check_after + absl::Milliseconds(100));
        }
        OrderStore::Change change{.record = current};
        change.record.order.set_amount_cents(7);
        return std::optional<OrderStore::Change>(std::move(change));
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(counters_.reconnects_in_transaction.load(), 1);
  EXPECT_EQ(store_->Get("o-1")->order.amount_cents(), 7);
}

TEST_F(OrderStoreTest, UpdateWritesOnlyWhatItDecides) {
  EXPECT_EQ(store_->Update("o-x", [](const OrderRecord&) {
                      return absl::StatusOr<std::optional<OrderStore::Change>>(std::nullopt);
                    }).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());

  auto unchanged = store_->Update("o-1", [](const OrderRecord&) {
    return absl::StatusOr<std::optional<OrderStore::Change>>(std::nullopt);
  });
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->order.status(), orderplatform::v1::PENDING);

  auto refused = store_->Update("o-1", [](const OrderRecord&) {
    return absl::StatusOr<std::optional<OrderStore::Change>>(absl::FailedPreconditionError("no"));
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);

  auto cancelled = store_->Update(
      "o-1", [](const OrderRecord& current) -> absl::StatusOr<std::optional<OrderStore::Change>> {
        OrderStore::Change change{.record = current, .append_history = true};
        change.record.order.set_status(orderplatform::v1::CANCELLED);
        change.record.order.set_cancel_reason(orderplatform::v1::OUT_OF_STOCK);
        change.record.order.set_updated_at_ms(2000);
        change.record.outcome_causation_id = "o-1/StockRejected";
        return std::optional<OrderStore::Change>(std::move(change));
      });
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  auto stored = store_->Get("o-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->order.status(), orderplatform::v1::CANCELLED);
  EXPECT_EQ(stored->order.cancel_reason(), orderplatform::v1::OUT_OF_STOCK);
  EXPECT_EQ(stored->outcome_causation_id, "o-1/StockRejected");
  // Only the decided change reached the history: PENDING, then CANCELLED.
  EXPECT_EQ(*store_->History("o-1", 0, 10),
            (std::vector<StatusEntry>{
                {orderplatform::v1::PENDING, orderplatform::v1::CANCEL_REASON_UNSPECIFIED, 1000},
                {orderplatform::v1::CANCELLED, orderplatform::v1::OUT_OF_STOCK, 2000}}));
  EXPECT_EQ(store_->History("o-1", 1, 10)->size(), 1u);
  EXPECT_TRUE(store_->History("o-1", 2, 10)->empty());
}

TEST_F(OrderStoreTest, UpdateAddsOutboxEntriesWithTheRecordAndKeepsTheFirstEnqueueTime) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  auto mark = [&](int64_t now_ms) {
    return store_->Update(
        "o-1", [now_ms](const OrderRecord& current)
                   -> absl::StatusOr<std::optional<OrderStore::Change>> {
          OrderStore::Change change{.record = current,
                                    .outbox_add = {"o-1/OrderCancellationRequested"}};
          change.record.order.set_cancellation_requested(true);
          change.record.order.set_updated_at_ms(now_ms);
          change.record.cancellation_requested_at_ms = now_ms;
          return std::optional<OrderStore::Change>(std::move(change));
        });
  };
  ASSERT_TRUE(mark(3000).ok());
  ASSERT_TRUE(mark(4000).ok());
  EXPECT_EQ(*store_->PendingOutbox("o-1"),
            (std::vector<std::string>{"o-1/OrderPlaced", "o-1/OrderCancellationRequested"}));
  auto due = store_->OutboxDue(INT64_MAX / 2, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[1].event_id, "o-1/OrderCancellationRequested");
  EXPECT_EQ((*due)[1].enqueued_at_ms, 3000);
  EXPECT_EQ(store_->History("o-1", 0, 10)->size(), 1u);  // not a status change
  EXPECT_TRUE(store_->Get("o-1")->order.cancellation_requested());

  ASSERT_TRUE(store_->RemoveFromOutbox({"o-1/OrderPlaced", "o-1/OrderCancellationRequested"}).ok());
  EXPECT_TRUE(store_->PendingOutbox("o-1")->empty());
}

TEST_F(OrderStoreTest, OutboxDueIsOldestFirstAndBounded) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Create(NewOrderRecord(Request(absl::StrCat("req-", i)),
                                              absl::StrCat("o-", i), 1000 + (4 - i)))
                    .ok());
  }
  auto due = store_->OutboxDue(2000, 3);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].event_id, "o-4/OrderPlaced");
  EXPECT_EQ((*due)[1].event_id, "o-3/OrderPlaced");
  EXPECT_EQ((*due)[2].event_id, "o-2/OrderPlaced");
  EXPECT_EQ(store_->OutboxDue(2000, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OrderStoreTest, UnknownOrderIsNotFoundAndCorruptDataIsInternal) {
  EXPECT_EQ(store_->Get("o-nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->History("o-nope", 0, 10)->empty());
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  ASSERT_TRUE(raw_->Command({"HSET", OrderKeys().Order("o-1"), "status", "SHIPPED"}).ok());
  EXPECT_EQ(store_->Get("o-1").status().code(), absl::StatusCode::kInternal);
  ASSERT_TRUE(raw_->Command({"RPUSH", OrderKeys().History("o-1"), "garbage"}).ok());
  EXPECT_EQ(store_->History("o-1", 0, 10).status().code(), absl::StatusCode::kInternal);
  // A corrupt record aborts an update without writing.
  auto update = store_->Update("o-1", [](const OrderRecord& current) {
    return absl::StatusOr<std::optional<OrderStore::Change>>(OrderStore::Change{.record = current});
  });
  EXPECT_EQ(update.status().code(), absl::StatusCode::kInternal);
}

TEST_F(OrderStoreTest, RedisDownIsUnavailable) {
  ASSERT_TRUE(store_->Create(NewOrderRecord(Request("req-1"), "o-1", 1000)).ok());
  server_->Kill9();
  EXPECT_EQ(store_->Get("o-1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Create(NewOrderRecord(Request("req-2"), "o-2", 1000)).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_->Restart().ok());
  // AOF with appendfsync always: the order survived the kill, and the store reconnects.
  absl::StatusOr<OrderRecord> back = absl::UnavailableError("not tried");
  for (int i = 0; i < 50 && !back.ok(); ++i) {
    back = store_->Get("o-1");
    if (!back.ok()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->order.request_id(), "req-1");
}

TEST_F(OrderStoreTest, SessionPoolLendsEachConnectionToOneCallerAtATime) {
  std::unique_ptr<RedisSessionPool> pool = ConnectPool(2);
  ASSERT_NE(pool, nullptr);
  auto first = pool->Acquire();
  auto second = pool->Acquire();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(&**first, &**second);
  const absl::Time start = absl::Now();
  auto third = pool->Acquire();  // both lent: waits acquire_wait_max (1s), then gives up
  EXPECT_EQ(third.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  redis::RedisClient* returned = &**first;
  { auto done = std::move(*first); }
  auto again = pool->Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(&**again, returned);
  EXPECT_EQ(RedisSessionPool::Connect({.host = "127.0.0.1", .port = 1}, 0, absl::Seconds(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orderplatform::order
