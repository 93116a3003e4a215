// Linked into an op_cc_fuzz_test under --config=fuzz (libFuzzer brings main()): before libFuzzer
// reads its corpus, the target's built-in seeds are written into the directory named by
// OP_FUZZ_SEED_DIR (run_fuzz_test.sh sets it to the corpus directory it passes to libFuzzer).
// Logs are silenced first (SilenceLogs).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "platform/fuzzing/fuzz_target.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  orderplatform::fuzzing::SilenceLogs();
  const char* dir = std::getenv("OP_FUZZ_SEED_DIR");
  if (dir == nullptr || *dir == '\0') return 0;
  const std::vector<std::string> seeds = orderplatform::fuzzing::Seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = std::string(dir) + "/builtin-seed-" + std::to_string(i);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      std::fprintf(stderr, "cannot write seed %s\n", path.c_str());
      std::exit(1);
    }
    const size_t written = std::fwrite(seeds[i].data(), 1, seeds[i].size(), file);
    const bool closed = std::fclose(file) == 0;
    if (written != seeds[i].size() || !closed) {
      std::fprintf(stderr, "cannot write seed %s\n", path.c_str());
      std::exit(1);
    }
  }
  return 0;
}
