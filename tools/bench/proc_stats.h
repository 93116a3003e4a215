// What the bench reads about a process from /proc: CPU time (utime + stime of /proc/PID/stat)
// and memory (VmRSS, VmHWM of /proc/PID/status). The parsers are pure and tested; the readers
// return UNAVAILABLE when the process is gone.
//
//   absl::StatusOr<absl::Duration> before = CpuTime(pid);
//   ... load ...
//   absl::Duration used = *CpuTime(pid) - *before;     // comparable across runs and machines
//   absl::StatusOr<MemoryUsage> memory = Memory(pid);  // rss_kb now, hwm_kb = peak
#ifndef ORDERPLATFORM_TOOLS_BENCH_PROC_STATS_H_
#define ORDERPLATFORM_TOOLS_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orderplatform::bench {

struct CpuTicks {
  int64_t user = 0;    // utime, field 14
  int64_t system = 0;  // stime, field 15
};

// Fields of /proc/PID/stat. The command name (field 2) is in parentheses and may contain spaces
// and parentheses, so fields are counted from the last ')'. INVALID_ARGUMENT when malformed.
absl::StatusOr<CpuTicks> ParseProcStat(absl::string_view stat);

struct MemoryUsage {
  int64_t rss_kb = 0;  // VmRSS: resident now
  int64_t hwm_kb = 0;  // VmHWM: the peak resident size
};

// VmRSS and VmHWM of /proc/PID/status. INVALID_ARGUMENT when either is missing.
absl::StatusOr<MemoryUsage> ParseProcStatus(absl::string_view status);

// utime + stime of `pid`, at the kernel's clock tick resolution (sysconf(_SC_CLK_TCK)).
absl::StatusOr<absl::Duration> CpuTime(pid_t pid);
absl::StatusOr<MemoryUsage> Memory(pid_t pid);

}  // namespace orderplatform::bench

#endif  // ORDERPLATFORM_TOOLS_BENCH_PROC_STATS_H_
