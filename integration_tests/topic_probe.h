// Reads the platform's topics back for tests: re-producing every message (a replay), and
// waiting until every consumer group has committed up to the end of the topics it reads.
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TOPIC_PROBE_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TOPIC_PROBE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orderplatform::integration {

// Produces every message of orders.v1, inventory.v1 and payments.v1 a second time (same key,
// value and headers). Returns how many were re-produced.
absl::StatusOr<int> ReproduceAllMessages(const std::string& bootstrap);

// Waits until the groups orderplatform.{order,inventory,payment} (or the given suffix-renamed
// ones) have committed offsets at the end of every partition they consume.
absl::Status WaitForConsumersCaughtUp(const std::string& bootstrap, absl::Duration timeout,
                                      const std::string& group_suffix = "");

}  // namespace orderplatform::integration

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TOPIC_PROBE_H_
