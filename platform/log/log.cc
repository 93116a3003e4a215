#include "platform/log/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace orderplatform::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

// The ScopedContext fields of this thread, outermost first.
thread_local std::vector<std::pair<std::string, std::string>> context_fields;

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "unknown";
}

bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' || c == '\\') return true;
  }
  return false;
}

void AppendValue(std::string* out, absl::string_view value) {
  if (!NeedsQuotes(value)) {
    absl::StrAppend(out, value);
    return;
  }
  absl::StrAppend(out, "\"",
                  absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}, {"\t", "\\t"}}),
                  "\"");
}

}  // namespace

ScopedContext::ScopedContext(std::initializer_list<Field> fields)
    : previous_size_(context_fields.size()) {
  for (const Field& field : fields) context_fields.emplace_back(field.key, field.value);
}

ScopedContext::~ScopedContext() { context_fields.resize(previous_size_); }

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool Enabled(Level level) { return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed); }

std::string FormatLine(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", LevelName(level), " event=");
  AppendValue(&line, event);
  // Bounded by the few fields of a line and of the scopes around it.
  std::vector<absl::string_view> keys;
  for (const Field& field : fields) {
    absl::StrAppend(&line, " ", field.key, "=");
    AppendValue(&line, field.value);
    keys.push_back(field.key);
  }
  for (size_t i = 0; i < context_fields.size(); ++i) {
    // Not a structured binding: C++17 (clang) cannot capture one in the lambda below.
    const auto& key = context_fields[i].first;
    const auto& value = context_fields[i].second;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    // An inner scope's field of the same key replaces this one.
    const bool shadowed = std::any_of(context_fields.begin() + i + 1, context_fields.end(),
                                      [&key](const auto& inner) { return inner.first == key; });
    if (shadowed) continue;
    absl::StrAppend(&line, " ", key, "=");
    AppendValue(&line, value);
  }
  return line;
}

void Log(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLine(level, event, fields);
  line.push_back('\n');
  // One write per line: stderr is unbuffered and writes of this size are not split.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace orderplatform::log
