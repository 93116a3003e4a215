#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace orderplatform::bench {
namespace {

absl::StatusOr<std::string> ReadProcFile(pid_t pid, absl::string_view name) {
  const std::string path = absl::StrCat("/proc/", pid, "/", name);
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<CpuTicks> ParseProcStat(absl::string_view stat) {
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) {
    return absl::InvalidArgumentError("proc stat without a command name");
  }
  // After ")": field 3 (state) onwards; utime and stime are fields 14 and 15.
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  constexpr size_t kUtime = 14 - 3;
  constexpr size_t kStime = 15 - 3;
  CpuTicks ticks;
  if (fields.size() <= kStime || !absl::SimpleAtoi(fields[kUtime], &ticks.user) ||
      !absl::SimpleAtoi(fields[kStime], &ticks.system)) {
    return absl::InvalidArgumentError("proc stat without utime/stime");
  }
  return ticks;
}

absl::StatusOr<MemoryUsage> ParseProcStatus(absl::string_view status) {
  MemoryUsage usage;
  bool rss = false;
  bool hwm = false;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    int64_t* target = nullptr;
    if (absl::ConsumePrefix(&line, "VmRSS:")) {
      target = &usage.rss_kb;
      rss = true;
    } else if (absl::ConsumePrefix(&line, "VmHWM:")) {
      target = &usage.hwm_kb;
      hwm = true;
    } else {
      continue;
    }
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), target)) {
      return absl::InvalidArgumentError(absl::StrCat("bad proc status line: ", line));
    }
  }
  if (!rss || !hwm) return absl::InvalidArgumentError("proc status without VmRSS/VmHWM");
  return usage;
}

absl::StatusOr<absl::Duration> CpuTime(pid_t pid) {
  absl::StatusOr<std::string> stat = ReadProcFile(pid, "stat");
  if (!stat.ok()) return stat.status();
  absl::StatusOr<CpuTicks> ticks = ParseProcStat(*stat);
  if (!ticks.ok()) return ticks.status();
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  return absl::Seconds(static_cast<double>(ticks->user + ticks->system) / ticks_per_second);
}

absl::StatusOr<MemoryUsage> Memory(pid_t pid) {
  absl::StatusOr<std::string> status = ReadProcFile(pid, "status");
  if (!status.ok()) return status.status();
  return ParseProcStatus(*status);
}

}  // namespace orderplatform::bench
