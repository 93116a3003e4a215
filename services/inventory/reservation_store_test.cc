// The store against a real redis-server: script replies mapped to outcomes, the expiry sweep
// with its outbox, and stock levels. Script-level transitions and races are covered in
// lua/lua_scripts_test.cc; this tests the adapter around them.
#include "services/inventory/reservation_store.h"

#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"
#include "services/inventory/inventory_metrics.h"

namespace orderplatform::inventory {
namespace {

using orderplatform::v1::OrderLine;

OrderLine Line(const std::string& sku, int quantity) {
  OrderLine line;
  line.set_sku(sku);
  line.set_quantity(quantity);
  return line;
}

class ReservationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    store_ = std::make_unique<ReservationStore>(client_.get(), InventoryKeys(), absl::Hours(1),
                                                &registry_);
  }

  // The value of a counter or gauge series, or the count of a histogram series; -1 if absent.
  double Metric(absl::string_view name, const std::vector<std::string>& labels = {}) {
    for (const metrics::FamilySnapshot& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const metrics::Sample& sample : family.samples) {
        if (sample.label_values != labels) continue;
        return family.type == metrics::MetricType::kHistogram
                   ? static_cast<double>(sample.histogram.count)
                   : sample.value;
      }
    }
    return -1;
  }

  void ExpectStock(const std::string& sku, int64_t available, int64_t reserved, int64_t sold) {
    auto level = store_->GetStock(sku);
    ASSERT_TRUE(level.ok()) << level.status();
    EXPECT_EQ(level->available(), available) << sku;
    EXPECT_EQ(level->reserved(), reserved) << sku;
    EXPECT_EQ(level->sold(), sold) << sku;
  }

  metrics::Registry registry_;
  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<ReservationStore> store_;
};

TEST_F(ReservationStoreTest, ReserveCommitReportsLinesAndReplays) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  ASSERT_TRUE(store_->SetStock("B", 5).ok());
  auto reserved = store_->Reserve("o-1", {Line("A", 2), Line("B", 1)}, 1000, 2000);
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  EXPECT_TRUE(reserved->reserved);
  EXPECT_EQ(reserved->deadline_ms, 2000);
  EXPECT_EQ(reserved->reserved_at_ms, 1000);
  ExpectStock("A", 3, 2, 0);

  auto committed = store_->Commit("o-1", 1500);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->kind, CloseOutcome::Kind::kCommitted);
  EXPECT_TRUE(committed->changed_now);
  ASSERT_EQ(committed->lines.size(), 2u);
  EXPECT_EQ(committed->lines[0].sku(), "A");
  EXPECT_EQ(committed->lines[0].quantity(), 2);

  auto again = store_->Commit("o-1", 1600);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, CloseOutcome::Kind::kCommitted);
  EXPECT_FALSE(again->changed_now);
  ExpectStock("A", 3, 0, 2);
  ExpectStock("B", 4, 0, 1);
}

TEST_F(ReservationStoreTest, RejectNamesTheShortLineZeroBased) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  auto outcome = store_->Reserve("o-2", {Line("A", 1), Line("Z", 1)}, 1000, 2000);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->reserved);
  EXPECT_EQ(outcome->reject_index, 1);
  EXPECT_EQ(outcome->available, 0);
  ExpectStock("A", 5, 0, 0);
}

TEST_F(ReservationStoreTest, ReleaseCarriesReasonAndUnknownOrdersAreNotFound) {
  ASSERT_TRUE(store_->SetStock("A", 1).ok());
  ASSERT_TRUE(store_->Reserve("o-3", {Line("A", 1)}, 1000, 2000).ok());
  auto released = store_->Release("o-3", orderplatform::v1::PAYMENT_DECLINED, 1100);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->kind, CloseOutcome::Kind::kReleased);
  EXPECT_EQ(released->reason, orderplatform::v1::PAYMENT_DECLINED);
  auto cancel = store_->Release("o-3", orderplatform::v1::CUSTOMER_REQUEST, 1200);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->reason, orderplatform::v1::PAYMENT_DECLINED);  // the first reason stays
  EXPECT_FALSE(cancel->changed_now);
  auto unknown = store_->Commit("nobody", 1200);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->kind, CloseOutcome::Kind::kNotFound);
  ExpectStock("A", 1, 0, 0);
}

