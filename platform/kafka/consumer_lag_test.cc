#include "platform/kafka/consumer_lag.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orderplatform::kafka {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The shape of librdkafka 2.0's statistics, cut to what matters plus neighbours that must be
// skipped (brokers, the internal partition -1, unknown fields).
constexpr char kStats[] = R"json({
  "name": "orderplatform-inventory#consumer-2", "type": "consumer", "ts": 123456789,
  "brokers": {"127.0.0.1:39091/1": {"name": "127.0.0.1:39091/1", "rtt": {"avg": 250}}},
  "topics": {
    "orders.v1": {
      "topic": "orders.v1", "age": 5000,
      "partitions": {
        "0": {"partition": 0, "hi_offset": 120, "committed_offset": 100,
              "stored_offset": 110, "consumer_lag": 20, "consumer_lag_stored": 10},
        "1": {"partition": 1, "hi_offset": 7, "committed_offset": -1001,
              "stored_offset": 5, "consumer_lag": -1, "consumer_lag_stored": 2},
        "2": {"partition": 2, "hi_offset": -1, "consumer_lag": -1, "consumer_lag_stored": -1},
        "3": {"partition": 3, "lo_offset": 4, "hi_offset": 9, "committed_offset": -1001,
              "stored_offset": -1001, "consumer_lag": -1, "consumer_lag_stored": -1},
        "-1": {"partition": -1, "consumer_lag": -1, "consumer_lag_stored": -1}
      }
    },
    "payments.v1": {
      "partitions": {
        "10": {"partition": 10, "consumer_lag": 0, "consumer_lag_stored": 0}
      }
    }
  },
  "cgrp": {"state": "up", "rebalance_cnt": 1}
})json";

TEST(ParseConsumerLagTest, CommittedLagPerPartitionSorted) {
  absl::StatusOr<std::vector<PartitionLag>> lags = ParseConsumerLag(kStats);
  ASSERT_TRUE(lags.ok()) << lags.status();
  EXPECT_THAT(*lags, ElementsAre(PartitionLag{"orders.v1", 0, 20},
                                 // no commit yet: the stored offset's lag stands in
                                 PartitionLag{"orders.v1", 1, 2},
                                 // nothing committed or stored: all retained messages wait
                                 PartitionLag{"orders.v1", 3, 5},
                                 PartitionLag{"payments.v1", 10, 0}));
}

TEST(ParseConsumerLagTest, StatisticsWithoutTopicsHaveNoLag) {
  absl::StatusOr<std::vector<PartitionLag>> lags =
      ParseConsumerLag(R"({"name": "c", "type": "consumer", "brokers": {}})");
  ASSERT_TRUE(lags.ok()) << lags.status();
  EXPECT_THAT(*lags, IsEmpty());
}

TEST(ParseConsumerLagTest, MalformedShapesAreSkippedNotFatal) {
  absl::StatusOr<std::vector<PartitionLag>> lags = ParseConsumerLag(
      R"({"topics": {"t": {"partitions": {"x": {"consumer_lag": 3}, "0": 5,
                                           "1": {"consumer_lag": "many"}}},
                     "u": 7}})");
  ASSERT_TRUE(lags.ok()) << lags.status();
  EXPECT_THAT(*lags, IsEmpty());
}

TEST(ParseConsumerLagTest, NotJsonIsInvalidArgument) {
  EXPECT_EQ(ParseConsumerLag("{\"topics\": ").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConsumerLag("[1, 2]").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orderplatform::kafka
