#include "services/order/order_id.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace orderplatform::order {
namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
// The second lane starts elsewhere, so the two lanes do not collide on the same inputs.
constexpr uint64_t kSecondLaneBasis = 0x84222325cbf29ce4ULL ^ 0x9e3779b97f4a7c15ULL;
// Hashed before the request id: a later id scheme can change it without reusing old ids.
constexpr absl::string_view kDomain = "orderplatform.order.id.v1";

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

uint64_t Lane(uint64_t basis, absl::string_view request_id) {
  uint64_t hash = Fnv1a(basis, kDomain);
  hash = Fnv1a(hash, absl::string_view("\0", 1));  // separates domain and id unambiguously
  hash = Fnv1a(hash, request_id);
  // The length, so that ids differing only by trailing bytes that cancel out still differ.
  return Fmix64(hash ^ (static_cast<uint64_t>(request_id.size()) * kFnvPrime));
}

}  // namespace

std::string OrderIdForRequest(absl::string_view request_id) {
  return absl::StrCat(kOrderIdPrefix,
                      absl::StrFormat("%016x%016x", Lane(kFnvOffsetBasis, request_id),
                                      Lane(kSecondLaneBasis, request_id)));
}

}  // namespace orderplatform::order
