#include "platform/metrics/http_server.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace orderplatform::metrics {
namespace {

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("orderplatform_test_scrapes_total", "Test counter.")
        .WithLabels({})
        .Increment(5);
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
        MetricsHttpServer::Start({.host = "127.0.0.1", .port = 0, .print_port = false},
                                 &registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    return client.Get(path.c_str());
  }

  Registry registry_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, ServesTheRegistryAtMetrics) {
  EXPECT_GT(server_->port(), 0);
  httplib::Result result = Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), kExpositionContentType);
  EXPECT_EQ(result->body, registry_.RenderText());
  EXPECT_TRUE(absl::StrContains(result->body, "orderplatform_test_scrapes_total 5\n"));
}

TEST_F(MetricsHttpServerTest, EachScrapeSeesCurrentValues) {
  registry_.AddCounter("orderplatform_test_scrapes_total", "Test counter.")
      .WithLabels({})
      .Increment();
  httplib::Result result = Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_TRUE(absl::StrContains(result->body, "orderplatform_test_scrapes_total 6\n"));
}

TEST_F(MetricsHttpServerTest, OtherPathsAreNotFound) {
  httplib::Result result = Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  result = Get("/metrics/extra");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
}

TEST_F(MetricsHttpServerTest, StopIsPromptAndIdempotent) {
  const absl::Time start = absl::Now();
  server_->Stop();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_FALSE(Get("/metrics"));
}

TEST_F(MetricsHttpServerTest, ATakenPortIsUnavailable) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second = MetricsHttpServer::Start(
      {.host = "127.0.0.1", .port = server_->port(), .print_port = false}, &registry_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsHttpServerOptionsTest, InvalidOptionsAreRefused) {
  Registry registry;
  EXPECT_EQ(MetricsHttpServer::Start({.port = 70000}, &registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsHttpServer::Start({.port = 0, .threads = 0}, &registry).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsHttpServerStartStopTest, StopRightAfterStartDoesNotHang) {
  // httplib ignores stop() before its accept loop runs; Stop() must cover that window.
  Registry registry;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server = MetricsHttpServer::Start(
        {.host = "127.0.0.1", .port = 0, .print_port = false}, &registry);
    ASSERT_TRUE(server.ok()) << server.status();
    (*server)->Stop();
  }
}

}  // namespace
}  // namespace orderplatform::metrics
