// The Kafka side of the chaos run: how far each consumer group is behind, re-producing every
// saga message (I5), and garbage for every topic (I7). Unlike //integration_tests:topic_probe,
// lag is computed from end offsets (ListOffsets) instead of reading whole topics, and every
// bound is a parameter, so it scales to a soak with hundreds of thousands of messages.
//
//   absl::Status idle = WaitForGroupsCaughtUp(bootstrap, absl::Seconds(60));
//   absl::StatusOr<int> reproduced = ReproduceSagaTopics(bootstrap, absl::Seconds(120));
//   std::vector<GarbageMessage> garbage = MakeGarbage(seed);
//   absl::Status sent = ProduceGarbage(bootstrap, garbage, absl::Seconds(30));
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_TOPIC_TOOLS_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_TOPIC_TOOLS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orderplatform::chaos {

// The platform's consumer groups and the topics each consumes (the contract's saga diagram).
struct GroupTopics {
  std::string group;
  std::vector<std::string> topics;
};
const std::vector<GroupTopics>& SagaConsumerGroups();
// The three saga topics.
const std::vector<std::string>& SagaTopics();
// How many consumer groups read `topic` (each dead-letters a garbage message of it once).
int ConsumersOf(const std::string& topic);

// End offset (last offset + 1) of every partition of `topic`, index = partition.
absl::StatusOr<std::vector<int64_t>> EndOffsets(const std::string& bootstrap,
                                                const std::string& topic, absl::Duration timeout);

// OK once every group has committed the end offset of every partition it consumes, in two
// checks in a row with the same end offsets (so nothing was produced while the first one ran).
// DEADLINE_EXCEEDED, naming the lagging partitions, after `timeout`.
absl::Status WaitForGroupsCaughtUp(const std::string& bootstrap, absl::Duration timeout);

// Produces every message of the three saga topics a second time (same key, value and headers)
// and waits for the acks. Returns how many.
absl::StatusOr<int> ReproduceSagaTopics(const std::string& bootstrap, absl::Duration timeout);

// A message no consumer can handle: bytes that are no protobuf, an empty value, an event
// without envelope or payload, an envelope naming another order than the key.
struct GarbageMessage {
  std::string topic;
  std::string key;  // starts with kGarbageKeyPrefix
  std::string value;
  std::string what;  // for messages
};
inline constexpr char kGarbageKeyPrefix[] = "garbage-";
std::vector<GarbageMessage> MakeGarbage(uint64_t seed);
absl::Status ProduceGarbage(const std::string& bootstrap,
                            const std::vector<GarbageMessage>& messages, absl::Duration timeout);

}  // namespace orderplatform::chaos

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_TOPIC_TOOLS_H_
