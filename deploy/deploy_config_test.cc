// The dashboard and the Prometheus rules against the metric catalog: deploy/grafana's JSON
// parses, its PromQL parses (promtool), and every metric the dashboard or the rules query is one
// docs/OPERATIONS.md lists (the integration test holds that list equal to what the services
// export) or a recording rule of orderplatform.rules.yml. So a renamed metric breaks this test,
// not a dashboard at 3 a.m.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "platform/metrics/testing/exposition.h"

namespace orderplatform::deploy {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string ReadFile(const std::string& workspace_path) {
  std::ifstream in(testenv::RunfilePath(workspace_path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Every string under a key named `expr`, anywhere in the JSON.
void CollectExprs(const Value& value, std::vector<std::string>* out) {
  if (value.kind_case() == Value::kStructValue) {
    for (const auto& [key, child] : value.struct_value().fields()) {
      if (key == "expr" && child.kind_case() == Value::kStringValue) {
        out->push_back(child.string_value());
      } else {
        CollectExprs(child, out);
      }
    }
  } else if (value.kind_case() == Value::kListValue) {
    for (const Value& child : value.list_value().values()) CollectExprs(child, out);
  }
}

// Metric names in a PromQL expression or a rules file: the platform's own (orderplatform_...),
// recording rules (orderplatform:...) and the process metrics. Label values such as
// job=~"orderplatform-.+" do not match, since a name continues with '_' or ':'.
std::set<std::string> MetricNamesIn(const std::string& text) {
  static const std::regex kName("\\b(orderplatform[_:][A-Za-z0-9_:]*|process_[a-z_]+)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

// Lines of a YAML file without the comments (a comment may name anything).
std::string WithoutComments(const std::string& yaml) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(yaml, '\n')) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) continue;
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// The value of every `<key>: value` line of a YAML file.
std::vector<std::string> YamlValues(const std::string& yaml, absl::string_view key) {
  std::vector<std::string> values;
  const std::string prefix = absl::StrCat(key, ": ");
  for (absl::string_view line : absl::StrSplit(yaml, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    absl::ConsumePrefix(&line, "- ");
    if (absl::ConsumePrefix(&line, prefix)) {
      values.emplace_back(absl::StripAsciiWhitespace(line));
    }
  }
  return values;
}

class DeployConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::map<std::string, std::string>> documented =
        metrics::testing::ReadDocumentedMetrics(testenv::RunfilePath("docs/OPERATIONS.md"));
    ASSERT_TRUE(documented.ok()) << documented.status();
    documented_ = *std::move(documented);
    rules_ = ReadFile("deploy/prometheus/orderplatform.rules.yml");
    ASSERT_FALSE(rules_.empty());
    for (const std::string& name : YamlValues(rules_, "record")) recorded_.insert(name);
    ASSERT_FALSE(recorded_.empty());
  }

  // Why `name` may not be queried; empty when it may.
  std::string Unknown(const std::string& name) const {
    if (absl::StrContains(name, ":")) {
      return recorded_.count(name) > 0 ? "" : "not a recording rule of orderplatform.rules.yml";
    }
    if (documented_.count(name) > 0) return "";
    for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      absl::string_view base = name;
      if (absl::ConsumeSuffix(&base, suffix)) {
        auto it = documented_.find(std::string(base));
        if (it != documented_.end() && it->second == "histogram") return "";
      }
    }
    return "not in docs/OPERATIONS.md";
  }

  std::map<std::string, std::string> documented_;
  std::string rules_;
  std::set<std::string> recorded_;
};

TEST_F(DeployConfigTest, DashboardParsesAndQueriesOnlyKnownMetrics) {
  Struct dashboard;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      ReadFile("deploy/grafana/orderplatform.json"), &dashboard);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString();
  ASSERT_EQ(dashboard.fields().count("title"), 1u);
  ASSERT_EQ(dashboard.fields().at("uid").string_value(), "orderplatform");
  Value root;
  *root.mutable_struct_value() = dashboard;
  std::vector<std::string> exprs;
  CollectExprs(root, &exprs);
  ASSERT_GE(exprs.size(), 20u);
  std::set<std::string> queried;
  for (const std::string& expr : exprs) {
    for (const std::string& name : MetricNamesIn(expr)) {
      queried.insert(name);
      EXPECT_EQ(Unknown(name), "") << name << " in dashboard expression: " << expr;
    }
  }
  // The panels an operator needs most are there.
  for (const char* needed : {"orderplatform:kafka_consumer_lag_messages:sum",
                             "orderplatform:dlq_messages:increase10m",
                             "orderplatform_inventory_reservations_open",
                             "orderplatform:lua_script_duration_seconds:p99_5m",
                             "orderplatform:grpc_server_handled:rate5m"}) {
    EXPECT_EQ(queried.count(needed), 1u) << needed << " is on no panel";
  }
}

// promtool parses PromQL only inside rule files, so every dashboard expression is checked as a
// recording rule of a throwaway file.
TEST_F(DeployConfigTest, DashboardExpressionsAreValidPromQL) {
  Struct dashboard;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  ReadFile("deploy/grafana/orderplatform.json"), &dashboard)
                  .ok());
  Value root;
  *root.mutable_struct_value() = dashboard;
  std::vector<std::string> exprs;
  CollectExprs(root, &exprs);
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (size_t i = 0; i < exprs.size(); ++i) {
    // A YAML single-quoted scalar: only the quote itself needs escaping.
    absl::StrAppend(&rules, "      - record: dashboard:expr_", i, "\n        expr: '",
                    absl::StrReplaceAll(exprs[i], {{"'", "''"}}), "'\n");
  }
  const std::string dir = testenv::MakeTempDir("dashboard-rules");
  const std::string path = absl::StrCat(dir, "/dashboard.rules.yml");
  std::ofstream(path) << rules;
  const std::string command = absl::StrCat("/usr/bin/promtool check rules '", path, "' > '", dir,
                                           "/out.txt' 2>&1");
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFile(absl::StrCat(dir, "/out.txt")) << "\n" << rules;
}

TEST_F(DeployConfigTest, RulesQueryOnlyKnownMetrics) {
  // Recording rule names are defined here, not queried; everything else must be known.
  std::string queried_text;
  for (absl::string_view line : absl::StrSplit(WithoutComments(rules_), '\n')) {
    if (!absl::StrContains(line, "record:")) absl::StrAppend(&queried_text, line, "\n");
  }
  const std::set<std::string> queried = MetricNamesIn(queried_text);
  ASSERT_FALSE(queried.empty());
  for (const std::string& name : queried) {
    EXPECT_EQ(Unknown(name), "") << name << " in orderplatform.rules.yml";
  }
}

TEST_F(DeployConfigTest, EveryAlertHasUnitTests) {
  const std::string tests = ReadFile("deploy/prometheus/orderplatform.rules_test.yml");
  const std::vector<std::string> alerts = YamlValues(rules_, "alert");
  ASSERT_GE(alerts.size(), 5u);
  std::map<std::string, int> evaluations;
  for (const std::string& name : YamlValues(tests, "alertname")) ++evaluations[name];
  for (const std::string& alert : alerts) {
    // At least one evaluation where it fires and one where it must not.
    EXPECT_GE(evaluations[alert], 2) << alert << " lacks tests in orderplatform.rules_test.yml";
  }
}

}  // namespace
}  // namespace orderplatform::deploy
