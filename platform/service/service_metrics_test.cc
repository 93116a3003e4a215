#include "platform/service/service_metrics.h"

#include <librdkafka/rdkafka.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "platform/metrics/testing/promtool.h"

namespace orderplatform::service {
namespace {

TEST(ServiceMetricsTest, OffMeansNoServerButARegistryWithBuildAndProcessMetrics) {
  config::ServiceConfig config;
  config.metrics_port = config::kMetricsOff;
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics = ServiceMetrics::Start("order", config);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ((*metrics)->port(), config::kMetricsOff);
  const std::string text = (*metrics)->registry()->RenderText();
  EXPECT_TRUE(absl::StrContains(
      text, absl::StrCat("orderplatform_build_info{service=\"order\",version=\"", BuildVersion(),
                         "\",librdkafka_version=\"", rd_kafka_version_str(),
                         "\",grpc_version=\"", grpc::Version(), "\"} 1\n")))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "\nprocess_start_time_seconds "));
}

TEST(ServiceMetricsTest, PortZeroServesWhatPromtoolAccepts) {
  config::ServiceConfig config;
  config.metrics_port = 0;
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics =
      ServiceMetrics::Start("inventory", config);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_GT((*metrics)->port(), 0);
  httplib::Client client("127.0.0.1", (*metrics)->port());
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(absl::StrContains(result->body, "service=\"inventory\""));
  const absl::Status valid = metrics::testing::PromtoolCheckMetrics(result->body);
  EXPECT_TRUE(valid.ok()) << valid;
}

TEST(ServiceMetricsTest, ATakenPortIsUnavailable) {
  config::ServiceConfig config;
  config.metrics_port = 0;
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> first = ServiceMetrics::Start("order", config);
  ASSERT_TRUE(first.ok()) << first.status();
  config.metrics_port = (*first)->port();
  EXPECT_EQ(ServiceMetrics::Start("order", config).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace orderplatform::service
