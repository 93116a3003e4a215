// Structured logs: one line per event, `key=value` pairs, written with a single write(2) so lines
// from several threads never interleave.
//
//   LogInfo("order_placed", {{"order_id", id}, {"lines", lines.size()}});
//   => ts=2026-11-29T21:30:00.123Z level=info event=order_placed order_id=o-1 lines=2
//
// Values with spaces, quotes or `=` are quoted. Secrets must never be passed as fields.
//
// A ScopedContext adds fields to every line its thread logs while it lives, so that each line
// about an order carries its order_id and trace_id, also those logged deep in a store:
//
//   ScopedContext context({{"order_id", id}, {"trace_id", trace_id}});
//   LogWarn("order_store_cas_exhausted", {{"attempts", 16}});
//   => ... event=order_store_cas_exhausted attempts=16 order_id=o-1 trace_id=4bf9...
#ifndef ORDERPLATFORM_PLATFORM_LOG_LOG_H_
#define ORDERPLATFORM_PLATFORM_LOG_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orderplatform::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One key=value pair. Accepts anything absl::StrCat accepts as the value.
struct Field {
  Field(absl::string_view k, const absl::AlphaNum& v) : key(k), value(v.Piece()) {}
  absl::string_view key;
  std::string value;
};

// Fields appended to every line the constructing thread logs until destruction, after the line's
// own fields. A key the line already has is not repeated; for a key set by nested scopes, the
// innermost wins. Scopes must be destroyed in reverse order of construction (keep them on the
// stack).
class ScopedContext {
 public:
  explicit ScopedContext(std::initializer_list<Field> fields);
  ~ScopedContext();

  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  size_t previous_size_;
};

// Lines below `level` are dropped. Default: kInfo.
void SetMinLevel(Level level);
bool Enabled(Level level);

// Returns the formatted line without the trailing newline (exposed for tests).
std::string FormatLine(Level level, absl::string_view event, std::initializer_list<Field> fields);

void Log(Level level, absl::string_view event, std::initializer_list<Field> fields = {});

inline void LogDebug(absl::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::kDebug)) Log(Level::kDebug, event, fields);
}
inline void LogInfo(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, event, fields);
}
inline void LogWarn(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarn, event, fields);
}
inline void LogError(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, event, fields);
}

}  // namespace orderplatform::log

#endif  // ORDERPLATFORM_PLATFORM_LOG_LOG_H_
