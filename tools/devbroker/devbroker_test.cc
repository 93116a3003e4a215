// The devbroker program as a launcher sees it: what it prints and writes, how it stops, how it
// refuses bad flags. The fault controls are covered through the testenv launcher
// (integration_tests/testenv/devbroker_test.cc).
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "tools/devbroker/kafka_probe.h"

namespace orderplatform::devbroker {
namespace {

using testenv::Process;
using testenv::ProcessSpec;

constexpr absl::Duration kStartTimeout = absl::Seconds(15);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::unique_ptr<Process> StartDevBroker(std::vector<std::string> args) {
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start({.binary = testenv::RunfilePath("tools/devbroker/devbroker"),
                      .args = std::move(args),
                      .name = "devbroker"});
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? *std::move(process) : nullptr;
}

TEST(DevBrokerBinaryTest, PrintsBootstrapFirstWritesTheFileAndExitsZeroOnSigterm) {
  const std::string bootstrap_file = testenv::MakeTempDir("devbroker") + "/bootstrap";
  std::unique_ptr<Process> broker =
      StartDevBroker({"--brokers=2", "--partitions=3", "--bootstrap_file=" + bootstrap_file});
  ASSERT_NE(broker, nullptr);
  absl::StatusOr<std::string> control = broker->WaitForStdoutLine("control_port=", kStartTimeout);
  ASSERT_TRUE(control.ok()) << control.status();

  std::vector<std::string> lines =
      absl::StrSplit(ReadFile(broker->stdout_path()), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  ASSERT_TRUE(absl::StartsWith(lines[0], "bootstrap=")) << lines[0];
  EXPECT_EQ(lines[1], *control);
  const std::string bootstrap = lines[0].substr(std::string("bootstrap=").size());
  std::vector<std::string> addresses = absl::StrSplit(bootstrap, ',');
  EXPECT_EQ(addresses.size(), 2u) << bootstrap;
  for (const std::string& address : addresses) {
    EXPECT_TRUE(absl::StartsWith(address, "127.0.0.1:")) << address;
  }
  int control_port = 0;
  EXPECT_TRUE(
      absl::SimpleAtoi(control->substr(std::string("control_port=").size()), &control_port));
  EXPECT_GT(control_port, 0);
  EXPECT_EQ(ReadFile(bootstrap_file), bootstrap) << "the file holds the bare list";

  // The printed list is a working cluster: it answers with the requested shape.
  absl::StatusOr<probe::ClusterMetadata> metadata =
      probe::FetchMetadata(bootstrap, absl::Seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(metadata->brokers.size(), 2u);
  EXPECT_EQ(metadata->leaders["payments.v1.dlq"].size(), 3u);

  absl::StatusOr<int> code = broker->Terminate(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << broker->StderrTail();
}

TEST(DevBrokerBinaryTest, ExitsZeroOnSigint) {
  std::unique_ptr<Process> broker = StartDevBroker({"--brokers=1", "--partitions=1"});
  ASSERT_NE(broker, nullptr);
  ASSERT_TRUE(broker->WaitForStdoutLine("control_port=", kStartTimeout).ok());
  ASSERT_TRUE(broker->Signal(SIGINT).ok());
  absl::StatusOr<int> code = broker->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << broker->StderrTail();
}

TEST(DevBrokerBinaryTest, ServesTheControlsOnTheRequestedPort) {
  absl::StatusOr<int> port = testenv::PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  std::unique_ptr<Process> broker =
      StartDevBroker({"--brokers=1", "--partitions=1", absl::StrCat("--control_port=", *port)});
  ASSERT_NE(broker, nullptr);
  absl::StatusOr<std::string> control = broker->WaitForStdoutLine("control_port=", kStartTimeout);
  ASSERT_TRUE(control.ok()) << control.status();
  EXPECT_EQ(*control, absl::StrCat("control_port=", *port));
}

TEST(DevBrokerBinaryTest, RefusesAControlPortThatIsTaken) {
  std::unique_ptr<Process> first = StartDevBroker({"--brokers=1", "--partitions=1"});
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::string> control = first->WaitForStdoutLine("control_port=", kStartTimeout);
  ASSERT_TRUE(control.ok()) << control.status();
  std::unique_ptr<Process> second = StartDevBroker(
      {"--brokers=1", "--partitions=1", "--" + *control});  // --control_port=<first's port>
  ASSERT_NE(second, nullptr);
  absl::StatusOr<int> code = second->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
  EXPECT_NE(second->StderrTail().find("cannot serve the control service"), std::string::npos)
      << second->StderrTail();
  EXPECT_TRUE(first->Running());
}

TEST(DevBrokerBinaryTest, RefusesInvalidFlagsWithAOneLineReason) {
  std::unique_ptr<Process> broker = StartDevBroker({"--brokers=0"});
  ASSERT_NE(broker, nullptr);
  absl::StatusOr<int> code = broker->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
  EXPECT_EQ(ReadFile(broker->stdout_path()), "") << "no bootstrap line for a broker that failed";
  const std::string stderr_text = broker->StderrTail();
  EXPECT_NE(stderr_text.find("brokers must be 1..32, got 0"), std::string::npos) << stderr_text;
  EXPECT_EQ(std::count(stderr_text.begin(), stderr_text.end(), '\n'), 1) << stderr_text;
}

}  // namespace
}  // namespace orderplatform::devbroker
