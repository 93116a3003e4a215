#include "tools/loadgen/load_options.h"

#include <set>

#include "gtest/gtest.h"

namespace orderplatform::loadgen {
namespace {

LoadOptions Valid() {
  return LoadOptions{.mode = PlaceMode::kGrpc,
                     .orders = 1000,
                     .order_addr = "127.0.0.1:1",
                     .kafka_brokers = "127.0.0.1:2"};
}

TEST(LoadOptionsTest, ParsesModes) {
  EXPECT_EQ(*ParsePlaceMode("grpc"), PlaceMode::kGrpc);
  EXPECT_EQ(*ParsePlaceMode("kafka"), PlaceMode::kKafka);
  EXPECT_FALSE(ParsePlaceMode("http").ok());
  EXPECT_FALSE(ParsePlaceMode("").ok());
  EXPECT_EQ(PlaceModeName(PlaceMode::kKafka), "kafka");
}

TEST(LoadOptionsTest, DefaultsWithAddressesAreValid) {
  EXPECT_TRUE(ValidateLoadOptions(Valid()).ok());
}

TEST(LoadOptionsTest, ARunNeedsABound) {
  LoadOptions o = Valid();
  o.orders = 0;
  EXPECT_FALSE(ValidateLoadOptions(o).ok());
  o.duration_s = 10;
  EXPECT_TRUE(ValidateLoadOptions(o).ok()) << "as fast as the bounds allow, for 10 s";
  o.rate = 100;
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
  o.rate = 5'000'000;
  o.duration_s = 3600;
  EXPECT_FALSE(ValidateLoadOptions(o).ok()) << "rate x duration above kOrdersMax";
}

TEST(LoadOptionsTest, RefusesOutOfRangeValues) {
  auto refused = [](auto mutate) {
    LoadOptions o = Valid();
    mutate(o);
    return !ValidateLoadOptions(o).ok();
  };
  EXPECT_TRUE(refused([](LoadOptions& o) { o.orders = -1; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.orders = kOrdersMax + 1; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.rate = -1; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.inflight = 0; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.open_max = o.inflight - 1; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.skus = 0; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.lines = 3, o.skus = 2; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.lines = 101, o.skus = 1000; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.quantity = 0; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.stock = -1; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.drain_timeout_s = 0; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.run_id = "has space"; }));
  EXPECT_TRUE(refused([](LoadOptions& o) { o.duration_s = -1; }));
}

TEST(LoadOptionsTest, RequiresTheAddressesItsModeUses) {
  LoadOptions o = Valid();
  o.kafka_brokers.clear();
  EXPECT_FALSE(ValidateLoadOptions(o).ok()) << "the tracker always reads Kafka";
  o = Valid();
  o.order_addr.clear();
  EXPECT_FALSE(ValidateLoadOptions(o).ok());
  o.mode = PlaceMode::kKafka;
  EXPECT_FALSE(ValidateLoadOptions(o).ok()) << "registration needs the order service's Redis";
  o.redis_addr = "127.0.0.1:3";
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
  o.register_orders = false;
  o.redis_addr.clear();
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
  o.stock = 10;
  EXPECT_FALSE(ValidateLoadOptions(o).ok()) << "seeding needs the inventory service";
  o.inventory_addr = "127.0.0.1:4";
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
}

TEST(LoadOptionsTest, TerminalDependsOnModeAndRegistration) {
  LoadOptions o = Valid();
  EXPECT_EQ(TerminalSourceFor(o), TerminalSource::kOrderOutcome);
  o.mode = PlaceMode::kKafka;
  EXPECT_EQ(TerminalSourceFor(o), TerminalSource::kOrderOutcome);
  o.register_orders = false;
  EXPECT_EQ(TerminalSourceFor(o), TerminalSource::kInventoryOutcome);
  EXPECT_EQ(TerminalTopic(TerminalSource::kOrderOutcome), "orders.v1");
  EXPECT_EQ(TerminalTopic(TerminalSource::kInventoryOutcome), "inventory.v1");
}

TEST(LoadOptionsTest, NamesAreStableAndSkusDistinctPerOrder) {
  EXPECT_EQ(RequestIdFor("ab12", 7), "lg-ab12-7");
  EXPECT_EQ(SkuName(42), "LG-000042");
  for (int64_t n = 0; n < 500; ++n) {
    std::set<int> skus;
    for (int line = 0; line < 5; ++line) {
      const int sku = SkuIndexFor(n, line, 7);
      EXPECT_GE(sku, 0);
      EXPECT_LT(sku, 7);
      skus.insert(sku);
    }
    EXPECT_EQ(skus.size(), 5u) << n;
  }
}

TEST(LoadOptionsTest, OrdersSpreadOverAllSkus) {
  std::set<int> used;
  for (int64_t n = 0; n < 2000; ++n) used.insert(SkuIndexFor(n, 0, 100));
  EXPECT_EQ(used.size(), 100u);
}

TEST(LoadOptionsTest, BuildsTheSameRequestForTheSameOrder) {
  LoadOptions o = Valid();
  o.lines = 2;
  o.skus = 10;
  o.quantity = 3;
  const orderplatform::v1::PlaceOrderRequest a = BuildPlaceOrderRequest(o, "r", 5);
  const orderplatform::v1::PlaceOrderRequest b = BuildPlaceOrderRequest(o, "r", 5);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_EQ(a.request_id(), "lg-r-5");
  ASSERT_EQ(a.lines_size(), 2);
  EXPECT_NE(a.lines(0).sku(), a.lines(1).sku());
  EXPECT_EQ(a.lines(0).quantity(), 3);
  EXPECT_EQ(a.amount_cents(), 2000);
  EXPECT_EQ(a.currency(), "EUR");
}

}  // namespace
}  // namespace orderplatform::loadgen
