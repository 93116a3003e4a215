// The simulator's only source of randomness: SplitMix64, a tiny generator whose sequence is
// fixed by its definition. std::uniform_int_distribution is not used on purpose: its output may
// differ between standard libraries, and a seed must name the same schedule everywhere.
//
//   SplitMix64 random(seed);
//   int batch = random.Between(1, 3);        // inclusive
//   if (random.Percent(15)) { ... }          // true 15% of the time
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_RANDOM_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_RANDOM_H_

#include <cassert>
#include <cstdint>

namespace orderplatform::simulator {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n). The modulo bias (< n / 2^64) is irrelevant for schedules.
  uint64_t Below(uint64_t n) {
    assert(n > 0);
    return Next() % n;
  }

  // Uniform in [low, high], both inclusive.
  int Between(int low, int high) {
    assert(low <= high);
    return low + static_cast<int>(Below(static_cast<uint64_t>(high - low) + 1));
  }

  bool Percent(int percent) { return static_cast<int>(Below(100)) < percent; }

 private:
  uint64_t state_;
};

// A second, independent stream from one seed (for example the setup and the steps of one
// schedule), so that drawing more or fewer setup values never shifts the steps.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  SplitMix64 mix(seed ^ (stream * 0xd1b54a32d192ed03ULL));
  return mix.Next();
}

}  // namespace orderplatform::simulator

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_SIMULATOR_SIM_RANDOM_H_
