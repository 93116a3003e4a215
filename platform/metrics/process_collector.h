// The standard process metrics every Prometheus client exports, read from /proc at scrape time:
// process_cpu_seconds_total, process_start_time_seconds, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and process_threads. They keep
// their conventional unprefixed names so that stock dashboards and alerts work unchanged.
//
//   CollectorHandle process = AddProcessCollector(&registry);  // keep it as long as the registry
#ifndef ORDERPLATFORM_PLATFORM_METRICS_PROCESS_COLLECTOR_H_
#define ORDERPLATFORM_PLATFORM_METRICS_PROCESS_COLLECTOR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/metrics/registry.h"

namespace orderplatform::metrics {

struct ProcessStat {
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // since the epoch
  int64_t threads = 0;
  int64_t virtual_memory_bytes = 0;
  int64_t resident_memory_bytes = 0;
};

// Parses the one line of /proc/<pid>/stat (see proc(5)). The command name in parentheses may
// itself hold spaces and parentheses, so the fields are counted from the last ')'.
// INVALID_ARGUMENT for a line that does not have the fields.
absl::StatusOr<ProcessStat> ParseProcessStat(absl::string_view line, int64_t ticks_per_second,
                                             int64_t page_size_bytes, int64_t boot_time_seconds);

// "btime" of /proc/stat: the boot time in seconds since the epoch.
absl::StatusOr<int64_t> ParseBootTime(absl::string_view proc_stat);

// Registers the process collector; a scrape that cannot read /proc leaves the family out.
[[nodiscard]] CollectorHandle AddProcessCollector(Registry* registry);

}  // namespace orderplatform::metrics

#endif  // ORDERPLATFORM_PLATFORM_METRICS_PROCESS_COLLECTOR_H_