TEST_F(ReservationStoreTest, ExpireDueReleasesOnlyDueOnesAndKeepsThemUntilAnnounced) {
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  ASSERT_TRUE(store_->Reserve("early", {Line("A", 1)}, 1000, 2000).ok());
  ASSERT_TRUE(store_->Reserve("late", {Line("A", 2)}, 1000, 9000).ok());
  ASSERT_TRUE(store_->Reserve("sold", {Line("A", 3)}, 1000, 2000).ok());
  ASSERT_TRUE(store_->Commit("sold", 1500).ok());

  auto expired = store_->ExpireDue(2500, 100);
  ASSERT_TRUE(expired.ok()) << expired.status();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].order_id, "early");
  EXPECT_EQ((*expired)[0].lines[0].quantity(), 1);
  ExpectStock("A", 5, 2, 3);

  auto pending = store_->UnannouncedExpiries(100);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].order_id, "early");
  ASSERT_TRUE(store_->MarkAnnounced({"early"}).ok());
  pending = store_->UnannouncedExpiries(100);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());

  auto second = store_->ExpireDue(2500, 100);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());
}

TEST_F(ReservationStoreTest, ExpireDueIsBoundedByLimit) {
  ASSERT_TRUE(store_->SetStock("A", 10).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Reserve("o" + std::to_string(i), {Line("A", 1)}, 1000, 2000).ok());
  }
  auto first = store_->ExpireDue(3000, 3);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 3u);
  auto rest = store_->ExpireDue(3000, 3);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 2u);
  ExpectStock("A", 10, 0, 0);
}

TEST_F(ReservationStoreTest, RunBatchRunsOneOrdersOpsInOrderAndFailsOnlyTheBrokenOp) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  ASSERT_TRUE(client_->Command({"SET", InventoryKeys().Reservation("corrupt"), "x"}).ok());
  using Kind = ReservationOp::Kind;
  const std::vector<ReservationOp> ops = {
      {.kind = Kind::kReserve, .order_id = "o-1", .lines = {Line("A", 2)}, .now_ms = 1000,
       .deadline_ms = 9000},
      {.kind = Kind::kReserve, .order_id = "o-2", .lines = {Line("A", 1)}, .now_ms = 1000,
       .deadline_ms = 9000},
      // The same order again: a later wave, so it reads the record the reserve just made.
      {.kind = Kind::kCommit, .order_id = "o-1", .now_ms = 1100},
      {.kind = Kind::kCommit, .order_id = "corrupt", .now_ms = 1100},
      {.kind = Kind::kRelease, .order_id = "o-2", .reason = orderplatform::v1::CUSTOMER_REQUEST,
       .now_ms = 1100},
      {.kind = Kind::kRelease, .order_id = "o-1", .reason = orderplatform::v1::CUSTOMER_REQUEST,
       .now_ms = 1200},
  };
  auto results = store_->RunBatch(ops);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), ops.size());
  ASSERT_TRUE((*results)[0].ok()) << (*results)[0].status();
  EXPECT_TRUE(std::get<ReserveOutcome>(*(*results)[0]).reserved);
  ASSERT_TRUE((*results)[2].ok()) << (*results)[2].status();
  const CloseOutcome& committed = std::get<CloseOutcome>(*(*results)[2]);
  EXPECT_EQ(committed.kind, CloseOutcome::Kind::kCommitted);
  EXPECT_TRUE(committed.changed_now);
  ASSERT_EQ(committed.lines.size(), 1u);
  EXPECT_EQ(committed.lines[0].quantity(), 2);
  EXPECT_EQ((*results)[3].status().code(), absl::StatusCode::kInternal);
  ASSERT_TRUE((*results)[4].ok()) << (*results)[4].status();
  EXPECT_EQ(std::get<CloseOutcome>(*(*results)[4]).kind, CloseOutcome::Kind::kReleased);
  // Released after it was sold: the sale stands.
  ASSERT_TRUE((*results)[5].ok()) << (*results)[5].status();
  EXPECT_EQ(std::get<CloseOutcome>(*(*results)[5]).kind, CloseOutcome::Kind::kCommitted);
  EXPECT_FALSE(std::get<CloseOutcome>(*(*results)[5]).changed_now);
  ExpectStock("A", 3, 0, 2);
}

