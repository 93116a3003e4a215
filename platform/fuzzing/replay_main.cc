// The main() of an op_cc_fuzz_test in the normal (gcc) build: a regression test over the target's
// inputs, without libFuzzer. It feeds LLVMFuzzerTestOneInput, once each:
//   - every built-in seed (Seeds()) and every file named on the command line (a directory means
//     every regular file in it), e.g. crash reproducers checked in as a corpus;
//   - every truncation of each seed (at most kTruncationsPerSeedMax of them, evenly spread), since
//     a cut-off value is the most common kind of bad input;
//   - kMutationsPerSeed seeded random mutations of each seed (byte flips, inserts, deletes,
//     splices with another seed), the same on every run.
// A violated property aborts (OP_FUZZ_CHECK), which fails the test.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "platform/fuzzing/fuzz_target.h"

namespace orderplatform::fuzzing {
namespace {

constexpr size_t kTruncationsPerSeedMax = 256;
constexpr int kMutationsPerSeed = 300;
constexpr size_t kFilesPerDirectoryMax = 10000;

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream bytes;
  bytes << file.rdbuf();
  *out = bytes.str();
  return true;
}

// Regular files named by `path` (a file, or the files of a directory), sorted.
std::vector<std::string> FilesOf(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return {};
  if (!S_ISDIR(info.st_mode)) return {path};
  std::vector<std::string> files;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    if (files.size() >= kFilesPerDirectoryMax) break;
    const std::string child = path + "/" + entry->d_name;
    if (stat(child.c_str(), &info) == 0 && S_ISREG(info.st_mode)) files.push_back(child);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

std::string Mutate(const std::string& seed, const std::vector<std::string>& all,
                   std::mt19937_64& rng) {
  std::string out = seed;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = out.empty() ? 0 : rng() % out.size();
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (!out.empty()) out[at] = static_cast<char>(out[at] ^ (1 << (rng() % 8)));
        break;
      case 1:  // set a byte to an interesting value
        if (!out.empty()) {
          static constexpr unsigned char kValues[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12};
          out[at] = static_cast<char>(kValues[rng() % sizeof(kValues)]);
        }
        break;
      case 2:  // insert a random byte
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng()));
        break;
      case 3:  // delete a range
        if (!out.empty()) out.erase(at, 1 + rng() % 8);
        break;
      case 4:  // duplicate a range
        if (!out.empty()) out.insert(at, out.substr(at, 1 + rng() % 16));
        break;
      default: {  // splice: this seed's prefix, another's suffix
        const std::string& other = all[rng() % all.size()];
        const size_t from = other.empty() ? 0 : rng() % other.size();
        out = out.substr(0, at) + other.substr(from);
        break;
      }
    }
  }
  return out;
}

int Main(int argc, char** argv) {
  SilenceLogs();
  std::vector<std::string> seeds = Seeds();
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::string& path : FilesOf(argv[i])) {
      std::string bytes;
      if (!ReadFile(path, &bytes)) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 1;
      }
      seeds.push_back(std::move(bytes));
      ++files;
    }
  }
  seeds.push_back("");  // the empty value
  int runs = 0;
  for (const std::string& seed : seeds) {
    Run(seed);
    ++runs;
  }
  for (const std::string& seed : seeds) {
    const size_t step = std::max<size_t>(1, seed.size() / kTruncationsPerSeedMax);
    for (size_t length = 0; length < seed.size(); length += step) {
      Run(seed.substr(0, length));
      ++runs;
    }
  }
  std::mt19937_64 rng(20261129);  // fixed: every run feeds the same inputs
  for (const std::string& seed : seeds) {
    for (int m = 0; m < kMutationsPerSeed; ++m) {
      Run(Mutate(seed, seeds, rng));
      ++runs;
    }
  }
  std::printf("replayed %d inputs: %zu seeds (%d from files), their truncations and mutations\n",
              runs, seeds.size(), files);
  return 0;
}

}  // namespace
}  // namespace orderplatform::fuzzing

int main(int argc, char** argv) { return orderplatform::fuzzing::Main(argc, argv); }
