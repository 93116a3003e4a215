#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace orderplatform::bench {
namespace {

TEST(ProcStatsTest, ParsesUtimeAndStimeAfterAnAwkwardName) {
  // A command name with spaces and a ')' of its own.
  const char* stat =
      "1234 (weird ) name) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 4 0 100 "
      "1000000 500 18446744073709551615";
  absl::StatusOr<CpuTicks> ticks = ParseProcStat(stat);
  ASSERT_TRUE(ticks.ok()) << ticks.status();
  EXPECT_EQ(ticks->user, 250);
  EXPECT_EQ(ticks->system, 75);
}

TEST(ProcStatsTest, RefusesMalformedStat) {
  EXPECT_FALSE(ParseProcStat("no parenthesis").ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2").ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2 3 4 5 6 7 8 9 10 abc 12").ok());
}

TEST(ProcStatsTest, ParsesRssAndPeak) {
  const char* status =
      "Name:\torder_service\nVmPeak:\t  900000 kB\nVmHWM:\t   65432 kB\nVmRSS:\t   54321 kB\n";
  absl::StatusOr<MemoryUsage> usage = ParseProcStatus(status);
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->rss_kb, 54321);
  EXPECT_EQ(usage->hwm_kb, 65432);
  EXPECT_FALSE(ParseProcStatus("Name:\tx\nVmRSS:\t1 kB\n").ok());
  EXPECT_FALSE(ParseProcStatus("VmHWM:\tlots kB\nVmRSS:\t1 kB\n").ok());
}

TEST(ProcStatsTest, ReadsItsOwnProcess) {
  absl::StatusOr<absl::Duration> cpu = CpuTime(getpid());
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_GE(*cpu, absl::ZeroDuration());
  absl::StatusOr<MemoryUsage> memory = Memory(getpid());
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_GT(memory->rss_kb, 0);
  EXPECT_GE(memory->hwm_kb, memory->rss_kb);
}

}  // namespace
}  // namespace orderplatform::bench
