// Stable hashes: the same bytes give the same value on every machine, build and run, so the
// value may be persisted (order ids) or computed independently by several services (trace span
// ids). std::hash and absl::Hash are not: they may change between builds or runs.
//
// A lane is 64-bit FNV-1a over `domain`, a NUL separator and `data`, finished with MurmurHash3's
// fmix64 (so every input bit moves every output bit). The domain names the use, so two uses
// never share values; the 128-bit form runs two independently seeded lanes.
//
//   std::string id = StableHashHex128("orderplatform.order.id.v1", request_id);  // 32 hex digits
//   uint64_t span = StableHash64(kLaneA, "orderplatform.trace.span.v1", event_id);
//
// These functions must never change: persisted ids depend on them (stable_hash_test.cc and
// order_id_test.cc pin known values).
#ifndef ORDERPLATFORM_PLATFORM_HASH_STABLE_HASH_H_
#define ORDERPLATFORM_PLATFORM_HASH_STABLE_HASH_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace orderplatform::hash {

// The two lanes' starting values: FNV-1a's offset basis, and a second one far from it so the
// lanes do not collide on the same inputs.
inline constexpr uint64_t kLaneA = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kLaneB = 0x84222325cbf29ce4ULL ^ 0x9e3779b97f4a7c15ULL;

uint64_t StableHash64(uint64_t lane_basis, absl::string_view domain, absl::string_view data);

// Both lanes as 32 lowercase hex digits (lane A first).
std::string StableHashHex128(absl::string_view domain, absl::string_view data);

}  // namespace orderplatform::hash

#endif  // ORDERPLATFORM_PLATFORM_HASH_STABLE_HASH_H_
