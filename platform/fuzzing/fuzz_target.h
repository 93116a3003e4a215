// What an op_cc_fuzz_test (bazel/defs.bzl) is made of, and the few helpers its targets share.
//
// A fuzz target is one .cc file that defines the libFuzzer entry point and its built-in seeds:
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     orderplatform::fuzzing::FuzzInput input(data, size);
//     OrderEvent event;
//     if (event.ParseFromString(input.TakeChunk())) {
//       OP_FUZZ_CHECK(event.ByteSizeLong() < (size_t{1} << 31), "parsed event too large");
//     }
//     return 0;
//   }
//   std::vector<std::string> orderplatform::fuzzing::Seeds() { return {ValidEventBytes()}; }
//
// Under `--config=fuzz` (clang, libFuzzer, AddressSanitizer) the seeds start libFuzzer's corpus
// (seed_writer.cc) and libFuzzer explores from there for a bounded time. Under the normal gcc
// build the same target is a regression test (replay_main.cc): every seed, every corpus file,
// truncations of each seed and a fixed set of seeded mutations, each fed once.
//
// A property that does not hold is reported with OP_FUZZ_CHECK, which prints where and why and
// aborts: libFuzzer saves the input as a crash artifact, and the regression test fails.
#ifndef ORDERPLATFORM_PLATFORM_FUZZING_FUZZ_TARGET_H_
#define ORDERPLATFORM_PLATFORM_FUZZING_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace orderplatform::fuzzing {

// Defined by each fuzz target: inputs worth starting from (valid events, edge cases).
std::vector<std::string> Seeds();

// Drops the platform's info and warning logs and protobuf's parser complaints: a fuzz run feeds
// millions of bad inputs, and one log line each would be most of its time. Called by both mains
// before the first input.
void SilenceLogs();

// Prints "fuzz property violated at FILE:LINE: WHAT" to stderr and aborts.
[[noreturn]] void Fail(const char* file, int line, absl::string_view what);

// Reads an input front to back. Every method is total: past the end it returns zeros or empty
// strings, so a target never needs to check the size first.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  bool empty() const { return offset_ >= size_; }
  size_t remaining() const { return size_ - offset_; }

  uint8_t TakeByte();
  bool TakeBool() { return (TakeByte() & 1) != 0; }
  // Little-endian; missing bytes read as zero.
  uint64_t TakeUint64();
  // A value in [lo, hi] (requires lo <= hi).
  int64_t TakeInt64InRange(int64_t lo, int64_t hi);
  // A chunk: a 2-byte little-endian length, then up to that many bytes (fewer at the end).
  std::string TakeChunk();
  std::string TakeRest();

 private:
  const char* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace orderplatform::fuzzing

#define OP_FUZZ_CHECK(condition, what)                                                          \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      ::orderplatform::fuzzing::Fail(__FILE__, __LINE__, absl::StrCat(#condition, ": ", what)); \
    }                                                                                           \
  } while (false)

#endif  // ORDERPLATFORM_PLATFORM_FUZZING_FUZZ_TARGET_H_
