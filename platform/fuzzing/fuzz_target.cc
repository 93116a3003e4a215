#include "platform/fuzzing/fuzz_target.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "platform/log/log.h"

namespace orderplatform::fuzzing {

void SilenceLogs() {
  log::SetMinLevel(log::Level::kError);
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}

void Fail(const char* file, int line, absl::string_view what) {
  std::fprintf(stderr, "fuzz property violated at %s:%d: %.*s\n", file, line,
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

uint8_t FuzzInput::TakeByte() {
  if (empty()) return 0;
  return static_cast<uint8_t>(data_[offset_++]);
}

uint64_t FuzzInput::TakeUint64() {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(TakeByte()) << (8 * i);
  return value;
}

int64_t FuzzInput::TakeInt64InRange(int64_t lo, int64_t hi) {
  if (lo >= hi) return lo;
  // The span as unsigned, so [INT64_MIN, INT64_MAX] does not overflow.
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t raw = TakeUint64();
  const uint64_t offset = span == UINT64_MAX ? raw : raw % (span + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

std::string FuzzInput::TakeChunk() {
  const size_t low = TakeByte();  // two statements: the order of the reads is fixed
  const size_t length = low | (static_cast<size_t>(TakeByte()) << 8);
  const size_t n = std::min(length, remaining());
  std::string chunk(data_ + offset_, n);
  offset_ += n;
  return chunk;
}

std::string FuzzInput::TakeRest() {
  std::string rest(data_ + offset_, remaining());
  offset_ = size_;
  return rest;
}

}  // namespace orderplatform::fuzzing
