// Reading metrics back in tests: scraping /metrics over HTTP, parsing the text exposition into
// series, and the catalog of documented metrics (the table in docs/OPERATIONS.md), so tests can
// hold what services export, what the docs list and what dashboards and alerts query to one
// another.
//
//   absl::StatusOr<std::string> text = ScrapeMetrics(port);
//   absl::StatusOr<Exposition> parsed = ParseExposition(*text);
//   double placed = parsed->Sum("orderplatform_grpc_server_handled_total",
//                               {{"grpc_method", "PlaceOrder"}, {"grpc_code", "OK"}});
#ifndef ORDERPLATFORM_PLATFORM_METRICS_TESTING_EXPOSITION_H_
#define ORDERPLATFORM_PLATFORM_METRICS_TESTING_EXPOSITION_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orderplatform::metrics::testing {

struct Series {
  std::string name;  // as written: a histogram's lines end in _bucket, _sum or _count
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family name -> its TYPE word
  std::vector<Series> series;

  // The sum of the series named `name` whose labels include all of `labels`; 0 when none.
  double Sum(absl::string_view name, const std::map<std::string, std::string>& labels = {}) const;
  // How many series named `name` include all of `labels`.
  int Count(absl::string_view name, const std::map<std::string, std::string>& labels = {}) const;
};

// GET http://127.0.0.1:<port>/metrics; UNAVAILABLE when it does not answer 200.
absl::StatusOr<std::string> ScrapeMetrics(int port);

// The text format as the platform writes it (one sample per line, label values escaped).
// INVALID_ARGUMENT naming the line that does not parse.
absl::StatusOr<Exposition> ParseExposition(absl::string_view text);

// The metrics docs/OPERATIONS.md lists: every table row that starts with a metric name in
// backquotes followed by its type (| `name` | counter | ...). Name -> type.
absl::StatusOr<std::map<std::string, std::string>> ReadDocumentedMetrics(const std::string& path);

}  // namespace orderplatform::metrics::testing

#endif  // ORDERPLATFORM_PLATFORM_METRICS_TESTING_EXPOSITION_H_
