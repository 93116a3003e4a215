#include "platform/metrics/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "platform/log/log.h"

namespace orderplatform::metrics {
namespace {

bool IsNameStart(char c, bool colon_allowed) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (colon_allowed && c == ':');
}

bool IsNameChar(char c, bool colon_allowed) {
  return IsNameStart(c, colon_allowed) || absl::ascii_isdigit(static_cast<unsigned char>(c));
}

bool IsValidName(absl::string_view name, bool colon_allowed) {
  if (name.empty() || !IsNameStart(name[0], colon_allowed)) return false;
  return std::all_of(name.begin(), name.end(),
                     [colon_allowed](char c) { return IsNameChar(c, colon_allowed); });
}

// `{a="x",b="y"}`, with `le` appended for histogram buckets; nothing when there are no labels.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  absl::string_view le, std::string* out) {
  if (names.empty() && le.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!le.empty()) absl::StrAppend(out, names.empty() ? "" : ",", "le=\"", le, "\"");
  out->push_back('}');
}

void AppendLine(absl::string_view name, absl::string_view suffix,
                const std::vector<std::string>& label_names, const Sample& sample,
                absl::string_view le, double value, std::string* out) {
  absl::StrAppend(out, name, suffix);
  AppendLabels(label_names, sample.label_values, le, out);
  absl::StrAppend(out, " ", FormatValue(value), "\n");
}

void AppendFamily(const FamilySnapshot& family, std::string* out) {
  absl::StrAppend(out, "# HELP ", family.name, " ", EscapeHelp(family.help), "\n");
  absl::StrAppend(out, "# TYPE ", family.name, " ", MetricTypeName(family.type), "\n");
  for (const Sample& sample : family.samples) {
    if (sample.label_values.size() != family.label_names.size()) {
      // The registry and the collectors build samples from the family's own label names, so
      // this is a bug; an exposition with a short label set would be rejected whole.
      log::LogError("metrics_label_count_mismatch", {{"metric", family.name}});
      std::abort();
    }
    if (family.type != MetricType::kHistogram) {
      AppendLine(family.name, "", family.label_names, sample, "", sample.value, out);
      continue;
    }
    const HistogramValue& h = sample.histogram;
    for (size_t i = 0; i < h.bounds.size() && i < h.cumulative_counts.size(); ++i) {
      AppendLine(family.name, "_bucket", family.label_names, sample, FormatValue(h.bounds[i]),
                 static_cast<double>(h.cumulative_counts[i]), out);
    }
    AppendLine(family.name, "_bucket", family.label_names, sample, "+Inf",
               static_cast<double>(h.count), out);
    AppendLine(family.name, "_sum", family.label_names, sample, "", h.sum, out);
    AppendLine(family.name, "_count", family.label_names, sample, "",
               static_cast<double>(h.count), out);
  }
}

}  // namespace

absl::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool IsValidMetricName(absl::string_view name) { return IsValidName(name, true); }

bool IsValidLabelName(absl::string_view name) {
  return IsValidName(name, false) && name.substr(0, 2) != "__";
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip text: exact for counts, and no "0.10000000000000001" noise for sums.
  // Plain decimals from 1e-4 on, as Prometheus' own clients write bucket bounds: an `le` label
  // is matched as text, so "1e-04" and "0.0001" would be two different buckets to a query.
  const double magnitude = std::fabs(value);
  const std::chars_format format = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21)
                                       ? std::chars_format::fixed
                                       : std::chars_format::scientific;
  char buffer[400];  // fixed notation of a value below 1e21 needs at most ~330 characters
  std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  return std::string(buffer, result.ptr);
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<FamilySnapshot> MergeFamilies(std::vector<FamilySnapshot> families,
                                          std::vector<std::string>* conflicts) {
  std::map<std::string, FamilySnapshot> by_name;
  for (FamilySnapshot& family : families) {
    auto [it, inserted] = by_name.try_emplace(family.name);
    if (inserted) {
      it->second = std::move(family);
      continue;
    }
    FamilySnapshot& kept = it->second;
    if (kept.type != family.type || kept.label_names != family.label_names) {
      if (conflicts != nullptr) conflicts->push_back(family.name);
      continue;
    }
    for (Sample& sample : family.samples) kept.samples.push_back(std::move(sample));
  }
  std::vector<FamilySnapshot> merged;
  merged.reserve(by_name.size());
  for (auto& [name, family] : by_name) merged.push_back(std::move(family));
  return merged;
}

std::string RenderText(std::vector<FamilySnapshot> families) {
  std::sort(families.begin(), families.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
  std::string out;
  for (FamilySnapshot& family : families) {
    std::stable_sort(family.samples.begin(), family.samples.end(),
                     [](const Sample& a, const Sample& b) {
                       return a.label_values < b.label_values;
                     });
    AppendFamily(family, &out);
  }
  return out;
}

}  // namespace orderplatform::metrics