TEST_F(ReservationStoreTest, SetStockRejectsNegativeAndUnavailableWhenRedisIsDown) {
  EXPECT_EQ(store_->SetStock("A", -1).status().code(), absl::StatusCode::kInvalidArgument);
  server_->Kill9();
  EXPECT_EQ(store_->GetStock("A").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ReservationStoreTest, ScriptCallsAreTimedAndTheirFailuresCounted) {
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  ASSERT_TRUE(store_->Reserve("o-1", {Line("A", 1)}, 1000, 2000).ok());
  ASSERT_TRUE(store_->Reserve("o-1", {Line("A", 1)}, 1000, 2000).ok());  // a replay is a call too
  ASSERT_TRUE(store_->Commit("o-1", 1500).ok());
  EXPECT_EQ(Metric("orderplatform_lua_script_duration_seconds", {"stock_set"}), 1);
  EXPECT_EQ(Metric("orderplatform_lua_script_duration_seconds", {"reserve"}), 2);
  EXPECT_EQ(Metric("orderplatform_lua_script_duration_seconds", {"commit"}), 1);
  // Every script's error series exists from the start, at 0, so alerts see the first error.
  for (const char* script : {"reserve", "commit", "release", "expire", "stock_set", "stock_get"}) {
    for (const char* reason : {"unavailable", "error_reply", "unexpected_reply"}) {
      EXPECT_EQ(Metric("orderplatform_lua_script_errors_total", {script, reason}), 0)
          << script << " " << reason;
    }
  }

  // Corrupt data: the script raises (WRONGTYPE), which the store reports as INTERNAL.
  ASSERT_TRUE(client_->Command({"SET", InventoryKeys().Stock("broken"), "not a hash"}).ok());
  EXPECT_EQ(store_->Reserve("o-2", {Line("broken", 1)}, 1000, 2000).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(Metric("orderplatform_lua_script_errors_total", {"reserve", "error_reply"}), 1);

  server_->Kill9();
  EXPECT_EQ(store_->Reserve("o-3", {Line("A", 1)}, 1000, 2000).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Metric("orderplatform_lua_script_errors_total", {"reserve", "unavailable"}), 1);
  EXPECT_EQ(Metric("orderplatform_lua_script_duration_seconds", {"reserve"}), 4);
}

TEST_F(ReservationStoreTest, ReservationGaugesAreReadFromRedisAtScrapeTime) {
  metrics::CollectorHandle gauges = AddReservationGauges(&registry_, store_.get());
  EXPECT_EQ(Metric("orderplatform_inventory_reservations_open"), 0);
  ASSERT_TRUE(store_->SetStock("A", 5).ok());
  ASSERT_TRUE(store_->Reserve("o-1", {Line("A", 1)}, 1000, 2000).ok());
  ASSERT_TRUE(store_->Reserve("o-2", {Line("A", 1)}, 1000, 9000).ok());
  ASSERT_TRUE(store_->Reserve("o-3", {Line("A", 1)}, 1000, 9000).ok());
  ASSERT_TRUE(store_->Commit("o-3", 1500).ok());
  EXPECT_EQ(Metric("orderplatform_inventory_reservations_open"), 2);
  EXPECT_EQ(Metric("orderplatform_inventory_expiries_unannounced"), 0);

  ASSERT_EQ(store_->ExpireDue(5000, 10)->size(), 1u);  // o-1; not announced yet
  EXPECT_EQ(Metric("orderplatform_inventory_reservations_open"), 1);
  EXPECT_EQ(Metric("orderplatform_inventory_expiries_unannounced"), 1);

  // Unreachable Redis: the families stay, without a made-up value.
  server_->Kill9();
  EXPECT_EQ(Metric("orderplatform_inventory_reservations_open"), -1);
  bool announced = false;
  for (const metrics::FamilySnapshot& family : registry_.Collect()) {
    announced = announced || family.name == "orderplatform_inventory_reservations_open";
  }
  EXPECT_TRUE(announced);
}

}  // namespace
}  // namespace orderplatform::inventory
