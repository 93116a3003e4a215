#include "platform/metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace orderplatform::metrics {
namespace {

// Field numbers of proc(5), counted from 1; the first after the ')' is field 3 (state).
constexpr size_t kFirstFieldAfterName = 3;
constexpr size_t kUtimeField = 14;
constexpr size_t kStimeField = 15;
constexpr size_t kThreadsField = 20;
constexpr size_t kStartTimeField = 22;
constexpr size_t kVsizeField = 23;
constexpr size_t kRssField = 24;

std::string ReadWholeFile(const char* path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Entries of /proc/self/fd, without the one opendir() itself holds.
int64_t CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int64_t count = 0;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count - 3;  // ".", ".." and the directory's own descriptor
}

FamilySnapshot OneValue(absl::string_view name, absl::string_view help, MetricType type,
                      double value) {
  FamilySnapshot family{.name = std::string(name), .help = std::string(help), .type = type};
  family.samples.push_back({.value = value});
  return family;
}

}  // namespace

absl::StatusOr<ProcessStat> ParseProcessStat(absl::string_view line, int64_t ticks_per_second,
                                             int64_t page_size_bytes,
                                             int64_t boot_time_seconds) {
  const size_t name_end = line.rfind(')');
  if (name_end == absl::string_view::npos || ticks_per_second <= 0) {
    return absl::InvalidArgumentError("not a /proc/<pid>/stat line");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(line.substr(name_end + 1)), ' ',
                     absl::SkipEmpty());
  auto field = [&fields](size_t number, int64_t* out) {
    const size_t index = number - kFirstFieldAfterName;
    return index < fields.size() && absl::SimpleAtoi(fields[index], out);
  };
  int64_t utime = 0, stime = 0, threads = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
  if (!field(kUtimeField, &utime) || !field(kStimeField, &stime) ||
      !field(kThreadsField, &threads) || !field(kStartTimeField, &start_ticks) ||
      !field(kVsizeField, &vsize) || !field(kRssField, &rss_pages)) {
    return absl::InvalidArgumentError("a /proc/<pid>/stat line without the expected fields");
  }
  const double ticks = static_cast<double>(ticks_per_second);
  return ProcessStat{
      .cpu_seconds = static_cast<double>(utime + stime) / ticks,
      .start_time_seconds = static_cast<double>(boot_time_seconds) +
                            static_cast<double>(start_ticks) / ticks,
      .threads = threads,
      .virtual_memory_bytes = vsize,
      .resident_memory_bytes = rss_pages * page_size_bytes};
}

absl::StatusOr<int64_t> ParseBootTime(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (!absl::ConsumePrefix(&line, "btime ")) continue;
    int64_t seconds = 0;
    if (absl::SimpleAtoi(line, &seconds)) return seconds;
  }
  return absl::InvalidArgumentError("no btime line in /proc/stat");
}

CollectorHandle AddProcessCollector(Registry* registry) {
  const int64_t ticks_per_second = sysconf(_SC_CLK_TCK);
  const int64_t page_size = sysconf(_SC_PAGESIZE);
  // Read once: the boot time does not change while the process runs.
  const absl::StatusOr<int64_t> boot_time = ParseBootTime(ReadWholeFile("/proc/stat"));
  return registry->AddCollector([=](std::vector<FamilySnapshot>* out) {
    absl::StatusOr<ProcessStat> stat =
        ParseProcessStat(ReadWholeFile("/proc/self/stat"), ticks_per_second, page_size,
                         boot_time.ok() ? *boot_time : 0);
    if (stat.ok()) {
      out->push_back(OneValue("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.",
                            MetricType::kCounter, stat->cpu_seconds));
      if (boot_time.ok()) {
        out->push_back(OneValue("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              MetricType::kGauge, stat->start_time_seconds));
      }
      out->push_back(OneValue("process_resident_memory_bytes", "Resident memory size in bytes.",
                            MetricType::kGauge,
                            static_cast<double>(stat->resident_memory_bytes)));
      out->push_back(OneValue("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                            MetricType::kGauge,
                            static_cast<double>(stat->virtual_memory_bytes)));
      out->push_back(OneValue("process_threads", "Number of OS threads in the process.",
                            MetricType::kGauge, static_cast<double>(stat->threads)));
    }
    if (const int64_t fds = CountOpenFds(); fds >= 0) {
      out->push_back(OneValue("process_open_fds", "Number of open file descriptors.",
                            MetricType::kGauge, static_cast<double>(fds)));
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      out->push_back(OneValue("process_max_fds", "Maximum number of open file descriptors.",
                            MetricType::kGauge, static_cast<double>(limit.rlim_cur)));
    }
  });
}

}  // namespace orderplatform::metrics
