#include "platform/metrics/testing/exposition.h"

#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "httplib.h"

namespace orderplatform::metrics::testing {
namespace {

bool Includes(const std::map<std::string, std::string>& labels,
              const std::map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

// Parses `{a="x",b="y"}` from the start of `rest`, consuming it.
bool ParseLabels(absl::string_view* rest, std::map<std::string, std::string>* labels) {
  if (!absl::ConsumePrefix(rest, "{")) return true;
  while (!absl::ConsumePrefix(rest, "}")) {
    const size_t equals = rest->find("=\"");
    if (equals == absl::string_view::npos || equals == 0) return false;
    const std::string key(rest->substr(0, equals));
    rest->remove_prefix(equals + 2);
    std::string value;
    bool closed = false;
    while (!rest->empty() && !closed) {
      const char c = rest->front();
      rest->remove_prefix(1);
      if (c == '"') {
        closed = true;
      } else if (c == '\\' && !rest->empty()) {
        const char escaped = rest->front();
        rest->remove_prefix(1);
        value.push_back(escaped == 'n' ? '\n' : escaped);
      } else {
        value.push_back(c);
      }
    }
    if (!closed) return false;
    (*labels)[key] = std::move(value);
    absl::ConsumePrefix(rest, ",");
  }
  return true;
}

}  // namespace

double Exposition::Sum(absl::string_view name,
                       const std::map<std::string, std::string>& labels) const {
  double sum = 0;
  for (const Series& s : series) {
    if (s.name == name && Includes(s.labels, labels)) sum += s.value;
  }
  return sum;
}

int Exposition::Count(absl::string_view name,
                      const std::map<std::string, std::string>& labels) const {
  int count = 0;
  for (const Series& s : series) {
    if (s.name == name && Includes(s.labels, labels)) ++count;
  }
  return count;
}

absl::StatusOr<std::string> ScrapeMetrics(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result result = client.Get("/metrics");
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("GET :", port, "/metrics: ", httplib::to_string(result.error())));
  }
  if (result->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET :", port, "/metrics: ", result->status));
  }
  return result->body;
}

absl::StatusOr<Exposition> ParseExposition(absl::string_view text) {
  Exposition out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "# TYPE ")) {
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      if (words.size() != 2) return absl::InvalidArgumentError(absl::StrCat("TYPE: ", line));
      out.types[words[0]] = words[1];
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;
    Series series;
    absl::string_view rest = line;
    const size_t name_end = rest.find_first_of("{ ");
    if (name_end == absl::string_view::npos || name_end == 0) {
      return absl::InvalidArgumentError(absl::StrCat("no name: ", line));
    }
    series.name = std::string(rest.substr(0, name_end));
    rest.remove_prefix(name_end);
    if (!ParseLabels(&rest, &series.labels)) {
      return absl::InvalidArgumentError(absl::StrCat("labels: ", line));
    }
    rest = absl::StripAsciiWhitespace(rest);
    if (rest == "+Inf") {
      series.value = std::numeric_limits<double>::infinity();
    } else if (!absl::SimpleAtod(rest, &series.value)) {
      return absl::InvalidArgumentError(absl::StrCat("value: ", line));
    }
    out.series.push_back(std::move(series));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ReadDocumentedMetrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::map<std::string, std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "| `")) continue;
    const size_t name_end = rest.find('`');
    if (name_end == absl::string_view::npos) continue;
    const std::string name(rest.substr(0, name_end));
    rest.remove_prefix(name_end + 1);
    std::vector<std::string> cells = absl::StrSplit(rest, '|');
    if (cells.size() < 2) continue;
    const std::string type(absl::StripAsciiWhitespace(cells[1]));
    if (type == "counter" || type == "gauge" || type == "histogram") documented[name] = type;
  }
  if (documented.empty()) return absl::NotFoundError(absl::StrCat("no metric table in ", path));
  return documented;
}

}  // namespace orderplatform::metrics::testing
