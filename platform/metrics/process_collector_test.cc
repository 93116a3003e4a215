#include "platform/metrics/process_collector.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace orderplatform::metrics {
namespace {

// A real line's shape, with a command name that holds spaces and a ')'.
constexpr char kStatLine[] =
    "4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 7 0 "
    "12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ParseProcessStatTest, ReadsTheFieldsAfterTheCommandName) {
  absl::StatusOr<ProcessStat> stat =
      ParseProcessStat(kStatLine, /*ticks_per_second=*/100, /*page_size_bytes=*/4096,
                       /*boot_time_seconds=*/1700000000);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_DOUBLE_EQ(stat->cpu_seconds, 3.0);  // (250 + 50) ticks
  EXPECT_EQ(stat->threads, 7);
  EXPECT_DOUBLE_EQ(stat->start_time_seconds, 1700000000 + 123.45);
  EXPECT_EQ(stat->virtual_memory_bytes, 104857600);
  EXPECT_EQ(stat->resident_memory_bytes, 2560 * 4096);
}

TEST(ParseProcessStatTest, RejectsTruncatedOrForeignText) {
  EXPECT_FALSE(ParseProcessStat("4242 (x) S 1 2 3", 100, 4096, 0).ok());
  EXPECT_FALSE(ParseProcessStat("no parentheses at all", 100, 4096, 0).ok());
  EXPECT_FALSE(ParseProcessStat(kStatLine, /*ticks_per_second=*/0, 4096, 0).ok());
}

TEST(ParseBootTimeTest, FindsTheBtimeLine) {
  EXPECT_EQ(*ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n").ok());
}

TEST(ProcessCollectorTest, ExportsThisProcess) {
  Registry registry;
  CollectorHandle handle = AddProcessCollector(&registry);
  const std::vector<FamilySnapshot> families = registry.Collect();
  auto value = [&families](absl::string_view name) -> double {
    for (const FamilySnapshot& family : families) {
      if (family.name == name && family.samples.size() == 1) return family.samples[0].value;
    }
    ADD_FAILURE() << name << " missing";
    return -1;
  };
  const double now_s = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_GT(value("process_start_time_seconds"), now_s - 3600);
  EXPECT_LE(value("process_start_time_seconds"), now_s + 1);
  EXPECT_GT(value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  EXPECT_GE(value("process_open_fds"), 3);  // stdin, stdout, stderr at least
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GE(value("process_threads"), 1);
  EXPECT_GE(value("process_cpu_seconds_total"), 0);
}

}  // namespace
}  // namespace orderplatform::metrics
