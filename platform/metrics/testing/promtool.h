// `promtool check metrics` for tests: Prometheus' own parser and linter (names, units, suffixes,
// HELP) over an exposition, so a test holds the output to what Prometheus accepts rather than to
// what we think it accepts.
//
//   absl::Status valid = PromtoolCheckMetrics(registry.RenderText());
//   EXPECT_TRUE(valid.ok()) << valid;  // the message holds promtool's complaints
#ifndef ORDERPLATFORM_PLATFORM_METRICS_TESTING_PROMTOOL_H_
#define ORDERPLATFORM_PLATFORM_METRICS_TESTING_PROMTOOL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orderplatform::metrics::testing {

inline constexpr char kPromtoolPath[] = "/usr/bin/promtool";

// OK when promtool exits 0; FAILED_PRECONDITION with its output otherwise (INTERNAL when it
// cannot be run at all, e.g. the prometheus package is missing: run tools/setup.sh).
absl::Status PromtoolCheckMetrics(absl::string_view exposition);

}  // namespace orderplatform::metrics::testing

#endif  // ORDERPLATFORM_PLATFORM_METRICS_TESTING_PROMTOOL_H_
