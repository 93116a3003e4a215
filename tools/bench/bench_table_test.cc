#include "tools/bench/bench_table.h"

#include "gtest/gtest.h"

namespace orderplatform::bench {
namespace {

const BenchRow* Find(const std::vector<BenchRow>& rows, absl::string_view prefix) {
  for (const BenchRow& row : rows) {
    if (absl::string_view(row.figure).substr(0, prefix.size()) == prefix) return &row;
  }
  return nullptr;
}

Ceilings SomeCeilings() {
  return Ceilings{.evalsha_per_s = 40000,
                  .set_per_s = 80000,
                  .redis_clients = 50,
                  .produce_per_s = 200000,
                  .consume_per_s = 400000,
                  .kafka_messages = 100000,
                  .kafka_partitions = 8,
                  .message_bytes = 200};
}

TEST(BenchTableTest, FormatsNumbers) {
  EXPECT_EQ(Thousands(0), "0");
  EXPECT_EQ(Thousands(999.4), "999");
  EXPECT_EQ(Thousands(1234567), "1,234,567");
  EXPECT_EQ(Thousands(-1000), "-1,000");
  EXPECT_EQ(Percent(70, 100), "70%");
  EXPECT_EQ(Percent(1, 0), "");
}

TEST(BenchTableTest, CeilingsOnlyWithoutSagaRuns) {
  const std::vector<BenchRow> rows = BuildRows(SomeCeilings(), {});
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].value, "40,000 calls/s");
  EXPECT_EQ(rows[0].verdict, "");
}

TEST(BenchTableTest, JudgesTheKafkaSagaAgainstTheBindingCeiling) {
  SagaFigures saga;
  SagaRun run;
  run.load.sustained = 16000;  // not used: bursts can make the middle look faster
  run.load.throughput = 15000;
  run.load.completed = 1000;
  run.evalsha_per_s = 30000;
  saga.kafka = run;
  const std::vector<BenchRow> rows = BuildRows(SomeCeilings(), saga);
  const BenchRow* kafka = Find(rows, "saga via Kafka");
  ASSERT_NE(kafka, nullptr);
  EXPECT_EQ(kafka->value, "15,000");
  // EVALSHA/2 = 20,000 binds (produce/5 = 40,000, consume/8 = 50,000).
  EXPECT_EQ(kafka->ceiling, "20,000 (EVALSHA/2)");
  EXPECT_EQ(kafka->ceiling_ratio, "75%");
  EXPECT_EQ(kafka->verdict, "NOT met");
  const BenchRow* inventory = Find(rows, "inventory path");
  ASSERT_NE(inventory, nullptr);
  EXPECT_EQ(inventory->ceiling_ratio, "75%");
  EXPECT_EQ(inventory->verdict, "met");
}

TEST(BenchTableTest, ASlowSequentialWriterBindsTheSaga) {
  Ceilings c = SomeCeilings();
  c.set_serial_per_s = 300;  // appendfsync always on a slow disk: one fsync per write
  SagaFigures saga;
  SagaRun run;
  run.load.throughput = 90;
  saga.kafka = run;
  const std::vector<BenchRow> rows = BuildRows(c, saga);
  const BenchRow* kafka = Find(rows, "saga via Kafka");
  ASSERT_NE(kafka, nullptr);
  EXPECT_EQ(kafka->ceiling, "100 (1-client SET/3)");
  EXPECT_EQ(kafka->ceiling_ratio, "90%");
}

TEST(BenchTableTest, UnfinishedOrdersFailTheTargetAndAreShown) {
  SagaFigures saga;
  SagaRun run;
  run.load.throughput = 25000;
  run.load.unfinished = 3;
  saga.kafka = run;
  const std::vector<BenchRow> rows = BuildRows(SomeCeilings(), saga);
  const BenchRow* kafka = Find(rows, "saga via Kafka");
  ASSERT_NE(kafka, nullptr);
  EXPECT_EQ(kafka->verdict, "NOT met");
  EXPECT_NE(kafka->value.find("3 unfinished"), std::string::npos) << kafka->value;
}

TEST(BenchTableTest, LatencyTargetNeedsTheRateToo) {
  SagaFigures saga;
  SagaRun run;
  run.load.throughput = 2000;
  run.load.latency.count = 100;
  run.load.latency.p99_ms = 20;
  saga.latency = run;
  EXPECT_EQ(Find(BuildRows(SomeCeilings(), saga), "latency at that rate: p99 ")->verdict, "met");
  saga.latency->load.throughput = 1500;  // could not keep up: the latency is not at 2,000/s
  EXPECT_EQ(Find(BuildRows(SomeCeilings(), saga), "latency at that rate: p99 ")->verdict,
            "NOT met");
}

TEST(BenchTableTest, RssTargetUsesTheWorstService) {
  SagaFigures saga;
  saga.rss_mb_peak = {{"order", 40}, {"inventory", 300}};
  const std::vector<BenchRow> rows = BuildRows(SomeCeilings(), saga);
  const BenchRow* rss = Find(rows, "peak RSS");
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->value, "order 40, inventory 300");
  EXPECT_EQ(rss->verdict, "NOT met");
}

TEST(BenchTableTest, MarkdownHasOneLinePerRow) {
  std::vector<BenchRow> rows = {{.figure = "a", .value = "1"}, {.figure = "b", .verdict = "NOT met"}};
  const std::string md = RenderMarkdown("header", rows);
  EXPECT_NE(md.find("| a | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("**NOT met**"), std::string::npos) << md;
  EXPECT_EQ(md.rfind("header", 0), 0u);
}

TEST(BenchTableTest, ReplacesOnlyTheMarkedSection) {
  const std::string doc = "# Title\n\nbefore\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n";
  absl::StatusOr<std::string> out = ReplaceMarkedSection(doc, "new table\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "# Title\n\nbefore\n<!-- bench:begin -->\nnew table\n<!-- bench:end -->\nafter\n");
  // Idempotent.
  EXPECT_EQ(*ReplaceMarkedSection(*out, "new table\n"), *out);
}

TEST(BenchTableTest, AppendsTheSectionWhenMissing) {
  absl::StatusOr<std::string> out = ReplaceMarkedSection("# Title", "t");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "# Title\n\n<!-- bench:begin -->\nt\n<!-- bench:end -->\n");
}

TEST(BenchTableTest, RefusesBrokenMarkers) {
  EXPECT_FALSE(ReplaceMarkedSection("<!-- bench:begin --> only", "t").ok());
  EXPECT_FALSE(ReplaceMarkedSection("<!-- bench:end --> <!-- bench:begin -->", "t").ok());
}

}  // namespace
}  // namespace orderplatform::bench
