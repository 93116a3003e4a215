// The behavior store against a real redis-server.
#include "services/payment/behavior_store.h"

#include <memory>

#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"

namespace orderplatform::payment {
namespace {

using orderplatform::v1::PaymentBehavior;

class BehaviorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = redis::RedisClient::Connect({.host = server_->host(), .port = server_->port()},
                                              absl::Seconds(5));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    store_ = std::make_unique<BehaviorStore>(client_.get(), PaymentKeys());
  }

  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<BehaviorStore> store_;
};

TEST_F(BehaviorStoreTest, NothingStoredMeansTheDefaults) {
  auto behavior = store_->Load();
  ASSERT_TRUE(behavior.ok()) << behavior.status();
  EXPECT_EQ(behavior->SerializeAsString(), PaymentBehavior().SerializeAsString());
}

TEST_F(BehaviorStoreTest, StoredBehaviorIsSharedThroughRedis) {
  PaymentBehavior behavior;
  behavior.set_decline_rate(0.25);
  behavior.set_seed(99);
  behavior.set_latency_ms(15);
  behavior.set_max_amount_cents(100000);
  behavior.add_decline_customers("c-bad");
  behavior.set_no_answer_rate(0.1);
  ASSERT_TRUE(store_->Store(behavior).ok());
  // Another instance, with its own client, reads the same behavior.
  auto other_client = redis::RedisClient::Connect(
      {.host = server_->host(), .port = server_->port()}, absl::Seconds(5));
  ASSERT_TRUE(other_client.ok());
  BehaviorStore other((*other_client).get(), PaymentKeys());
  auto loaded = other.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), behavior.SerializeAsString());
  auto raw = client_->Command({"GET", "payment:behavior"});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->str, behavior.SerializeAsString());
}

TEST_F(BehaviorStoreTest, AnInvalidBehaviorIsNotStored) {
  PaymentBehavior behavior;
  behavior.set_decline_rate(2.0);
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Store(behavior)));
  auto exists = client_->Command({"EXISTS", "payment:behavior"});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->integer, 0);
}

TEST_F(BehaviorStoreTest, AValueThatIsNotABehaviorIsInternal) {
  ASSERT_TRUE(client_->Command({"SET", "payment:behavior", "\xff\xff not a proto"}).ok());
  EXPECT_TRUE(absl::IsInternal(store_->Load().status()));
  // Parses, but is out of range: decisions must not run on it either.
  PaymentBehavior invalid;
  invalid.set_no_answer_rate(-1);
  ASSERT_TRUE(client_->Command({"SET", "payment:behavior", invalid.SerializeAsString()}).ok());
  EXPECT_TRUE(absl::IsInternal(store_->Load().status()));
}

TEST_F(BehaviorStoreTest, RedisDownIsUnavailable) {
  server_->Kill9();
  EXPECT_TRUE(absl::IsUnavailable(store_->Load().status()));
  EXPECT_TRUE(absl::IsUnavailable(store_->Store(PaymentBehavior())));
}

}  // namespace
}  // namespace orderplatform::payment
