#include "platform/hash/stable_hash.h"

#include "absl/strings/str_format.h"

namespace orderplatform::hash {
namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t Fnv1a(uint64_t hash, absl::string_view bytes) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= kFnvPrime;
  }
  return hash;
}

// MurmurHash3's 64-bit finalizer.
uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

uint64_t StableHash64(uint64_t lane_basis, absl::string_view domain, absl::string_view data) {
  uint64_t hash = Fnv1a(lane_basis, domain);
  hash = Fnv1a(hash, absl::string_view("\0", 1));  // separates domain and data unambiguously
  hash = Fnv1a(hash, data);
  // The length, so that inputs differing only by trailing bytes that cancel out still differ.
  return Fmix64(hash ^ (static_cast<uint64_t>(data.size()) * kFnvPrime));
}

std::string StableHashHex128(absl::string_view domain, absl::string_view data) {
  return absl::StrFormat("%016x%016x", StableHash64(kLaneA, domain, data),
                         StableHash64(kLaneB, domain, data));
}

}  // namespace orderplatform::hash
